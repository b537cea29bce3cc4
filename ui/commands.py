"""Clerk edits as undo commands: a :class:`~idp_app.domain.Correction` of one field or cell, or a row edit.

For a correction, ``redo`` hands the correction to the core, ``undo`` hands it its inverse. A row edit (add,
delete, split, merge) renumbers rows and may drop cells, so its ``undo`` has the core put the rows back as they
were before it. What the core then stores and re-evaluates is the core's business; the command only records
which edit to replay.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from idp_app.domain import Correction
from idp_app.services.line_items import LineItemRows

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


class RowEditCommand(QUndoCommand):
    """One row edit of a document's line items. ``before`` and ``after`` are the rows as stored just before and
    just after the edit, set by the task that makes it (None until then, and where the core refused it)."""

    def __init__(
        self,
        document_id: int,
        op: str,
        shown: int,
        row: int,
        other: int | None,
        make: Callable[[RowEditCommand], None],
        take_back: Callable[[RowEditCommand], None],
        label: str,
    ) -> None:
        super().__init__(label)
        self.document_id, self.op, self.shown, self.row, self.other = document_id, op, shown, row, other
        self.before: LineItemRows | None = None
        self.after: LineItemRows | None = None
        self.rows_history = 0
        """The count of refused take-backs when the step was made (see ``ReviewController._rows_history``)."""
        self._make, self._take_back = make, take_back

    def redo(self) -> None:
        self._make(self)

    def undo(self) -> None:
        self._take_back(self)
