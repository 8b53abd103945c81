"""The commands' reports, exit statuses and printed configuration (ohif_plugin.cli.commands)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ohif_plugin.cli.commands import (
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    configuration_block,
    report,
)
from ohif_plugin.cli.runner import End, Outcome, Result, Run


def test_the_printed_configuration_is_json_with_both_plugin_keys() -> None:
    block = json.loads(json.dumps(configuration_block()))
    assert block["PythonScript"] == block["Python"]["Path"]
    assert Path(block["PythonScript"]).is_absolute() and Path(block["PythonScript"]).is_file()



@pytest.mark.parametrize(
    ("run", "status"),
    [
        (Run([Outcome("a", Result.DONE, 3), Outcome("b", Result.SKIPPED, 2)]), EXIT_OK),
        (Run([Outcome("a", Result.DONE, 3), Outcome("b", Result.FAILED, 2, reason="broken")]), EXIT_FAILED),
        (Run([Outcome("a", Result.DONE, 3)], End.INTERRUPTED), EXIT_INTERRUPTED),
        (Run([], End.FATAL, "credentials refused"), EXIT_ERROR),
    ],
)
def test_the_report_and_its_exit_status(run: Run, status: int) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert report(run, "preload", stdout, stderr) == status
    done, skipped, failed = run.count(Result.DONE), run.count(Result.SKIPPED), run.count(Result.FAILED)
    assert stdout.getvalue().startswith(f"{done} studies summaries computed, {skipped} skipped")
    assert f"{failed} failed" in stdout.getvalue()
    if failed:
        assert "failed: study b: broken" in stderr.getvalue()


def test_the_clear_cache_report_counts_the_summaries_deleted() -> None:
    stdout = io.StringIO()
    run = Run([Outcome("a", Result.DONE, 3, changed=2), Outcome("b", Result.DONE, 2, changed=1)])
    report(run, "clear-cache-dry-run", stdout, io.StringIO())
    assert "2 studies looked at" in stdout.getvalue()
    assert stdout.getvalue().rstrip().endswith("3 summaries that would be deleted")
