"""An approval pays off on the documents of its layout already waiting in the queue: they were read before it, and
are read again with what it taught vendor memory, unless a person has taken them up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from idp_app.config import AppConfig
from idp_app.db.models import AuditEntry, Document
from idp_app.learning.extract import ReadAgain, read_again_in_layout, said_of, waiting_in_layout
from idp_app.samples.corpus import make_invoice
from idp_app.services import Workspace
from tests.extractors.test_memory import FIRST, SECOND, VENDOR, odd_invoice, truth_of

THIRD = {"number": "KS-51502", "date": "19.06.2024", "net": "40.00", "tax": "7.60", "total": "47.60"}
TITLE = ("Invoice", "Tax invoice for goods delivered, payable to our bank account")
"""Under the title, so that the layout no model has seen is read as an invoice."""


@pytest.fixture
def desk(config: AppConfig, inbox: Path) -> Workspace:
    """A desk extracting with the shipped model and vendor memory: three invoices of one vendor in a layout no
    model has seen (whose net and tax the model does not find), and one of a layout it knows."""
    inbox.mkdir()
    for name, values in (("a", FIRST), ("b", SECOND), ("c", THIRD)):
        items = [("Canvas tent", values["net"])]
        odd_invoice(inbox / f"{name}.pdf", VENDOR, values, items, header=TITLE)
    make_invoice(inbox / "d.pdf", seed=3)
    ws = Workspace.open(config, upgrade=True)
    ws.users.add("boss", "boss-pw", "admin")
    ws.users.add("sup", "sup-pw", "supervisor", by="boss")
    ws.users.add("clerk2", "clerk-pw", "clerk", by="boss")
    ws.ingest.ingest([inbox], workers=0)
    return ws


def ids_of(ws: Workspace) -> dict[str, int]:
    with ws.db.read() as s:
        return {Path(d.filename).stem: d.id for d in s.execute(select(Document)).scalars()}


def values(ws: Workspace, doc_id: int) -> dict[str, str | None]:
    fields = ws.documents.get(doc_id).fields
    return {name: fields[name].value if name in fields else None for name in truth_of(FIRST)}


def corrected_and_approved(ws: Workspace, doc_id: int) -> None:
    ws.queue.claim(doc_id, "sup")
    for name, true in truth_of(FIRST).items():
        if values(ws, doc_id)[name] != true:
            ws.review.correct(doc_id, name, true, "sup")
    ws.review.approve(doc_id, "sup", override_reason="a new vendor")


def test_an_approval_reads_the_waiting_documents_of_its_layout_again_with_what_it_taught(desk: Workspace) -> None:
    ids = ids_of(desk)
    assert all(d.status == "needs_review" for d in (desk.documents.get(i) for i in ids.values()))
    assert values(desk, ids["b"])["net_amount"] != SECOND["net"]  # not found before
    before_c, before_d = desk.ingest.stored_result(ids["c"]), desk.ingest.stored_result(ids["d"])
    desk.queue.claim(ids["c"], "clerk2")  # a person has it open: left as it is

    corrected_and_approved(desk, ids["a"])
    read = read_again_in_layout(desk, ids["a"])

    assert [(r.doc_id, r.outcome) for r in read] == [(ids["b"], "needs_review")]
    assert values(desk, ids["b"]) == truth_of(SECOND)
    assert desk.ingest.stored_result(ids["c"]) == before_c
    assert desk.ingest.stored_result(ids["d"]) == before_d  # another layout
    said = said_of(read)
    assert said == f"1 document of this layout in the queue read again with what it taught ({ids['b']})"
    with desk.db.read() as s:
        why = [
            json.loads(p)
            for p in s.execute(
                select(AuditEntry.payload).where(AuditEntry.document_id == ids["b"], AuditEntry.action == "transition")
            ).scalars()
        ]
    assert {"from": "needs_review", "to": "extracting", "learned_from": ids["a"]}.items() <= why[-3].items()
    assert read_again_in_layout(desk, ids["a"]) == []  # read since the approval: not again
    desk.queue.release(ids["c"], "clerk2")  # waiting again, untouched, as read before
    desk.queue.claim(ids["b"], "sup")
    desk.review.approve(ids["b"], "sup", override_reason="a new vendor")  # all read right: nothing corrected
    assert read_again_in_layout(desk, ids["b"]) == []  # it taught nothing the layout's reading lacked


def test_a_document_a_person_took_up_meanwhile_is_left_as_it_was_read(desk: Workspace) -> None:
    ids = ids_of(desk)
    corrected_and_approved(desk, ids["a"])
    waiting = {w[0]: w for w in waiting_in_layout(desk, ids["a"])}
    assert set(waiting) == {ids["b"], ids["c"]}
    extract = desk.ingest.extract

    def again(name: str, since: object = None) -> str:
        _id, sha, suffix, extracted_at = waiting[ids[name]]
        result = extract(desk.ingest.original(sha, suffix), desk.ingest.context)
        at = extracted_at if since is None else since
        return desk.ingest.read_again_in_queue(ids[name], result, extracted_at=at, learned_from=ids["a"])

    before = {i: desk.ingest.stored_result(i) for i in waiting}
    desk.queue.claim(ids["b"], "clerk2")  # between finding it and storing its new reading
    assert again("b") == "taken"
    desk.queue.release(ids["b"], "clerk2")
    assert again("b", since=waiting[ids["b"]][3].replace(year=2000)) == "already"  # read again since
    desk.queue.claim(ids["c"], "clerk2")  # corrected, then given back to the queue
    desk.review.correct(ids["c"], "po_number", "PO-1", "clerk2")
    desk.queue.release(ids["c"], "clerk2")
    assert again("c") == "taken"
    assert {i: desk.ingest.stored_result(i) for i in waiting} == before
    assert [w[0] for w in waiting_in_layout(desk, ids["a"])] == [ids["b"]]  # the corrected one is not looked at


def test_what_was_read_again_is_said_in_one_line() -> None:
    read = [ReadAgain(7, "needs_review"), ReadAgain(9, "auto_approved"), ReadAgain(4, "taken")]
    assert said_of(read) == (
        "2 documents of this layout in the queue read again with what it taught (7, 9); 1 of them now passing "
        "straight through; 1 document taken up by a person meanwhile, left as read"
    )
    assert said_of([ReadAgain(7, "unchanged")]) == "1 document read again, no value changed"
    assert said_of([]) is None


def test_idp_approve_says_which_waiting_documents_it_read_again(
    desk: Workspace, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from idp_app.cli import app

    monkeypatch.setenv("IDP_HOME", str(config.home))
    monkeypatch.setenv("IDP_DATABASE_URL", config.database_url)
    monkeypatch.delenv("IDP_USER", raising=False)
    monkeypatch.setenv("IDP_PASSWORD", "sup-pw")  # a team database asks for it
    ids = ids_of(desk)
    desk.queue.claim(ids["a"], "sup")
    for name, true in truth_of(FIRST).items():
        if values(desk, ids["a"])[name] != true:
            desk.review.correct(ids["a"], name, true, "sup")

    result = CliRunner().invoke(app, ["approve", str(ids["a"]), "--user", "sup"])

    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # as the terminal's width wraps it
    one, other = ids["b"], ids["c"]
    assert said in (
        f"approved {ids['a']} 2 documents of this layout in the queue read again with what it taught ({one}, {other})",
        f"approved {ids['a']} 2 documents of this layout in the queue read again with what it taught ({other}, {one})",
    )
    assert values(desk, ids["c"]) == truth_of(THIRD)


def test_a_scan_is_read_again_from_what_ocr_read_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cv2

    import extractors.readers
    from extractors.context import ExtractionContext
    from idp_app.learning.extract import LearnedExtract
    from idp_app.samples.scan import rasterise

    make_invoice(tmp_path / "inv.pdf", seed=5)
    [pixels] = rasterise((tmp_path / "inv.pdf").read_bytes(), 200, grayscale=True)
    cv2.imwrite(str(tmp_path / "inv.png"), pixels)
    kept = tmp_path / "read"
    extract = LearnedExtract(tmp_path / "models", read_dir=kept)
    ctx = ExtractionContext(ocr_dpi=200)
    first = extract(tmp_path / "inv.png", ctx)
    extract(tmp_path / "inv.pdf", ctx)  # a text layer reads fast: not kept
    [file] = kept.iterdir()

    def no_reading(*_args: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(extractors.readers, "read_document", no_reading)
    again = extract(tmp_path / "inv.png", ctx)
    assert again.to_json()["fields"] == first.to_json()["fields"]
    assert len(list(kept.iterdir())) == 1
    with pytest.raises(AssertionError, match="read again"):  # other reading settings: read anew
        extract(tmp_path / "inv.png", ExtractionContext(ocr_dpi=300))
    file.write_text(file.read_text().replace('"reader":"', '"reader":"x'))  # kept by other readers: read anew
    with pytest.raises(AssertionError, match="read again"):
        extract(tmp_path / "inv.png", ctx)


def test_a_reading_under_way_at_the_approval_is_read_again(desk: Workspace) -> None:
    """Which documents were read before an approval is told by the audit log's order, not by clocks: one whose
    reading started before it and was stored after it was read without what it taught."""
    from idp_app.domain import DocumentStatus
    from idp_app.services import lifecycle

    ids = ids_of(desk)
    path = desk.ingest.original(desk.documents.get(ids["c"]).sha256, ".pdf")
    with desk.db.write() as s:  # a run starts reading c again, with the memory as it is now
        doc = s.get(Document, ids["c"])
        assert doc is not None
        lifecycle.transition(s, doc, DocumentStatus.EXTRACTING, "system")
        doc.claimed_by = desk.ingest.run_id
    old = desk.ingest.extract(path, desk.ingest.context)

    corrected_and_approved(desk, ids["a"])
    assert desk.ingest.store_result(ids["c"], old) is not None  # stored after the approval

    assert sorted(w[0] for w in waiting_in_layout(desk, ids["a"])) == [ids["b"], ids["c"]]
    read_again_in_layout(desk, ids["a"])
    assert values(desk, ids["c"]) == truth_of(THIRD)


def test_a_document_a_supervisor_sent_back_with_a_reason_waits_as_it_is(desk: Workspace) -> None:
    """An auto-approved document reopened has nothing corrected or confirmed; its values are what the
    supervisor's reason is about, and stay as they are for the person who reads it."""
    from idp_app.db.models import Reason
    from idp_app.services.routing import REOPENED

    ids = ids_of(desk)
    with desk.db.write() as s:  # as reopening an auto-approved document leaves it
        s.add(Reason(document_id=ids["c"], code=REOPENED, message="sup: the tax is wrong", fields=[], risk=100))
    corrected_and_approved(desk, ids["a"])
    with desk.db.read() as s:
        waiting = {d.id: d.extracted_at for d in s.execute(select(Document)).scalars()}
    before = desk.ingest.stored_result(ids["c"])

    assert [w[0] for w in waiting_in_layout(desk, ids["a"])] == [ids["b"]]
    result = desk.ingest.extract(desk.ingest.original(desk.documents.get(ids["c"]).sha256, ".pdf"), desk.ingest.context)
    told = desk.ingest.read_again_in_queue(ids["c"], result, extracted_at=waiting[ids["c"]], learned_from=ids["a"])
    assert told == "taken" and desk.ingest.stored_result(ids["c"]) == before


def test_before_the_next_document_opens_the_one_the_queue_gives_next_is_read_again(desk: Workspace) -> None:
    """Reading one makes it less risky, so that another of the layout may come first in the queue: reading goes on
    while the queue's next document is one waiting to be read again."""
    ids = ids_of(desk)
    corrected_and_approved(desk, ids["a"])
    layout = {ids["b"], ids["c"]}
    assert desk.queue.next_up() in layout  # the riskiest: both lack their net and tax

    read = read_again_in_layout(desk, ids["a"], before_next=True)

    done = {r.doc_id for r in read}
    assert done and done <= layout
    assert desk.queue.next_up() not in layout - done  # what the clerk opens next was read with what a taught
    rest = read_again_in_layout(desk, ids["a"], passed=tuple(done))
    assert {r.doc_id for r in rest} == layout - done
