"""An in-memory review backend for the window tests: records what the window asks, answers like the core."""

from __future__ import annotations

import threading
from dataclasses import replace

from PySide6.QtGui import QImage

from extractors.document import Token, TokenSource
from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem
from idp_app.domain import Correction, ReviewState
from idp_app.errors import StaleValueError
from idp_app.services.line_items import LineItemRows
from tests.ui.factories import make_doc, white_renderer
from ui.backend import RetrainProgress
from ui.model import DocumentView, ExportOutcome, QueueRow, ReportTable, ReportView, RetrainOutcome, UserSession
from ui.values import check_value


class FakeBackend:
    def __init__(self, docs: list[DocumentView] | None = None) -> None:
        self.docs = {d.document_id: d for d in (docs or [make_doc(1), make_doc(2)])}
        self.applied: list[Correction] = []
        self.decisions: list[tuple[int, str, str | None]] = []
        self.ocr_calls: list[tuple[int, BBox]] = []
        self.ocr_turns: list[int] = []
        self.ocr_tokens: list[Token] = []
        self.row_edits: list[tuple[str, int, int | None]] = []
        self.restores: list[int] = []
        self.renewed: list[int] = []
        self.typed: list[tuple[int, str]] = []
        self.version = "default (fields-0000)"
        self.retrain_result = RetrainOutcome(
            "promoted", "v0002-abcd1234", ("accuracy rises from 90.00% to 95.00%",), 0.9, 0.95, 4, 1, 12, 80, 3.0
        )
        self.retrain_gate = threading.Event()
        """Retraining waits for this (set it to let it finish), so that tests see the window while it runs."""
        self.retrain_gate.set()
        self.retrain_calls: list[str] = []
        self.export_calls: list[str] = []
        self.read_again_calls: list[tuple[int, bool, tuple[int, ...]]] = []
        self.read_again_said: list[tuple[str | None, tuple[int, ...]]] = []
        """What each call of read_again_in_layout says, in turn (then None)."""
        self.report_calls: list[tuple[str, int | None]] = []
        self.export_result = ExportOutcome(
            "/data/exports/20261122-090000",
            3,
            ("invoice.csv", "line_items.csv", "cii/4-R-1.xml", "cii/5-R-2.xml", "manifest.json"),
            ("9 scan.png: Factur-X: the customer name is empty (EN 16931 BR-07)",),
            ("the buyer's country is assumed to be the seller's: set buyer_country in routing.toml (2 documents)",),
        )

    def authenticate(self, name: str, password: str) -> UserSession:
        if password != name:
            raise PermissionError("Unknown user or wrong password.")
        boss = name in ("supervisor", "admin")
        return UserSession(
            name, name, may_override=name == "supervisor", may_retrain=boss, may_export=boss, may_read_reports=boss
        )

    def queue(self) -> list[QueueRow]:
        return [
            QueueRow(d.document_id, d.name, d.status, "ACME GmbH", 0.62, d.reasons)
            for d in self.docs.values()
            if d.status in ("needs_review", "in_review")
        ]

    def open(self, document_id: int, user: UserSession) -> DocumentView:
        doc = replace(self.docs[document_id], status="in_review")
        self.docs[document_id] = doc
        return doc

    def claim_next(self, user: UserSession, after: int | None) -> int | None:
        waiting = [i for i, d in self.docs.items() if d.status == "needs_review" and i != after]
        return waiting[0] if waiting else None

    def apply(self, correction: Correction, user: UserSession) -> DocumentView:
        self.applied.append(correction)
        doc = self.docs[correction.document_id]
        if correction.line_item_index is not None:
            return doc  # a cell's edit is recorded only
        f = doc.field(correction.field_name)
        assert f is not None
        value = FieldValue(
            name=f.name,
            value=correction.new_value,
            text=correction.new_value or "",
            confidence=1.0 if correction.new_value else 0.0,
            page=correction.page,
            bbox_pt=correction.new_bbox_pt,
        )
        state = ReviewState.OK if correction.new_value else ReviewState.MISSING
        issues = tuple(i for i in doc.issues if not (i.fix_field == f.name and i.fix_value == correction.new_value))
        fields = tuple(replace(x, value=value, state=state) if x.name == f.name else x for x in doc.fields)
        doc = replace(doc, fields=fields, issues=issues)
        self.docs[doc.document_id] = doc
        return doc

    def edit_line_items(
        self, document_id: int, user: UserSession, op: str, row: int, other: int | None
    ) -> tuple[DocumentView, LineItemRows, LineItemRows]:
        self.row_edits.append((op, row, other))
        before = self.line_item_rows(document_id)
        doc = self.docs[document_id]
        items = list(doc.line_items)
        if op == "add":
            items.insert(row, LineItem(cells={}))
        elif op == "delete":
            del items[row]
        doc = replace(doc, line_items=tuple(items), line_item_rows=tuple(range(len(items))))
        self.docs[document_id] = doc
        return doc, before, self.line_item_rows(document_id)

    def line_item_rows(self, document_id: int) -> LineItemRows:
        items = self.docs[document_id].line_items
        cells = tuple({"row": i, "name": "item", "value": repr(item), "bbox_pt": None, "item": item}
                      for i, item in enumerate(items))  # fmt: skip
        return LineItemRows(document_id, cells, ())

    def restore_line_items(
        self, document_id: int, user: UserSession, before: LineItemRows, after: LineItemRows
    ) -> DocumentView:
        self.restores.append(document_id)
        if self.line_item_rows(document_id).values() != after.values():
            raise StaleValueError("the line items changed since that edit: reload the document")
        items = tuple(c["item"] for c in before.cells)
        doc = replace(self.docs[document_id], line_items=items, line_item_rows=tuple(range(len(items))))
        self.docs[document_id] = doc
        return doc

    def read_again_in_layout(
        self, document_id: int, *, first: bool = False, passed: tuple[int, ...] = ()
    ) -> tuple[str | None, tuple[int, ...]]:
        self.read_again_calls.append((document_id, first, passed))
        return self.read_again_said.pop(0) if self.read_again_said else (None, ())

    def approve(self, document_id: int, user: UserSession, override_reason: str | None = None) -> None:
        doc = self.docs[document_id]
        if doc.issues and not (override_reason and user.may_override):
            raise PermissionError("a rule fails")
        self.docs[document_id] = replace(doc, status="approved")
        self.decisions.append((document_id, "approved", override_reason))

    def reject(self, document_id: int, user: UserSession, reason: str) -> None:
        self.docs[document_id] = replace(self.docs[document_id], status="rejected")
        self.decisions.append((document_id, "rejected", reason))

    def set_type(self, document_id: int, user: UserSession, doc_type: str) -> DocumentView:
        self.docs[document_id] = replace(self.docs[document_id], doc_type=doc_type)
        self.typed.append((document_id, doc_type))
        return self.docs[document_id]

    def renew(self, document_id: int, user: UserSession) -> None:
        self.renewed.append(document_id)

    def release(self, document_id: int, user: UserSession) -> None:
        doc = self.docs[document_id]
        if doc.status == "in_review":
            self.docs[document_id] = replace(doc, status="needs_review")

    def ocr_region(self, path: str, page_index: int, bbox_pt: BBox, turn: int = 0) -> list[Token]:
        self.ocr_calls.append((page_index, bbox_pt))
        self.ocr_turns.append(turn)
        return [replace(t, page=page_index, source=TokenSource.OCR) for t in self.ocr_tokens]

    def render(self, path: str, page_index: int, dpi: float) -> QImage:
        return white_renderer(path, page_index, dpi)

    def check_value(self, value_type: str, text: str) -> str:
        return check_value(value_type, text)

    def model_version(self) -> str:
        return self.version

    def retrain(self, user: UserSession, progress: RetrainProgress | None = None) -> RetrainOutcome:
        self.retrain_calls.append(user.name)
        if user.role not in ("supervisor", "admin"):  # the core's permission check
            raise PermissionError(f"{user.name} may not retrain the model")
        for i in range(1, 4):
            if progress is not None:
                progress(i, 3, f"document {i}")
            if i == 1:
                assert self.retrain_gate.wait(10), "the test never let retraining finish"
        if self.retrain_result.promoted:
            self.version = self.retrain_result.version or self.version
        return self.retrain_result

    def export(self, user: UserSession) -> ExportOutcome:
        self.export_calls.append(user.name)
        if user.role not in ("supervisor", "admin"):  # the core's permission check
            raise PermissionError(f"{user.name} is a clerk and may not export")
        return self.export_result

    def accuracy_report(self, user: UserSession, days: int | None) -> ReportView:
        self.report_calls.append((user.name, days))
        if user.role not in ("supervisor", "admin"):  # the core's permission check
            raise PermissionError(f"{user.name} is a clerk and may not read reports")
        return ReportView(
            f"Accuracy over {days or 'all'} days",
            ("12 documents decided: 10 checked by a person, 2 straight through (16.7%).",),
            (ReportTable("Per field", ("field", "checked", "accuracy"), (("invoice_number", "10", "90.0%"),)),),
        )
