"""OHIF viewer for Orthanc, as an orthanc-python plugin.

Everything here but :mod:`ohif_plugin.orthanc_glue` (and the entry script
:mod:`ohif_plugin.plugin`) is plain Python that imports without Orthanc.
"""

__version__ = "0.1.0"
