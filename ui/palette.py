"""Colours of the review states. The state comes from the core; this module only maps it to paint."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from idp_app.domain import ReviewState

STATE_COLOURS: dict[ReviewState, str] = {
    ReviewState.OK: "#2e9e44",
    ReviewState.CHECK: "#f0a000",
    ReviewState.ERROR: "#d62828",
    ReviewState.MISSING: "#7a7a7a",
}
SELECTION_COLOUR = "#1f6fd1"
TOKEN_HOVER_COLOUR = "#1f6fd1"
RUBBER_BAND_COLOUR = "#1f6fd1"


def state_colour(state: ReviewState) -> QColor:
    """The outline colour of a field box in ``state``."""
    return QColor(STATE_COLOURS[state])


def state_fill(state: ReviewState, alpha: int = 48) -> QColor:
    c = state_colour(state)
    c.setAlpha(alpha)
    return c


def state_pen_style(state: ReviewState) -> Qt.PenStyle:
    """A missing field is outlined dashed where it is expected."""
    return Qt.PenStyle.DashLine if state is ReviewState.MISSING else Qt.PenStyle.SolidLine


def state_label(state: ReviewState) -> str:
    return {
        ReviewState.OK: "OK",
        ReviewState.CHECK: "Check",
        ReviewState.ERROR: "Error",
        ReviewState.MISSING: "Missing",
    }[state]
