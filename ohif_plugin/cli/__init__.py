"""``ohif-plugin``, the administrator's command-line tool: it talks to Orthanc over HTTP, never loaded by it.

- :mod:`~ohif_plugin.cli.main`: options and the entry point;
- :mod:`~ohif_plugin.cli.commands`: preload, clear-cache, config, status;
- :mod:`~ohif_plugin.cli.selection`: which studies a command works on;
- :mod:`~ohif_plugin.cli.runner` and :mod:`~ohif_plugin.cli.progress`: parallel work with a progress bar;
- :mod:`~ohif_plugin.cli.rest_client`: Orthanc's REST API over HTTP (also used by the demo).
"""
