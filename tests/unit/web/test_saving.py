"""Where the viewer saves, or why it cannot (ohif_plugin.web.saving)."""

from __future__ import annotations

import pytest

from ohif_plugin.configuration import Settings
from ohif_plugin.web.saving import DOWNLOAD_HINT, page_relative, save_target


def test_with_the_dicomweb_plugin_saving_goes_to_its_root() -> None:
    target = save_target(Settings(dicomweb_root="/dw/"), dicomweb_plugin_loaded=True)
    assert target.stow_root == "../dw"
    assert target.unavailable == ""


def test_without_the_dicomweb_plugin_the_user_is_told_and_the_administrator_is_told_what_to_do() -> None:
    target = save_target(Settings(), dicomweb_plugin_loaded=False)
    assert target.stow_root == ""
    assert "not available" in target.unavailable and DOWNLOAD_HINT in target.unavailable
    assert "orthanc-dicomweb" in target.reason and '"OHIF"."Saving"' in target.reason


@pytest.mark.parametrize("loaded", [True, False])
def test_turned_off_saving_wins(loaded: bool) -> None:
    target = save_target(Settings(saving=False, stow_root="/elsewhere"), dicomweb_plugin_loaded=loaded)
    assert target.stow_root == ""
    assert "turned off" in target.unavailable
    assert target.reason == '"OHIF"."Saving" is false'


@pytest.mark.parametrize(
    ("root", "seen_by_the_page"),
    [("/pacs/dicom-web", "../pacs/dicom-web"), ("https://pacs.example.org/dicom-web", "https://pacs.example.org/dicom-web")],
)
def test_stow_root_does_not_need_the_dicomweb_plugin(root: str, seen_by_the_page: str) -> None:
    assert save_target(Settings(stow_root=root), dicomweb_plugin_loaded=False).stow_root == seen_by_the_page


def test_an_unusable_dicomweb_root_makes_saving_unavailable() -> None:
    target = save_target(Settings(dicomweb_root=""), dicomweb_plugin_loaded=True)
    assert target.stow_root == ""
    assert '"DicomWeb"."Root"' in target.reason


def test_page_relative_keeps_urls_and_climbs_out_of_the_viewer_folder() -> None:
    assert page_relative("/dicom-web/") == "../dicom-web"
    assert page_relative("http://host/dicom-web/") == "http://host/dicom-web"


def test_a_turned_off_dicomweb_plugin_cannot_store() -> None:
    target = save_target(Settings(dicomweb_enabled=False), dicomweb_plugin_loaded=True)
    assert target.stow_root == ""
    assert '"DicomWeb"."Enable" is false' in target.reason
