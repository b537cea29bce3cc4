"""Current field values of a stored document, as extraction values, and the rules evaluated on them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from extractors.geometry import BBox
from extractors.results import FieldValue
from idp_app.db.models import Document, FieldRow, utcnow
from idp_app.services import vendors
from idp_app.services.routing import FieldReview, RoutingPolicy, VendorFacts, field_review
from idp_app.services.values import MAX_AMOUNT, PARTY_SEPARATOR, schema_types


def bbox(data: list[float] | None) -> BBox | None:
    return BBox.from_list(data) if data else None


def field_value(row: FieldRow) -> FieldValue:
    return FieldValue(
        name=row.name,
        value=row.value,
        text=row.predicted_text,
        confidence=1.0 if row.corrected or row.checked else max(0.0, min(1.0, row.confidence)),
        page=row.page,
        bbox_pt=bbox(row.bbox_pt),
    )


def current_values(doc: Document, policy: RoutingPolicy) -> tuple[dict[str, FieldValue], list[Decimal | None]]:
    """Header fields by name, and the line-item amounts in row order."""
    fields = {row.name: field_value(row) for row in doc.fields if row.row < 0}
    return fields, line_column(doc, policy.name("line_amount"))


def line_column(doc: Document, column: str) -> list[Decimal | None]:
    """One line-item column as numbers, in row order (None where a row has none)."""
    rows = sorted({r.row for r in doc.fields if r.row >= 0})
    by_row = {r.row: r for r in doc.fields if r.row >= 0 and r.name == column}
    out: list[Decimal | None] = []
    for i in rows:
        cell = by_row.get(i)
        try:
            out.append(Decimal(cell.value) if cell is not None and cell.value else None)
        except InvalidOperation:
            out.append(None)
    return out


def required_fields(doc_type: str | None) -> dict[str, bool]:
    return {name: req for name, (_t, req) in schema_types(doc_type or "invoice").items()}


def text_of(fields: dict[str, FieldValue], name: str) -> str | None:
    fv = fields.get(name)
    if fv is None or not fv.found:
        return None
    return fv.value if isinstance(fv.value, str) else PARTY_SEPARATOR.join(fv.value or ())


def summarise(doc: Document, fields: dict[str, FieldValue], policy: RoutingPolicy) -> None:
    """Keep the document's searchable columns in step with its fields: who it is from (a contract's parties), its
    number, its total (a contract's value) and currency, and its vendor key."""
    n = policy.name
    contract = doc.doc_type == "contract"
    name = text_of(fields, "parties" if contract else n("vendor_name"))
    doc.vendor_name = name[:300] if name else None
    number = text_of(fields, n("invoice_number"))
    doc.invoice_number = number[:120] if number else None  # the columns' lengths: a page may print longer
    key = None if contract else vendors.document_key(doc.vendor_name, text_of(fields, n("vendor_vat_id")))
    doc.vendor_key = key[:300] if key else None
    total = text_of(fields, "contract_value" if contract else n("total_amount"))
    try:
        amount = Decimal(total).quantize(Decimal("0.01")) if total else None
    except InvalidOperation:
        amount = None
    # a number no column of amounts holds (twenty digits read as a total) is not searchable; the field keeps it
    doc.total_amount = amount if amount is not None and abs(amount) < MAX_AMOUNT else None
    currency = text_of(fields, n("currency"))
    doc.currency = currency[:3] if currency else None


def vendor_facts(session: Session, doc: Document, fields: dict[str, FieldValue], policy: RoutingPolicy) -> VendorFacts:
    n = policy.name
    found, _vendor = vendors.facts(
        session,
        doc.id,
        text_of(fields, n("vendor_name")),
        text_of(fields, n("vendor_vat_id")),
        text_of(fields, n("vendor_iban")),
        text_of(fields, n("invoice_number")),
    )
    return found


def evaluate(session: Session, doc: Document, policy: RoutingPolicy) -> FieldReview:
    fields, amounts = current_values(doc, policy)
    facts = vendor_facts(session, doc, fields, policy)
    rates = line_column(doc, policy.name("line_tax_rate"))
    return field_review(
        fields,
        amounts,
        facts,
        policy,
        required_fields(doc.doc_type),
        doc.doc_type,
        line_rates=rates,
        line_products=line_products(doc, policy),
        received=received_on(doc),
    )


def received_on(doc: Document) -> date:
    """The day, on this desk's clock, the document came in (now, for one being ingested)."""
    return (doc.created_at or utcnow()).astimezone().date()


def line_products(doc: Document, policy: RoutingPolicy) -> list[tuple[Decimal | None, Decimal | None]]:
    """Each line item's quantity and unit price, in row order."""
    n = policy.name
    return list(zip(line_column(doc, n("line_quantity")), line_column(doc, n("line_unit_price")), strict=True))
