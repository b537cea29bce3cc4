"""Bare models for the widget tests: a small invoice page with words and fields, no database."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QColor, QImage

from extractors.document import Page, Token, TokenSource
from extractors.geometry import BBox
from extractors.results import Alternative, FieldValue, LineItem
from idp_app.domain import ReviewState
from ui.model import DocumentView, FieldKind, FieldView, RuleIssue

PAGE_W, PAGE_H = 595.0, 842.0

WORDS = [
    # text, x0, y0, x1, y1
    ("Invoice", 50, 40, 110, 56),
    ("No.", 114, 40, 135, 56),
    ("INV-1001", 140, 40, 210, 56),
    ("Date:", 50, 70, 85, 84),
    ("2024-03-15", 90, 70, 160, 84),
    ("Total", 380, 700, 420, 716),
    ("1,190.00", 430, 700, 500, 716),
    ("EUR", 505, 700, 535, 716),
    ("ACME", 50, 110, 95, 126),
    ("GmbH", 99, 110, 140, 126),
]


def make_page(index: int = 0, *, source: TokenSource = TokenSource.TEXT_LAYER, words: bool = True) -> Page:
    tokens = tuple(
        Token(
            text,
            BBox(x0, y0, x1, y1),
            index,
            confidence=0.97 if source is TokenSource.TEXT_LAYER else 0.81,
            source=source,
            index=i,
        )
        for i, (text, x0, y0, x1, y1) in enumerate(WORDS if words else [])
    )
    return Page(index=index, width_pt=PAGE_W, height_pt=PAGE_H, tokens=tokens, source=source)


def fv(name: str, value: str | None, box: BBox | None, conf: float, **kw: object) -> FieldValue:
    return FieldValue(
        name=name, value=value, text=value or "", confidence=conf, page=0 if box else None, bbox_pt=box, **kw
    )  # type: ignore[arg-type]


def make_doc(
    document_id: int = 1, *, pages: int = 1, load_error: str | None = None, scanned: bool = False
) -> DocumentView:
    inv = fv(
        "invoice_number",
        "INV-1001",
        BBox(140, 40, 210, 56),
        0.98,
        alternatives=(Alternative("INV-1002", "INV-1002", 0.2),),
        evidence=("label: Invoice No.",),
    )
    date = fv("invoice_date", "2024-03-15", BBox(90, 70, 160, 84), 0.62, evidence=("label: Date",))
    total = fv("total_amount", "1100.00", BBox(430, 700, 500, 716), 0.91)
    vendor = fv("vendor_name", None, None, 0.4)
    fields = (
        FieldView("invoice_number", "Invoice number", FieldKind.TEXT, inv, ReviewState.OK, passed_rules=("duplicate",)),
        FieldView("invoice_date", "Invoice date", FieldKind.DATE, date, ReviewState.CHECK),
        FieldView("total_amount", "Total", FieldKind.AMOUNT, total, ReviewState.ERROR, failed_rules=("totals",)),
        FieldView(
            "vendor_name",
            "Vendor",
            FieldKind.TEXT,
            vendor,
            ReviewState.MISSING,
            expected_page=0,
            expected_bbox_pt=BBox(50, 110, 200, 126),
        ),
    )
    row = LineItem(
        cells={
            "description": fv("description", "Widget", BBox(50, 300, 120, 312), 0.9),
            "amount": fv("amount", "1000.00", BBox(430, 300, 500, 312), 0.9),
        },
        page=0,
        bbox_pt=BBox(50, 300, 500, 312),
    )
    source = TokenSource.OCR if scanned else TokenSource.TEXT_LAYER
    page_list = tuple(make_page(i, source=source, words=not scanned) for i in range(pages))
    return DocumentView(
        document_id=document_id,
        path=f"/tmp/doc-{document_id}.pdf",
        name=f"doc-{document_id}.pdf",
        doc_type="invoice",
        pages=page_list,
        fields=fields,
        line_items=(row,),
        line_item_columns=("description", "amount"),
        issues=(
            RuleIssue(
                "totals",
                "Net 1000.00 + VAT 190.00 is not the total 1100.00",
                ("total_amount",),
                "total_amount",
                "1190.00",
            ),
        ),
        reasons=("invoice_date below threshold", "totals rule failed"),
        load_error=load_error,
    )


def white_renderer(path: str, page_index: int, dpi: float) -> QImage:
    w, h = round(PAGE_W * dpi / 72), round(PAGE_H * dpi / 72)
    image = QImage(w, h, QImage.Format.Format_RGB888)
    image.fill(QColor("white"))
    return image


def with_state(doc: DocumentView, name: str, state: ReviewState) -> DocumentView:
    return replace(doc, fields=tuple(replace(f, state=state) if f.name == name else f for f in doc.fields))
