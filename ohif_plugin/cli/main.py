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
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ohif_plugin import __version__
from ohif_plugin.cli.commands import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    clear_study,
    preload_study,
    print_config,
    print_status,
    report,
)
from ohif_plugin.cli.progress import ProgressBar, Tally
from ohif_plugin.cli.rest_client import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    Connection,
    OrthancClient,
    OrthancError,
    Unauthorized,
    Unreachable,
    credentials_from_netrc,
)
from ohif_plugin.cli.runner import Fatal, Outcome, Result, run_tasks
from ohif_plugin.cli.selection import parse_since, select_studies

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
    clear = commands.add_parser(
        "clear-cache", help="delete the summaries and stored study answers (metadata and attachment 4202)",
        description="Delete metadata 4202 of every instance and attachment 4202 of every study, "
        "or of the chosen studies; both are computed again on demand.",
    )
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
