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


def field_panel_style() -> str:
    """One style sheet for the whole field panel; editors only switch their ``state`` and ``current`` properties."""
    rules = [
        "FieldEditor { border: none; border-left: 5px solid #999; background: transparent; }",
        'FieldEditor[current="true"] { background: #e6effb; }',
        "QLabel#fieldTitle { font-weight: bold; }",
        "QLabel#fieldEvidence { color: #555; }",
        "QLabel#fieldError { color: #b00020; }",
        "QLabel#fieldBadge { color: white; padding: 1px 6px; border-radius: 3px; background: #999; }",
        "QLabel#panelHeading { font-size: 14px; font-weight: bold; }",
        "QLabel#panelReasons { color: #555; }",
        "#issues { background: #fff4dc; border: 1px solid #f0a000; border-radius: 4px; }",
        '#issues[blocking="true"] { background: #fdecea; border: 1px solid #d62828; }',
        "QLabel#issueText { color: #7a5200; }",
        'QLabel#issueText[blocking="true"] { color: #8a1010; }',
    ]
    for state, colour in STATE_COLOURS.items():
        rules.append(f'FieldEditor[state="{state.value}"] {{ border-left: 5px solid {colour}; }}')
        rules.append(f'QLabel#fieldBadge[state="{state.value}"] {{ background: {colour}; }}')
    return "\n".join(rules)
