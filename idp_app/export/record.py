"""What an export writes for one document: its approved values, typed, with no database or Qt behind them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from idp_app.services.routing import NOT_FIELD_ERRORS
from idp_app.services.values import schema_types
from idp_app.services.views import DocumentView, ReasonView

LINE_COLUMNS = ("article_number", "description", "quantity", "unit_price", "amount", "tax_rate")


def decimal_or_none(text: str | None) -> Decimal | None:
    """A stored amount, number or percent as a Decimal; None when empty or not a number."""
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One line item as approved (line numbers from 1)."""

    number: int
    cells: dict[str, str]

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def decimal(self, column: str) -> Decimal | None:
        return decimal_or_none(self.cells.get(column))


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One approved document: its normalised field values (dates ISO, amounts as decimal strings), its lines,
    and who decided it (``approved_by`` None: it passed straight through, checked by nobody)."""

    document_id: int
    filename: str
    sha256: str
    doc_type: str
    status: str
    approved_by: str | None
    model_version: str | None
    fields: dict[str, str]
    lines: tuple[ExportLine, ...] = ()
    override_reason: str | None = None
    """A supervisor's reason for approving despite a failing rule."""
    failed_rules: tuple[str, ...] = ()
    """The rules that fail with the approved values (each "code: message"): what an override let through."""

    def text(self, name: str) -> str:
        return self.fields.get(name, "")

    def decimal(self, name: str) -> Decimal | None:
        return decimal_or_none(self.fields.get(name))

    def date(self, name: str) -> date | None:
        try:
            return date.fromisoformat(self.fields.get(name, ""))
        except ValueError:
            return None


def record_from_view(view: DocumentView) -> ExportRecord:
    """The record of a document as the window shows it: every schema field, corrected values included."""
    doc_type = view.doc_type or "invoice"
    names = list(schema_types(doc_type)) + [n for n in view.fields if n not in schema_types(doc_type)]
    fields = {n: (view.fields[n].value or "") if n in view.fields else "" for n in names}
    lines: list[ExportLine] = []
    for item in view.line_items:
        cells = {c: (fv.value or "") for c, fv in item.cells.items()}
        if any(v.strip() for v in cells.values()):
            lines.append(ExportLine(len(lines) + 1, cells))
    return ExportRecord(
        document_id=view.id,
        filename=view.filename,
        sha256=view.sha256,
        doc_type=doc_type,
        status=view.status.value,
        approved_by=view.decided_by,
        model_version=view.model_version,
        fields=fields,
        lines=tuple(lines),
        override_reason=view.override_reason,
        # the rules an approval let through: not those that only sent it to a person (a total above the limit, a
        # vendor not in the register), which fail for every such document however right its values
        # and those a supervisor's override let through, failing or not now (an IBAN change passes once approved)
        failed_rules=tuple(
            f"{r.code}: {r.message}"
            for r in _first_of_each_code(*view.failed_rules, *view.overridden_rules)
            if r.code not in NOT_FIELD_ERRORS
        ),
    )


def _first_of_each_code(*rules: ReasonView) -> list[ReasonView]:
    kept: dict[str, ReasonView] = {}
    for r in rules:
        kept.setdefault(r.code, r)
    return list(kept.values())


def control_totals(records: Sequence[ExportRecord]) -> list[dict[str, object]]:
    """A batch's control totals, what an accountant checks an import against: per document type and currency
    (in that order, "" for a document without one), the number of documents and of line items, and the sum of
    each amount field of the type's schema (net, tax, total; a field added to the schema too) over the
    documents that carry it, with the number that do not (a receipt printing no tax: its total is summed, its
    tax is not)."""
    groups: dict[tuple[str, str], list[ExportRecord]] = {}
    for r in records:
        groups.setdefault((r.doc_type, r.text("currency").strip().upper()), []).append(r)
    totals: list[dict[str, object]] = []
    for (doc_type, currency), group in sorted(groups.items()):
        amounts: dict[str, str] = {}
        missing: dict[str, int] = {}
        for name, (value_type, _required) in schema_types(doc_type).items():
            if value_type != "amount":
                continue
            values = [v for v in (r.decimal(name) for r in group) if v is not None]
            if values:
                amounts[name] = str(sum(values, Decimal(0)))
            if len(values) < len(group):
                missing[name] = len(group) - len(values)
        totals.append(
            {
                "type": doc_type,
                "currency": currency,
                "documents": len(group),
                "line_items": sum(len(r.lines) for r in group),
                **amounts,
                "documents_without": missing,
            }
        )
    return totals
