"""Telling Orthanc's errors apart: a resource that is unknown or gone, against a real failure."""

from __future__ import annotations

import orthanc


def error_code(error: Exception) -> int | None:
    code = error.args[0] if error.args else None
    return code if isinstance(code, int) else None


def is_unknown(error: Exception) -> bool:
    return error_code(error) in (
        orthanc.ErrorCode.UNKNOWN_RESOURCE,
        orthanc.ErrorCode.INEXISTENT_ITEM,
        orthanc.ErrorCode.INEXISTENT_FILE,
    )


def is_revision_conflict(error: Exception) -> bool:
    """Orthanc refused to replace a value without its revision ("CheckRevisions": true)."""
    return bool(error_code(error) == orthanc.ErrorCode.REVISION)


def instance_gone(instance_id: str, error: Exception) -> bool:
    """Whether ``error`` comes from the instance being deleted meanwhile.

    A deletion that races a read does not always give "unknown resource": the
    file can vanish between Orthanc's lookup and its read. Asking again tells.
    """
    if is_unknown(error):
        return True
    try:
        orthanc.RestApiGet(f"/instances/{instance_id}/metadata")
    except orthanc.OrthancException as again:
        return is_unknown(again)
    return False
