"""What a radiologist does in OHIF 3.13.2 to save their work, step by step, and what Orthanc then holds.

The steps click what a user clicks (the toolbar's Length tool, "Yes" to
tracking, "Create SR", the segmentation's Export menu) and drag the mouse over
the image, so the tests see the viewer as a user does.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pydicom
from playwright.sync_api import Locator, Page
from pydicom.dataset import Dataset

from harness.chromium import fail_with_screenshot
from harness.orthanc_server import OrthancServer

NOTIFICATION = "[data-sonner-toast], [role='status'], li[data-type]"
"""OHIF 3.13.2's notifications (sonner toasts)."""


def _drag_over_the_image(viewer: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press the mouse at ``start`` and release it at ``end``, as fractions of the viewport."""
    box = viewer.locator("[data-cy='viewport-grid']").bounding_box()
    assert box is not None, "no viewport"
    x0, y0 = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    x1, y1 = box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1]
    viewer.mouse.move(x0, y0)
    viewer.mouse.down()
    viewer.mouse.move(x1, y1, steps=15)
    viewer.mouse.up()


def draw_a_tracked_length(viewer: Page) -> None:
    """The Length tool, one line over the image, and "Yes" to "Track measurements for this series?"."""
    viewer.locator("[data-cy='MeasurementTools-split-button-primary']").click()
    _drag_over_the_image(viewer, (0.4, 0.4), (0.55, 0.5))
    viewer.get_by_role("button", name="Yes", exact=True).click(timeout=30_000)


def series_entry(viewer: Page, description: str) -> Locator:
    """The study browser's entry of the series of that description (a report or a segmentation)."""
    return viewer.locator("[data-cy='study-browser-thumbnail-no-image']").filter(has_text=description).first


def open_create_sr(viewer: Page) -> None:
    """The measurement panel's "Create SR": the report dialog opens."""
    viewer.locator("[data-cy='trackedMeasurements-btn']").click()
    viewer.get_by_role("button", name="Create SR").click(timeout=30_000)
    viewer.locator("[data-cy='dialog-input']").wait_for(timeout=30_000)


def paint_a_segment(viewer: Page) -> None:
    """In the segmentation mode: a new segmentation, the brush at 5 mm, one stroke over the image."""
    viewer.locator("[data-cy='addSegmentation']").click(timeout=30_000)
    viewer.locator("[data-cy='Brush']").click()
    radius = viewer.locator("[data-cy='brush-radius'] input[type='number'], input[type='number']").first
    radius.fill("5")
    radius.press("Enter")
    _drag_over_the_image(viewer, (0.45, 0.45), (0.55, 0.55))


def open_export(viewer: Page, item: str) -> None:
    """The segmentation's "…" menu, Export, then ``item`` ("DICOM SEG", "DICOM RTSS"): the dialog opens."""
    viewer.locator("[data-cy='segmentation-collapsed-more-btn-Labelmap']").click()
    viewer.get_by_role("menuitem", name="Export").hover()
    viewer.get_by_role("menuitem", name=item).click()
    viewer.locator("[data-cy='dialog-input']").wait_for(timeout=30_000)


def name_and_save(viewer: Page, name: str) -> float:
    """Type the series name and click Save; returns the ``time.monotonic()`` of the click."""
    viewer.locator("[data-cy='dialog-input']").fill(name)
    clicked = time.monotonic()
    viewer.locator("[data-cy='input-dialog-save-button'] button").click()
    return clicked


def notification_text(viewer: Page, containing: str, timeout: float = 30.0) -> str:
    """The text of the first notification that contains ``containing`` (fails with a screenshot if none)."""
    locator = viewer.get_by_text(containing)
    try:
        locator.first.wait_for(timeout=timeout * 1000)
    except Exception:  # Playwright's timeout: say what the page showed instead
        fail_with_screenshot(viewer, "ohif-no-notification", f"no notification with {containing!r}")
    return str(locator.first.inner_text())


@dataclass(frozen=True)
class Stored:
    """A series of the study in Orthanc and its one instance."""

    modality: str
    description: str
    dataset: Dataset
    seconds: float
    """From the Save click to the instance being in Orthanc."""


def series_of(server: OrthancServer, study_id: str) -> list[dict[str, str]]:
    answer = server.get(f"/studies/{study_id}/series")
    answer.raise_for_status()
    return [series["MainDicomTags"] | {"ID": series["ID"]} for series in answer.json()]


def wait_for_series(
    server: OrthancServer, study_id: str, description: str, clicked: float, timeout: float = 60.0
) -> Stored:
    """The series named ``description`` once Orthanc has it (its instance as pydicom reads it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for series in series_of(server, study_id):
            if series.get("SeriesDescription") == description:
                arrived = time.monotonic()
                instances = server.get(f"/series/{series['ID']}/instances").json()
                file = server.get(f"/instances/{instances[0]['ID']}/file").content
                dataset = pydicom.dcmread(io.BytesIO(file))
                return Stored(series["Modality"], description, dataset, arrived - clicked)
        time.sleep(0.1)
    raise AssertionError(f"no series {description!r} in Orthanc after {timeout} s: {series_of(server, study_id)}")


def content_items(dataset: Dataset) -> Iterator[Dataset]:
    """Every content item of an SR, depth first."""
    for item in getattr(dataset, "ContentSequence", []):
        yield item
        yield from content_items(item)


def lengths_in_report(report: Dataset) -> list[tuple[float, str]]:
    """(value, unit) of each numeric measurement of an SR."""
    found = []
    for item in content_items(report):
        if item.get("ValueType") == "NUM" and "MeasuredValueSequence" in item:
            measured = item.MeasuredValueSequence[0]
            found.append((float(measured.NumericValue), str(measured.MeasurementUnitsCodeSequence[0].CodeValue)))
    return found


def referenced_instances(dataset: Dataset) -> set[str]:
    """Every ReferencedSOPInstanceUID, at any depth: the images an SR, a SEG or an RTSTRUCT refers to."""
    uids = set()
    for element in dataset:
        if element.VR == "SQ":
            for item in element.value:
                if "ReferencedSOPInstanceUID" in item:
                    uids.add(str(item.ReferencedSOPInstanceUID))
                uids |= referenced_instances(item)
    return uids
