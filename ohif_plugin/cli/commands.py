"""What each ``ohif-plugin`` command does, over Orthanc's REST API, and the report it prints."""

from __future__ import annotations

import contextlib
import json
import sysconfig
import time
from pathlib import Path
from typing import Any, TextIO

from ohif_plugin.cli.progress import duration
from ohif_plugin.cli.rest_client import NotFound, OrthancClient, OrthancError
from ohif_plugin.cli.runner import End, Fatal, Outcome, Result, Run
from ohif_plugin.configuration import default_section
from ohif_plugin.study_json.stored_answer import ATTACHMENT as ANSWER_ATTACHMENT
from ohif_plugin.summaries import METADATA_KEY, decode_summary

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
PLUGIN_SCRIPT = Path(__file__).resolve().parent.parent / "plugin.py"
LISTED_FAILURES = 20
"""Failed studies listed one by one in the report; the rest are counted."""
STORED_ANSWERS_TIMEOUT = 60.0
"""Seconds to wait for the server to store the answers it assembled; the summaries are checked after."""


# --- preload -----------------------------------------------------------------


def has_valid_summary(client: OrthancClient, instance_id: str) -> bool:
    value = client.get_optional(f"/instances/{instance_id}/metadata/{METADATA_KEY}")
    return value is not None and decode_summary(value) is not None


def wait_for_stored_answers(client: OrthancClient, timeout: float = STORED_ANSWERS_TIMEOUT) -> None:
    """Until the server has stored the answers it assembled (see ohif_plugin.background.answer_keeper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get_json("/ohif/api/status")
        if not status.get("StoredAnswers", {}).get("QueueLength"):
            return
        time.sleep(0.05)


def study_instances(client: OrthancClient, study_id: str) -> list[str] | None:
    try:
        return [str(instance["ID"]) for instance in client.get_json(f"/studies/{study_id}/instances")]
    except NotFound:
        return None


def preload_study(client: OrthancClient, study_id: str) -> Outcome:
    """Skip the study if every summary is valid; else have the server compute the missing ones."""
    instance_ids = study_instances(client, study_id)
    if instance_ids is None:
        return Outcome(study_id, Result.FAILED, reason="the study was deleted meanwhile")
    if all(has_valid_summary(client, instance_id) for instance_id in instance_ids):
        return Outcome(study_id, Result.SKIPPED, len(instance_ids))
    # A stored answer would be sent as it is: without it, the server assembles the study, which computes
    # every summary missing. It is stored again after.
    with contextlib.suppress(NotFound):
        client.delete(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}")
    try:
        answer = json.loads(client.request("GET", f"/studies/{study_id}/ohif-dicom-json"))
    except NotFound:
        if client.get_optional(f"/studies/{study_id}") is None:
            return Outcome(study_id, Result.FAILED, reason="the study was deleted meanwhile")
        raise Fatal(
            f"Orthanc at {client.url} does not answer /studies/{{id}}/ohif-dicom-json: is the OHIF plugin loaded?"
        ) from None
    wait_for_stored_answers(client)
    shown = sum(int(study.get("NumInstances", 0)) for study in answer.get("studies", []))
    if shown < len(instance_ids) or not all(has_valid_summary(client, instance_id) for instance_id in instance_ids):
        # Instances left out of the answer: check which really lack a summary.
        missing = sum(1 for instance_id in instance_ids if not has_valid_summary(client, instance_id))
        if missing:
            return Outcome(
                study_id,
                Result.FAILED,
                len(instance_ids),
                reason=f"{missing} of {len(instance_ids)} instances could not be summarized (see Orthanc's log)",
            )
    return Outcome(study_id, Result.DONE, len(instance_ids))


# --- clear-cache -------------------------------------------------------------


def clear_study(client: OrthancClient, study_id: str, dry_run: bool) -> Outcome:
    instance_ids = study_instances(client, study_id)
    if instance_ids is None:
        return Outcome(study_id, Result.FAILED, reason="the study was deleted meanwhile")
    cleared = 0
    for instance_id in instance_ids:
        keys = client.get_optional(f"/instances/{instance_id}/metadata")
        if keys is None or METADATA_KEY not in json.loads(keys):
            continue
        if not dry_run:
            try:
                client.delete(f"/instances/{instance_id}/metadata/{METADATA_KEY}")
            except NotFound:
                continue  # deleted meanwhile
        cleared += 1
    attachments = client.get_optional(f"/studies/{study_id}/attachments")
    if attachments is not None and ANSWER_ATTACHMENT in json.loads(attachments) and not dry_run:
        with contextlib.suppress(NotFound):  # deleted meanwhile
            client.delete(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}")
    return Outcome(study_id, Result.DONE, len(instance_ids), changed=cleared)


# --- config ------------------------------------------------------------------


def configuration_block() -> dict[str, Any]:
    """Both plugin keys point at the same script: orthanc-python 4.0 reads only "PythonScript",
    later releases read "Python"."Path" too (with "PythonScript" winning when both are set),
    so the script is loaded once, whichever release reads the block."""
    return {
        "PythonScript": str(PLUGIN_SCRIPT),
        "Python": {"Path": str(PLUGIN_SCRIPT)},
        "OHIF": default_section(),
    }


def site_packages() -> str:
    """Where this environment's packages are: the PYTHONPATH that Orthanc needs for them."""
    return sysconfig.get_paths()["purelib"]


