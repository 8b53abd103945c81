"""The only package that imports ``orthanc``: what the plugin reads and writes in Orthanc, and how it plugs in.

- :mod:`~ohif_plugin.orthanc_adapter.startup`: loading, with the log first;
- :mod:`~ohif_plugin.orthanc_adapter.wiring`: the composition root;
- :mod:`~ohif_plugin.orthanc_adapter.routes` and :mod:`~ohif_plugin.orthanc_adapter.handlers`: REST routes;
- :mod:`~ohif_plugin.orthanc_adapter.changes`: change events as a table, and the threads' lifecycle;
- :mod:`~ohif_plugin.orthanc_adapter.instance_store`: reads and writes of instances, summaries and answers;
- :mod:`~ohif_plugin.orthanc_adapter.revisions`: replacing values under "CheckRevisions";
- :mod:`~ohif_plugin.orthanc_adapter.compatibility`: what differs between orthanc-python releases;
- :mod:`~ohif_plugin.orthanc_adapter.errors` and :mod:`~ohif_plugin.orthanc_adapter.log`.

Nothing is imported here: the pure modules (compatibility, revisions) are
tested without Orthanc.
"""
