"""The review of one claimed document: corrections through the undo stack, approval, rejection, the next one.

Holds no rules: it turns the clerk's gestures into :class:`Correction` values, hands them to the backend off
the GUI thread, and shows the document the core sends back.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from extractors.document import Token
from extractors.geometry import BBox
from extractors.results import FieldValue
from idp_app.domain import Correction, CorrectionKind
from ui.backend import ReviewBackend
from ui.commands import CorrectionCommand, RowEditCommand
from ui.model import DocumentView, UserSession
from ui.tasks import TaskRunner

RENEW_EVERY_MS = 5 * 60 * 1000


class ReviewController(QObject):
    documentOpened = Signal(object)
    """A new document (DocumentView) is under review; None when the queue is empty."""
    documentUpdated = Signal(object)
    """The document under review changed (a correction shown at once, then the core's re-evaluation)."""
    queueChanged = Signal(list)
    message = Signal(str)
    openFailed = Signal(str)
    """Why a document asked for could not be opened (held by another clerk, gone)."""
    correctionRefused = Signal(str, str, str)
    """A correction the core refused: its field (or line-item column), the value refused and why."""
    decided = Signal(int, str)
    """A document was approved or rejected: its id and "approved" / "rejected"."""
    rowsEdited = Signal(str, int)
    """A row edit stored or taken back: the operation and the shown row it was made at."""

    def __init__(self, backend: ReviewBackend, runner: TaskRunner, user: UserSession, parent: QObject | None = None):
        super().__init__(parent)
        self.backend = backend
        self.runner = runner
        self.user = user
        self.undo_stack = QUndoStack(self)
        self._rows_history = 0
        """Counts the row edits the core refused to take back: a line-item step queued before one (its row numbers
        from before that edit) is skipped."""
        self.doc: DocumentView | None = None
        self._field_since: dict[str, float] = {}
        self._opening: int | None = None
        self._saving: list[tuple[Correction, FieldValue]] = []
        """Field values sent to the core and not answered yet, shown meanwhile (in the order sent)."""
        self.renew_timer = QTimer(self)
        self.renew_timer.setInterval(RENEW_EVERY_MS)
        self.renew_timer.timeout.connect(self.renew_claim)

    # -- the queue -------------------------------------------------------------------------------------------
    def refresh_queue(self) -> None:
        self.runner.submit(self.backend.queue, self.queueChanged.emit, self._failed)

    def open(self, document_id: int) -> None:
        if self.doc is not None and self.doc.document_id == document_id:
            return
        self._opening = document_id
        doc, user, backend = self.doc, self.user, self.backend
        give_back = doc.document_id if doc is not None and doc.status in ("in_review", "needs_review") else None

        def open_then_give_back() -> DocumentView:
            view = backend.open(document_id, user)  # held by another clerk: this fails and the current one stays
            if give_back is not None:
                with contextlib.suppress(Exception):  # an expired or lost claim needs no giving back
                    backend.release(give_back, user)
            return view

        self.runner.submit(open_then_give_back, self._opened, self._open_failed, serial=True)

    def open_next(self) -> None:
        """Claim and open the next document in the queue, then give back the current one if undecided."""
        doc = self.doc
        after = doc.document_id if doc else None
        give_back = after if doc is not None and doc.status in ("in_review", "needs_review") else None
        user, backend = self.user, self.backend

        def claim_and_open() -> tuple[DocumentView | None, bool]:
            nxt = backend.claim_next(user, after)
            if nxt is None and give_back is not None:  # the only one left: it stays open, and claimed
                with contextlib.suppress(Exception):  # a claim lost meanwhile (another clerk): nothing is open
                    return backend.open(give_back, user), True
            if give_back is not None:
                with contextlib.suppress(Exception):  # an expired or lost claim needs no giving back
                    backend.release(give_back, user)
            return (None if nxt is None else backend.open(nxt, user)), False

        def opened(result: object) -> None:
            assert isinstance(result, tuple)
            shown, only = result
            self._opened(shown)
            if only:
                self.message.emit("This is the only document left in the review queue.")

        self.runner.submit(claim_and_open, opened, self._failed, serial=True)

    def release_current(self) -> None:
        doc = self.doc
        if doc is not None and doc.status in ("in_review", "needs_review"):
            user = self.user
            self.runner.submit(lambda: self.backend.release(doc.document_id, user), None, lambda _e: None, serial=True)

    def renew_claim(self) -> None:
        """Keep the claim while the document is open (the core's lease would otherwise expire)."""
        doc = self.doc
        if doc is not None and doc.status == "in_review":
            user = self.user
            self.runner.submit(lambda: self.backend.renew(doc.document_id, user), None, self._failed, serial=True)

    def _opened(self, doc: object) -> None:
        assert doc is None or isinstance(doc, DocumentView)
        self._opening = None
        self.doc = doc
        self._saving = []
        if doc is None:
            self.renew_timer.stop()
        else:
            self.renew_timer.start()
        self.undo_stack.clear()
        self._field_since = {}
        self.documentOpened.emit(doc)
        if doc is None:
            self.message.emit("The review queue is empty.")
        self.refresh_queue()

    def _failed(self, exc: Exception) -> None:
        self.message.emit(str(exc) or type(exc).__name__)

    def _open_failed(self, exc: Exception) -> None:
        self._failed(exc)
        self.openFailed.emit(f"This document cannot be opened: {exc or type(exc).__name__}")

    # -- corrections ------------------------------------------------------------------------------------------
    def field_entered(self, name: str) -> None:
        """Start timing the clerk's work on a field."""
        self._field_since[name] = time.monotonic()

    def _seconds_on(self, name: str) -> float:
        since = self._field_since.get(name)
        return round(time.monotonic() - since, 2) if since is not None else 0.0

    def set_value(
        self,
        name: str,
        value: str | None,
        bbox_pt: BBox | None = None,
        page: int | None = None,
        tokens: tuple[Token, ...] | list[Token] = (),
    ) -> None:
        """Correct one field: an undoable command carrying a Correction."""
        doc = self.doc
        f = doc.field(name) if doc else None
        if doc is None or f is None:
            return
        old_value = f.text or None
        new_box = bbox_pt if bbox_pt is not None else f.value.bbox_pt
        new_page = page if page is not None else f.value.page
        if (value or None) == old_value and new_box == f.value.bbox_pt:
            return
        correction = Correction(
            document_id=doc.document_id,
            field_name=name,
            old_value=old_value,
            new_value=value or None,
            old_bbox_pt=f.value.bbox_pt,
            new_bbox_pt=new_box,
            page=new_page,
            old_page=f.value.page,
            source_token_ids=tuple(t.index for t in tokens if t.index >= 0),
            user=self.user.name,
            seconds_spent=self._seconds_on(name),
        )
        self.undo_stack.push(CorrectionCommand(correction, self._apply, f"Set {f.label} to {value or '(empty)'}"))

    def confirm(self, name: str) -> None:
        """The clerk accepts a field as it is (a confirmation, kept as a training pair)."""
        doc = self.doc
        f = doc.field(name) if doc else None
        if doc is None or f is None or not f.value.found:
            return
        self._apply(
            Correction(
                document_id=doc.document_id,
                field_name=name,
                old_value=f.text,
                new_value=f.text,
                old_bbox_pt=f.value.bbox_pt,
                new_bbox_pt=f.value.bbox_pt,
                page=f.value.page,
                user=self.user.name,
                seconds_spent=self._seconds_on(name),
                kind=CorrectionKind.CONFIRMATION,
            )
        )

    def set_cell(self, shown: int, column: str, value: str) -> None:
        doc = self.doc
        if doc is None or not 0 <= shown < len(doc.line_items):
            return
        item = doc.line_items[shown]
        cell = item.cells.get(column)
        correction = Correction(
            document_id=doc.document_id,
            field_name=column,
            old_value=item.value(column),
            new_value=value or None,
            old_bbox_pt=cell.bbox_pt if cell else None,
            new_bbox_pt=cell.bbox_pt if cell else None,
            page=cell.page if cell and cell.page is not None else item.page,
            user=self.user.name,
            line_item_index=doc.row_number(shown),
        )
        history = self._rows_history  # its row number holds as long as no take-back of a row edit is refused

        def apply(c: Correction) -> None:
            self._apply(c, history)

        self.undo_stack.push(CorrectionCommand(correction, apply, f"Set row {shown + 1} {column} to {value}"))

    def edit_rows(self, op: str, shown: int, other: int | None = None) -> None:
        """Add, delete, split or merge line-item rows, as an undoable step: undo puts the rows back as they were
        (the cells a delete or merge dropped, and the corrections made to them), so the cell steps before it
        name the right rows again."""
        doc = self.doc
        if doc is None:
            return
        row = doc.row_number(shown) if shown < len(doc.line_items) else shown
        other_row = doc.row_number(other) if other is not None else None
        label = f"{op.capitalize()} row {shown + 1}" + (f" and row {other + 1}" if other is not None else "")
        command = RowEditCommand(
            doc.document_id, op, shown, row, other_row, self._make_row_edit, self._take_row_edit_back, label
        )
        command.rows_history = self._rows_history
        self.undo_stack.push(command)

    def _make_row_edit(self, command: RowEditCommand) -> None:
        user, backend = self.user, self.backend

        def make() -> DocumentView | None:
            command.before = command.after = None
            if self._rows_history != command.rows_history:
                return None  # queued before a take-back the core refused: the rows are not as it was made on
            view, command.before, command.after = backend.edit_line_items(
                command.document_id, user, command.op, command.row, command.other
            )
            return view

        def done(result: object) -> None:
            if result is not None:
                self._updated(result)
                self.rowsEdited.emit(command.op, command.shown)

        def refused(exc: Exception) -> None:
            self._failed(exc)
            self._drop_refused(command)

        self.runner.submit(make, done, refused, serial=True)

    def _take_row_edit_back(self, command: RowEditCommand) -> None:
        user, backend = self.user, self.backend

        def take_back() -> DocumentView | None:
            if command.before is None or command.after is None or self._rows_history != command.rows_history:
                return None  # the edit was never made, or a take-back before this one was refused
            try:
                return backend.restore_line_items(command.document_id, user, command.before, command.after)
            except Exception:
                # set here, in the worker, so that the steps queued behind this one (which name rows as they were
                # before the edit) are skipped, not applied to rows numbered as the edit left them
                self._rows_history += 1
                raise

        def done(result: object) -> None:
            if result is not None:
                self._updated(result)
                self.rowsEdited.emit(command.op, command.shown)

        def refused(exc: Exception) -> None:
            self.message.emit(f"The row edit was not undone: {exc}")
            self._drop_refused(command, undone=True)

        self.runner.submit(take_back, done, refused, serial=True)

    def _apply(self, correction: Correction, rows_history: int | None = None) -> None:
        """Hand one correction to the core. ``rows_history``: a cell's, the count of refused take-backs when its
        step was made; where one was refused since, its row number may name another row, and it is skipped."""
        doc = self.doc
        if doc is None or doc.document_id != correction.document_id:
            return
        if correction.line_item_index is None and correction.kind is CorrectionKind.CORRECTION:
            f = doc.field(correction.field_name)
            if f is not None:  # show the edit at once; the core's re-evaluation follows
                shown = replace(
                    f.value,
                    value=correction.new_value,
                    text=correction.new_value or "",
                    bbox_pt=correction.new_bbox_pt,
                    page=correction.page if correction.new_bbox_pt is not None else f.value.page,
                )
                self._saving.append((correction, shown))
                self.doc = doc.with_field_value(correction.field_name, shown)
                self.documentUpdated.emit(self.doc)
        user = self.user

        def save() -> DocumentView | None:
            if rows_history is not None and self._rows_history != rows_history:
                return None  # its row number is from before a row edit the core would not take back
            return self.backend.apply(correction, user)

        def saved(result: object) -> None:
            self._answered(correction)
            if result is None:
                self.message.emit("A cell edit was not saved: the rows changed under it; check the line items")
                return
            self._updated(result)

        def refused(exc: Exception) -> None:
            self._answered(correction)
            self._apply_failed(exc, correction.field_name, correction)

        self.runner.submit(save, saved, refused, serial=True)

    def _answered(self, correction: Correction) -> None:
        self._saving = [(c, v) for c, v in self._saving if c is not correction]

    def _drop_refused(self, refused: Correction | RowEditCommand | None, *, undone: bool = False) -> None:
        """A correction or row edit the core refused leaves the undo history (Ctrl+Z would undo what never was,
        Ctrl+Shift+Z send it again): taken out where it is the last step, as a refusal of what was just typed is.
        ``undone``: the core refused to take a row edit back; the history is cleared (the rows are as the edit left
        them, so the steps before it would name rows that moved)."""
        if undone:
            self.undo_stack.clear()
            return
        index = self.undo_stack.index()
        top = self.undo_stack.command(index - 1) if index > 0 else None
        if refused is None or top is None:
            return
        if (isinstance(top, CorrectionCommand) and top.correction is refused) or top is refused:
            top.setObsolete(True)  # taken out by the undo below, without undoing anything
            self.undo_stack.undo()

    def _updated(self, doc: object) -> None:
        assert isinstance(doc, DocumentView)
        if self.doc is not None and self.doc.document_id == doc.document_id:
            for correction, shown in self._saving:  # an earlier save answered: the later ones still show
                if correction.document_id == doc.document_id and doc.field(correction.field_name) is not None:
                    doc = doc.with_field_value(correction.field_name, shown)
            self.doc = doc
            self.documentUpdated.emit(doc)

    def _apply_failed(self, exc: Exception, field_name: str = "", correction: Correction | None = None) -> None:
        self.message.emit(f"The correction was not saved: {exc}")
        self._drop_refused(correction)
        if field_name:
            refused = correction.new_value if correction is not None else None
            self.correctionRefused.emit(field_name, refused or "", str(exc))
        doc = self.doc
        if doc is not None:
            user = self.user
            self.runner.submit(
                lambda: self.backend.open(doc.document_id, user), self._updated, self._failed, serial=True
            )

    # -- decisions --------------------------------------------------------------------------------------------
    def approve(self, override_reason: str | None = None) -> None:
        doc = self.doc
        if doc is None:
            return
        user, backend, doc_id = self.user, self.backend, doc.document_id

        def approve_and_read_next() -> tuple[str | None, tuple[int, ...]]:
            backend.approve(doc_id, user, override_reason)
            # the document of its layout the clerk meets next is read with what it taught before the next opens
            try:
                return backend.read_again_in_layout(doc_id, first=True)
            except Exception:  # the approval stands; its layout's documents stay as they were read
                return None, ()

        self.runner.submit(approve_and_read_next, lambda r: self._approved(doc_id, *r), self._failed, serial=True)

    def _approved(self, document_id: int, said: str | None, done: tuple[int, ...]) -> None:
        self._decided(document_id, "approved")
        if said:
            self.message.emit(f"Document {document_id} approved: {said}.")
        # the others of its layout meanwhile, while the clerk works on
        self.runner.submit(lambda: self.backend.read_again_in_layout(document_id, passed=done), self._read_again)

    def _read_again(self, result: object) -> None:
        said = result[0] if isinstance(result, tuple) else None
        if isinstance(said, str) and said:
            self.message.emit(f"{said[0].upper()}{said[1:]}.")
            self.refresh_queue()  # their new routing: one may have passed straight through

    def reject(self, reason: str) -> None:
        doc = self.doc
        if doc is None:
            return
        user = self.user
        self.runner.submit(
            lambda: self.backend.reject(doc.document_id, user, reason),
            lambda _r: self._decided(doc.document_id, "rejected"),
            self._failed,
            serial=True,
        )

    def set_type(self, doc_type: str) -> None:
        """Read the open document again as ``doc_type``; it opens again with that type's fields."""
        doc = self.doc
        if doc is None:
            return
        user = self.user
        self.message.emit(f"Reading document {doc.document_id} again as {doc_type}\u2026")
        self.runner.submit(
            lambda: self.backend.set_type(doc.document_id, user, doc_type), self._opened, self._type_failed, serial=True
        )

    def _type_failed(self, exc: Exception) -> None:
        """Not read as that type (it is read as before), or taken meanwhile: the document is opened afresh, so
        that the window does not go on showing fields and a claim it no longer has."""
        self._failed(exc)
        doc = self.doc
        if doc is None:
            return
        user, backend = self.user, self.backend

        def taken(exc: Exception) -> None:  # another clerk has it now: on to the next one
            self._failed(exc)
            self.doc = None
            self.open_next()

        self.runner.submit(lambda: backend.open(doc.document_id, user), self._opened, taken, serial=True)

    def _decided(self, document_id: int, how: str) -> None:
        self.message.emit(f"Document {document_id} {how}.")
        self.decided.emit(document_id, how)
        if self.doc is not None and self.doc.document_id == document_id:
            self.doc = replace(self.doc, status=how)
        self.open_next()