def print_config(stdout: TextIO, stderr: TextIO) -> int:
    stdout.write(json.dumps(configuration_block(), indent=2) + "\n")
    stderr.write(
        "# The JSON above is a complete configuration file: put it in Orthanc's configuration folder\n"
        "# (on Debian, in place of /etc/orthanc/python.json, which also sets \"PythonScript\").\n"
        f"# Orthanc must load orthanc-python (\"Plugins\"), and see this environment's packages:\n"
        f"#   PYTHONPATH={site_packages()}\n"
        "# (not needed when they are in the repository's .venv: plugin.py adds that one itself).\n"
    )
    return EXIT_OK


# --- status ------------------------------------------------------------------


def print_status(client: OrthancClient, stdout: TextIO) -> int:
    try:
        status = client.get_json("/ohif/api/status")
    except NotFound:
        raise OrthancError(
            f"Orthanc at {client.url} does not answer /ohif/api/status: is this plugin (the Python one) loaded?"
        ) from None
    stdout.write(json.dumps(status, indent=2) + "\n")
    return EXIT_OK


# --- reporting ---------------------------------------------------------------

REPORT_WORDS: dict[str, tuple[str, str]] = {
    # command: (what "done" means, what "changed" counts)
    "preload": ("summaries computed", ""),
    "clear-cache": ("cleared", "summaries deleted"),
    "clear-cache-dry-run": ("looked at", "summaries that would be deleted"),
}


def report(run: Run, kind: str, stdout: TextIO, stderr: TextIO) -> int:
    done_words, changed_words = REPORT_WORDS[kind]
    instances = sum(outcome.instances for outcome in run.outcomes)
    line = (
        f"{run.count(Result.DONE)} studies {done_words}, {run.count(Result.SKIPPED)} skipped (every summary valid), "
        f"{run.count(Result.FAILED)} failed; {instances} instances; {duration(run.seconds)}"
    )
    if changed_words:
        line += f"; {sum(outcome.changed for outcome in run.outcomes)} {changed_words}"
    stdout.write(line + "\n")
    failures = run.failures()
    for outcome in failures[:LISTED_FAILURES]:
        stderr.write(f"failed: study {outcome.study_id}: {outcome.reason}\n")
    if len(failures) > LISTED_FAILURES:
        stderr.write(f"failed: {len(failures) - LISTED_FAILURES} more studies\n")
    if run.end is End.FATAL:
        stderr.write(f"error: {run.fatal}\n")
        return EXIT_ERROR
    if run.end is End.INTERRUPTED:
        stderr.write(f"interrupted: {len(run.outcomes)} studies handled; run the same command again to go on\n")
        return EXIT_INTERRUPTED
    return EXIT_FAILED if failures else EXIT_OK


