"""The audit log verifies, and any edited, deleted or reordered entry is found and named."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc
from sqlalchemy import delete, select, update

from idp_app.db.models import AuditEntry, Document
from idp_app.services import Workspace


@pytest.fixture
def busy(ws: Workspace, inbox: Path) -> Workspace:
    for i in range(3):
        write_doc(inbox, f"{i}.json", invoice(f"A-{i}"))
    ws.ingest.ingest([inbox], workers=0)
    claim = ws.queue.claim_next("clerk")
    assert claim is not None
    ws.review.correct(claim.document_id, "invoice_number", "Z-9", "clerk")
    ws.review.approve(claim.document_id, "clerk")
    return ws


def entries(ws: Workspace) -> list[AuditEntry]:
    with ws.db.read() as s:
        return list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


def test_every_action_is_logged_and_the_chain_verifies(busy: Workspace) -> None:
    report = busy.audit.verify()
    assert report.ok, report.problems
    actions = [e.action for e in entries(busy)]
    assert actions.count("user_added") == 4
    assert {"transition", "correction", "confirmation"} <= set(actions) or "correction" in actions
    assert report.entries == len(actions)
    assert report.head_hash == entries(busy)[-1].hash


def test_an_edited_entry_is_named(busy: Workspace) -> None:
    target = next(e for e in entries(busy) if e.action == "correction")
    with busy.db.write() as s:
        s.execute(
            update(AuditEntry).where(AuditEntry.id == target.id).values(payload=target.payload.replace("Z-9", "Z-8"))
        )
    report = busy.audit.verify()
    assert not report.ok
    assert any(f"entry {target.seq} edited" in p for p in report.problems)


def test_an_entry_rehashed_after_editing_breaks_the_next_link(busy: Workspace) -> None:
    from idp_app.services.audit import entry_hash

    target = next(e for e in entries(busy) if e.action == "correction")
    payload = target.payload.replace("Z-9", "Z-8")
    forged = entry_hash(
        target.prev_hash, target.seq, target.created_at, target.actor, target.action, target.document_id, payload
    )
    with busy.db.write() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == target.id).values(payload=payload, hash=forged))
    report = busy.audit.verify()
    assert any(f"entry {target.seq + 1} does not follow" in p for p in report.problems)


def test_a_deleted_entry_is_named(busy: Workspace) -> None:
    target = entries(busy)[5]
    with busy.db.write() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == target.id))
    report = busy.audit.verify()
    assert any(f"entry {target.seq} deleted" in p for p in report.problems)


def test_a_deleted_last_entry_is_found_through_the_documents(busy: Workspace) -> None:
    last = entries(busy)[-1]
    assert last.action == "transition"  # the approval
    with busy.db.write() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == last.id))
    report = busy.audit.verify()
    assert any(f"document {last.document_id} is approved" in p for p in report.problems)


def test_reordered_entries_are_found(busy: Workspace) -> None:
    a, b = entries(busy)[6], entries(busy)[7]
    with busy.db.write() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == a.id).values(seq=-1))
        s.execute(update(AuditEntry).where(AuditEntry.id == b.id).values(seq=a.seq))
        s.execute(update(AuditEntry).where(AuditEntry.id == a.id).values(seq=b.seq))
    report = busy.audit.verify()
    assert not report.ok
    assert any(str(a.seq) in p for p in report.problems)


def test_a_status_changed_behind_the_services_back_is_found(busy: Workspace) -> None:
    with busy.db.write() as s:
        doc_id = s.execute(select(Document.id).where(Document.status == "needs_review").limit(1)).scalar_one()
        s.execute(update(Document).where(Document.id == doc_id).values(status="approved"))
    report = busy.audit.verify()
    assert any(f"document {doc_id} is approved" in p for p in report.problems)
