"""Why a document is in review (queue cell, field panel) and retraining from the window."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar, QWidget
from pytestqt.qtbot import QtBot

from idp_app.domain import ReviewState
from tests.ui.factories import make_doc
from tests.ui.fakes import FakeBackend
from ui.field_panel import FieldPanel
from ui.main_window import MainWindow, Prompts
from ui.model import ExportOutcome, QueueRow, RetrainOutcome, UserSession
from ui.queue_view import QueueModel, QueueView
from ui.retrain import describe
from ui.tasks import TaskRunner

REASONS = tuple(f"reason number {i}: a rule about field {i} failed" for i in range(1, 7))


class Informed(Prompts):
    def __init__(self) -> None:
        self.informed: list[tuple[str, str]] = []

    def inform(self, parent: QWidget, title: str, text: str) -> None:
        self.informed.append((title, text))


def test_queue_cell_shows_the_first_reason_and_the_count_with_all_in_the_tooltip(qtbot: QtBot) -> None:
    model = QueueModel()
    model.set_rows(
        [QueueRow(1, "a.pdf", "needs_review", reasons=REASONS[:3]), QueueRow(2, "b.pdf", "needs_review", reasons=())]
    )
    cell = model.index(0, 1)
    assert cell.data() == f"{REASONS[0]}  +2 more"
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert all(r in tip for r in REASONS[:3])
    assert model.index(1, 1).data() == ""
    assert model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole) is None


def test_the_queue_shows_the_priority_order_until_a_column_is_clicked(qtbot: QtBot) -> None:
    view = QueueView()
    qtbot.addWidget(view)
    names = ["b-risky.pdf", "c-doubtful.pdf", "a-old.pdf"]  # as the core ranks them
    view.model.set_rows([QueueRow(i, n, "needs_review", confidence=0.5) for i, n in enumerate(names, start=1)])
    shown = [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]
    assert shown == names
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [view.proxy.index(r, 0).data() for r in range(3)] == sorted(names)


def test_queue_summary_counts_the_kinds_of_reason_when_the_codes_are_known() -> None:
    codes = ("unknown_vendor", "low_confidence", "low_confidence")
    row = QueueRow(1, "a.pdf", "needs_review", reasons=REASONS[:3], reason_codes=codes)
    assert row.reasons_summary == "unknown vendor, 2\u00d7 low confidence"
    assert (
        QueueRow(2, "b.pdf", "needs_review", reasons=REASONS[:1], reason_codes=codes[:1]).reasons_summary
        == (REASONS[0])
    )


def test_field_panel_lists_a_few_reasons_and_folds_the_rest(qtbot: QtBot) -> None:
    panel = FieldPanel()
    qtbot.addWidget(panel)
    panel.set_document(replace(make_doc(1), reasons=REASONS))
    label = panel.reasons
    assert label.shown_reasons() == list(REASONS[:3])
    assert "and 3 more" in label.text() and REASONS[3] not in label.text()
    assert all(r in label.toolTip() for r in REASONS)
    label.linkActivated.emit("more")
    assert label.shown_reasons() == list(REASONS)
    assert REASONS[5] in label.text() and "and 3 more" not in label.text()
    label.linkActivated.emit("less")
    assert len(label.shown_reasons()) == 3
    # a long reason is shortened while folded; two reasons are listed whole, with no link
    long = "x" * 300
    panel.set_document(replace(make_doc(2), reasons=(long, *REASONS)))
    assert len(panel.reasons.shown_reasons()[0]) <= label.LONGEST
    panel.set_document(replace(make_doc(3), reasons=REASONS[:2]))
    assert panel.reasons.shown_reasons() == list(REASONS[:2]) and "<a " not in panel.reasons.text()
    panel.set_document(replace(make_doc(4), reasons=()))
    assert panel.reasons.isHidden()


def test_long_work_reports_progress_on_the_gui_thread_and_does_not_hold_up_saving(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, int, str]] = []
    done: list[object] = []

    def work(report: object) -> str:
        assert callable(report)
        for i in range(1, 4):
            report(i, 3, f"doc {i}")
        return "trained"

    runner.submit_reporting(work, lambda *a: seen.append(a), done.append)
    assert not runner.busy  # corrections and approvals never wait for it
    qtbot.waitUntil(lambda: done == ["trained"], timeout=5000)
    assert seen == [(1, 3, "doc 1"), (2, 3, "doc 2"), (3, 3, "doc 3")]
    runner.wait()


def _window(qtbot: QtBot, backend: FakeBackend, role: str) -> tuple[MainWindow, Informed]:
    prompts = Informed()
    user = backend.authenticate(role, role)
    window = MainWindow(backend, user, prompts=prompts)
    window.remember = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2, timeout=5000)
    return window, prompts


def test_a_clerk_has_no_retrain_action_and_the_core_refuses_anyway(qtbot: QtBot) -> None:
    backend = FakeBackend()
    window, prompts = _window(qtbot, backend, "clerk")
    assert not window.action("retrain").isVisible() and not window.action("retrain").isEnabled()
    assert "&Model" not in [a.text() for a in window.menuBar().actions()]
    qtbot.waitUntil(lambda: window.retraining.version_label.text() == "Model: default (fields-0000)", timeout=5000)
    window.retraining.start()  # even if started some other way, the core says no
    qtbot.waitUntil(lambda: bool(prompts.informed), timeout=5000)
    assert prompts.informed[0][0] == "Retraining failed" and "may not retrain" in prompts.informed[0][1]
    assert window.action("retrain").isEnabled() is False
    assert window.retraining.progress.isHidden()


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_retraining_runs_in_the_background_and_reports_the_result(qtbot: QtBot, role: str) -> None:
    backend = FakeBackend()
    backend.retrain_gate.clear()
    window, prompts = _window(qtbot, backend, role)
    assert "&Model" in [a.text() for a in window.menuBar().actions()]
    window.action("retrain").trigger()
    bar = window.findChild(QProgressBar, "retrain-progress")
    assert bar is not None
    qtbot.waitUntil(lambda: bar.isVisible() and bar.maximum() == 3 and bar.value() == 1, timeout=5000)
    assert not window.action("retrain").isEnabled()  # one retraining at a time
    window.action("retrain").trigger()
    # the window goes on working while the model trains: a document opens
    window.review.open_next()
    qtbot.waitUntil(lambda: window.document is not None, timeout=5000)
    assert not prompts.informed
    backend.retrain_gate.set()
    qtbot.waitUntil(lambda: bool(prompts.informed), timeout=5000)
    assert backend.retrain_calls == [role]
    title, text = prompts.informed[0]
    assert title == "New model in use"
    assert "v0002-abcd1234" in text and "90.0%" in text and "95.0%" in text and "accuracy rises" in text
    assert bar.isHidden() and window.action("retrain").isEnabled()
    qtbot.waitUntil(lambda: window.retraining.version_label.text() == "Model: v0002-abcd1234", timeout=5000)


def test_a_model_that_is_not_better_is_reported_with_why() -> None:
    outcome = RetrainOutcome(
        "rejected",
        "v0003-00ff00ff",
        ("accuracy 88.00% does not rise above 90.00%", "total_amount drops from 95.00% to 90.00%"),
        0.9,
        0.88,
        5,
        0,
        20,
        150,
        4.2,
    )
    title, text = describe(outcome)
    assert title == "Model not promoted"
    assert "not promoted" in text and "90.0%" in text and "88.0%" in text
    assert "\u2022 total_amount drops" in text and "golden" not in text
    title, text = describe(RetrainOutcome("too_few", reasons=("3 approved documents: too few",)))
    assert title == "Not enough documents" and "3 approved documents" in text and "accuracy" not in text
    title, text = describe(RetrainOutcome("unchanged", "v0001-00ff00ff", ("nothing new since v0001-00ff00ff",)))
    assert title == "Nothing new to learn" and "v0001-00ff00ff again" in text
    title, text = describe(RetrainOutcome("model_unreadable", reasons=("the model in use, v0002, cannot be loaded",)))
    assert title == "Model in use cannot be read" and "v0002, cannot be loaded" in text


def test_session_has_retrain_permission_from_the_role() -> None:
    backend = FakeBackend()
    assert backend.authenticate("admin", "admin").may_retrain
    assert not backend.authenticate("clerk", "clerk").may_retrain
    assert UserSession("x", "clerk").may_retrain is False


def test_an_invoice_without_line_items_says_so_and_the_user_is_named_once(qtbot: QtBot) -> None:
    backend = FakeBackend([replace(make_doc(1), line_items=(), line_item_rows=()), make_doc(2)])
    window, _ = _window(qtbot, backend, "supervisor")
    assert window.user_label.text() == "supervisor"
    window.review.open(1)
    qtbot.waitUntil(lambda: window.document is not None, timeout=5000)
    assert "none found" in window.items_box.title() and window.items_box.isVisible()
    window.review.open(2)
    qtbot.waitUntil(lambda: window.document is not None and window.document.document_id == 2, timeout=5000)
    assert window.items_box.title() == "Line items (1)"


def test_a_field_the_core_is_sure_is_absent_says_so_and_a_missing_one_says_not_found(qtbot: QtBot) -> None:
    doc = make_doc(1)
    vendor = doc.field("vendor_name")
    assert vendor is not None and vendor.state is ReviewState.MISSING
    absent = replace(vendor, state=ReviewState.OK, value=replace(vendor.value, confidence=0.97))
    panel = FieldPanel()
    qtbot.addWidget(panel)
    panel.set_document(doc)
    assert panel.editors["vendor_name"].confidence.text() == "not found"
    assert panel.editors["vendor_name"].bar.value() == 0
    panel.set_document(replace(doc, fields=tuple(absent if f.name == "vendor_name" else f for f in doc.fields)))
    assert panel.editors["vendor_name"].confidence.text() == "absent"
    assert "97%" in panel.editors["vendor_name"].confidence.toolTip()
    assert panel.editors["vendor_name"].badge.text() == "OK"
    # an optional field more likely printed than not, though not found, is not called absent
    missed = replace(absent, value=replace(vendor.value, confidence=0.2))
    panel.set_document(replace(doc, fields=tuple(missed if f.name == "vendor_name" else f for f in doc.fields)))
    assert panel.editors["vendor_name"].confidence.text() == "not found"
    assert "20%" in panel.editors["vendor_name"].confidence.toolTip()
    unknown = replace(absent, value=replace(vendor.value, confidence=0.5))  # nothing is known (a receipt's)
    panel.set_document(replace(doc, fields=tuple(unknown if f.name == "vendor_name" else f for f in doc.fields)))
    assert panel.editors["vendor_name"].confidence.text() == "not found"


def test_a_clerk_has_no_export_action(qtbot: QtBot) -> None:
    window, prompts = _window(qtbot, FakeBackend(), "clerk")
    assert not window.action("export").isVisible() and not window.action("export").isEnabled()
    assert "E&xport" not in [a.text() for a in window.menuBar().actions()]
    window.exporting.start()  # even if started some other way, the core says no
    qtbot.waitUntil(lambda: bool(prompts.informed), timeout=5000)
    assert prompts.informed[0][0] == "Export failed" and "may not export" in prompts.informed[0][1]


def test_export_runs_in_the_background_and_says_what_stays_approved(qtbot: QtBot) -> None:
    backend = FakeBackend()
    window, prompts = _window(qtbot, backend, "supervisor")
    assert "E&xport" in [a.text() for a in window.menuBar().actions()]
    window.action("export").trigger()
    qtbot.waitUntil(lambda: bool(prompts.informed), timeout=5000)
    assert backend.export_calls == ["supervisor"]
    title, text = prompts.informed[0]
    assert title == "Export done, some documents left"
    assert "3 documents written to /data/exports/20261122-090000" in text
    assert "2 Factur-X XML" in text and "invoice.csv" in text and "cii/4-R-1.xml" not in text
    assert "\u2022 9 scan.png: Factur-X: the customer name is empty" in text and "buyer_country" in text
    assert window.action("export").isEnabled()


def test_export_message_when_nothing_is_waiting() -> None:
    from ui.export import describe

    title, text = describe(ExportOutcome(None))
    assert title == "Nothing exported" and "No approved document is waiting" in text
    title, text = describe(ExportOutcome(None, left=("1 a.pdf: no VAT",)))
    assert "No approved document could be exported" in text and "1 document." in text
    assert "\u2022 1 a.pdf: no VAT" in text


def test_a_supervisor_reads_the_accuracy_report_for_a_period(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QComboBox, QTextBrowser

    backend = FakeBackend()
    clerk_window, _ = _window(qtbot, backend, "clerk")
    assert not clerk_window.action("report").isVisible()
    window, _ = _window(qtbot, backend, "supervisor")
    assert window.action("report").isVisible()
    window.action("report").trigger()
    dialog = window.report_dialog
    text = dialog.findChild(QTextBrowser, "report-text")
    assert text is not None
    qtbot.waitUntil(lambda: "invoice_number" in text.toPlainText(), timeout=5000)
    assert backend.report_calls == [("supervisor", 7)]
    assert "Accuracy over 7 days" in text.toPlainText() and "90.0%" in text.toPlainText()
    period = dialog.findChild(QComboBox, "report-period")
    assert period is not None
    period.setCurrentIndex(period.count() - 1)  # everything
    qtbot.waitUntil(lambda: "Accuracy over all days" in text.toPlainText(), timeout=5000)
    assert backend.report_calls[-1] == ("supervisor", None)


def test_report_html_escapes_what_it_shows() -> None:
    from ui.model import ReportTable, ReportView
    from ui.report_dialog import to_html

    html = to_html(ReportView("<t>", ("a & b",), (ReportTable("T", ("vendor",), (("<script>",),)),)))
    assert "&lt;script&gt;" in html and "<script>" not in html and "a &amp; b" in html
