"""The command line's arguments and the errors that end a run (ohif_plugin.cli.main)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ohif_plugin.cli.commands import EXIT_ERROR, EXIT_OK
from ohif_plugin.cli.main import build_parser, main


def test_the_commands_and_their_defaults() -> None:
    options = build_parser().parse_args(["preload"])
    assert (options.command, options.study, options.since, options.jobs) == ("preload", [], None, 4)
    options = build_parser().parse_args(["clear-cache", "--study", "a", "--study", "b", "--dry-run", "--jobs", "2"])
    assert (options.study, options.dry_run, options.jobs) == (["a", "b"], True, 2)


@pytest.mark.parametrize("arguments", [[], ["preload", "--jobs", "0"], ["unknown"], ["status", "--study", "a"]])
def test_wrong_arguments_exit_with_usage(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(arguments)
    assert caught.value.code == 2
    assert "usage: ohif-plugin" in capsys.readouterr().err


def test_config_prints_json_without_reaching_orthanc() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main(["config"], stdout, stderr) == EXIT_OK
    block = json.loads(stdout.getvalue()[stdout.getvalue().index("{"):])
    assert Path(block["PythonScript"]).name == "plugin.py"


def test_an_unreachable_orthanc_is_an_error_not_a_traceback() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["preload", "--url", "http://127.0.0.1:9", "--timeout", "5"], stdout, stderr)
    assert status == EXIT_ERROR
    assert stderr.getvalue().startswith("error: ")
    assert stdout.getvalue() == ""
