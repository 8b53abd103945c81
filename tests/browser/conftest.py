"""Fixtures of the browser tests: one headless Chromium per session, a fresh page per test.

The plain helpers (Chromium's flags, waiting until an image is drawn, opening
the viewer from Orthanc Explorer) are in :mod:`harness.chromium`, shared with
the benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from harness.chromium import CHROMIUM, CHROMIUM_FLAGS, NO_TOUR


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        webgl = page.evaluate("() => !!document.createElement('canvas').getContext('webgl2')")
        page.close()
        if not webgl:
            browser.close()
            pytest.fail("Chromium has no WebGL 2 here: OHIF cannot render; the browser tests cannot pass")
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(NO_TOUR)
    page = context.new_page()
    yield page
    context.close()
