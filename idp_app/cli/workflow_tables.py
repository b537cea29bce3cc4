"""How the workflow commands lay out the queue and a document: narrow tables that fit 80 columns, and JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.table import Table

from idp_app.domain import DocumentStatus


def fmt_conf(c: float | None) -> str:
    """Confidence as a whole percentage (``0.973`` -> ``97%``): short, and what a clerk reads at a glance."""
    return "-" if c is None else f"{c:.0%}"


STATUS_LABELS = {
    DocumentStatus.IMPORTED: "new",
    DocumentStatus.EXTRACTING: "extract",
    DocumentStatus.EXTRACTED: "routed",
    DocumentStatus.AUTO_APPROVED: "auto",
    DocumentStatus.NEEDS_REVIEW: "to do",
    DocumentStatus.IN_REVIEW: "claimed",
    DocumentStatus.APPROVED: "approved",
    DocumentStatus.REJECTED: "rejected",
    DocumentStatus.EXPORTED: "exported",
    DocumentStatus.FAILED: "failed",
}
"""Short status labels for narrow tables (``--wide`` and ``--json`` give the full names)."""


def lapsed(lease_expires_at: datetime | None) -> bool:
    """Whether a claim's hold has run out (by this desk's clock): the document is anyone's to claim."""
    return lease_expires_at is not None and lease_expires_at <= datetime.now(UTC)


def status_label(i: Any, wide: bool = False) -> str:
    """A queue row's status: in review with its hold lapsed is free to claim, as claiming treats it."""
    label = str(i.status.value if wide else STATUS_LABELS.get(i.status, i.status.value))
    if i.status == DocumentStatus.IN_REVIEW and i.claimed_by and lapsed(i.lease_expires_at):
        return "in_review, lapsed" if wide else "lapsed"
    return label


def money(amount: Any, currency: str | None) -> str:
    return "-" if amount is None else f"{amount} {currency or ''}".strip()


def queue_json(i: Any) -> dict[str, Any]:
    return {
        "id": i.id,
        "file": i.filename,
        "status": i.status.value,
        "risk": i.risk,
        "min_confidence": i.min_confidence,
        "vendor": i.vendor_name,
        "invoice_number": i.invoice_number,
        "total": str(i.total_amount) if i.total_amount is not None else None,
        "currency": i.currency,
        "claimed_by": i.claimed_by,
        "lease_expires_at": i.lease_expires_at.isoformat() if i.lease_expires_at else None,
        "lease_lapsed": i.status == DocumentStatus.IN_REVIEW and bool(i.claimed_by) and lapsed(i.lease_expires_at),
        "created_at": i.created_at.isoformat(),
        "reasons": list(i.reasons),
        "reason_codes": list(i.reason_codes),
    }


def narrow_queue(items: list[Any], title: str, width: int) -> Table:
    """Fits the terminal (80 columns and up): one line per document, long names cut with an ellipsis."""
    caps = {"vendor": 16, "total": 14, "by": 8}
    rows = [
        (str(i.id), status_label(i), fmt_conf(i.min_confidence),
         i.vendor_name or "-", money(i.total_amount, i.currency), i.claimed_by or "", i.filename)
        for i in items
    ]  # fmt: skip
    names = ("id", "status", "conf", "vendor", "total", "by", "file")  # risk is the order; --wide shows it
    # a column's width includes its padding (one space either side)
    widths = [
        min(caps.get(name, 99), max([len(name), *(len(r[k]) for r in rows)])) + 2 for k, name in enumerate(names[:-1])
    ]
    file_width = max(10, width - sum(widths) - len(names) + 1)
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name, width in zip(names, [*widths, file_width], strict=True):
        right = name in ("id", "conf", "total")
        table.add_column(name, justify="right" if right else "left", no_wrap=True, overflow="ellipsis", width=width)
    for row in rows:
        table.add_row(*row)
    return table


def wide_queue(items: list[Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col in ("id", "status", "risk", "min conf", "vendor", "invoice", "total", "claimed by", "file", "reasons"):
        table.add_column(col, no_wrap=True)
    for i in items:
        table.add_row(
            str(i.id), status_label(i, wide=True), str(i.risk), fmt_conf(i.min_confidence), i.vendor_name or "-",
            i.invoice_number or "-", money(i.total_amount, i.currency), i.claimed_by or "", i.filename,
            "; ".join(i.reasons),
        )  # fmt: skip
    return table


def show_json(doc: Any) -> dict[str, Any]:
    def reason(r: Any) -> dict[str, Any]:
        fix = {"field": r.suggestion.field, "value": r.suggestion.value} if r.suggestion else None
        return {"code": r.code, "message": r.message, "fields": list(r.fields), "blocks_approval": r.blocks_approval,
                "suggestion": fix}  # fmt: skip

    return {
        "id": doc.id,
        "file": doc.filename,
        "status": doc.status.value,
        "doc_type": doc.doc_type,
        "fields": {
            f.name: {"value": f.value, "confidence": f.confidence, "state": f.state.value, "page": f.page}
            for f in doc.fields.values()
        },
        # the line items as they stand now (after the clerks' edits); "extraction" keeps them as read
        "line_items": [
            {
                "index": li.index,
                **{
                    column: {"value": cell.value, "confidence": cell.confidence, "state": cell.state.value}
                    for column, cell in li.cells.items()
                },
            }
            for li in doc.line_items
        ],
        "reasons": [reason(r) for r in doc.reasons],
        "failed_rules": [reason(r) for r in doc.failed_rules],
        "decided_by": doc.decided_by,
        "reject_reason": doc.reject_reason,
        "override_reason": doc.override_reason,
        "overridden_rules": [reason(r) for r in doc.overridden_rules],
        "extraction": doc.extraction,
    }


def bullets(lines: Any) -> Table:
    """A list with a hanging indent: a long item wraps under its own text, not under the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row("  -", line)
    return grid
