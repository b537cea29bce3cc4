"""Corrections through the undo stack, line-item row edits as corrections, and the log-in dialog."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem
from idp_app.domain import CorrectionKind
from tests.ui.factories import make_doc
from tests.ui.fakes import FakeBackend
from ui.line_item_edits import delete_row, merge_rows, split_row
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


def test_confirmation_is_not_an_undo_step(qtbot: QtBot, runner: TaskRunner) -> None:
    review, backend = _opened(qtbot, runner)
    review.confirm("invoice_number")
    qtbot.waitUntil(lambda: not runner.busy)
    assert backend.applied[-1].kind is CorrectionKind.CONFIRMATION
    assert review.undo_stack.count() == 0


def _doc_with_rows() -> DocumentView:
    def row(desc: str, amount: str | None) -> LineItem:
        cells = {"description": FieldValue("description", desc, desc, 0.9)}
        cells["amount"] = FieldValue("amount", amount, amount or "", 0.9)
        return LineItem(cells=cells, page=0)

    from dataclasses import replace

    return replace(
        make_doc(),
        line_items=(row("Blue widget large", "10.00"), row("with cover", None)),
        line_item_columns=("description", "amount"),
        line_item_types=("text", "amount"),
        line_item_rows=(0, 4),
    )


def test_row_edits_are_cell_corrections_on_the_cores_row_numbers() -> None:
    doc = _doc_with_rows()
    deleted = delete_row(doc, 1, "ann")
    assert [(c.line_item_index, c.field_name, c.new_value) for c in deleted] == [(4, "description", None)]
    split = split_row(doc, 0, "ann")
    assert [(c.line_item_index, c.new_value) for c in split] == [(0, "Blue widget"), (5, "large")]
    merged = merge_rows(doc, 0, 1, "ann")
    assert [(c.line_item_index, c.field_name, c.old_value, c.new_value) for c in merged] == [
        (0, "description", "Blue widget large", "Blue widget large with cover"),
        (4, "description", "with cover", None),
    ]


def test_merge_is_one_undo_step(qtbot: QtBot, runner: TaskRunner) -> None:
    backend = FakeBackend()
    review = ReviewController(backend, runner, UserSession("ann", "clerk"))
    review.doc = _doc_with_rows()
    applied: list[object] = []
    review._apply = applied.append  # type: ignore[method-assign]
    review.edit_rows("merge", 0, 1)
    assert review.undo_stack.count() == 1 and len(applied) == 2
    review.undo_stack.undo()
    assert len(applied) == 4


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
    assert dialog.session == UserSession("supervisor", "supervisor", may_override=True)
