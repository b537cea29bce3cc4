"""The whole window against the in-memory backend: capture, undo, keyboard approval, settings, roles."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from extractors.document import Token, TokenSource
from extractors.geometry import BBox
from tests.ui.factories import make_doc
from tests.ui.fakes import FakeBackend
from ui.actions import ACTIONS, IN_A_FIELD, ShortcutsDialog
from ui.main_window import MainWindow, Prompts
from ui.model import RuleIssue, UserSession
from ui.queue_view import LEAST, WHY_ROOM


class CannedPrompts(Prompts):
    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self.informed: list[str] = []
        self.choices: list[tuple[list[str], str]] = []
        self.shortcuts_shown = 0

    def ask_text(self, parent: QWidget, title: str, label: str) -> str | None:
        return self.answers.pop(0) if self.answers else None

    def ask_choice(self, parent: QWidget, title: str, label: str, items: list[str], current: int) -> str | None:
        self.choices.append((items, items[current]))
        return self.answers.pop(0) if self.answers else None

    def inform(self, parent: QWidget, title: str, text: str) -> None:
        self.informed.append(text)

    def show_shortcuts(self, parent: QWidget, supervisor: bool) -> None:
        self.shortcuts_shown += 1


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def _window(qtbot: QtBot, backend: FakeBackend, role: str = "clerk", rows: int = 2) -> tuple[MainWindow, CannedPrompts]:
    prompts = CannedPrompts()
    window = MainWindow(backend, UserSession(role, role, role == "supervisor"), prompts=prompts)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == rows, timeout=5000)
    return window, prompts


def _open_first(qtbot: QtBot, window: MainWindow) -> None:
    window.review.open_next()
    qtbot.waitUntil(lambda: window.document is not None, timeout=5000)


def _active_with_first_open(qtbot: QtBot, backend: FakeBackend) -> MainWindow:
    """The window with the queue's first document open and the keyboard's focus, for keys sent to it."""
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


def _word(text: str, source: TokenSource = TokenSource.OCR) -> Token:
    """One word on page 1, as a reader gives it."""
    return Token(text, BBox(100, 100, 140, 110), 0, 0.9, source)


def _settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)


def test_queue_shows_why_each_document_is_there_and_filters(qtbot: QtBot, backend: FakeBackend) -> None:
    window, _ = _window(qtbot, backend)
    model = window.queue.proxy
    assert model.index(0, 1).data() == "invoice_date below threshold  +1 more"
    assert "totals rule failed" in model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    window.queue.vendor.setText("nobody")
    assert model.rowCount() == 0
    window.queue.vendor.setText("acme")
    assert model.rowCount() == 2
    window.queue.confidence.setValue(0.5)
    assert model.rowCount() == 0


def test_click_a_word_corrects_the_active_field_then_undo_redo(qtbot: QtBot, backend: FakeBackend) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.set_current("invoice_number")
    view = window.page_view
    view.set_zoom(1.0)
    view.centerOn(100, 100)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(QPointF(60, 48)))
    _settle(qtbot, window)
    assert backend.applied[-1].new_value == "Invoice"
    assert backend.applied[-1].new_bbox_pt == BBox(50, 40, 110, 56)
    assert backend.applied[-1].source_token_ids == (0,)
    assert window.fields.editors["invoice_number"].text() == "Invoice"
    assert view.field_items["invoice_number"].rect().left() == 50
    # Ctrl+click adds the next word
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        pos=view.mapFromScene(QPointF(120, 48)),
    )
    _settle(qtbot, window)
    assert backend.applied[-1].new_value == "Invoice No."
    window.action("undo").trigger()
    _settle(qtbot, window)
    assert backend.applied[-1].new_value == "Invoice"
    window.action("undo").trigger()
    _settle(qtbot, window)
    assert backend.docs[1].field("invoice_number").text == "INV-1001"  # type: ignore[union-attr]
    window.action("redo").trigger()
    _settle(qtbot, window)
    assert backend.docs[1].field("invoice_number").text == "Invoice"  # type: ignore[union-attr]


def test_a_box_on_a_scan_is_read_in_the_background(qtbot: QtBot) -> None:
    scan = make_doc(1, scanned=True)
    upside_down = replace(scan, pages=(replace(scan.pages[0], upright_turn=180),))
    backend = FakeBackend([upside_down, make_doc(2)])
    backend.ocr_tokens = [Token("4711", BBox(300, 200, 340, 214), 0, 0.88, TokenSource.OCR)]
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.set_current("invoice_number")
    window.page_view.regionSelected.emit(0, BBox(290, 190, 360, 220), [])
    _settle(qtbot, window)
    assert backend.ocr_calls == [(0, BBox(290, 190, 360, 220))]
    assert backend.ocr_turns == [180]  # the box is on the page as shown, turned upright
    assert backend.applied[-1].new_value == "4711"
    assert backend.applied[-1].new_bbox_pt == BBox(300, 200, 340, 214)


def test_a_word_of_the_wrong_form_is_refused_at_the_editor(qtbot: QtBot, backend: FakeBackend) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.set_current("invoice_date")
    window.page_view.tokensClicked.emit([make_doc().pages[0].tokens[0]], False)  # "Invoice"
    assert "not a date" in window.fields.editors["invoice_date"].error_text()
    assert backend.applied == []
    assert window.fields.editors["invoice_date"].combo.hasFocus()  # the keyboard is where the value is typed
    # the clerk moves on: approving now would approve the stored date while the field shows the refused word
    window.fields.set_current("total_amount")
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert backend.decisions == [] and window.fields.current == "invoice_date"  # back to the field, with why
    assert "not a date" in window.fields.editors["invoice_date"].error_text()


def test_an_empty_required_field_blocks_approval_in_the_window_by_its_label(qtbot: QtBot, backend: FakeBackend) -> None:
    """Approval waits for a required field: the clerk was told only in the status bar, by its internal name."""
    from dataclasses import replace

    doc = backend.docs[1]
    fields = tuple(replace(f, required=True) if f.name == "vendor_name" else f for f in doc.fields)
    backend.docs[1] = replace(doc, fields=fields, issues=())
    window, prompts = _window(qtbot, backend)
    _open_first(qtbot, window)
    assert window.document is not None and window.document.approval_blocked
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert prompts.informed and "Vendor is required and empty" in prompts.informed[0]
    assert backend.decisions == []


def test_a_reject_or_override_with_no_reason_says_why_nothing_happened(qtbot: QtBot, backend: FakeBackend) -> None:
    window, prompts = _window(qtbot, backend, role="supervisor")
    _open_first(qtbot, window)
    prompts.answers = [""]
    window.action("reject").trigger()
    _settle(qtbot, window)
    assert backend.decisions == [] and "needs a reason" in window.statusBar().currentMessage()
    prompts.answers = [""]
    window.action("approve_override").trigger()
    _settle(qtbot, window)
    assert backend.decisions == [] and "override needs a reason" in window.statusBar().currentMessage()


def test_keyboard_only_review_with_fix_then_approve_opens_next(qtbot: QtBot, backend: FakeBackend) -> None:
    window, prompts = _window(qtbot, backend)
    _open_first(qtbot, window)
    # Ctrl+Enter while the totals rule fails: a clerk is told why and nothing is approved
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert prompts.informed and "Net 1000.00" in prompts.informed[0]
    assert backend.decisions == []
    # the offered edit, then confirm the remaining fields with Enter, then approve
    window.fields.issues.fix_buttons[0].click()
    _settle(qtbot, window)
    assert backend.docs[1].issues == ()
    window.fields.set_current("invoice_date")
    window.action("accept_field").trigger()
    _settle(qtbot, window)
    assert backend.applied[-1].kind.value == "confirmation"
    window.action("approve").trigger()
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: window.document is not None and window.document.document_id == 2, timeout=5000)
    assert backend.decisions == [(1, "approved", None)]


def test_supervisor_overrides_with_a_reason_clerk_has_no_override(qtbot: QtBot, backend: FakeBackend) -> None:
    clerk, _ = _window(qtbot, backend)
    assert not clerk.action("approve_override").isVisible()
    _open_first(qtbot, clerk)
    assert clerk.fields.issues.isVisible() and not clerk.fields.issues.override_button.isVisible()
    window, prompts = _window(qtbot, FakeBackend(), "supervisor")
    assert window.action("approve_override").isVisible()
    _open_first(qtbot, window)
    assert window.fields.issues.override_button.isVisible()
    prompts.answers = ["credit note agreed by phone"]
    window.fields.issues.override_button.click()
    _settle(qtbot, window)
    assert window.backend.decisions == [(1, "approved", "credit note agreed by phone")]  # type: ignore[attr-defined]


def test_an_approval_reads_its_layouts_next_documents_again_before_the_next_opens(qtbot: QtBot) -> None:
    """The document of its layout the clerk meets next is read with what it taught before the next one opens; the
    others meanwhile, and the window says what was done."""
    backend = FakeBackend()
    backend.read_again_said = [("1 document of this layout in the queue read again with what it taught (2)", (2,))]
    window, prompts = _window(qtbot, backend, "supervisor")
    said: list[str] = []
    window.review.message.connect(said.append)
    _open_first(qtbot, window)
    prompts.answers = ["agreed by phone"]
    window.action("approve_override").trigger()
    qtbot.waitUntil(lambda: len(backend.read_again_calls) == 2, timeout=5000)
    _settle(qtbot, window)
    assert backend.read_again_calls == [(1, True, ()), (1, False, (2,))]  # the second passes over the first's
    assert "Document 1 approved: 1 document of this layout in the queue read again with what it taught (2)." in said
    assert window.document is not None and window.document.document_id == 2


def test_missing_file_shows_message_and_can_be_rejected(qtbot: QtBot) -> None:
    backend = FakeBackend([make_doc(1, load_error="The file doc-1.pdf is missing from the store.")])
    window, prompts = _window(qtbot, backend, rows=1)
    _open_first(qtbot, window)
    assert "missing" in window.page_view.message()
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert backend.decisions == []
    prompts.answers = ["file lost"]
    window.action("reject").trigger()
    _settle(qtbot, window)
    assert backend.decisions == [(1, "rejected", "file lost")]


def test_the_clerk_says_what_a_document_is_and_it_opens_again_as_that(qtbot: QtBot) -> None:
    backend = FakeBackend([replace(make_doc(1), doc_type="other"), make_doc(2)])
    window, prompts = _window(qtbot, backend)
    _open_first(qtbot, window)
    assert window.document is not None and window.document.document_id == 1
    window.action("set_type").trigger()  # cancelled: nothing happens
    _settle(qtbot, window)
    assert backend.typed == [] and prompts.choices == [(["invoice", "receipt", "contract"], "invoice")]
    window.fields.set_current("invoice_number")  # an OK field the clerk was on
    prompts.answers = ["receipt"]
    window.action("set_type").trigger()
    _settle(qtbot, window)
    assert backend.typed == [(1, "receipt")]
    assert window.fields.current == window.fields.next_needing_review(None)  # read anew: the first to check
    assert window.document is not None and (window.document.document_id, window.document.doc_type) == (1, "receipt")
    assert "receipt" in window.fields.heading.text()


def test_zoom_keys_and_layout_are_remembered(qtbot: QtBot, backend: FakeBackend) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    fitted = window.page_view.zoom  # the first start fits the page's width
    assert fitted * 595 <= window.page_view.viewport().width()
    window.action("zoom_in").trigger()
    zoomed = window.page_view.zoom
    assert zoomed > fitted
    window.queue.vendor.setText("acme")
    window.splitter.setSizes([200, 800, 400])
    sizes = window.splitter.sizes()
    window.close()
    again, _ = _window(qtbot, backend)
    assert again.page_view.zoom == pytest.approx(zoomed)
    assert again.queue.vendor.text() == "acme"
    assert again.splitter.sizes() == sizes
    again.action("zoom_reset").trigger()
    assert again.page_view.zoom == 1.0


def test_zoom_from_a_field_takes_ctrl_and_types_nothing(qtbot: QtBot, backend: FakeBackend) -> None:
    """A document opens with the keyboard in its first field: "F" there is typed (the field's value), so each zoom
    key has a Ctrl key that works anywhere; on the page the keys alone zoom."""
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    focused = QApplication.focusWidget()
    editor = focused if isinstance(focused, QLineEdit) else focused.lineEdit()
    assert isinstance(editor, QLineEdit)
    typed = editor.text()
    qtbot.keyClick(editor, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    zoomed = window.page_view.zoom
    qtbot.keyClick(editor, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.page_view.zoom == 1.0 != zoomed
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    fitted = window.page_view.zoom
    assert fitted != 1.0 and fitted * 595 <= window.page_view.viewport().width()
    assert editor.text() == typed and backend.applied == []
    window.page_view.setFocus()
    qtbot.keyClick(window.page_view, Qt.Key.Key_0)
    assert window.page_view.zoom == 1.0
    qtbot.keyClick(window.page_view, Qt.Key.Key_F)
    assert window.page_view.zoom == pytest.approx(fitted)


def test_f1_lists_every_shortcut_from_the_action_table(qtbot: QtBot, backend: FakeBackend) -> None:
    window, prompts = _window(qtbot, backend)
    window.action("help").trigger()
    assert prompts.shortcuts_shown == 1
    dialog = ShortcutsDialog(supervisor=False)
    qtbot.addWidget(dialog)
    helps = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert helps == {a.help for a in ACTIONS if not a.supervisor_only} | {h for _, h in IN_A_FIELD}
    keys = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert {"Ctrl+Return", "F1", "Esc", "Alt+Down"} <= keys  # the field's own keys too


def test_tab_and_enter_walk_the_fields_without_the_mouse(qtbot: QtBot, backend: FakeBackend) -> None:
    window = _active_with_first_open(qtbot, backend)
    window.fields.set_current("invoice_number")
    qtbot.keyClick(window.fields.editors["invoice_number"].line, Qt.Key.Key_Tab)
    assert window.fields.current == "invoice_date"
    assert window.page_view.selected_field == "invoice_date"
    qtbot.keyClick(window.fields.editors["invoice_date"].line, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.fields.current == "invoice_number"
    qtbot.keyClick(window.fields.editors["invoice_number"].line, Qt.Key.Key_Return)  # accept, go to next to review
    _settle(qtbot, window)
    assert backend.applied[-1].kind.value == "confirmation"
    assert window.fields.current == "invoice_date"
    # typed, then Tab: saved, and the next field in order, not the next one needing review; Shift+Tab the same back
    assert window.fields._order == ["invoice_number", "invoice_date", "total_amount", "vendor_name"]
    qtbot.keyClick(window.fields.editors["invoice_date"].line, Qt.Key.Key_Return)  # invoice date accepted
    _settle(qtbot, window)
    for here, key, modifier, there in (
        ("invoice_number", Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, "invoice_date"),  # Enter: total_amount
        ("vendor_name", Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier, "total_amount"),  # Enter: wraps round
    ):
        window.fields.set_current(here)
        editor = window.fields.editors[here]
        editor.set_text("ACME 2")
        editor.line.setModified(True)
        qtbot.keyClick(editor.line, key, modifier)
        _settle(qtbot, window)
        assert backend.applied[-1].field_name == here and backend.applied[-1].new_value == "ACME 2"
        assert window.fields.current == there


def test_selecting_a_line_item_cell_highlights_its_box(qtbot: QtBot, backend: FakeBackend) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.line_items.select_cell(0, 1)
    highlight = window.page_view._highlight
    assert highlight is not None and highlight.rect().contains(QPointF(465, 306))


def test_thumbnails_for_a_multi_page_document(qtbot: QtBot) -> None:
    backend = FakeBackend([make_doc(1, pages=3)])
    window, _ = _window(qtbot, backend, rows=1)
    _open_first(qtbot, window)
    assert window.thumbnails.isVisible() and window.thumbnails.count() == 3
    window.thumbnails.setCurrentRow(2)
    assert window.page_view.page_index == 2
    window.action("previous_page").trigger()
    assert window.page_view.page_index == 1 and window.thumbnails.currentRow() == 1


def test_a_clerk_is_told_only_what_blocks_approval(qtbot: QtBot) -> None:
    doc = make_doc(1)
    note = RuleIssue("new_vendor", "First document from this vendor", ("vendor_name",), blocking=False)
    backend = FakeBackend([replace(doc, issues=(*doc.issues, note)), make_doc(2)])
    window, prompts = _window(qtbot, backend)
    _open_first(qtbot, window)
    _settle(qtbot, window)
    window.fields.reviewDone.emit()
    _settle(qtbot, window)
    shown = window.statusBar().currentMessage()
    assert "approval is blocked" in shown and "Net 1000.00" in shown and "ask a supervisor" in shown
    assert "Ctrl+Enter approves" not in shown
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert "Net 1000.00" in prompts.informed[0] and "First document" not in prompts.informed[0]
    # once nothing blocks, the clerk is told approval is one key away
    window.fields.issues.fix_buttons[0].click()
    _settle(qtbot, window)
    window.fields.reviewDone.emit()
    _settle(qtbot, window)
    assert window.statusBar().currentMessage() == "Every field reviewed: Ctrl+Enter approves."


def test_every_pane_fix_and_row_button_is_reached_from_the_keyboard(qtbot: QtBot, backend: FakeBackend) -> None:
    window = _active_with_first_open(qtbot, backend)
    # Tab leaves the queue instead of walking its cells
    window.queue.table.setFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_Tab)
    assert not window.queue.table.hasFocus()
    # F6 walks the panes round: queue, page, fields, line items, queue
    window.queue.table.setFocus()
    reached = []
    for _ in range(4):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F6)
        focus = window.focusWidget()
        reached.append(
            next(
                name
                for name, pane in (
                    ("queue", window.queue.table),
                    ("page", window.page_view),
                    ("fields", window.fields),
                    ("items", window.line_items.table),
                )
                if focus is pane or pane.isAncestorOf(focus)
            )
        )
    assert reached == ["page", "fields", "items", "queue"]
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert window.line_items.table.hasFocus()
    # in the line items: Tab goes on to the row buttons, and the row keys work where the table has the keyboard
    window.line_items.select_cell(0, 0)
    qtbot.keyClick(window.line_items.table, Qt.Key.Key_Insert)
    _settle(qtbot, window)
    assert backend.row_edits[-1] == ("add", 1, None)
    # the keyboard is on the row added: what is typed goes in it, and Ctrl+Del takes it away again (not the row
    # before, which it had deleted)
    assert window.line_items.table.currentIndex().row() == 1 and window.line_items.table.hasFocus()
    qtbot.keyClick(window.line_items.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert backend.row_edits[-1][:2] == ("delete", 1)
    # while a cell is typed in, the row keys are the editor's: Ctrl+Del deletes a word, not the row
    edits = len(backend.row_edits)
    table = window.line_items.table
    table.setCurrentIndex(window.line_items.model.index(0, 0))
    table.edit(table.currentIndex())
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.setText("abc def")
    editor.setCursorPosition(0)
    qtbot.keyClick(editor, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(backend.row_edits) == edits and editor.text().strip() == "def"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    window.line_items.table.setFocus()
    qtbot.keyClick(window.line_items.table, Qt.Key.Key_Tab)
    assert not window.line_items.table.hasFocus()
    # the failed rule's offered edit, from anywhere
    assert backend.docs[1].issues
    qtbot.keyClick(
        window.focusWidget(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    _settle(qtbot, window)
    assert backend.docs[1].issues == ()
    assert backend.applied[-1].new_value == "1190.00"


def test_a_cell_typed_in_the_wrong_form_keeps_the_text_and_says_why(qtbot: QtBot) -> None:
    doc = replace(make_doc(1), line_item_types=("text", "amount"))
    backend = FakeBackend([doc, make_doc(2)])
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    model = window.line_items.model
    cell = model.index(0, 1)
    assert model.setData(cell, "12a")
    _settle(qtbot, window)
    assert backend.applied == []  # nothing reached the core
    assert cell.data() == "12a"  # what was typed stays, to be mended
    assert "not an amount" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Row 1, amount not saved" in window.statusBar().currentMessage()
    # approval stops at the refused cell rather than approve the value it still holds
    window.action("approve").trigger()
    _settle(qtbot, window)
    assert backend.decisions == [] and "Row 1, amount is not saved" in window.statusBar().currentMessage()
    assert window.line_items.table.currentIndex() == model.index(0, 1)
    # another correction elsewhere updates the document: the refused cell is still shown as typed
    window.fields.issues.fix_buttons[0].click()
    _settle(qtbot, window)
    assert model.index(0, 1).data() == "12a"
    # typed again in a form the column takes: it goes to the core in its stored form
    assert model.setData(model.index(0, 1), "1.234,50")
    _settle(qtbot, window)
    assert backend.applied[-1].line_item_index == 0 and backend.applied[-1].new_value == "1.234,50"  # as typed
    assert model.refused(0, "amount") is None
    # typing the stored value back clears the mark without a correction
    assert model.setData(model.index(0, 1), "x") and model.refused(0, "amount")
    count = len(backend.applied)
    model.setData(model.index(0, 1), model.row(0).value("amount") or "")
    assert model.refused(0, "amount") is None and len(backend.applied) == count


def test_the_last_correction_that_blocks_approval_is_what_the_status_bar_reports(qtbot: QtBot) -> None:
    backend = FakeBackend()
    plain_apply = backend.apply

    def apply_with_rules(correction, user):  # type: ignore[no-untyped-def]
        doc = plain_apply(correction, user)
        if correction.field_name == "invoice_date" and correction.new_value == "2020-01-01":
            order = RuleIssue("date_order", "due_date 2019-12-01 is before invoice_date 2020-01-01", ("invoice_date",))
            doc = replace(doc, issues=(*doc.issues, order))
            backend.docs[doc.document_id] = doc
        return doc

    backend.apply = apply_with_rules  # type: ignore[method-assign]
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.issues.fix_buttons[0].click()  # nothing blocks now
    _settle(qtbot, window)
    assert not window.document.approval_blocked  # type: ignore[union-attr]
    with qtbot.waitSignal(window.fields.reviewDone, timeout=3000):
        for _ in range(len(window.fields.editors)):
            editor = window.fields.editors[window.fields.current]  # type: ignore[index]
            if editor.name == "invoice_date":
                editor.set_text("2020-01-01")
            editor.commit()
            if window.fields.next_needing_review(editor.name) is None:
                break
    _settle(qtbot, window)
    shown = window.statusBar().currentMessage()
    assert "approval is blocked" in shown and "2019-12-01 is before" in shown
    other = next(i for i in backend.docs if i != window.document.document_id)  # type: ignore[union-attr]
    window.review.open(other)
    qtbot.waitUntil(lambda: window.document is not None and window.document.document_id == other, timeout=5000)
    assert window.statusBar().currentMessage() == ""  # not the previous document's message on this one


def test_a_document_held_by_another_clerk_does_not_cost_the_one_open(qtbot: QtBot, backend: FakeBackend) -> None:
    from idp_app.errors import ClaimError

    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    first = window.document.document_id  # type: ignore[union-attr]
    other = next(i for i in backend.docs if i != first)
    plain_open = backend.open

    def held(document_id: int, user: UserSession):  # type: ignore[no-untyped-def]
        if document_id == other:
            raise ClaimError(f"document {other} is claimed by anna until 10:15:00 UTC")
        return plain_open(document_id, user)

    backend.open = held  # type: ignore[method-assign]
    window.review.open(other)
    _settle(qtbot, window)
    assert "claimed by anna" in window.statusBar().currentMessage()
    assert window.document is not None and window.document.document_id == first
    assert backend.docs[first].status == "in_review"  # still this clerk's: not given back for nothing
    backend.open = plain_open  # type: ignore[method-assign]
    window.review.open(other)
    _settle(qtbot, window)
    assert window.document.document_id == other and backend.docs[first].status == "needs_review"


def test_a_last_correction_the_core_refuses_is_what_the_clerk_reads_and_enter_comes_back_to_it(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    from idp_app.errors import InvalidValueError

    plain_apply = backend.apply

    def refuse_dates(correction, user):  # type: ignore[no-untyped-def]
        if correction.field_name == "invoice_date" and correction.kind.value == "correction":
            raise InvalidValueError("'2020-02-30' is not a date")
        return plain_apply(correction, user)

    backend.apply = refuse_dates  # type: ignore[method-assign]
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    _settle(qtbot, window)
    with qtbot.waitSignal(window.fields.reviewDone, timeout=3000):
        for _ in range(len(window.fields.editors)):
            editor = window.fields.editors[window.fields.current]  # type: ignore[index]
            if editor.name == "invoice_date":
                editor.set_text("2020-02-29")  # the form is right; the core refuses it here
            editor.commit()
            if window.fields.next_needing_review(editor.name) is None:
                break
    _settle(qtbot, window)
    assert "not saved" in window.statusBar().currentMessage()
    assert window.fields.next_needing_review(None) == "invoice_date"


def test_a_held_document_asked_for_with_none_open_says_why_in_the_pages_place(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    from idp_app.errors import ClaimError

    window, _ = _window(qtbot, backend)
    plain_open = backend.open

    def held(document_id: int, user: UserSession):  # type: ignore[no-untyped-def]
        raise ClaimError(f"document {document_id} is claimed by anna until 10:15:00 UTC")

    backend.open = held  # type: ignore[method-assign]
    window.review.open(2)
    _settle(qtbot, window)
    assert window.document is None
    assert "claimed by anna" in window.page_view.message()
    backend.open = plain_open  # type: ignore[method-assign]
    window.review.open(2)
    _settle(qtbot, window)
    assert window.document is not None and "claimed" not in window.page_view.message()


@pytest.mark.parametrize("size", [(1500, 950), (1024, 700), (1920, 1080)])
def test_queue_status_and_reasons_stay_in_sight_at_any_window_width(
    qtbot: QtBot, backend: FakeBackend, size: tuple[int, int]
) -> None:
    window, _ = _window(qtbot, backend)
    window.resize(*size)
    queue = window.queue
    table, header = queue.table, queue.table.horizontalHeader()
    qtbot.waitUntil(lambda: table.width() < size[0] // 2, timeout=5000)
    room = table.viewport().width()
    status_right = header.sectionViewportPosition(4) + header.sectionSize(4)
    assert status_right <= room  # nothing scrolls out of sight
    # the reasons keep room to be read, as much as the document's name and status leave them
    assert header.sectionSize(1) >= min(WHY_ROOM, room - sum(LEAST.values()))
    assert table.horizontalScrollBar().maximum() == 0
    if size[0] >= 1500:  # at the default size and wider the vendor is in sight; the confidence gives way first
        assert not table.isColumnHidden(3)
    # what a hidden column held is still in the document's tooltip
    tip = queue.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    row = queue.model.row_at(0)
    assert row.vendor in tip and f"{row.confidence:.0%}" in tip
    # wide again, every column comes back
    window.resize(1900, 1000)
    window.splitter.setSizes([900, 500, 500])
    qtbot.waitUntil(lambda: not any(table.isColumnHidden(c) for c in range(5)), timeout=5000)
    # sorted by the reasons, the rows go by what they say, as read
    table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    shown = [queue.proxy.index(r, 1).data() for r in range(queue.proxy.rowCount())]
    assert shown == sorted(shown, key=str.lower)


def test_a_key_typed_into_a_line_item_cell_is_the_cells_not_a_window_shortcut(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    window = _active_with_first_open(qtbot, backend)
    zoom = window.page_view.zoom
    table, model = window.line_items.table, window.line_items.model
    column = model.columns.index("amount")
    table.setFocus()
    table.setCurrentIndex(model.index(0, column))
    qtbot.keyClicks(table, "-")  # a credit line: the minus first ("-" is also zoom out)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "-"
    qtbot.keyClicks(editor, "10,00")
    with qtbot.waitSignal(window.line_items.cellEdited) as edited:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert edited.args[2] == "-10,00" and window.page_view.zoom == zoom
    # "f" (fit width) starts a description as typed
    table.setCurrentIndex(model.index(0, model.columns.index("description")))
    qtbot.keyClicks(table, "f")
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "f"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)


def test_escape_drops_what_was_typed_and_opening_the_next_document_saves_it_first(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    window = _active_with_first_open(qtbot, backend)
    first = window.document
    assert first is not None
    window.fields.set_current("invoice_number")
    editor = window.fields.editors["invoice_number"]
    stored = editor.view.text
    qtbot.keyClicks(editor.line, "XXXX")
    qtbot.keyClick(editor.line, Qt.Key.Key_Escape)
    assert editor.text() == stored and not editor.has_unsaved_text()
    applied = len(backend.applied)
    qtbot.keyClick(editor.line, Qt.Key.Key_Tab)  # nothing typed is left to save on the way out
    _settle(qtbot, window)
    assert len(backend.applied) == applied
    # typed without Enter, then the next document: what was typed is saved before the other opens
    window.fields.set_current("invoice_number")
    editor.set_text("FA23-83740")
    editor.line.setModified(True)
    window.action("open_next").trigger()
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: window.document is not None and window.document.document_id != first.document_id)
    saved = [c for c in backend.applied if c.document_id == first.document_id and c.field_name == "invoice_number"]
    assert saved and saved[-1].new_value == "FA23-83740"


def test_a_refusal_from_an_earlier_click_goes_once_the_words_taken_make_a_value(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.set_current("invoice_date")
    editor = window.fields.editors["invoice_date"]
    window._put_tokens("invoice_date", [_word("2023-12", TokenSource.TEXT_LAYER)])  # a click on part of the date
    assert editor.error.text()
    window._put_tokens("invoice_date", [_word("2023-12-02", TokenSource.TEXT_LAYER)])  # then on the whole of it
    _settle(qtbot, window)
    assert not editor.error.text() and not editor.error.isVisible()


def test_a_box_drawn_on_a_scan_is_read_again_and_its_words_kept_where_the_reading_gives_no_value(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    window.fields.set_current("invoice_date")

    # the page's OCR lost a part of the date: the box read again gives it whole
    backend.ocr_tokens = [_word("2024-03-16")]
    window._capture_region(0, BBox(90, 95, 200, 115), [_word("2024-03")])
    _settle(qtbot, window)
    assert backend.ocr_calls and backend.applied[-1].new_value == "2024-03-16"
    # a reading that gives no date keeps the page's words (and their refusal shows)
    backend.ocr_tokens = [_word("2O24-O3-l7")]
    calls = len(backend.ocr_calls)
    window._capture_region(0, BBox(90, 95, 200, 115), [_word("2024-03-17")])
    _settle(qtbot, window)
    assert len(backend.ocr_calls) == calls + 1 and backend.applied[-1].new_value == "2024-03-17"
    # a text layer's words are what the page says: not read again
    window._capture_region(0, BBox(90, 95, 200, 115), [_word("2024-03-18", TokenSource.TEXT_LAYER)])
    _settle(qtbot, window)
    assert len(backend.ocr_calls) == calls + 1 and backend.applied[-1].new_value == "2024-03-18"
    # a box round the label and the value: the value of the new reading, not the page's old words
    backend.ocr_tokens = [_word("Invoice"), _word("date:"), _word("2024-03-19")]
    window._capture_region(0, BBox(40, 95, 200, 115), [_word("lnvoice"), _word("dale"), _word("2O24-O3-I9")])
    _settle(qtbot, window)
    assert backend.applied[-1].new_value == "2024-03-19"


def test_a_value_refused_while_an_earlier_save_runs_stays_in_its_field_with_why(
    qtbot: QtBot, backend: FakeBackend
) -> None:
    import threading

    window, _ = _window(qtbot, backend)
    _open_first(qtbot, window)
    _settle(qtbot, window)
    plain_apply, release = backend.apply, threading.Event()

    def slow_then_refuse(correction, user):  # type: ignore[no-untyped-def]
        if correction.field_name == "invoice_number":
            release.wait(5)  # the first save takes a while
            return plain_apply(correction, user)
        raise ValueError("'$1,300.00' is in USD, the document in EUR")

    backend.apply = slow_then_refuse  # type: ignore[method-assign]
    window.fields.editors["invoice_number"].set_text("INV-9")
    window.fields.editors["invoice_number"].commit()
    window.fields.editors["total_amount"].set_text("$1,300.00")
    window.fields.editors["total_amount"].commit()
    window.fields.set_current("vendor_name")  # the clerk moves on
    release.set()
    _settle(qtbot, window)
    total = window.fields.editors["total_amount"]
    assert total.text() == "$1,300.00" and "in USD" in total.error_text()  # not the stored total, in silence
    assert total.has_unsaved_text()
    assert window.fields.editors["invoice_number"].text() == "INV-9"
