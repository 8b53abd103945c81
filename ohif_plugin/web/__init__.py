"""What the browser gets besides the study JSON: the viewer, its configuration, the Explorer button.

- :mod:`~ohif_plugin.web.viewer`: ``/ohif/...``: mode routes, ``app-config.js``, bundle files;
- :mod:`~ohif_plugin.web.assets`: the bundle's files in memory, and the plugin's own scripts;
- :mod:`~ohif_plugin.web.modes`: the viewer's modes (routes, and the Explorer button's choices);
- :mod:`~ohif_plugin.web.explorer`: the Orthanc Explorer extension;
- :mod:`~ohif_plugin.web.links`: links that open a study by StudyInstanceUID;
- :mod:`~ohif_plugin.web.documents`: encapsulated PDFs the viewer can embed;
- :mod:`~ohif_plugin.web.status`: ``/ohif/api/status`` and the metrics.

Nothing is imported here: the build-time bundle rewrite reads :mod:`~ohif_plugin.web.modes` alone.
"""
