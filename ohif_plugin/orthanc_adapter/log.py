"""The plugin's log records go to Orthanc's own log, at the same level."""

from __future__ import annotations

import logging

import orthanc

logger = logging.getLogger("ohif_plugin")


class OrthancLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = "OHIF plugin: " + self.format(record)
            if record.levelno >= logging.ERROR:
                orthanc.LogError(message)
            elif record.levelno >= logging.WARNING:
                orthanc.LogWarning(message)
            else:
                orthanc.LogInfo(message)
        except Exception:
            self.handleError(record)


def install_logging() -> None:
    """Every ``ohif_plugin.*`` logger writes to Orthanc's log, and only there."""
    handler = OrthancLogHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
