"""Training pairs: what extraction said beside what a clerk made true, read from approved documents.

:func:`training_pairs` is the one way the learning code reads corrections and confirmations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from extractors.geometry import BBox
from idp_app.db.engine import Database
from idp_app.db.models import CorrectionRow, Document, FieldRow
from idp_app.domain import CorrectionKind, DocumentStatus

_DONE = (DocumentStatus.APPROVED.value, DocumentStatus.EXPORTED.value)


@dataclass(frozen=True, slots=True)
class TrainingPair:
    document_id: int
    sha256: str
    doc_type: str | None
    field_name: str
    line_item_index: int | None
    predicted_value: str | None
    predicted_page: int | None
    predicted_bbox_pt: BBox | None
    predicted_confidence: float
    true_value: str | None
    true_page: int | None
    true_bbox_pt: BBox | None
    kind: CorrectionKind
    """CONFIRMATION when the final value and box are what extraction predicted, else CORRECTION."""
    vendor: str | None
    user: str
    created_at: datetime


def _box(data: list[float] | None) -> BBox | None:
    return BBox.from_list(data) if data else None


def training_pairs(source: Session | Database | object, since: datetime | None = None) -> list[TrainingPair]:
    """One pair per field of each approved (or exported) document that a clerk corrected or confirmed.

    ``source`` is a Session, a Database or anything with a ``db`` attribute (the Workspace). Several
    corrections of one field (including undos) collapse into the last one: the truth the clerk approved. Only
    corrections made since the document was last extracted count: those from before a re-extraction were
    about values that are gone.
    ``since`` keeps the pairs whose last correction is at or after that time.
    """
    if isinstance(source, Session):
        return _pairs(source, since)
    db = source if isinstance(source, Database) else getattr(source, "db")  # noqa: B009
    with db.read() as s:
        return _pairs(s, since)


def _pairs(s: Session, since: datetime | None) -> list[TrainingPair]:
    stmt = (
        select(CorrectionRow, Document)
        .join(Document, Document.id == CorrectionRow.document_id)
        .where(
            Document.status.in_(_DONE),
            or_(Document.extracted_at.is_(None), CorrectionRow.created_at >= Document.extracted_at),
        )
        .order_by(CorrectionRow.document_id, CorrectionRow.id)
    )
    last: dict[tuple[int, str, int | None], tuple[CorrectionRow, Document]] = {}
    for corr, doc in s.execute(stmt):
        last[(doc.id, corr.field_name, corr.line_item_index)] = (corr, doc)
    if not last:
        return []
    doc_ids = {k[0] for k in last}
    predicted = {
        (r.document_id, r.name, None if r.row < 0 else r.row): r
        for r in s.execute(select(FieldRow).where(FieldRow.document_id.in_(doc_ids))).scalars()
    }
    out: list[TrainingPair] = []
    for key, (corr, doc) in last.items():
        if since is not None and _aware(corr.created_at) < _aware(since):
            continue
        row = predicted.get(key)
        pred_value = row.predicted_value if row else None
        pred_box = row.predicted_bbox_pt if row else None
        true_box = corr.new_bbox_pt if corr.new_bbox_pt is not None else (row.bbox_pt if row else None)
        same = corr.new_value == pred_value and (true_box or None) == (pred_box or None)
        out.append(
            TrainingPair(
                document_id=doc.id,
                sha256=doc.sha256,
                doc_type=doc.doc_type,
                field_name=corr.field_name,
                line_item_index=corr.line_item_index,
                predicted_value=pred_value,
                predicted_page=row.predicted_page if row else None,
                predicted_bbox_pt=_box(pred_box),
                predicted_confidence=row.confidence if row else 0.0,
                true_value=corr.new_value,
                true_page=corr.page if corr.page is not None else (row.page if row else None),
                true_bbox_pt=_box(true_box),
                kind=CorrectionKind.CONFIRMATION if same else CorrectionKind.CORRECTION,
                vendor=doc.vendor_name,
                user=corr.user,
                created_at=corr.created_at,
            )
        )
    return out


def _aware(t: datetime) -> datetime:
    from datetime import UTC

    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
