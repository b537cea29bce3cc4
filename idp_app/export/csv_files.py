"""CSV files an accounting system imports: one per document type with every schema field, one of line items, one
of each document's VAT by rate.

RFC 4180 (comma, double quotes, CRLF), UTF-8, a header row, dates ISO 8601 and amounts with a decimal point and
no thousands separator. A value that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first; a
vendor name is whatever the page printed) is written with a leading apostrophe, the usual guard against CSV
injection; a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from idp_app.export.record import LINE_COLUMNS, ExportRecord
from idp_app.services.values import field_type, schema_types

if TYPE_CHECKING:
    from idp_app.export.cii import TaxGroup

DOCUMENT_COLUMNS = ("document_id", "file", "sha256", "decision", "approved_by", "override_reason", "failed_rules")
"""Columns before the fields: which stored document the row comes from and how it was decided ("approved" by
``approved_by``, or "auto_approved": straight through, checked by nobody); where a supervisor approved despite a
failing rule, the reason given and the rules that fail with the approved values (their codes, "; "-separated)."""

CENT = Decimal("0.01")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NUMERIC_TYPES = frozenset({"amount", "number", "percent"})


def safe_cell(value: str, value_type: str) -> str:
    """``value`` for a CSV cell: a value that starts like a formula gets a leading apostrophe, unless it is a
    plain number in a numeric column (a negative amount). Whatever its type: an e-invoice's XML gives values
    as written, a VAT id of "=HYPERLINK(...)" included."""
    if value.startswith(_FORMULA_START) and not (value_type in _NUMERIC_TYPES and _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _write(header: Sequence[str], rows: Iterable[Sequence[str]], bom: bool = False) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


def field_columns(doc_type: str, records: Sequence[ExportRecord]) -> list[str]:
    """The schema's fields in schema order, then any other field a record carries (a field added later)."""
    names = list(schema_types(doc_type))
    for r in records:
        names += [n for n in r.fields if n not in names]
    return names


def documents_csv(doc_type: str, records: Sequence[ExportRecord], bom: bool = False) -> bytes:
    """One row per document of ``doc_type``."""
    columns = field_columns(doc_type, records)
    rows = (
        [
            str(r.document_id),
            safe_cell(r.filename, "text"),
            r.sha256,
            r.status,
            safe_cell(r.approved_by or "", "text"),
            safe_cell(r.override_reason or "", "text"),
            "; ".join(rule.split(":", 1)[0] for rule in r.failed_rules),
            *(safe_cell(r.text(c), field_type(doc_type, c)) for c in columns),
        ]
        for r in records
    )
    return _write([*DOCUMENT_COLUMNS, *columns], rows, bom)


def line_items_csv(records: Sequence[ExportRecord], bom: bool = False) -> bytes:
    """One row per line item of every document, keyed by document id and the document's invoice number, with the
    document's currency."""
    extra: list[str] = []
    for r in records:
        for line in r.lines:
            extra += [c for c in line.cells if c not in LINE_COLUMNS and c not in extra]
    columns = [*LINE_COLUMNS, *extra]
    rows = (
        [
            str(r.document_id),
            safe_cell(r.text("invoice_number"), "identifier"),
            str(line.number),
            safe_cell(r.text("currency"), "currency"),  # the document's: a line's amounts are in it
            *(safe_cell(line.text(c), field_type(None, c, line_item=True)) for c in columns),
        ]
        for r in records
        for line in r.lines
    )
    return _write(["document_id", "invoice_number", "line", "currency", *columns], rows, bom)


VAT_COLUMNS = ("document_id", "type", "invoice_number", "currency", "tax_rate", "taxable_amount", "tax_amount")


def vat_breakdown_csv(breakdowns: Sequence[tuple[ExportRecord, Sequence[TaxGroup]]], bom: bool = False) -> bytes:
    """One row per VAT rate of each invoice and receipt: the rate in percent, the amount it is charged on and the
    tax (what a booking splits by tax code), amounts to the cent."""
    rows = (
        [
            str(r.document_id),
            r.doc_type,
            safe_cell(r.text("invoice_number"), "identifier"),
            safe_cell(r.text("currency"), "currency"),
            f"{g.rate.normalize():f}",
            f"{g.basis.quantize(CENT, rounding=ROUND_HALF_UP):f}",
            f"{g.tax.quantize(CENT, rounding=ROUND_HALF_UP):f}",
        ]
        for r, groups in breakdowns
        for g in groups
    )
    return _write(VAT_COLUMNS, rows, bom)
