"""Loading the plugin: the log first, so that even a missing dependency is reported in Orthanc's log."""

from __future__ import annotations

from ohif_plugin.orthanc_adapter.log import install_logging, logger


def load() -> object | None:
    """The plugin's REST handlers once everything is registered; None if it could not load."""
    install_logging()
    try:
        from ohif_plugin.orthanc_adapter.wiring import initialize
    except ImportError as error:
        logger.error(
            "cannot import %s; create the virtual environment with scripts/install.sh "
            "or put its site-packages on PYTHONPATH. The plugin is not loaded.",
            error.name,
        )
        return None
    return initialize()
