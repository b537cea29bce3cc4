"""A clerk's session end to end over the real services and database, driven through the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from extractors.geometry import BBox
from idp_app.db.models import CorrectionRow
from idp_app.domain import DocumentStatus
from idp_app.samples.truth import SampleTruth
from idp_app.services import Workspace
from tests.ui.session_data import WRONG_NUMBER, review_workspace
from ui.main_window import MainWindow
from ui.model import UserSession
from ui.services_backend import ServicesBackend


def _settle(qtbot: QtBot, window: MainWindow, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=timeout)


def _stored(ws: Workspace, doc_id: int, name: str) -> str | None:
    return ws.documents.get(doc_id).fields[name].value


def _drag(qtbot: QtBot, window: MainWindow, box: BBox) -> None:
    view = window.page_view
    view.centerOn(*box.center)
    start = view.mapFromScene(QPointF(box.x0, box.y0))
    end = view.mapFromScene(QPointF(box.x1, box.y1))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), QPoint(start.x() + 10, start.y() + 5))
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)


def _approve_with_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    target = QApplication.focusWidget() or window.fields
    qtbot.keyClick(target, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_clerk_session_corrects_draws_undoes_and_approves(
    qtbot: QtBot, tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> None:
    with review_workspace(tmp_path, samples) as (ws, truths):
        backend = ServicesBackend(ws)
        user = backend.authenticate("clerk", "clerk")
        assert user == UserSession("clerk", "clerk", may_override=False)
        assert backend.authenticate("supervisor", "supervisor").may_override
        window = MainWindow(backend, user)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2, timeout=10_000)
        assert any("confidence" in " ".join(r.reasons) for r in window.queue.model.rows)

        window.review.open_next()
        qtbot.waitUntil(lambda: window.document is not None, timeout=10_000)
        ids = {window.document.name: window.document.document_id}  # type: ignore[union-attr]
        # first the scan (riskier): no words on the page, so the clerk draws a box and it is read by OCR
        assert window.document is not None and window.document.name == "scan.png"
        assert window.fields.current == "invoice_number"
        assert "invoice_number" not in window.page_view.field_items  # missing, and nowhere expected
        box = BBox.from_list(truths["scan.png"].boxes["invoice_number"]["bbox_pt"]).expanded(4.0)
        window.page_view.set_zoom(1.5)
        _drag(qtbot, window, box)
        _settle(qtbot, window, timeout=90_000)  # Tesseract, on a shared machine
        scan_id = ids["scan.png"]
        ocr_value = _stored(ws, scan_id, "invoice_number")
        assert ocr_value is not None and "99450" in ocr_value
        drawn = window.page_view.field_items["invoice_number"].rect()  # the box is now where the words were read
        assert box.contains_point(drawn.center().x(), drawn.center().y())
        # undo clears it again, redo puts it back
        window.action("undo").trigger()
        _settle(qtbot, window)
        assert _stored(ws, scan_id, "invoice_number") is None
        window.action("redo").trigger()
        _settle(qtbot, window)
        assert _stored(ws, scan_id, "invoice_number") == ocr_value

        _approve_with_keyboard(qtbot, window)
        _settle(qtbot, window)
        qtbot.waitUntil(lambda: window.document is not None and window.document.name == "text.pdf", timeout=10_000)
        _settle(qtbot, window)
        assert ws.documents.get(scan_id).status is DocumentStatus.APPROVED

        # then the text-layer invoice: click the printed number to replace the wrong value
        text_id = window.document.document_id  # type: ignore[union-attr]
        assert _stored(ws, text_id, "invoice_number") == WRONG_NUMBER
        truth_box = BBox.from_list(truths["text.pdf"].boxes["invoice_number"]["bbox_pt"])
        view = window.page_view
        view.centerOn(*truth_box.center)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(QPointF(*truth_box.center)))
        _settle(qtbot, window)
        assert _stored(ws, text_id, "invoice_number") == "2022/86000"
        assert window.page_view.field_items["invoice_number"].pen().color().name() == "#2e9e44"
        window.action("undo").trigger()
        _settle(qtbot, window)
        assert _stored(ws, text_id, "invoice_number") == WRONG_NUMBER
        window.action("redo").trigger()
        _settle(qtbot, window)
        assert _stored(ws, text_id, "invoice_number") == "2022/86000"

        _approve_with_keyboard(qtbot, window)
        _settle(qtbot, window)
        qtbot.waitUntil(lambda: window.document is None, timeout=10_000)
        stored = ws.documents.get(text_id)
        assert stored.status is DocumentStatus.APPROVED
        assert stored.decided_by == "clerk"
        assert stored.fields["invoice_number"].corrected
        window.close()


def _clerk_window(qtbot: QtBot, ws: Workspace) -> MainWindow:
    window = MainWindow(ServicesBackend(ws), UserSession("clerk", "clerk", may_override=False))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2, timeout=10_000)
    return window


def _opened(qtbot: QtBot, window: MainWindow) -> int:
    qtbot.waitUntil(lambda: window.document is not None, timeout=10_000)
    _settle(qtbot, window)
    assert window.document is not None
    return window.document.document_id


def test_an_amount_typed_in_another_currency_is_refused_by_the_core(
    qtbot: QtBot, tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> None:
    with review_workspace(tmp_path, samples) as (ws, _truths):
        window = _clerk_window(qtbot, ws)
        window.review.open_next()
        doc_id = _opened(qtbot, window)
        currency = _stored(ws, doc_id, "currency")
        before = _stored(ws, doc_id, "total_amount")
        assert currency == "EUR" and before is not None
        messages: list[str] = []
        window.review.message.connect(messages.append)
        window.fields.set_current("total_amount")
        editor = window.fields.editors["total_amount"]
        editor.set_text("$1,300.00")
        assert editor.commit()  # a well-formed amount: handed on as typed
        _settle(qtbot, window)
        assert _stored(ws, doc_id, "total_amount") == before  # not stored as 1300.00 euros
        assert any("but the document's currency is EUR" in m for m in messages)
        messages.clear()
        editor.set_text(f"$ {before}")  # the very amount, in dollars: no confirmation of euros
        assert editor.commit()
        _settle(qtbot, window)
        assert any("but the document's currency is EUR" in m for m in messages)
        with ws.db.read() as s:  # neither a correction nor a confirmation of the euros
            kept = select(CorrectionRow.kind).where(
                CorrectionRow.document_id == doc_id, CorrectionRow.field_name == "total_amount"
            )
            assert s.scalars(kept).all() == []


def test_a_deleted_row_comes_back_on_undo_with_the_correction_made_before(
    qtbot: QtBot, tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> None:
    with review_workspace(tmp_path, samples) as (ws, _truths):
        window = _clerk_window(qtbot, ws)
        window.review.open(next(r.document_id for r in window.queue.model.rows if r.name == "text.pdf"))
        doc_id = _opened(qtbot, window)

        def amounts() -> list[str | None]:
            return [li.cells["amount"].value for li in ws.documents.get(doc_id).line_items]

        first = amounts()
        assert len(first) >= 2 and first[-1] is not None
        window.review.set_cell(len(first) - 1, "amount", "1.00")
        _settle(qtbot, window)
        window.line_items.rowDeleted.emit(0)
        _settle(qtbot, window)
        assert amounts() == [*first[1:-1], "1.00"]
        window.action("undo").trigger()  # the row is back, and the correction after it names its row again
        _settle(qtbot, window)
        assert amounts() == [*first[:-1], "1.00"]
        assert window.line_items.model.rowCount() == len(first)
        window.action("undo").trigger()
        _settle(qtbot, window)
        assert amounts() == first
        window.action("redo").trigger()
        window.action("redo").trigger()
        _settle(qtbot, window)
        assert amounts() == [*first[1:-1], "1.00"]
        window.close()
