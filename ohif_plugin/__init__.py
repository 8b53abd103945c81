"""OHIF viewer for Orthanc, as an orthanc-python plugin.

Packages, lowest first (each imports only those below it; ``pyproject.toml``
states it as import-linter contracts):

- :mod:`~ohif_plugin.summaries`: per-instance summaries (metadata 4202);
- :mod:`~ohif_plugin.study_json`: the study answer, ``/studies/{id}/ohif-dicom-json``;
- :mod:`~ohif_plugin.web` and :mod:`~ohif_plugin.background`: the viewer, and work off the request path;
- :mod:`~ohif_plugin.orthanc_adapter`: the only package that imports ``orthanc``.

Beside them: :mod:`~ohif_plugin.configuration`, :mod:`~ohif_plugin.codings` and
:mod:`~ohif_plugin.responses`, shared by all; :mod:`~ohif_plugin.cli`,
:mod:`~ohif_plugin.build` and :mod:`~ohif_plugin.demo`, never loaded by Orthanc.
Orthanc runs :mod:`ohif_plugin.plugin`.
"""

__version__ = "0.1.0"
