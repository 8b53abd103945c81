"""What a user sees of multi-frame images, PDF and video in the viewer, measured in the page."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

PDF_OBJECT = 'object[type="application/pdf"]'
"""OHIF's PDF viewport: an <object> whose data is the document's URL."""

BLUE_RECTANGLE = 5_000
"""Blue pixels above which the PDF page (a 300 x 200 pt blue rectangle) is drawn."""

BRIGHT_BAR_TOP = """() => {
    const canvas = document.querySelector('canvas.cornerstone-canvas');
    if (!canvas || !canvas.width) return -1;
    const column = Math.floor(canvas.width / 2);
    const data = canvas.getContext('2d').getImageData(column, 0, 1, canvas.height).data;
    for (let row = 0; row < canvas.height; row++) if (data[row * 4] > 230) return row;
    return -1;
}"""
"""The first canvas row, in the middle column, of the bright bar that :func:`tests.support.media_factory.frame_pixels`
draws lower in each frame; -1 if none is drawn."""

CANVAS_DIGEST = """() => {
    const canvas = document.querySelector('canvas.cornerstone-canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let digest = 0;
    for (let i = 0; i < data.length; i += 4) {
        digest = (digest * 31 + data[i] + 3 * data[i + 1] + 7 * data[i + 2]) % 1000000007;
    }
    return digest;
}"""

VIDEO_RECORDER = """window.__videos = [];
const createElement = Document.prototype.createElement;
Document.prototype.createElement = function (tag, ...rest) {
    const element = createElement.call(this, tag, ...rest);
    if (String(tag).toLowerCase() === 'video') window.__videos.push(element);
    return element;
};"""
"""Cornerstone's video viewport draws its <video> into a canvas without adding it to the page: keep a hand on it."""

BLUE_PIXELS = """async (png) => {
    const blob = await (await fetch('data:image/png;base64,' + png)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [red, green, blue] = [data[i], data[i + 1], data[i + 2]];
        if (blue > 50 && red < 8 && green < 8) count++;
    }
    return count;
}"""
"""Pure blue pixels of a PNG: the rectangle of :func:`tests.support.media_factory.minimal_pdf` (0, 0, 255), or
(0, 0, 77) under a dimming overlay; OHIF's own navy blues all have some green (e.g. 4, 28, 73)."""

FETCHED_DIGEST = """async (url) => {
    const answer = await fetch(url);
    const bytes = new Uint8Array(await answer.arrayBuffer());
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const hex = Array.from(new Uint8Array(digest)).map(byte => byte.toString(16).padStart(2, '0')).join('');
    return [answer.status, bytes.length, hex];
}"""


def scroll_frames(page: Page, steps: int) -> list[tuple[int, int]]:
    """Scroll the first viewport ``steps`` images down with the mouse wheel; (bar row, canvas digest) of each."""
    page.wait_for_function(f"() => ({BRIGHT_BAR_TOP})() >= 0", timeout=60_000)
    seen = [(int(page.evaluate(BRIGHT_BAR_TOP)), int(page.evaluate(CANVAS_DIGEST)))]
    for _ in range(steps):
        _wheel_until_the_bar_moves(page, seen)
        page.wait_for_timeout(300)  # let the frame finish drawing before measuring it
        seen.append((int(page.evaluate(BRIGHT_BAR_TOP)), int(page.evaluate(CANVAS_DIGEST))))
    return seen


def blue_pixels_of_element(page: Page, selector: str) -> int:
    png = page.locator(selector).first.screenshot()
    return int(page.evaluate(BLUE_PIXELS, base64.b64encode(png).decode()))


def fetched_digest(page: Page, url: str) -> tuple[int, int, str]:
    """Status, size and SHA-256 of what the page gets when it fetches ``url``."""
    status, size, digest = page.evaluate(FETCHED_DIGEST, url)
    return int(status), int(size), str(digest)


def digest_of(data: bytes) -> tuple[int, int, str]:
    return 200, len(data), hashlib.sha256(data).hexdigest()


def recorded_video(page: Page) -> dict[str, Any]:
    """State of the first <video> element the page created."""
    state: dict[str, Any] = page.evaluate(
        """() => { const video = window.__videos[0];
        return {src: video.currentSrc || video.src, readyState: video.readyState, width: video.videoWidth,
                height: video.videoHeight, duration: video.duration, currentTime: video.currentTime,
                seekable: video.seekable.length, error: video.error && video.error.message}; }"""
    )
    return state


def _wheel_until_the_bar_moves(page: Page, seen: list[tuple[int, int]], attempts: int = 3) -> None:
    """One wheel step over the image; again if the viewer was not listening yet (it can be busy right after
    the first draw, and its panels can still move the viewport)."""
    for _ in range(attempts):
        box = page.locator("canvas.cornerstone-canvas").first.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, 100)
        try:
            page.wait_for_function(f"(previous) => ({BRIGHT_BAR_TOP})() > previous", arg=seen[-1][0], timeout=10_000)
            return
        except PlaywrightTimeoutError:
            continue
    page.screenshot(path="/tmp/ohif-not-scrolled.png")
    under_mouse = page.evaluate(
        """() => { const canvas = document.querySelector('canvas.cornerstone-canvas').getBoundingClientRect();
        const element = document.elementFromPoint(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
        return element ? element.outerHTML.slice(0, 200) : 'nothing'; }"""
    )
    raise AssertionError(
        f"no other frame after scrolling: {seen}; under the mouse: {under_mouse}; see /tmp/ohif-not-scrolled.png"
    )


def wait_for_blue_rectangle(viewer: Page, attempts: int = 60) -> int:
    """Blue pixels of the PDF viewport, once the PDF viewer has drawn the page (or after ``attempts`` seconds)."""
    blue = 0
    for _ in range(attempts):
        blue = blue_pixels_of_element(viewer, PDF_OBJECT)
        if blue > BLUE_RECTANGLE:
            break
        viewer.wait_for_timeout(1000)
    return blue

