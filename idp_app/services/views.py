"""What the services hand to the window and the CLI: plain frozen dataclasses, no database objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from extractors.document import Token
from extractors.geometry import BBox
from idp_app.domain import DocumentStatus, ReviewState
from idp_app.services.routing import Suggestion


@dataclass(frozen=True, slots=True)
class AlternativeView:
    value: str | None
    text: str
    confidence: float
    page: int | None
    bbox_pt: BBox | None


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field (or line-item cell) as the clerk sees it now, beside what extraction predicted."""

    name: str
    value: str | None
    page: int | None
    bbox_pt: BBox | None
    confidence: float
    """Extraction's calibrated confidence; 1.0 once a clerk corrected the field."""
    state: ReviewState
    threshold: float
    value_type: str
    required: bool = False
    corrected: bool = False
    checked: bool = False
    """Whether a person confirmed or corrected the field (a value above its threshold is OK without that)."""
    predicted_value: str | None = None
    predicted_text: str = ""
    predicted_page: int | None = None
    predicted_bbox_pt: BBox | None = None
    alternatives: tuple[AlternativeView, ...] = ()
    evidence: tuple[str, ...] = ()
    line_item_index: int | None = None


@dataclass(frozen=True, slots=True)
class LineItemView:
    index: int
    cells: dict[str, FieldView]
    page: int | None = None
    bbox_pt: BBox | None = None


@dataclass(frozen=True, slots=True)
class ReasonView:
    """Why a document is in review (stored at routing), or a rule failing now (with its one-edit fix)."""

    code: str
    message: str
    fields: tuple[str, ...]
    risk: int
    blocks_approval: bool = False
    suggestion: Suggestion | None = None


@dataclass(frozen=True, slots=True)
class PageView:
    """One page for the window: size in points and its tokens (a click at a point finds a token)."""

    index: int
    width_pt: float
    height_pt: float
    tokens: tuple[Token, ...]
    upright_turn: int = 0
    """Clockwise degrees the page as rendered from its file is turned to stand as its size and boxes say."""


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: int
    sha256: str
    filename: str
    file_path: Path
    """The stored original (read-only)."""
    status: DocumentStatus
    doc_type: str | None
    type_confidence: float | None
    page_count: int | None
    fields: dict[str, FieldView]
    line_items: tuple[LineItemView, ...]
    reasons: tuple[ReasonView, ...]
    """Why routing sent the document to review (recorded when it was routed)."""
    failed_rules: tuple[ReasonView, ...]
    """Rules failing with the current values; approval is refused while a blocking one fails."""
    vendor_id: int | None
    vendor_name: str | None
    claimed_by: str | None
    lease_expires_at: datetime | None
    error: str | None
    error_kind: str | None
    warnings: tuple[str, ...]
    created_at: datetime
    model_version: str | None = None
    decided_by: str | None = None
    reject_reason: str | None = None
    override_reason: str | None = None
    overridden_rules: tuple[ReasonView, ...] = ()
    """The rules a supervisor's override let through at approval (an IBAN changed, say): they may pass now that the
    document is approved (its IBAN is the vendor's latest), and an accountant must still read them."""
    extraction: dict[str, Any] | None = None
    """The extractor's full answer, verbatim (``ExtractionResult.to_json()``)."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    filename: str
    status: DocumentStatus
    risk: int
    min_confidence: float | None
    vendor_name: str | None
    invoice_number: str | None
    total_amount: Decimal | None
    currency: str | None
    claimed_by: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    reasons: tuple[str, ...] = ()
    """Why routing sent it to review (the messages), riskiest first."""
    reason_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    document_id: int
    user: str
    lease_expires_at: datetime
