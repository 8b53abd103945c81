"""``ohif-plugin``: the administrator's command-line tool, over Orthanc's REST API.

Commands:

- ``preload``: compute the summaries of studies stored before the plugin, by
  asking the server for each study's ``ohif-dicom-json`` (which computes and
  stores every missing summary, with this plugin or the C++ one). Studies whose
  instances all have a valid summary are skipped, so a run can be resumed.
- ``clear-cache``: delete metadata 4202 and the studies' stored answers (recomputed on demand).
- ``config``: print a configuration block for this installation.
- ``status``: print the plugin's GET /ohif/api/status answer.

Exit status: 0 when everything went well, 1 when a study failed, 2 for an
error that stopped the command (Orthanc unreachable, credentials refused, an
unknown study, bad options), 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ohif_plugin import __version__
from ohif_plugin.configuration import default_section
from ohif_plugin.progress import ProgressBar, Tally, duration
from ohif_plugin.rest_client import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    Connection,
    NotFound,
    OrthancClient,
    OrthancError,
    Unauthorized,
    Unreachable,
    credentials_from_netrc,
)
from ohif_plugin.runner import End, Fatal, Outcome, Result, Run, run_tasks
from ohif_plugin.stored_answer import ATTACHMENT as ANSWER_ATTACHMENT
from ohif_plugin.studies import parse_since, select_studies
from ohif_plugin.summary import METADATA_KEY, decode_summary

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
PLUGIN_SCRIPT = Path(__file__).resolve().parent / "plugin.py"
LISTED_FAILURES = 20
STORED_ANSWERS_TIMEOUT = 60.0
"""Seconds to wait for the server to check the stored answers it sent; the summaries are checked after."""
"""Failed studies listed one by one in the report; the rest are counted."""


# --- preload -----------------------------------------------------------------


def has_valid_summary(client: OrthancClient, instance_id: str) -> bool:
    value = client.get_optional(f"/instances/{instance_id}/metadata/{METADATA_KEY}")
    return value is not None and decode_summary(value) is not None


def wait_for_stored_answers(client: OrthancClient, timeout: float = STORED_ANSWERS_TIMEOUT) -> None:
    """Until the server has checked the answers it sent from storage: that check, in the background,
    computes the summaries missing since (see ohif_plugin.study_refresh)."""
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
    """Both plugin keys point at the same script: orthanc-python 4.0 reads "PythonScript",
    newer releases read "Python"."Path" first, so the script is loaded once either way."""
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


# --- command line ------------------------------------------------------------


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Orthanc")
    group.add_argument("--url", default=os.environ.get("ORTHANC_URL", DEFAULT_URL),
                       help=f"Orthanc's REST API (default: $ORTHANC_URL or {DEFAULT_URL})")
    group.add_argument("--user", help="user name (default: from .netrc, else none)")
    group.add_argument("--password", help="password (default: $ORTHANC_PASSWORD, else asked on a terminal)")
    group.add_argument("--netrc-file", type=Path, help="read user and password from this file (default: ~/.netrc)")
    group.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate")
    group.add_argument("--ca-bundle", type=Path, help="verify the TLS certificate against these CA certificates")
    group.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help=f"seconds to wait for one answer (default: {DEFAULT_TIMEOUT:.0f})")


def _selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", action="append", default=[], metavar="ID",
                        help="only this study: Orthanc ID or StudyInstanceUID (repeatable)")
    parser.add_argument("--since", metavar="DATE",
                        help="only studies changed after this UTC date (Orthanc's LastUpdate), e.g. 2024-05-31")
    parser.add_argument("--jobs", type=_positive, default=4, metavar="N",
                        help="parallel requests (default: 4)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, found {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ohif-plugin", description="Operate the OHIF plugin of an Orthanc server.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    preload = commands.add_parser(
        "preload", help="compute the summaries of studies stored before the plugin",
        description="Ask the server for each study's ohif-dicom-json, which computes and stores missing summaries. "
        "Studies whose summaries are all valid are skipped, so an interrupted run can be resumed.",
    )
    _connection_options(preload)
    _selection_options(preload)
    clear = commands.add_parser("clear-cache", help="delete the summaries (metadata 4202)",
                                description="Delete metadata 4202 of every instance, or of the chosen studies.")
    _connection_options(clear)
    _selection_options(clear)
    clear.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    commands.add_parser("config", help="print a configuration block for this installation",
                        description="Print Orthanc configuration (JSON) that loads this plugin with its defaults.")
    status = commands.add_parser("status", help="print the plugin's status and counters",
                                 description="Print GET /ohif/api/status: versions, counters, backfill progress.")
    _connection_options(status)
    return parser


def connect(options: argparse.Namespace) -> OrthancClient:
    user, password = options.user, options.password
    if user is None:
        found = credentials_from_netrc(options.url, options.netrc_file)
        if found is not None:
            user, password = found
    if user is not None and password is None:
        password = os.environ.get("ORTHANC_PASSWORD")
        if password is None and sys.stdin.isatty():
            password = getpass.getpass(f"Password of {user} on {options.url}: ")
    return OrthancClient(Connection(
        url=options.url, user=user, password=password, verify_tls=not options.insecure,
        ca_bundle=options.ca_bundle, timeout=options.timeout,
    ))


def _fatal_errors(task: Callable[[str], Outcome]) -> Callable[[str], Outcome]:
    """Errors that would fail every study end the run instead."""

    def guarded(study_id: str) -> Outcome:
        try:
            return task(study_id)
        except (Unreachable, Unauthorized) as error:
            raise Fatal(str(error)) from None
        except OrthancError as error:
            return Outcome(study_id, Result.FAILED, reason=str(error))

    return guarded


def run_command(options: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    client = connect(options)
    if options.command == "status":
        return print_status(client, stdout)
    since = parse_since(options.since) if options.since else None
    client.get_json("/system")  # reachable, and the credentials work
    study_ids = select_studies(client, options.study, since)
    instances_total = None
    if not options.study and since is None:
        instances_total = int(client.get_json("/statistics").get("CountInstances", 0))
    if options.command == "preload":
        kind, label = "preload", "preload"
        task = _fatal_errors(lambda study_id: preload_study(client, study_id))
    else:
        kind = "clear-cache-dry-run" if options.dry_run else "clear-cache"
        label = "clear-cache (dry run)" if options.dry_run else "clear-cache"
        task = _fatal_errors(lambda study_id: clear_study(client, study_id, options.dry_run))
    progress = ProgressBar(Tally(len(study_ids), instances_total), stderr, label)
    run = run_tasks(study_ids, task, options.jobs, progress)
    return report(run, kind, stdout, stderr)


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    options = build_parser().parse_args(argv)
    if options.command == "config":
        return print_config(stdout, stderr)
    try:
        return run_command(options, stdout, stderr)
    except (OrthancError, OSError) as error:  # OSError: an unreadable --netrc-file, say
        stderr.write(f"error: {error}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:  # before the run started: nothing to report
        stderr.write("interrupted\n")
        return EXIT_INTERRUPTED


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
