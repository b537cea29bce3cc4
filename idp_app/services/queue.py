"""The review queue: priority order, filters, paging, and claims that give a document to one clerk only.

Order: risk (highest first), then lowest confidence, then age. The order columns are indexed
(``ix_documents_queue``), so a page of 100 is read from the index without sorting the table.

A claim is a lease: it expires after ``lease_seconds`` and the document can then be claimed again.
On PostgreSQL the next document is picked with ``SELECT ... FOR UPDATE SKIP LOCKED``; on SQLite the pick and
the update are one conditional ``UPDATE ... WHERE claimed_by IS NULL OR lease expired`` inside an immediate
(write-locked) transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from idp_app.db.engine import Database
from idp_app.db.models import Document, Reason
from idp_app.domain import DocumentStatus
from idp_app.errors import ClaimError, IllegalTransitionError, NotFoundError
from idp_app.services import audit, lifecycle
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.views import Claim, QueueItem

DEFAULT_LEASE_SECONDS = 15 * 60
_ORDER = (Document.priority, Document.min_confidence, Document.created_at, Document.id)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: DocumentStatus | None = None
    """None: the review queue (needs_review and in_review); otherwise documents in exactly this status."""
    vendor_id: int | None = None
    vendor: str | None = None
    """Vendor name contains this text (case-insensitive)."""
    min_confidence: float | None = None
    max_confidence: float | None = None
    claimed_by: str | None = None
    """Only documents in review claimed by this user (their lease current or lapsed)."""


def _filtered(stmt: Select[Any], f: QueueFilter) -> Select[Any]:
    stmt = stmt.where(Document.status == f.status.value) if f.status else stmt.where(Document.queued.is_(True))
    if f.vendor_id is not None:
        stmt = stmt.where(Document.vendor_id == f.vendor_id)
    if f.vendor:
        stmt = stmt.where(func.lower(Document.vendor_name).contains(f.vendor.lower()))
    if f.min_confidence is not None:
        stmt = stmt.where(Document.min_confidence >= f.min_confidence)
    if f.max_confidence is not None:
        stmt = stmt.where(Document.min_confidence <= f.max_confidence)
    if f.claimed_by is not None:
        stmt = stmt.where(Document.status == DocumentStatus.IN_REVIEW.value, Document.claimed_by == f.claimed_by)
    return stmt


_COLUMNS = (
    Document.id,
    Document.filename,
    Document.status,
    Document.risk,
    Document.min_confidence,
    Document.vendor_name,
    Document.invoice_number,
    Document.total_amount,
    Document.currency,
    Document.claimed_by,
    Document.lease_expires_at,
    Document.created_at,
    Document.error,
)
"""What a queue row shows: selected as columns, not whole documents, so a page costs little to build."""


def _item(d: Any, reasons: list[tuple[str, str]] | None = None) -> QueueItem:
    return QueueItem(
        id=d.id,
        filename=d.filename,
        status=DocumentStatus(d.status),
        risk=d.risk,
        min_confidence=d.min_confidence,
        vendor_name=d.vendor_name,
        invoice_number=d.invoice_number,
        total_amount=d.total_amount,
        currency=d.currency,
        claimed_by=d.claimed_by,
        lease_expires_at=d.lease_expires_at,
        created_at=d.created_at,
        reasons=tuple(m for _c, m in reasons or ()) or ((d.error,) if d.error else ()),  # a failed file: why
        reason_codes=tuple(c for c, _m in reasons or ()),
    )


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        Document.queued.is_(True),
        or_(
            Document.status == DocumentStatus.NEEDS_REVIEW.value,
            and_(Document.status == DocumentStatus.IN_REVIEW.value, Document.lease_expires_at < now),
        ),
    )


class QueueService:
    def __init__(self, db: Database, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> None:
        self._db = db
        self.lease_seconds = lease_seconds

    def list(
        self, flt: QueueFilter | None = None, *, offset: int = 0, limit: int = 100, after: int | None = None
    ) -> list[QueueItem]:
        """One page of the queue (or of documents in a status), in priority order.

        Page with ``offset``, or (faster for deep pages) with ``after``: the id of the last item of the
        previous page; the next page starts right after it in the same order.
        """
        f = flt or QueueFilter()
        columns: Select[Any] = select(*_COLUMNS)  # type: ignore[assignment]
        stmt = _filtered(columns, f).order_by(*_ORDER).limit(max(1, min(limit, 1000)))
        with self._db.read() as s:
            if after is not None:
                key = s.execute(select(*_ORDER).where(Document.id == after)).one_or_none()
                if key is None:
                    raise NotFoundError(f"no document {after}")
                stmt = stmt.where(tuple_(*_ORDER) > tuple_(*key))
            elif offset > 0:
                stmt = stmt.offset(offset)
            docs = list(s.execute(stmt))
            why: dict[int, list[tuple[str, str]]] = {}
            if docs:
                rows = s.execute(
                    select(Reason.document_id, Reason.code, Reason.message)
                    .where(Reason.document_id.in_([d.id for d in docs]))
                    .order_by(Reason.document_id, Reason.risk.desc(), Reason.id)
                )
                for doc_id, code, message in rows:
                    why.setdefault(doc_id, []).append((code, message))
            return [_item(d, why.get(d.id)) for d in docs]

    def count(self, flt: QueueFilter | None = None) -> int:
        f = flt or QueueFilter()
        stmt = _filtered(select(func.count(Document.id)), f)
        with self._db.read() as s:
            return int(s.execute(stmt).scalar_one())

    def counts_by_status(self) -> dict[DocumentStatus, int]:
        with self._db.read() as s:
            rows = s.execute(select(Document.status, func.count()).group_by(Document.status))
            return {DocumentStatus(status): n for status, n in rows}

    def next_up(self) -> int | None:
        """The document :meth:`claim_next` would give now (nothing is claimed); None when the queue is empty."""
        with self._db.read() as s:
            pick = select(Document.id).where(_claimable(self._db.now(s))).order_by(*_ORDER).limit(1)
            return s.execute(pick).scalar()

    def claim_next(self, user: User | str, *, passed: Collection[int] = ()) -> Claim | None:
        """Give the highest-priority unclaimed document to ``user``; None when the queue is empty. ``passed`` are
        documents the clerk left undecided on the way: they come back only when no other is free.

        One short transaction: pick the next claimable row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
        concurrent clerks pass over each other's picks; SQLite's immediate transaction admits one writer),
        then a conditional ``UPDATE ... WHERE claimed_by IS NULL OR lease expired`` and the audit entry.
        """
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            now = self._db.now(s)
            expires = now + timedelta(seconds=self.lease_seconds)
            order = (*([Document.id.in_(list(passed))] if passed else []), *_ORDER)  # False sorts first
            pick = (
                select(Document.id, Document.status, Document.claimed_by)
                .where(_claimable(now))
                .order_by(*order)
                .limit(1)
            )
            if not self._db.is_sqlite:
                pick = pick.with_for_update(skip_locked=True)
            row = s.execute(pick).first()
            if row is None:
                return None
            doc_id, old, before = row
            if not lifecycle.can_transition(old, DocumentStatus.IN_REVIEW):  # pragma: no cover - by _claimable
                raise IllegalTransitionError(f"document {doc_id} is {old}: it cannot be claimed")
            done: CursorResult[Any] = s.execute(  # type: ignore[assignment]
                update(Document)
                .where(Document.id == doc_id, or_(Document.claimed_by.is_(None), Document.lease_expires_at < now))
                .values(
                    status=DocumentStatus.IN_REVIEW.value,
                    queued=True,
                    claimed_by=actor.name,
                    lease_expires_at=expires,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # pragma: no cover - the row is locked for this transaction
                return None
            audit.append(
                s,
                actor.name,
                "transition",
                doc_id,
                **{"from": old, "to": DocumentStatus.IN_REVIEW.value},
                lease_expires_at=expires.isoformat(),
                **_taken_from(before, actor.name),
            )
            return Claim(doc_id, actor.name, expires)

    def claim(self, doc_id: int, user: User | str) -> Claim:
        """Claim one chosen document (the window opens it from the list)."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            now = self._db.now(s)
            expires = now + timedelta(seconds=self.lease_seconds)
            stmt = select(Document).where(Document.id == doc_id)
            if not self._db.is_sqlite:
                stmt = stmt.with_for_update()
            doc = s.execute(stmt).scalar_one_or_none()
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            lease = doc.lease_expires_at
            held = doc.claimed_by is not None and doc.claimed_by != actor.name and lease is not None and lease > now
            if held:
                raise ClaimError(f"document {doc_id} is claimed by {doc.claimed_by} until {lease:%H:%M:%S} UTC")
            if doc.status not in (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value):
                raise IllegalTransitionError(
                    f"document {doc_id} is {doc.status}: only documents in review can be claimed"
                )
            before = doc.claimed_by if doc.status == DocumentStatus.IN_REVIEW.value else None
            doc.claimed_by = actor.name
            doc.lease_expires_at = expires
            s.flush()
            self._mark_in_review(s, doc_id, actor.name, expires, before)
            return Claim(doc_id, actor.name, expires)

    def _mark_in_review(
        self, s: Session, doc_id: int, actor: str, expires: datetime, before: str | None = None
    ) -> None:
        doc = s.get(Document, doc_id, populate_existing=True)
        assert doc is not None
        lifecycle.transition(
            s,
            doc,
            DocumentStatus.IN_REVIEW,
            actor,
            lease_expires_at=expires.isoformat(),
            **_taken_from(before, actor),
        )
        doc.claimed_by = actor
        doc.lease_expires_at = expires

    def renew(self, doc_id: int, user: User | str) -> Claim:
        """Extend the lease of a claim the user holds."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = holding(s, doc_id, actor.name)
            doc.lease_expires_at = self._db.now(s) + timedelta(seconds=self.lease_seconds)
            return Claim(doc_id, actor.name, doc.lease_expires_at)

    def release(self, doc_id: int, user: User | str) -> None:
        """Give the document back to the queue (a supervisor may release anyone's claim)."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = s.get(Document, doc_id, with_for_update=True)  # an approval under way is waited for, not undone
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            if doc.status != DocumentStatus.IN_REVIEW.value:  # whoever asks: nothing to release
                state = doc.status.replace("_", " ")
                raise ClaimError(f"document {doc_id} is not claimed (it is {state}): nothing to release")
            if doc.claimed_by != actor.name:
                acting_user(s, actor, Permission.RELEASE_ANY)
            lifecycle.transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor.name, released=doc.claimed_by)


