"""Check that a demo Orthanc serves what a user opens: `python scripts/demo_check.py [URL]`.

Run by `scripts/demo.sh --check` after the samples are loaded: the study list,
the study JSON of every study, the viewer page and its app-config.js. Prints
one line per check and a summary; exits 0 if all pass, 1 otherwise.
Standard library only, like the rest of the demo, so that CI proves the demo
needs nothing that only the test tools install.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TIMEOUT = 120.0
"""Seconds: the first ohif-dicom-json of a study may compute its summaries."""

VIEWER_MARKERS = ("app-config.js", "window.PUBLIC_URL")
"""In OHIF's index.html as the plugin serves it: the configuration script, and the plugin's public-path rewrite."""


class CheckFailed(Exception):
    """One check did not pass; the message says why, in one line."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise CheckFailed(f"{what} is not JSON (Content-Type {self.content_type!r})") from None


def get(url: str) -> Answer:
    """GET without raising for HTTP errors: a check wants to report the status."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return Answer(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers.get("Content-Type", ""), error.read())
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise CheckFailed(f"GET {url}: no answer ({reason})") from None


def expect_ok(answer: Answer, what: str) -> None:
    if answer.status != 200:
        excerpt = " ".join(answer.text().split())[:160]  # one line, whatever the body
        raise CheckFailed(f"{what} answered {answer.status}: {excerpt}")


def study_ids(url: str) -> list[str]:
    """Orthanc's identifiers of the stored studies; at least one."""
    answer = get(f"{url}/studies")
    expect_ok(answer, "GET /studies")
    studies = answer.json("GET /studies")
    if not isinstance(studies, list) or not studies:
        raise CheckFailed(f"GET /studies lists no study: {studies!r}")
    return [str(study) for study in studies]


def check_studies(url: str) -> str:
    return f"{len(study_ids(url))} studies"


def check_study_json(url: str) -> str:
    studies = study_ids(url)
    instances = 0
    for study in studies:
        what = f"GET /studies/{study}/ohif-dicom-json"
        answer = get(f"{url}/studies/{study}/ohif-dicom-json")
        expect_ok(answer, what)
        document = answer.json(what)
        if not isinstance(document, dict):
            raise CheckFailed(f"{what} is not a JSON object")
        urls = [
            instance.get("url")
            for entry in document.get("studies", [])
            for series in entry.get("series", [])
            for instance in series.get("instances", [])
        ]
        if not any(urls):
            raise CheckFailed(f"{what} has no instance with a url")
        instances += len(urls)
    return f"{len(studies)} studies, {instances} instance entries with a url"


def check_viewer(url: str) -> str:
    answer = get(f"{url}/ohif/viewer")
    expect_ok(answer, "GET /ohif/viewer")
    if not answer.content_type.startswith("text/html"):
        raise CheckFailed(f"GET /ohif/viewer is {answer.content_type!r}, not text/html")
    missing = [marker for marker in VIEWER_MARKERS if marker not in answer.text()]
    if missing:
        raise CheckFailed(f"GET /ohif/viewer is not OHIF's page as the plugin serves it (no {', '.join(missing)})")
    return f"OHIF's page, {len(answer.body)} bytes"


def check_app_config(url: str) -> str:
    answer = get(f"{url}/ohif/app-config.js")
    expect_ok(answer, "GET /ohif/app-config.js")
    if "window.config" not in answer.text():
        raise CheckFailed("GET /ohif/app-config.js does not set window.config")
    return f"{len(answer.body)} bytes"


CHECKS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("GET /studies", check_studies),
    ("GET /studies/{id}/ohif-dicom-json", check_study_json),
    ("GET /ohif/viewer", check_viewer),
    ("GET /ohif/app-config.js", check_app_config),
)


def run_checks(url: str) -> list[str]:
    """Run every check, printing one line each; returns the reasons of those that failed."""
    failures = []
    for name, check in CHECKS:
        try:
            detail = check(url)
        except CheckFailed as error:
            print(f"demo check: FAIL {name}: {error}")
            failures.append(str(error))
        else:
            print(f"demo check: ok   {name}: {detail}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default="http://localhost:8042")
    url = parser.parse_args(argv).url.rstrip("/")
    failures = run_checks(url)
    if failures:
        print(f"demo check: {len(failures)} of {len(CHECKS)} checks failed; first: {failures[0]}", file=sys.stderr)
        return 1
    print(f"demo check: all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
