"""The audit trail: an append-only log of every state change, correction and override, hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash followed by the canonical JSON (sorted keys,
no spaces) of the entry itself (seq, time, actor, action, document, details). Editing, deleting or
reordering any entry breaks the chain at that entry; :meth:`AuditService.verify` says where.
Entries are appended inside the caller's transaction, so a state change and its audit entry commit together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from idp_app.db.models import AuditEntry, Document

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    prev_hash: str, seq: int, created_at: str, actor: str, action: str, document_id: int | None, payload: str
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "created_at": created_at,
            "actor": actor,
            "action": action,
            "document_id": document_id,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    created_at: str
    actor: str
    action: str
    document_id: int | None
    details: dict[str, Any]


@dataclass(slots=True)
class AuditReport:
    entries: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def append(session: Session, actor: str, action: str, document_id: int | None = None, **details: Any) -> AuditEntry:
    """Append one entry in ``session``'s transaction (which must be a write transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; released at commit.
        session.execute(text("SELECT pg_advisory_xact_lock(7411001)"))
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    created = datetime.now(UTC).isoformat(timespec="microseconds")
    payload = canonical_json(details)
    entry = AuditEntry(
        seq=seq,
        created_at=created,
        actor=actor,
        action=action,
        document_id=document_id,
        payload=payload,
        prev_hash=prev,
        hash=entry_hash(prev, seq, created, actor, action, document_id, payload),
    )
    session.add(entry)
    session.flush()
    return entry


def verify(session: Session) -> AuditReport:
    """Walk the chain from the first entry; report every entry that was edited, deleted or moved.

    A deleted last entry leaves no gap in the chain, so the log is also checked against the documents:
    each document's status must be the one its last recorded transition says.
    """
    report = AuditReport()
    prev_hash = GENESIS
    expected_seq = 1
    last_status: dict[int, str] = {}
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq, AuditEntry.id)).scalars()
    for e in rows:
        report.entries += 1
        if e.seq != expected_seq:
            if e.seq > expected_seq:
                missing = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}-{e.seq - 1}"
                report.problems.append(f"entry {missing} deleted (the log jumps to entry {e.seq})")
            else:
                report.problems.append(f"entry {e.seq} out of order (expected entry {expected_seq})")
        recomputed = entry_hash(e.prev_hash, e.seq, e.created_at, e.actor, e.action, e.document_id, e.payload)
        if recomputed != e.hash:
            report.problems.append(f"entry {e.seq} edited ({e.action} by {e.actor}): its hash does not match")
        elif e.prev_hash != prev_hash and e.seq == expected_seq:
            report.problems.append(f"entry {e.seq} does not follow entry {e.seq - 1}: an entry was replaced or moved")
        prev_hash = e.hash
        expected_seq = e.seq + 1
        if e.action == "transition" and e.document_id is not None:
            try:
                last_status[e.document_id] = json.loads(e.payload)["to"]
            except (ValueError, KeyError, TypeError):
                report.problems.append(f"entry {e.seq} has an unreadable transition")
    report.head_hash = prev_hash
    if last_status:
        statuses = dict(session.execute(select(Document.id, Document.status)).all())
        for doc_id, status in sorted(last_status.items()):
            current = statuses.get(doc_id)
            if current is not None and current != status:
                report.problems.append(
                    f"document {doc_id} is {current} but its last logged transition is to {status}: "
                    "entries at the end of the log were deleted or the document was changed outside the services"
                )
    return report


def records(session: Session, document_id: int | None = None, limit: int = 200) -> list[AuditRecord]:
    """The latest entries, newest first (for one document if given)."""
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if document_id is not None:
        stmt = stmt.where(AuditEntry.document_id == document_id)
    return [
        AuditRecord(e.seq, e.created_at, e.actor, e.action, e.document_id, json.loads(e.payload))
        for e in session.execute(stmt).scalars()
    ]


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
