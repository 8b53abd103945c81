"""The viewer's modes: routes and the Explorer button's choices (ohif_plugin.web.modes)."""

from __future__ import annotations

import re

from ohif_plugin.web.modes import MODE_ROUTES, VIEWER_MODES


def test_every_mode_offered_opens_a_route_that_answers_the_viewer() -> None:
    assert {mode.route for mode in VIEWER_MODES} <= set(MODE_ROUTES)


def test_routes_are_single_path_segments_and_labels_are_distinct() -> None:
    """A route is compared with the last segment of the page's path, in the browser too."""
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", route) for route in MODE_ROUTES)
    assert len(set(MODE_ROUTES)) == len(MODE_ROUTES)
    assert len({mode.label for mode in VIEWER_MODES}) == len(VIEWER_MODES)


def test_the_basic_viewer_comes_first() -> None:
    assert (VIEWER_MODES[0].route, VIEWER_MODES[0].parameters) == ("viewer", {})
