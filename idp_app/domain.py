"""Domain values of the application core shared by storage, services, the CLI and the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from extractors.geometry import BBox
from extractors.results import FieldValue


class ReviewState(StrEnum):
    """How a field looks to the clerk. The window only maps these to colours."""

    OK = "ok"
    CHECK = "check"
    ERROR = "error"
    MISSING = "missing"


class CorrectionKind(StrEnum):
    CORRECTION = "correction"
    """The clerk changed the value or the box."""
    CONFIRMATION = "confirmation"
    """The clerk approved the value unchanged."""


@dataclass(frozen=True, slots=True)
class Correction:
    """One clerk edit of one field. It is both the undo record and a training pair."""

    document_id: int
    field_name: str
    old_value: str | None
    new_value: str | None
    old_bbox_pt: BBox | None = None
    new_bbox_pt: BBox | None = None
    page: int | None = None
    source_token_ids: tuple[int, ...] = ()
    user: str = ""
    seconds_spent: float = 0.0
    kind: CorrectionKind = CorrectionKind.CORRECTION
    line_item_index: int | None = None
    """For a line-item cell, the row it belongs to (``field_name`` is then the column)."""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    old_page: int | None = None
    """The page ``old_bbox_pt`` is on, where the box moves to another page (None: ``page``)."""
    undo: bool = False
    """It takes back an earlier correction (:meth:`inverted`): the value it restores was accepted before, and a
    field restored to what was read is checked only if the clerk had confirmed it."""

    def inverted(self) -> Correction:
        """The correction that undoes this one."""
        return Correction(
            document_id=self.document_id,
            field_name=self.field_name,
            old_value=self.new_value,
            new_value=self.old_value,
            old_bbox_pt=self.new_bbox_pt,
            new_bbox_pt=self.old_bbox_pt,
            page=self.page if self.old_page is None else self.old_page,
            old_page=self.page,
            source_token_ids=self.source_token_ids,
            user=self.user,
            seconds_spent=0.0,
            kind=self.kind,
            line_item_index=self.line_item_index,
            undo=not self.undo,
        )


def review_state(
    fv: FieldValue | None, threshold: float, *, rule_failed: bool = False, required: bool = True
) -> ReviewState:
    """The review state of one field: a pure function of its confidence and its rule state."""
    if rule_failed:
        return ReviewState.ERROR
    if fv is None or not fv.found:
        return ReviewState.MISSING if required else ReviewState.OK
    return ReviewState.OK if fv.confidence >= threshold else ReviewState.CHECK


class DocumentStatus(StrEnum):
    """Where a document is in its lifecycle. Changed only by the services, through the transition table."""

    IMPORTED = "imported"
    EXTRACTING = "extracting"
    EXTRACTED = "extracted"
    AUTO_APPROVED = "auto_approved"
    NEEDS_REVIEW = "needs_review"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPORTED = "exported"
    FAILED = "failed"


class Role(StrEnum):
    """What a user may do: a clerk reviews, a supervisor also overrides, sets thresholds, retrains, exports;
    an admin also manages users."""

    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
