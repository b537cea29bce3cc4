"""Clerk edits as undo commands: each wraps one :class:`~idp_app.domain.Correction`.

``redo`` hands the correction to the core, ``undo`` hands it its inverse. What the core then stores and
re-evaluates is the core's business; the command only records which edit to replay.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from idp_app.domain import Correction

Apply = Callable[[Correction], None]


class CorrectionCommand(QUndoCommand):
    def __init__(self, correction: Correction, apply: Apply, label: str | None = None) -> None:
        super().__init__(label or f"Set {correction.field_name} to {correction.new_value or '(empty)'}")
        self.correction = correction
        self._apply = apply

    def redo(self) -> None:
        self._apply(self.correction)

    def undo(self) -> None:
        self._apply(self.correction.inverted())
