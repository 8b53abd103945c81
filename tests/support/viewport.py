"""What the user sees in the viewport: its pixels, their colours, text that shows while scrolling.

The test images are grey (red = green = blue), so any strongly coloured pixel in
the viewport is drawn by an annotation or a derived object: a segment in red,
a measurement or a contour in green.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable

import numpy as np
from PIL import Image
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.chromium import fail_with_screenshot

Pixels = np.ndarray
ColourTest = Callable[[Pixels], Pixels]


def red(pixels: Pixels) -> Pixels:
    """Which pixels are strongly red."""
    r, g, b = (pixels[..., channel].astype(int) for channel in range(3))
    return (r > g + 60) & (r > b + 60)


def green(pixels: Pixels) -> Pixels:
    """Which pixels are strongly green."""
    r, g, b = (pixels[..., channel].astype(int) for channel in range(3))
    return (g > r + 60) & (g > b + 60)


def viewport_pixels(viewer: Page) -> Pixels:
    """What the user sees of the image viewport (the canvas with the annotation layer above it).

    OHIF replaces the canvas when it swaps the viewport (for a SEG's, say): wait for the one on screen.
    """
    canvas = viewer.locator("canvas.cornerstone-canvas").first
    box = None
    for _ in range(10):
        canvas.wait_for(state="visible", timeout=30_000)
        box = canvas.bounding_box()
        if box is not None:
            break
        viewer.wait_for_timeout(250)
    assert box is not None, "no image viewport on screen"
    png = viewer.screenshot(clip=box)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def coloured(viewer: Page, colour: ColourTest) -> int:
    """How many pixels of the viewport have that colour."""
    return int(colour(viewport_pixels(viewer)).sum())


def wait_for_colour(viewer: Page, colour: ColourTest, at_least: int, timeout: float = 60.0) -> int:
    """Wait until the viewport has ``at_least`` pixels of that colour; returns how many it has."""
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = coloured(viewer, colour)
        if count >= at_least:
            return count
        viewer.wait_for_timeout(500)
    fail_with_screenshot(viewer, "ohif-derived-not-drawn", f"{count} coloured pixels, fewer than {at_least}")


def scroll_away_and_back(viewer: Page) -> None:
    """One image down and back up with the mouse wheel, as a user looking at the stack does: two redraws."""
    box = viewer.locator("[data-cy='viewport-grid']").bounding_box()
    assert box is not None, "no viewport"
    viewer.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    viewer.mouse.wheel(0, 100)
    viewer.wait_for_timeout(500)
    viewer.mouse.wheel(0, -100)


def wait_for_text_while_scrolling(viewer: Page, text: str, attempts: int = 10) -> None:
    """Wait for ``text`` in the page, scrolling away and back between looks.

    OHIF 3.13.2's SR viewport tells its display tool which measurements to draw
    (setTrackingUniqueIdentifiersForElement) in a React effect that can run after
    the viewport has drawn the referenced image, and nothing draws it again then:
    the measurement shows from the next redraw on (the next image a user scrolls
    to and back), or on the first one when the effect wins. The report's data is
    the same either way; without it (no measurement) the text never shows.
    """
    label = viewer.locator(f"text={text}").first
    for _ in range(attempts):
        with contextlib.suppress(PlaywrightTimeoutError):
            label.wait_for(timeout=3_000)
            return
        scroll_away_and_back(viewer)
    fail_with_screenshot(viewer, "ohif-derived-no-label", f"no {text!r} after {attempts} looks and scrolls")
