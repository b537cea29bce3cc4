"""Corrections through the undo stack, line-item row edits through the core, and the log-in dialog."""

from __future__ import annotations

from dataclasses import replace

from pytestqt.qtbot import QtBot

from extractors.geometry import BBox
from idp_app.domain import CorrectionKind
from idp_app.errors import InvalidValueError
from tests.ui.factories import make_doc
from tests.ui.fakes import FakeBackend
from ui.login import LoginDialog
from ui.model import DocumentView, UserSession
from ui.review import ReviewController
from ui.tasks import TaskRunner


def _opened(qtbot: QtBot, runner: TaskRunner) -> tuple[ReviewController, FakeBackend]:
    backend = FakeBackend()
    review = ReviewController(backend, runner, UserSession("ann", "clerk"))
    with qtbot.waitSignal(review.documentOpened):
        review.open(1)
    return review, backend


def _value(review: ReviewController, name: str) -> str:
    assert review.doc is not None
    f = review.doc.field(name)
    assert f is not None
    return f.text


def test_correction_then_undo_then_redo_restores_values(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    review.set_value("invoice_date", "2024-03-16", BBox(1, 2, 3, 4), 0)
    assert _value(review, "invoice_date") == "2024-03-16"  # shown at once
    qtbot.waitUntil(lambda: not runner.busy)
    assert backend.docs[1].field("invoice_date").text == "2024-03-16"  # type: ignore[union-attr]
    c = backend.applied[-1]
    assert (c.old_value, c.new_value, c.new_bbox_pt, c.user) == ("2024-03-15", "2024-03-16", BBox(1, 2, 3, 4), "ann")
    review.undo_stack.undo()
    qtbot.waitUntil(lambda: not runner.busy)
    assert _value(review, "invoice_date") == "2024-03-15"
    assert backend.applied[-1].new_bbox_pt == BBox(90, 70, 160, 84)  # the old box comes back too
    review.undo_stack.redo()
    qtbot.waitUntil(lambda: not runner.busy)
    assert _value(review, "invoice_date") == "2024-03-16"
    assert backend.docs[1].field("invoice_date").text == "2024-03-16"  # type: ignore[union-attr]


def test_the_claim_is_renewed_while_the_document_is_open(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    assert review.renew_timer.isActive()
    review.renew_claim()
    qtbot.waitUntil(lambda: not runner.busy)
    assert backend.renewed == [1]


def test_confirmation_is_not_an_undo_step(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    review.confirm("invoice_number")
    qtbot.waitUntil(lambda: not runner.busy)
    assert backend.applied[-1].kind is CorrectionKind.CONFIRMATION
    assert review.undo_stack.count() == 0


def test_row_edits_go_to_the_core_and_are_undone_in_turn_with_corrections(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    assert review.doc is not None
    first = review.doc.line_items
    review.set_value("invoice_date", "2024-03-16")
    qtbot.waitUntil(lambda: not runner.busy)
    with qtbot.waitSignal(review.rowsEdited) as edited:
        review.edit_rows("add", 1)
    assert edited.args == ["add", 1]
    assert backend.row_edits == [("add", 1, None)]
    assert review.doc is not None and len(review.doc.line_items) == 2
    with qtbot.waitSignal(review.rowsEdited):
        review.edit_rows("delete", 0)
    assert review.doc is not None and len(review.doc.line_items) == 1 and review.undo_stack.count() == 3
    with qtbot.waitSignal(review.rowsEdited):
        review.undo_stack.undo()  # the deleted row comes back, cells and all
    assert review.doc is not None and review.doc.line_items[0] == first[0] and len(review.doc.line_items) == 2
    with qtbot.waitSignal(review.rowsEdited):
        review.undo_stack.undo()
    assert review.doc is not None and review.doc.line_items == first
    review.undo_stack.undo()  # and the correction before the row edits
    qtbot.waitUntil(lambda: not runner.busy)
    assert _value(review, "invoice_date") == "2024-03-15" and backend.restores == [1, 1]
    review.undo_stack.redo()
    with qtbot.waitSignal(review.rowsEdited):
        review.undo_stack.redo()  # the row added again, at the same place
    assert backend.row_edits[-1] == ("add", 1, None) and _value(review, "invoice_date") == "2024-03-16"
    assert review.doc is not None and len(review.doc.line_items) == 2


def test_a_row_edit_the_core_will_not_take_back_clears_the_history(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    review.set_value("invoice_date", "2024-03-16")
    with qtbot.waitSignal(review.rowsEdited):
        review.edit_rows("add", 0)
    assert review.doc is not None
    backend.docs[1] = replace(review.doc, line_items=review.doc.line_items[1:])  # another change meanwhile
    messages: list[str] = []
    review.message.connect(messages.append)
    review.undo_stack.undo()
    qtbot.waitUntil(lambda: not runner.busy)
    assert messages and messages[-1].startswith("The row edit was not undone: the line items changed")
    assert review.undo_stack.count() == 0  # the steps before would name rows that moved


def test_a_cell_step_queued_behind_a_refused_take_back_is_skipped(qtbot: QtBot, runner: TaskRunner) -> None:
    """Ctrl+Z twice at once: the cell's undo names its row as numbered before the row edit, which the core would
    not take back; applied to the rows as the edit left them it would change another row."""
    review, backend = _opened(qtbot, runner)
    review.set_cell(0, "amount", "5.00")
    with qtbot.waitSignal(review.rowsEdited):
        review.edit_rows("add", 0)
    assert review.doc is not None
    backend.docs[1] = replace(review.doc, line_items=review.doc.line_items[1:])  # another change meanwhile
    applied = len(backend.applied)
    messages: list[str] = []
    review.message.connect(messages.append)
    review.undo_stack.undo()
    review.undo_stack.undo()  # queued before the take-back is refused
    qtbot.waitUntil(lambda: not runner.busy)
    assert len(backend.applied) == applied  # the cell's undo was not sent
    assert any(m.startswith("The row edit was not undone") for m in messages)
    assert review.undo_stack.count() == 0


def test_a_row_edit_the_core_refuses_leaves_no_undo_step(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    review.set_value("invoice_date", "2024-03-16")
    qtbot.waitUntil(lambda: not runner.busy)

    def refuse(*_args: object) -> DocumentView:
        raise InvalidValueError("there is no line-item row 5")

    backend.edit_line_items = refuse  # type: ignore[method-assign]
    review.edit_rows("delete", 5)
    qtbot.waitUntil(lambda: not runner.busy)
    assert review.undo_stack.count() == 1 and review.undo_stack.undoText().startswith("Set ")


def test_login_refuses_a_wrong_password_and_accepts_the_right_one(qtbot: QtBot, runner: TaskRunner) -> None:
    backend = FakeBackend()
    dialog = LoginDialog(backend.authenticate, runner)
    qtbot.addWidget(dialog)
    dialog.name.setText("supervisor")
    dialog.password.setText("nope")
    dialog.try_login()
    qtbot.waitUntil(lambda: "wrong password" in dialog.error.text())
    assert dialog.session is None
    dialog.password.setText("supervisor")
    with qtbot.waitSignal(dialog.accepted):
        dialog.try_login()
    assert dialog.session == UserSession(
        "supervisor", "supervisor", may_override=True, may_retrain=True, may_export=True, may_read_reports=True
    )


def test_the_next_document_when_this_is_the_only_one_left_keeps_it_open(qtbot: QtBot, runner: TaskRunner) -> None:
    """Ctrl+N on the last document in review said the queue was empty and left nothing open, the document in the
    queue still."""
    backend = FakeBackend([make_doc(1)])
    review = ReviewController(backend, runner, UserSession("ann", "clerk"))
    with qtbot.waitSignal(review.documentOpened):
        review.open(1)
    messages: list[str] = []
    review.message.connect(messages.append)
    with qtbot.waitSignal(review.documentOpened) as opened:
        review.open_next()
    assert opened.args[0] is not None and opened.args[0].document_id == 1
    assert review.doc is not None and review.doc.document_id == 1
    assert messages == ["This is the only document left in the review queue."]


def test_the_next_document_when_the_only_one_was_taken_meanwhile_leaves_nothing_open(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    backend = FakeBackend([make_doc(1)])
    review = ReviewController(backend, runner, UserSession("ann", "clerk"))
    with qtbot.waitSignal(review.documentOpened):
        review.open(1)

    def taken(document_id: int, user: UserSession) -> None:
        raise PermissionError(f"document {document_id} is in review by bob")

    backend.open = taken  # type: ignore[method-assign,assignment]
    with qtbot.waitSignal(review.documentOpened) as opened:
        review.open_next()
    assert opened.args == [None] and review.doc is None


def test_a_correction_the_core_refuses_leaves_the_undo_history(qtbot: QtBot, runner: TaskRunner) -> None:
    """ "$1,300.00" on a euro invoice passes the editor's form check and is refused by the core: Ctrl+Z then said
    the field was not what it undid, and Ctrl+Shift+Z sent the refused value again."""
    review, backend = _opened(qtbot, runner)
    review.set_value("invoice_date", "2024-03-16")
    qtbot.waitUntil(lambda: not runner.busy)
    kept = backend.apply

    def refuse(correction, user):  # type: ignore[no-untyped-def]
        raise ValueError("'$1,300.00' is in USD, the document in EUR")

    backend.apply = refuse  # type: ignore[method-assign]
    with qtbot.waitSignal(review.correctionRefused):
        review.set_value("total_amount", "$1,300.00")
    qtbot.waitUntil(lambda: not runner.busy)
    assert review.undo_stack.count() == 1 and review.undo_stack.undoText() == "Set Invoice date to 2024-03-16"
    assert not review.undo_stack.canRedo()
    backend.apply = kept  # type: ignore[method-assign]
