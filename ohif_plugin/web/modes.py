"""The viewer's modes: the routes that answer OHIF's index.html, and the Explorer button's choices.

Plain data without dependencies: the build-time bundle rewrite reads
:data:`MODE_ROUTES` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MODE_ROUTES = ("viewer", "tmtv", "segmentation", "microscopy")
"""Paths under /ohif/ that are OHIF modes (its client-side router reads them); the empty path is the study list."""


@dataclass(frozen=True)
class ViewerMode:
    label: str
    route: str
    parameters: dict[str, str] = field(default_factory=dict)


VIEWER_MODES: tuple[ViewerMode, ...] = (
    ViewerMode("Basic viewer", "viewer"),
    ViewerMode("Volume rendering", "viewer", {"hangingprotocolId": "mprAnd3DVolumeViewport"}),
    ViewerMode("Total metabolic tumor volume", "tmtv"),
    ViewerMode("Segmentation", "segmentation"),
    ViewerMode("Microscopy", "microscopy"),
)
"""What the Explorer button offers, in this order."""