def _taken_from(before: str | None, actor: str) -> dict[str, str]:
    """For the audit entry of a claim: whose lapsed claim it took over, if another's."""
    return {"taken_from": before} if before and before != actor else {}


def holding(s: Session, doc_id: int, user: str) -> Document:
    """The document, if ``user`` holds its claim (an expired lease still counts until someone else claims it).

    The row is locked for the rest of the transaction (PostgreSQL), as :meth:`QueueService.claim` locks it: a claim
    by another clerk, made while this transaction runs, is then seen here rather than overwritten."""
    doc = s.get(Document, doc_id, with_for_update=True)
    if doc is None:
        raise NotFoundError(f"no document {doc_id}")
    if doc.status not in (DocumentStatus.IN_REVIEW.value, DocumentStatus.NEEDS_REVIEW.value):
        state = doc.status.replace("_", " ")
        raise IllegalTransitionError(f"document {doc_id} is {state}: only a document in review can be changed")
    if doc.status != DocumentStatus.IN_REVIEW.value or doc.claimed_by != user:
        if doc.status == DocumentStatus.IN_REVIEW.value and doc.claimed_by:
            raise ClaimError(f"document {doc_id} is claimed by {doc.claimed_by}: theirs until released or it lapses")
        raise ClaimError(f"document {doc_id} is not claimed: claim it first (idp claim {doc_id})")
    return doc
