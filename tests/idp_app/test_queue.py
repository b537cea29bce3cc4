"""The review queue: priority order, filters, paging, claims and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc
from sqlalchemy import update

from idp_app.db.models import Document
from idp_app.domain import DocumentStatus
from idp_app.errors import ClaimError, PermissionDeniedError
from idp_app.services import QueueFilter, Workspace


def ingest(ws: Workspace, inbox: Path, docs: dict[str, dict[str, object]]) -> dict[str, int]:
    for name, data in docs.items():
        write_doc(inbox, name, data)
    ws.ingest.ingest([inbox], workers=0)
    return {i.filename: i.id for i in ws.queue.list(limit=1000)}


def test_priority_risk_then_confidence_then_age(ws: Workspace, inbox: Path) -> None:
    ids = ingest(
        ws,
        inbox,
        {
            "a-plain.json": invoice("A"),
            "b-unsure.json": invoice("B", conf=0.5),
            "c-bad-sum.json": invoice("C", total="150.00"),
            "d-plain-later.json": invoice("D"),
        },
    )
    order = [i.filename for i in ws.queue.list()]
    # arithmetic (50) + unknown vendor (30) first; low confidence adds risk per field; then age for equal risk
    assert order[0] == "b-unsure.json"
    assert order[1] == "c-bad-sum.json"
    assert order[2:] == ["a-plain.json", "d-plain-later.json"]
    items = {i.filename: i for i in ws.queue.list()}
    assert items["b-unsure.json"].min_confidence == 0.5
    assert items["c-bad-sum.json"].reason_codes == ("arithmetic", "unknown_vendor")
    assert items["c-bad-sum.json"].reasons[0].startswith("net 100.00 + tax 19.00")
    assert ids["a-plain.json"] < ids["d-plain-later.json"]


def test_a_field_probably_printed_but_missed_counts_in_the_lowest_confidence(ws: Workspace, inbox: Path) -> None:
    """A missing field's confidence is the chance that none is printed: a VAT id missed at 2 % is the document's
    least sure answer, one likely absent (70 %) is not held against it."""
    missed, absent = invoice("M"), invoice("N")
    missed["fields"]["vendor_vat_id"] = [None, 0.02]
    absent["fields"]["vendor_vat_id"] = [None, 0.7]
    ingest(ws, inbox, {"missed.json": missed, "absent.json": absent})
    items = {i.filename: i for i in ws.queue.list()}
    assert items["missed.json"].min_confidence == 0.02
    assert "probably_missed" in items["missed.json"].reason_codes
    assert items["absent.json"].min_confidence == 0.97


def test_filters_and_paging(ws: Workspace, inbox: Path) -> None:
    docs = {
        f"{i:02d}.json": invoice(f"N{i}", vendor="Blue Ltd" if i % 2 else "ACME GmbH", conf=0.9 + i / 1000)
        for i in range(12)
    }
    ingest(ws, inbox, docs)
    assert ws.queue.count() == 12
    blue = ws.queue.list(QueueFilter(vendor="blue"))
    assert len(blue) == 6 and all(i.vendor_name == "Blue Ltd" for i in blue)
    sure = ws.queue.list(QueueFilter(min_confidence=0.905))
    assert {i.filename for i in sure} == {f"{i:02d}.json" for i in range(5, 12)}
    unsure = ws.queue.list(QueueFilter(max_confidence=0.9025))
    assert {i.filename for i in unsure} == {"00.json", "01.json", "02.json"}
    page1 = ws.queue.list(offset=0, limit=5)
    page2 = ws.queue.list(offset=5, limit=5)
    page3 = ws.queue.list(offset=10, limit=5)
    assert len(page3) == 2
    assert [i.id for i in page1 + page2 + page3] == [i.id for i in ws.queue.list(limit=100)]
    assert ws.queue.count(QueueFilter(status=DocumentStatus.APPROVED)) == 0


def test_claim_next_gives_each_document_to_one_clerk(ws: Workspace, inbox: Path) -> None:
    ingest(ws, inbox, {"a.json": invoice("A"), "b.json": invoice("B")})
    first = ws.queue.claim_next("clerk")
    second = ws.queue.claim_next("clerk2")
    assert first is not None and second is not None
    assert first.document_id != second.document_id
    assert ws.queue.claim_next("clerk") is None
    doc = ws.documents.get(first.document_id)
    assert (doc.status, doc.claimed_by) == (DocumentStatus.IN_REVIEW, "clerk")
    with pytest.raises(ClaimError, match="claimed by clerk"):
        ws.queue.claim(first.document_id, "clerk2")


def test_next_document_goes_down_the_queue_past_those_left_undecided(ws: Workspace, inbox: Path) -> None:
    ingest(ws, inbox, {"a.json": invoice("A"), "b.json": invoice("B"), "c.json": invoice("C")})
    order = [i.id for i in ws.queue.list(limit=10)]
    seen: list[int] = []
    for _ in range(3):  # the clerk opens the next document and leaves each undecided
        claim = ws.queue.claim_next("clerk", passed=seen)
        assert claim is not None
        seen.append(claim.document_id)
        ws.queue.release(claim.document_id, "clerk")
    assert seen == order
    again = ws.queue.claim_next("clerk", passed=seen)  # every one passed: the queue starts over
    assert again is not None and again.document_id == order[0]


def test_an_expired_lease_can_be_claimed_again(ws: Workspace, inbox: Path) -> None:
    ingest(ws, inbox, {"a.json": invoice("A")})
    claim = ws.queue.claim_next("clerk")
    assert claim is not None
    with ws.db.write() as s:
        s.execute(
            update(Document)
            .where(Document.id == claim.document_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    taken = ws.queue.claim_next("clerk2")
    assert taken is not None and taken.document_id == claim.document_id
    with pytest.raises(ClaimError):
        ws.review.approve(claim.document_id, "clerk")
    # the audit log says whose lapsed claim was taken over, by "next" and by choosing the document
    with ws.db.write() as s:
        s.execute(
            update(Document)
            .where(Document.id == claim.document_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    ws.queue.claim(claim.document_id, "sup")
    ws.queue.claim(claim.document_id, "sup")  # renewed: their own
    claims = [e for e in reversed(ws.audit.records(claim.document_id)) if e.details.get("to") == "in_review"]
    assert [(e.actor, e.details.get("taken_from")) for e in claims] == [
        ("clerk", None),
        ("clerk2", "clerk"),
        ("sup", "clerk2"),
        ("sup", None),
    ]


def test_release_and_renew(ws: Workspace, inbox: Path) -> None:
    ingest(ws, inbox, {"a.json": invoice("A")})
    claim = ws.queue.claim_next("clerk")
    assert claim is not None
    renewed = ws.queue.renew(claim.document_id, "clerk")
    assert renewed.lease_expires_at >= claim.lease_expires_at
    with pytest.raises(PermissionDeniedError):
        ws.queue.release(claim.document_id, "clerk2")  # another clerk's claim
    ws.queue.release(claim.document_id, "sup")  # a supervisor may
    assert ws.documents.get(claim.document_id).status is DocumentStatus.NEEDS_REVIEW
    again = ws.queue.claim_next("clerk2")
    assert again is not None and again.document_id == claim.document_id
    ws.queue.release(claim.document_id, "clerk2")
    assert ws.documents.get(claim.document_id).claimed_by is None
    for user in ("clerk2", "clerk", "sup"):  # released already: not claimed, for whoever asks (not "may not")
        with pytest.raises(ClaimError, match="is not claimed \\(it is needs review\\): nothing to release"):
            ws.queue.release(claim.document_id, user)


def test_paging_after_an_item_gives_the_same_pages_as_offsets(ws: Workspace, inbox: Path) -> None:
    ingest(ws, inbox, {f"{i:02d}.json": invoice(f"N{i}", conf=0.9 + (i % 4) / 100) for i in range(9)})
    everything = [i.id for i in ws.queue.list(limit=100)]
    pages, after = [], None
    while page := ws.queue.list(limit=4, after=after):
        pages.extend(i.id for i in page)
        after = page[-1].id
    assert pages == everything


def _clock_ahead(monkeypatch: pytest.MonkeyPatch, minutes: int) -> None:
    """This process's clock, as every module of the application reads it, ``minutes`` ahead of the true time:
    a desk whose clock drifted."""
    import sys

    shift = timedelta(minutes=minutes)

    class Ahead(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return datetime.now(tz) + shift

    for name, module in list(sys.modules.items()):
        if not name.startswith("idp_app") or module is None:
            continue
        if getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", Ahead)
        if callable(getattr(module, "utcnow", None)) and name != "idp_app.db.models":
            monkeypatch.setattr(module, "utcnow", lambda: datetime.now(UTC) + shift)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_desk_whose_clock_runs_ahead_does_not_take_a_document_another_clerk_holds(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(ws, inbox, {"a.json": invoice("A")})
    held = ws.queue.claim_next("clerk")  # a lease of fifteen minutes on the server's clock
    assert held is not None and ws.queue.lease_seconds == 15 * 60
    _clock_ahead(monkeypatch, 20)  # the other desk's clock: twenty minutes ahead
    assert ws.queue.claim_next("clerk2") is None
    with pytest.raises(ClaimError, match="claimed by clerk"):
        ws.queue.claim(held.document_id, "clerk2")
    renewed = ws.queue.renew(held.document_id, "clerk")  # a lease renewed there is reckoned on the server's clock
    assert renewed.lease_expires_at < datetime.now(UTC) + timedelta(seconds=ws.queue.lease_seconds + 60)
