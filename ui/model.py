"""What the window shows, as plain frozen values handed over by the backend.

The window reads these and never computes them: review states, failed rules, suggested fixes and whether
approval is allowed all come from the application core (see :mod:`ui.backend`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from extractors.document import Page, Token
from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem
from idp_app.domain import ReviewState
from idp_app.services.values import PARTY_SEPARATOR


class FieldKind(StrEnum):
    """How a field is edited; from the field schema's value type."""

    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    CURRENCY = "currency"
    IBAN = "iban"
    LIST = "list"

    @classmethod
    def of(cls, schema_type: str | None) -> FieldKind:
        t = (schema_type or "text").lower()
        aliases = {
            "money": cls.AMOUNT,
            "decimal": cls.AMOUNT,
            "number": cls.AMOUNT,
            "parties": cls.LIST,
            "party_list": cls.LIST,
        }
        if t in aliases:
            return aliases[t]
        try:
            return cls(t)
        except ValueError:
            return cls.TEXT


@dataclass(frozen=True, slots=True)
class UserSession:
    """Who is logged in; ``may_override`` comes from the core's permissions for the user's role."""

    name: str
    role: str
    may_override: bool = False
    may_retrain: bool = False
    """Whether the core lets the user retrain the field model (supervisors, admins); the core still checks."""
    may_export: bool = False
    """Whether the core lets the user export approved documents (supervisors, admins); the core still checks."""
    may_read_reports: bool = False
    """Whether the core lets the user read accuracy reports (supervisors, admins); the core still checks."""


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """A failed rule as the core reported it, with the one edit that would make it pass, if there is one."""

    rule: str
    message: str
    fields: tuple[str, ...] = ()
    fix_field: str | None = None
    fix_value: str | None = None
    blocking: bool = True
    """Whether the core refuses approval while this rule fails."""

    @property
    def has_fix(self) -> bool:
        return self.fix_field is not None and self.fix_value is not None


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of the document under review."""

    name: str
    label: str
    kind: FieldKind
    value: FieldValue
    state: ReviewState
    passed_rules: tuple[str, ...] = ()
    failed_rules: tuple[str, ...] = ()
    expected_page: int | None = None
    expected_bbox_pt: BBox | None = None
    """Where a MISSING field is usually found, when the core knows (drawn dashed)."""
    value_type: str = ""
    """The schema's value type (``date``, ``amount``, ``vat_id`` ...); ``kind`` is how it is edited."""
    required: bool = False
    """Approval waits for a value (a supervisor may approve without one)."""

    @property
    def schema_type(self) -> str:
        return self.value_type or self.kind.value

    @property
    def text(self) -> str:
        v = self.value.value
        if v is None:
            return ""
        return PARTY_SEPARATOR.join(v) if isinstance(v, tuple) else v


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One document in the review queue and why it is there."""

    document_id: int
    name: str
    status: str
    vendor: str = ""
    confidence: float = 0.0
    reasons: tuple[str, ...] = ()
    """Why routing sent it to review, riskiest first (the core's messages)."""
    doc_type: str = ""
    received_at: datetime | None = None
    reason_codes: tuple[str, ...] = ()
    """The routing rules behind ``reasons``, one code each."""
    claimed_by: str = ""
    """Who has the document open (in review), if anyone."""
    held_until: datetime | None = None
    """When that claim lapses unless its window renews it (a window that closed without releasing it)."""

    def status_text(self, now: datetime | None = None) -> str:
        """The status as the queue shows it: an open document says who has it."""
        shown = self.status.replace("_", " ")
        if self.status != "in_review" or not self.claimed_by:
            return shown
        if self.held_until is not None and self.held_until <= (now or datetime.now(UTC)):
            return f"{shown}, free (left by {self.claimed_by})"
        return f"{shown} by {self.claimed_by}"

    def status_tip(self, now: datetime | None = None) -> str | None:
        if self.status != "in_review" or not self.claimed_by or self.held_until is None:
            return None
        until = self.held_until.astimezone().strftime("%H:%M")
        if self.held_until <= (now or datetime.now(UTC)):
            return f"{self.claimed_by} left it undecided; anyone may open it"
        return (
            f"{self.claimed_by} has it open: held until {until}, longer while their window stays open. "
            f"{self.claimed_by} may open it again at any time; others once the hold lapses."
        )

    @property
    def reasons_summary(self) -> str:
        """What fits in a queue cell: the kinds of reason with their counts (``unknown vendor, 2\u00d7 low
        confidence``), or the first reason and how many more when the codes are not known; one reason in full."""
        if len(self.reasons) <= 1:
            return self.reasons[0] if self.reasons else ""
        if len(self.reason_codes) == len(self.reasons):
            counts: dict[str, int] = {}
            for code in self.reason_codes:
                counts[code] = counts.get(code, 0) + 1
            parts = (
                code.replace("_", " ") if n == 1 else f"{n}\u00d7 {code.replace('_', ' ')}"
                for code, n in counts.items()
            )
            return ", ".join(parts)
        return f"{self.reasons[0]}  +{len(self.reasons) - 1} more"


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A claimed document: its pages, fields, line items, failed rules and routing reasons."""

    document_id: int
    path: str
    name: str
    doc_type: str
    pages: tuple[Page, ...]
    fields: tuple[FieldView, ...]
    line_items: tuple[LineItem, ...] = ()
    line_item_columns: tuple[str, ...] = ()
    line_item_types: tuple[str, ...] = ()
    """The value type of each line-item column, as the schema gives it."""
    line_item_rows: tuple[int, ...] = ()
    """The core's row number of each shown line item (rows may have been emptied); () means 0, 1, 2 ..."""
    issues: tuple[RuleIssue, ...] = ()
    reasons: tuple[str, ...] = ()
    status: str = "needs_review"
    load_error: str | None = None
    """Why the document's file cannot be shown (missing, unreadable); the page view shows this instead."""
    page_sizes_pt: tuple[tuple[float, float], ...] = field(default=())

    def field(self, name: str) -> FieldView | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def page_count(self) -> int:
        return max(len(self.pages), len(self.page_sizes_pt))

    def page(self, index: int) -> Page | None:
        for p in self.pages:
            if p.index == index:
                return p
        return None

    def page_size_pt(self, index: int) -> tuple[float, float]:
        p = self.page(index)
        if p is not None:
            return (p.width_pt, p.height_pt)
        if 0 <= index < len(self.page_sizes_pt):
            return self.page_sizes_pt[index]
        return (595.0, 842.0)

    @property
    def approval_blocked(self) -> bool:
        return any(i.blocking for i in self.issues) or bool(self.empty_required)

    @property
    def empty_required(self) -> tuple[FieldView, ...]:
        """Required fields without a value: approval waits for them, as for a rule that blocks."""
        return tuple(f for f in self.fields if f.required and not f.text)

    def row_number(self, shown: int) -> int:
        """The core's row number of the ``shown``-th line item."""
        return self.line_item_rows[shown] if shown < len(self.line_item_rows) else shown

    def with_field_value(self, name: str, value: FieldValue) -> DocumentView:
        """A copy with one field's value replaced (shown at once while the core recomputes its state)."""
        fields = tuple(replace(f, value=value) if f.name == name else f for f in self.fields)
        return replace(self, fields=fields)

    def with_page(self, page: Page) -> DocumentView:
        pages = tuple(page if p.index == page.index else p for p in self.pages)
        if not any(p.index == page.index for p in self.pages):
            pages = (*self.pages, page)
        return replace(self, pages=pages)


@dataclass(frozen=True, slots=True)
class RetrainOutcome:
    """What one retraining did, as the core reported it."""

    status: str
    """``promoted``, ``rejected``, ``not_due``, ``too_few``, ``unchanged`` or ``model_unreadable``."""
    version: str | None = None
    reasons: tuple[str, ...] = ()
    accuracy_before: float | None = None
    """Held-out accuracy of the model in use."""
    accuracy_after: float | None = None
    """Held-out accuracy of the new model."""
    holdout_documents: int = 0
    golden_documents: int = 0
    training_documents: int = 0
    training_pairs: int = 0
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def promoted(self) -> bool:
        return self.status == "promoted"


def tokens_text(tokens: list[Token] | tuple[Token, ...]) -> str:
    """The words in reading order, joined as printed."""
    if all(t.index >= 0 for t in tokens):
        ordered = sorted(tokens, key=lambda t: (t.page, t.index))
    else:
        ordered = sorted(tokens, key=lambda t: (t.page, round(t.bbox_pt.center[1] / 4), t.bbox_pt.x0))
    return " ".join(t.text for t in ordered)


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What one export did, as the core reported it."""

    directory: str | None
    """The batch folder written, or None when nothing was exported."""
    exported: int = 0
    files: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    """Documents that stay approved, each as "id file: reason"."""
    notes: tuple[str, ...] = ()
    """What was assumed, each said once."""


@dataclass(frozen=True, slots=True)
class ReportTable:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class ReportView:
    """An accuracy report as the core computed it, already in words and figures: the window only lays it out."""

    title: str
    summary: tuple[str, ...]
    tables: tuple[ReportTable, ...] = ()
