"""Fake extractors for the workflow tests: a "document" is a JSON file saying what extraction should return.

``{"fields": {"total_amount": ["119.00", 0.97], ...}, "line_items": [{"amount": "60.00"}], "doc_type": "invoice"}``
Special keys: ``"crash": "corrupt"`` raises a CorruptFileError, ``"crash": "bug"`` a plain exception,
``"crash": "exit"`` kills the worker process, ``"empty": true`` returns a result with no fields.
This module is imported as a top-level module (its folder is put on sys.path) so worker processes find it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from extractors.context import ExtractionContext
from extractors.document import Document, DocumentType, Page, Token
from extractors.errors import CorruptFileError
from extractors.geometry import BBox
from extractors.results import Alternative, ExtractionResult, FieldValue, LineItem

IBAN_A = "DE89370400440532013000"
IBAN_B = "GB29NWBK60161331926819"


def invoice(
    number: str = "INV-1",
    *,
    vendor: str | None = "ACME GmbH",
    vat: str | None = None,
    iban: str | None = IBAN_A,
    net: str | None = "100.00",
    tax: str | None = "19.00",
    total: str | None = "119.00",
    lines: tuple[str, ...] = ("60.00", "40.00"),
    conf: float = 0.97,
    date: str = "2024-03-05",
    **extra: Any,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "vendor_name": [vendor, conf],
        "vendor_iban": [iban, conf],
        "invoice_number": [number, conf],
        "invoice_date": [date, conf],
        "net_amount": [net, conf],
        "tax_amount": [tax, conf],
        "total_amount": [total, conf],
        "currency": ["EUR", conf],
    }
    if vat:
        fields["vendor_vat_id"] = [vat, conf]
    data: dict[str, Any] = {
        "fields": fields,
        "line_items": [{"description": f"item {i}", "amount": a} for i, a in enumerate(lines)],
    }
    data.update(extra)
    return data


def write_doc(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    return path


LABELS = {"vendor_name": "From", "invoice_number": "Invoice No.", "invoice_date": "Date", "net_amount": "Net",
          "tax_amount": "VAT", "total_amount": "Total", "currency": "Currency"}  # fmt: skip


def json_read(path: Path, ctx: ExtractionContext) -> Document:
    """The "document" as a page would print it: one line per field, its label and then its value."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    tokens: list[Token] = []
    for row, (name, (value, _conf)) in enumerate(data.get("fields", {}).items()):
        x = 40.0
        for word in f"{LABELS.get(name, name)} {value or ''}".split():
            box = BBox(x, 40.0 + 14 * row, x + 6 * len(word), 50.0 + 14 * row)
            tokens.append(Token(word, box, 0, index=len(tokens)))
            x += 6 * len(word) + 5
    return Document(str(path), (Page(0, 595.0, 842.0, tuple(tokens)),), "application/pdf")


def json_extract(path: Path, ctx: ExtractionContext) -> ExtractionResult:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    crash = data.get("crash")
    if crash == "corrupt":
        raise CorruptFileError("the file is damaged", path=str(path))
    if crash == "bug":
        raise RuntimeError("the extractor has a bug")
    if crash == "exit":
        os._exit(3)
    if data.get("empty"):
        return ExtractionResult(str(path), DocumentType.OTHER, 0.2, 1, {})
    fields = {}
    for y, (name, (value, conf)) in enumerate(data.get("fields", {}).items()):
        box = BBox(50.0, 40.0 + 20 * y, 200.0, 52.0 + 20 * y)
        alts = (Alternative(f"{value}x", f"{value}x", conf / 3, 0, box.expanded(2)),) if value else ()
        page, where = (0, box) if value else (None, None)
        fields[name] = FieldValue(name, value, value or "", conf, page, where, alts, ("label nearby",))
    items = tuple(
        LineItem(
            {
                col: FieldValue(col, v, v, 0.95, 0, BBox(50.0, 400.0 + 15 * i, 300.0, 410.0 + 15 * i))
                for col, v in row.items()
            },
            0,
        )
        for i, row in enumerate(data.get("line_items", []))
    )
    return ExtractionResult(
        str(path),
        DocumentType(data.get("doc_type", "invoice")),
        0.99,
        1,
        fields,
        tuple(items),
        tuple(data.get("warnings", [])),
    )
