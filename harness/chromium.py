"""Headless Chromium driven by Playwright, looking at the viewer as a user would.

Shared by the browser tests (whose fixtures are in tests/browser/conftest.py)
and the benchmarks.

An image counts as drawn when a ``canvas.cornerstone-canvas`` holds more than
a few hundred non-black pixels: a failed load leaves it black (0).
"""

from __future__ import annotations

import time
from typing import NoReturn

from playwright.sync_api import Page

from harness.orthanc_server import OrthancServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DRAWN = 300
"""Non-black pixels above which a canvas shows an image."""

COUNT_DRAWN_PIXELS = """() => Array.from(document.querySelectorAll('canvas.cornerstone-canvas')).map(canvas => {
    if (!canvas.width || !canvas.height) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 30) count++;
    return count;
})"""


NO_TOUR = "localStorage.setItem('shownTours', JSON.stringify(['basicViewerTour']));"
"""An init script marking OHIF's first-visit tour as seen: its overlay would take the clicks and the wheel,
and it comes back on every origin (each test or benchmark server has its own port)."""


def drawn_pixels(page: Page) -> list[int]:
    """Non-black pixels of each Cornerstone canvas of the page."""
    return list(page.evaluate(COUNT_DRAWN_PIXELS))


def fail_with_screenshot(page: Page, name: str, message: str) -> NoReturn:
    """Fail with ``message``, keeping what the page showed in /tmp/``name``.png to look at."""
    screenshot = f"/tmp/{name}.png"
    page.screenshot(path=screenshot)
    raise AssertionError(f"{message}; see {screenshot}")


def wait_until_drawn(page: Page, canvases: int = 1, timeout: float = 90.0) -> list[int]:
    """Wait until at least ``canvases`` canvases show an image; returns the pixel counts."""
    deadline = time.monotonic() + timeout
    counts: list[int] = []
    while time.monotonic() < deadline:
        counts = drawn_pixels(page)
        if sum(count > DRAWN for count in counts) >= canvases:
            return counts
        page.wait_for_timeout(250)
    fail_with_screenshot(page, "ohif-not-drawn", f"no image drawn within {timeout} s (pixel counts {counts})")


def thumbnail_labels(viewer: Page, at_least: int) -> list[str]:
    """The text of each series thumbnail of the viewer's study browser, once it shows ``at_least`` of them."""
    viewer.wait_for_function(
        "(count) => document.querySelectorAll('[data-cy=\"study-browser-thumbnail\"]').length >= count",
        arg=at_least,
        timeout=30_000,
    )
    labels: list[str] = viewer.eval_on_selector_all(
        '[data-cy="study-browser-thumbnail"]', "items => items.map(item => item.textContent)"
    )
    return labels


def open_explorer_study(page: Page, server: OrthancServer | str, study_id: str, query: str = "") -> None:
    """Orthanc Explorer's page of a study.

    ``server``: an Orthanc, or the URL at which the browser sees one (a proxy and its prefix, no trailing slash);
    ``query``: what the page's URL carries, e.g. ``?token=...``.
    """
    root = server if isinstance(server, str) else server.url
    page.goto(f"{root}/app/explorer.html{query}#study?uuid={study_id}")
    page.wait_for_selector("#ohif-button", timeout=30_000)


def click_viewer_button(page: Page, mode: str = "Basic viewer") -> tuple[Page, float]:
    """On a study's Explorer page, click "Open OHIF viewer" and choose ``mode``.

    Returns the new window and the ``time.monotonic()`` of the choice, where the benchmarks' timings start.
    """
    page.click("#ohif-button")
    chosen = time.monotonic()
    with page.expect_popup() as popup:
        page.click(f"li.ohif-mode:has-text('{mode}')")
    viewer: Page = popup.value
    return viewer, chosen


def open_viewer_from_explorer(
    page: Page, server: OrthancServer | str, study_id: str, mode: str = "Basic viewer", query: str = ""
) -> Page:
    """Click "Open OHIF viewer" on the study page and choose ``mode``; returns the new window."""
    open_explorer_study(page, server, study_id, query)
    return click_viewer_button(page, mode)[0]


def upload_study(server: OrthancServer, files: list[bytes]) -> str:
    """Upload files of one study; returns its Orthanc identifier."""
    return server.study_of(server.upload_all(files)[0])
