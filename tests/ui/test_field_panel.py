"""The field panel against bare models: editors by type, input refused with a reason, Enter moves on."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from extractors.geometry import BBox
from idp_app.domain import ReviewState
from tests.ui.factories import make_doc
from ui.field_panel import FieldPanel
from ui.line_items import LineItemTable
from ui.model import FieldKind
from ui.values import check_value


def _panel(qtbot: QtBot) -> FieldPanel:
    panel = FieldPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    panel.set_document(make_doc())
    return panel


def test_one_editor_per_field_with_confidence_and_evidence(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert list(panel.editors) == ["invoice_number", "invoice_date", "total_amount", "vendor_name"]
    inv = panel.editors["invoice_number"]
    assert inv.text() == "INV-1001"
    assert inv.confidence.text() == "98%" and inv.bar.value() == 98
    assert "label: Invoice No." in inv.evidence.text() and "duplicate" in inv.evidence.text()
    assert "totals" in panel.editors["total_amount"].evidence.text()
    assert panel.editors["invoice_date"].combo.lineEdit().placeholderText() == "YYYY-MM-DD"
    # the alternatives are in the drop-down
    assert inv.combo.count() == 2 and inv.combo.itemText(1).startswith("INV-1002")
    # the first field needing review is current
    assert panel.current == "invoice_date"


@pytest.mark.parametrize(
    ("name", "typed", "reason"),
    [
        ("invoice_date", "31.02.2024", "not a date"),
        ("invoice_date", "soon", "not a date"),
        ("total_amount", "12a.00", "not an amount"),
    ],
)
def test_wrong_form_is_refused_with_the_reason(qtbot: QtBot, name: str, typed: str, reason: str) -> None:
    panel = _panel(qtbot)
    editor = panel.editors[name]
    panel.set_current(name)
    editor.combo.setEditText(typed)
    with qtbot.assertNotEmitted(panel.valueCommitted):
        qtbot.keyClick(editor.combo.lineEdit(), Qt.Key.Key_Return)
    assert reason in editor.error_text()
    assert panel.current == name  # the clerk stays on the field


def test_enter_commits_a_valid_value_and_moves_to_the_next_needing_review(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    editor = panel.editors["invoice_date"]
    panel.set_current("invoice_date")
    editor.combo.setEditText("16.03.2024")
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        qtbot.keyClick(editor.combo.lineEdit(), Qt.Key.Key_Return)
    assert blocker.args[:2] == ["invoice_date", "16.03.2024"]  # as typed, once its form is checked: the core stores it
    assert panel.current == "total_amount"
    with qtbot.waitSignal(panel.fieldConfirmed) as confirmed:
        qtbot.keyClick(panel.editors["total_amount"].combo.lineEdit(), Qt.Key.Key_Return)
    assert confirmed.args == ["total_amount"]
    assert panel.current == "vendor_name"


def test_choosing_an_alternative_commits_it(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    combo = panel.editors["invoice_number"].combo
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        combo.activated.emit(1)
    assert blocker.args[:2] == ["invoice_number", "INV-1002"]


def test_an_arrow_key_in_a_field_never_takes_an_alternative(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.set_current("invoice_number")
    editor = panel.editors["invoice_number"]
    assert editor.combo.count() > 1  # it has an alternative the arrow would have taken
    committed: list[object] = []
    panel.valueCommitted.connect(lambda *args: committed.append(args))
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown):
        qtbot.keyClick(editor.combo.lineEdit(), key)
    assert committed == []
    assert editor.text() == editor.view.text and panel.current == "invoice_number"


def test_leaving_a_field_with_tab_saves_what_was_typed(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.set_current("invoice_number")
    editor = panel.editors["invoice_number"]
    qtbot.keyClicks(editor.combo.lineEdit(), "-X")
    assert editor.has_unsaved_text()
    opened = QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.PopupFocusReason)
    QApplication.sendEvent(editor.line, opened)  # the list opening is no leaving
    assert editor.has_unsaved_text()
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        QApplication.sendEvent(editor.line, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert blocker.args[:2] == ["invoice_number", editor.text().strip()]
    assert not editor.has_unsaved_text()
    date = panel.editors["invoice_date"]
    qtbot.keyClicks(date.combo.lineEdit(), "31.02.2024")
    QApplication.sendEvent(date.line, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert "31.02.2024" in date.text() and date.error_text()  # refused: the typed text and the reason stay


def test_fix_button_offers_the_edit_that_makes_totals_agree(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert panel.issues.isVisible()
    [button] = panel.issues.fix_buttons
    assert "1190.00" in button.text()
    with qtbot.waitSignal(panel.fixRequested) as blocker:
        button.click()
    assert blocker.args == ["total_amount", "1190.00"]


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        (FieldKind.AMOUNT, "1.190,00", "1190.00"),
        (FieldKind.AMOUNT, "1,190.00 EUR", "1190.00"),
        (FieldKind.AMOUNT, "-12.5", "-12.50"),
        (FieldKind.DATE, "15.03.2024", "2024-03-15"),
        (FieldKind.CURRENCY, "eur", "EUR"),
        (FieldKind.IBAN, "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_typed_values_are_put_in_stored_form(kind: FieldKind, typed: str, stored: str) -> None:
    assert check_value(kind.value, typed) == stored


def test_line_item_cell_selection_reports_its_box(qtbot: QtBot) -> None:
    table = LineItemTable()
    qtbot.addWidget(table)
    doc = make_doc()
    table.set_items(doc.line_items, doc.line_item_columns)
    with qtbot.waitSignal(table.cellSelected) as blocker:
        table.select_cell(0, 1)
    assert blocker.args == [0, BBox(430, 300, 500, 312)]
    with qtbot.waitSignal(table.cellEdited) as edited:
        table.model.setData(table.model.index(0, 1), "999.00")
    assert edited.args == [0, "amount", "999.00"]
    with qtbot.waitSignal(table.rowAdded) as added:
        table.add_button.click()
    assert added.args == [1]
    with qtbot.waitSignal(table.rowSplit):
        table.split_button.click()


def test_line_item_columns_fit_their_numbers_and_the_description_takes_the_rest(qtbot: QtBot) -> None:
    from extractors.results import LineItem
    from tests.ui.factories import fv

    columns = ("article_number", "description", "quantity", "unit_price", "amount", "tax_rate")
    values = ("TB100A4", "Trennblätter A4, 100 Blatt, farbig sortiert", "20", "9.90", "198.00", "19")
    row = LineItem({c: fv(c, v, None, 0.9) for c, v in zip(columns, values, strict=True)}, page=0)
    table = LineItemTable()
    qtbot.addWidget(table)
    table.resize(520, 300)
    table.show()
    table.set_items((row,), columns)
    header = table.table.horizontalHeader()
    metrics = header.fontMetrics()
    for c, name in enumerate(columns):
        if name != "description":  # every header and number readable in full, no scrolling needed
            assert header.sectionSize(c) >= metrics.horizontalAdvance(name.replace("_", " ")), name
    assert header.sectionSize(1) == max(
        header.width() - sum(header.sectionSize(c) for c in range(len(columns)) if c != 1), header.minimumSectionSize()
    )


def test_the_value_there_typed_in_another_form_confirms_it(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    total = panel.editors["total_amount"]
    assert total.view.text == "1100.00"
    panel.set_current("total_amount")
    total.set_text("1.100,00")
    with qtbot.waitSignal(panel.fieldConfirmed) as blocker:
        assert total.commit()
    assert blocker.args == ["total_amount"]
    assert total.text() == "1100.00" and not total.has_unsaved_text()
    # a different amount is a correction
    total.set_text("1.190,00")
    with qtbot.waitSignal(panel.valueCommitted) as committed:
        assert total.commit()
    assert committed.args[:2] == ["total_amount", "1.190,00"]  # as typed: the core normalises it and checks more


def test_enter_does_not_come_back_to_a_field_accepted_that_a_rule_keeps_red(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    needing = [f.name for f in make_doc().fields if f.state is not ReviewState.OK]
    assert len(needing) >= 2
    visited = []
    with qtbot.waitSignal(panel.reviewDone, timeout=1000):
        for _ in range(len(needing)):
            visited.append(panel.current)
            panel.editors[panel.current].commit()  # type: ignore[index]
    assert sorted(visited) == sorted(needing)  # each once: the document (unchanged here) keeps them red


def test_typing_the_start_of_an_alternative_keeps_what_was_typed(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    number = panel.editors["invoice_number"]
    assert number.combo.itemText(1).startswith("INV-1002")
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=2000)
    panel.set_current("invoice_number")
    number.line.clear()
    qtbot.keyClicks(number.line, "INV-1002")  # the alternative's value, typed: not completed into its label
    assert number.text() == "INV-1002"
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        qtbot.keyClick(number.line, Qt.Key.Key_Return)
    assert blocker.args[:2] == ["invoice_number", "INV-1002"]


def test_the_saved_field_coming_back_keeps_what_the_keyboard_has_in_the_next(qtbot: QtBot) -> None:
    """Enter saves a field and selects the next one's value; the saved document comes back a moment later. The
    next value stays selected (typing replaced it: it was appended, "2023-12-022023-12-02"), and what the clerk
    began typing meanwhile stays (it was replaced by the stored value)."""
    panel = _panel(qtbot)
    panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)
    panel.set_current("invoice_date")
    editor = panel.editors["invoice_date"]
    assert editor.combo.hasFocus() and editor.line.selectedText() == editor.text()
    panel.set_document(make_doc())  # the saved result of the field before
    qtbot.keyClicks(editor.line, "2024-01-01")
    assert editor.text() == "2024-01-01"
    editor.revert()
    editor.line.selectAll()
    qtbot.keyClicks(editor.line, "AT21 97")
    editor.line.setCursorPosition(4)
    panel.set_document(make_doc())
    assert editor.text() == "AT21 97" and editor.has_unsaved_text()
    qtbot.keyClicks(editor.line, "X")
    assert editor.text() == "AT21X 97"  # the cursor where it was
    editor.line.setSelection(0, 2)
    panel.set_document(make_doc())
    qtbot.keyClicks(editor.line, "DE")
    assert editor.text() == "DE21X 97"  # and what was selected, typed over


def test_escape_at_the_box_as_the_focus_lies_drops_what_was_typed(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.set_current("vendor_name")
    editor = panel.editors["vendor_name"]
    stored = editor.text()
    qtbot.keyClicks(editor.line, "XYZ")
    qtbot.keyClick(editor.combo, Qt.Key.Key_Escape)  # the key event as the box, holding the focus, receives it
    assert editor.text() == stored and not editor.has_unsaved_text()


def test_a_value_wider_than_its_box_shows_its_start(qtbot: QtBot) -> None:
    """A long IBAN showed only its end after an update: its country and check digits hidden."""
    panel = _panel(qtbot)
    panel.set_current("invoice_date")
    editor = panel.editors["invoice_number"]
    editor.combo.setEditText("X" * 200)
    editor.line.setCursorPosition(200)
    panel.set_document(make_doc())
    assert editor.line.cursorPosition() == 0
