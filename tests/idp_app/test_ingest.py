"""Ingest: de-duplication, storage of the full result, bad files, crashing extractors, the process pool."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from fake_extractors import invoice, write_doc
from sqlalchemy import func, select

from extractors.errors import ExtractionError
from idp_app.config import AppConfig
from idp_app.db.models import Document, Extraction
from idp_app.domain import DocumentStatus
from idp_app.errors import ConfigError, IllegalTransitionError, InputError, PermissionDeniedError
from idp_app.services import IngestReport, Workspace
from idp_app.services.storage import FileStore


def status_of(ws: Workspace, doc_id: int) -> DocumentStatus:
    return ws.documents.get(doc_id).status


def test_ingest_stores_the_full_result_and_routes(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A-1", warnings=["page 1 is rotated"]))
    report = ws.ingest.ingest([inbox], "clerk", workers=0)
    assert (report.imported, report.extracted, report.needs_review, report.failed) == (1, 1, 1, 0)
    [item] = ws.queue.list()
    doc = ws.documents.get(item.id)
    assert doc.status is DocumentStatus.NEEDS_REVIEW
    assert [r.code for r in doc.reasons] == ["unknown_vendor"]
    total = doc.fields["total_amount"]
    assert (total.value, total.confidence, total.page) == ("119.00", 0.97, 0)
    assert total.bbox_pt is not None and total.alternatives[0].value == "119.00x"
    assert total.evidence == ("label nearby",)
    assert [li.cells["amount"].value for li in doc.line_items] == ["60.00", "40.00"]
    assert doc.line_items[0].cells["amount"].bbox_pt is not None
    assert doc.warnings == ("page 1 is rotated",)
    assert doc.extraction is not None and doc.extraction["type"] == "invoice"
    # the original is kept by hash, read-only, byte for byte
    assert doc.file_path.read_bytes() == (inbox / "a.json").read_bytes()
    assert doc.file_path.parent.name == doc.sha256[:2] and doc.file_path.stem == doc.sha256
    assert not doc.file_path.stat().st_mode & 0o222


def test_same_content_is_imported_once(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A-1"))
    write_doc(inbox / "sub", "copy-of-a.json", invoice("A-1"))
    first = ws.ingest.ingest([inbox], workers=0)
    again = ws.ingest.ingest([inbox], workers=0)
    assert (first.imported, first.duplicates) == (1, 1)
    assert (again.imported, again.duplicates, again.extracted) == (0, 2, 0)
    with ws.db.read() as s:
        assert s.execute(select(func.count()).select_from(Document)).scalar_one() == 1


def test_bad_files_fail_alone_and_the_batch_goes_on(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "1-good.json", invoice("G-1"))
    write_doc(inbox, "2-corrupt.json", {"crash": "corrupt"})
    write_doc(inbox, "3-bug.json", {"crash": "bug"})
    write_doc(inbox, "4-empty.json", {"empty": True})
    (inbox / "5-not-json.json").write_text("{{{")
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.extracted, report.failed) == (5, 2, 3)
    failed = {name: msg for _, name, msg in report.failures}
    assert failed["2-corrupt.json"].endswith("the file is damaged")
    assert "bug" in failed["3-bug.json"]
    corrupt = next(d for d in ws.queue.list(_status(DocumentStatus.FAILED)) if d.filename == "2-corrupt.json")
    assert corrupt.reasons == ("the file is damaged",)  # the queue says why a file failed
    view = ws.documents.get(corrupt.id)
    assert (view.status, view.error_kind) == (DocumentStatus.FAILED, "corrupt_file")
    assert view.failed_rules == ()  # nothing was read, so no rule can fail ("vendor name not found")
    # an empty result (no type, no fields) is sent to review, not approved
    empty = next(d for d in ws.queue.list() if d.filename == "4-empty.json")
    assert "unknown_type" in {r.code for r in ws.documents.get(empty.id).reasons}


def test_a_supervisor_dismisses_a_failed_document_by_rejecting_it(ws: Workspace, inbox: Path) -> None:
    """A file that cannot be read would otherwise stay in the failed list and the reports for good."""
    write_doc(inbox, "2-corrupt.json", {"crash": "corrupt"})
    ws.ingest.ingest([inbox], workers=0)
    [failed] = ws.queue.list(_status(DocumentStatus.FAILED))
    with pytest.raises(PermissionDeniedError):
        ws.review.reject(failed.id, "clerk", "a damaged copy; the vendor sends it again")
    ws.review.reject(failed.id, "sup", "a damaged copy; the vendor sends it again")
    view = ws.documents.get(failed.id)
    assert (view.status, view.reject_reason) == (DocumentStatus.REJECTED, "a damaged copy; the vendor sends it again")
    assert ws.queue.list(_status(DocumentStatus.FAILED)) == []
    with pytest.raises(IllegalTransitionError):  # dismissed once: a rejected document is no longer failed
        ws.review.reject(failed.id, "sup", "again")


def test_a_file_name_that_is_not_utf8_and_an_unreadable_file_fail_alone(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_doc(inbox, "1-good.json", invoice("G-1"))
    latin1 = Path(os.fsdecode(bytes(inbox) + b"/2-r\xe9chnung.json"))  # as a Windows zip leaves it
    latin1.write_text(json.dumps(invoice("R-2")), encoding="utf-8")
    write_doc(inbox, "3-locked.json", invoice("L-3"))
    write_doc(inbox, "4-good.json", invoice("G-4"))
    put = FileStore.put

    def locked(self: FileStore, path: Path, sha: str | None = None) -> tuple[str, Path]:
        if path.name == "3-locked.json":
            raise PermissionError(13, "Permission denied")
        return put(self, path, sha)

    monkeypatch.setattr(FileStore, "put", locked)
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.extracted, report.failed) == (3, 3, 1)
    assert report.failures == [(0, "3-locked.json", "cannot read the file: Permission denied")]
    names = {d.filename for d in ws.queue.list(limit=100)}
    assert "2-réchnung.json" in names and "3-locked.json" not in names


def test_values_and_names_longer_than_the_database_keeps_do_not_stop_an_ingest(ws: Workspace, inbox: Path) -> None:
    """On PostgreSQL a value over its column's length or range is refused by the database; a document read with a
    twenty-digit total or a number of 150 characters, or a file with an extension of 30, is imported like any."""
    huge = invoice("A" * 150, total="99999999999999999999.00", vendor="V" * 400)
    write_doc(inbox, "1-huge.json", huge)
    write_doc(inbox, "2-invoice.json_backup_copy_2023_final", invoice("B-2"))
    write_doc(inbox, "3-line\nfailed 99 other.json", invoice("C-3"))
    write_doc(inbox, "4-good.json", invoice("D-4"))
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.extracted, report.failed) == (4, 4, 0)
    docs = {d.filename: d for d in ws.queue.list(limit=100)}
    assert "3-line?failed 99 other.json" in docs  # a line break in a name cannot forge a line of a report
    big = ws.documents.get(docs["1-huge.json"].id)
    assert big.fields["total_amount"].value == "99999999999999999999.00"  # the field keeps what was read
    ws.queue.claim(big.id, "sup")
    ws.review.approve(big.id, "sup", override_reason="checked")  # the vendor register takes a name that long


def test_what_in_a_folder_is_no_file_to_read_is_named_not_passed_over_in_silence(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "good.json", invoice("G-1"))
    (inbox / "nowhere.pdf").symlink_to(inbox / "gone.pdf")
    (inbox / "loopA").symlink_to(inbox / "loopB")
    (inbox / "loopB").symlink_to(inbox / "loopA")
    os.mkfifo(inbox / "pipe.pdf")
    elsewhere = inbox.parent / "elsewhere"
    elsewhere.mkdir()
    (inbox / "linked").symlink_to(elsewhere, target_is_directory=True)
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.extracted) == (1, 1)
    reasons = {Path(name).name: why for _, name, why in report.failures}
    assert reasons == {
        "nowhere.pdf": "a link to nothing (or to itself)",
        "loopA": "a link to nothing (or to itself)",
        "loopB": "a link to nothing (or to itself)",
        "pipe.pdf": "not a file",
        "linked": "a link to a folder: not followed (ingest the folder itself)",
    }
    assert report.failed == 5


def _status(status: DocumentStatus):  # type: ignore[no-untyped-def]
    from idp_app.services import QueueFilter

    return QueueFilter(status=status)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pool does not touch the database
def test_process_pool_and_a_worker_that_dies(ws: Workspace, inbox: Path) -> None:
    for i in range(4):
        write_doc(inbox, f"{i}.json", invoice(f"P-{i}"))
    write_doc(inbox, "dies.json", {"crash": "exit"})
    report = ws.ingest.ingest([inbox], workers=2)
    assert report.extracted == 4
    assert report.failed == 1
    assert report.failures[0][1] == "dies.json" and "crashed" in report.failures[0][2]


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_runs_killed_part_way_charge_an_attempt_only_to_the_documents_being_read(
    ws: Workspace, inbox: Path, workers: int
) -> None:
    """Three runs killed while reading one document fail that document, not the ones they never reached."""
    from fake_extractors import json_extract

    for i in range(6):
        write_doc(inbox, f"{i}.json", invoice(f"K-{i}"))
    ids = sorted(ws.ingest.import_file(inbox / f"{i}.json")[0] for i in range(6))
    killer_id = ids[1]
    real = ws.ingest.extract
    reached: list[str] = []

    class Killed(BaseException):
        """A run killed outright (a signal no code sees): nothing of the run's own runs after it."""

    def killed_at_the_second(path: Path, ctx: object) -> object:
        reached.append(Path(path).read_text(encoding="utf-8"))
        if "K-1" in reached[-1]:
            raise Killed  # the run is killed while it reads this one
        return json_extract(path, ctx)  # type: ignore[arg-type]

    ws.ingest.extract = killed_at_the_second  # type: ignore[assignment]
    for _ in range(3):
        with pytest.raises(Killed):
            ws.ingest.extract_pending(workers=0)
    # the second run began with the documents nobody had tried, the one a run stopped in last
    assert sum("K-1" in text for text in reached) == 3 and len(reached) == 2 + 5 + 1
    ws.ingest.extract = real
    report = ws.ingest.extract_pending(workers=workers)
    assert report.failures == [(killer_id, "1.json", "extraction stopped 3 times without finishing")]
    assert {status_of(ws, i) for i in ids if i != killer_id} <= {
        DocumentStatus.NEEDS_REVIEW,
        DocumentStatus.AUTO_APPROVED,
    }


def test_runs_interrupted_by_ctrl_c_charge_no_attempt(ws: Workspace, inbox: Path) -> None:
    """Ctrl+C says "nothing is lost": three of them while the same document was read had failed it for good."""
    from fake_extractors import json_extract

    for i in range(3):
        write_doc(inbox, f"{i}.json", invoice(f"C-{i}"))
    ids = sorted(ws.ingest.import_file(inbox / f"{i}.json")[0] for i in range(3))
    real = ws.ingest.extract

    def interrupted(path: Path, ctx: object) -> object:
        if "C-0" in Path(path).read_text(encoding="utf-8"):
            raise KeyboardInterrupt
        return json_extract(path, ctx)  # type: ignore[arg-type]

    ws.ingest.extract = interrupted  # type: ignore[assignment]
    for _ in range(4):
        with pytest.raises(KeyboardInterrupt):
            ws.ingest.extract_pending(workers=0)
    with ws.db.read() as s:
        first = s.get(Document, ids[0])
        assert first is not None and (first.attempts, first.claimed_by) == (0, None)
    ws.ingest.extract = real
    report = ws.ingest.extract_pending(workers=0)
    assert (report.extracted, report.failed) == (3, 0)  # each interrupted run stopped at the first one
    assert status_of(ws, ids[0]) in {DocumentStatus.NEEDS_REVIEW, DocumentStatus.AUTO_APPROVED}


def test_a_document_whose_storing_fails_every_run_is_found_out_and_the_others_extracted(
    ws: Workspace, inbox: Path
) -> None:
    """An error of the run's own (storing, routing) is not Ctrl+C: the document it came from keeps its attempt,
    so three runs fail it and the fourth gets past it."""
    for name in ("0bad", "1", "2"):
        write_doc(inbox, f"{name}.json", invoice(f"S-{name}"))
    ids = sorted(ws.ingest.import_file(inbox / f"{name}.json")[0] for name in ("0bad", "1", "2"))
    real = ws.ingest._route

    def route(s: Any, doc: Any, *args: Any, **kwargs: Any) -> Any:
        if doc.id == ids[0]:
            raise RuntimeError("cannot route this one")
        return real(s, doc, *args, **kwargs)

    ws.ingest._route = route  # type: ignore[method-assign]
    for _ in range(3):
        with pytest.raises(RuntimeError):
            ws.ingest.extract_pending(workers=0)
    report = ws.ingest.extract_pending(workers=0)
    assert report.failures == [(ids[0], "0bad.json", "extraction stopped 3 times without finishing")]
    assert status_of(ws, ids[0]) is DocumentStatus.FAILED
    assert {status_of(ws, i) for i in ids[1:]} <= {DocumentStatus.NEEDS_REVIEW, DocumentStatus.AUTO_APPROVED}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workers_that_die_again_and_again_leave_the_progress_counting_up(ws: Workspace, inbox: Path) -> None:
    for i in range(8):
        write_doc(inbox, f"{i}.json", {"crash": "exit", "n": i} if i % 3 == 1 else invoice(f"P-{i}"))
    seen: list[tuple[int, int]] = []
    report = ws.ingest.ingest([inbox], workers=2, progress=lambda done, total, _name: seen.append((done, total)))
    assert (report.extracted, report.failed) == (5, 3)
    assert [d for d, _ in seen] == list(range(1, 9)) and {t for _, t in seen} == {8}


def test_rerun_picks_up_documents_left_imported_or_extracting(ws: Workspace, inbox: Path) -> None:
    a = write_doc(inbox, "a.json", invoice("A-1"))
    b = write_doc(inbox, "b.json", invoice("B-1"))
    id_a, _ = ws.ingest.import_file(a)
    id_b, _ = ws.ingest.import_file(b)
    ws.ingest._start([id_b], IngestReport())  # as a run killed after marking it
    assert status_of(ws, id_a) is DocumentStatus.IMPORTED
    assert status_of(ws, id_b) is DocumentStatus.EXTRACTING
    report = ws.ingest.ingest([], workers=0)
    assert report.extracted == 2
    with ws.db.read() as s:
        assert s.execute(select(func.count()).select_from(Extraction)).scalar_one() == 2


def test_reextraction_replaces_fields_and_needs_a_supervisor(ws: Workspace, inbox: Path) -> None:
    path = write_doc(inbox, "a.json", invoice("A-1"))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    with pytest.raises(PermissionDeniedError):
        ws.ingest.reextract(item.id, "clerk")
    stored = ws.documents.file_path(item.id)
    stored.chmod(0o644)  # simulate a newer extractor reading the same document differently
    stored.write_text(path.read_text().replace("INV-1", "X").replace('"A-1"', '"A-2"'))
    ws.ingest.reextract(item.id, "sup")
    doc = ws.documents.get(item.id)
    assert doc.fields["invoice_number"].value == "A-2"
    assert doc.status is DocumentStatus.NEEDS_REVIEW
    ws.queue.claim(item.id, "clerk")
    with pytest.raises(IllegalTransitionError):
        ws.ingest.reextract(item.id, "sup")


def test_a_document_whose_original_this_desk_cannot_reach_is_not_reextracted(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A-1", conf=0.99))
    ws.ingest.ingest([inbox], workers=0)
    with ws.db.read() as s:
        doc_id = s.execute(select(Document.id)).scalar_one()
    before = ws.documents.get(doc_id).status
    ws.documents.file_path(doc_id).unlink()  # imported on a desk with another folder of originals
    with pytest.raises(ConfigError, match="IDP_FILES_DIR"):
        ws.ingest.reextract(doc_id, "sup")
    assert ws.documents.get(doc_id).status is before


def test_missing_path_is_an_input_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ws.ingest.ingest([tmp_path / "nope"], workers=0)


def test_hidden_files_and_a_shares_or_sample_corpus_own_files_are_skipped(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, ".hidden.json", invoice("H-1"))
    write_doc(inbox / ".git", "x.json", invoice("H-2"))
    for name in ("Thumbs.db", "desktop.ini", "truth.jsonl"):  # each failed as "not a document"
        (inbox / "scans" / name).parent.mkdir(exist_ok=True)
        (inbox / "scans" / name).write_bytes(b"\x00 not a document")
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.failed) == (0, 0)
    named = ws.ingest.ingest([inbox / "scans" / "Thumbs.db"], workers=0)  # named alone, it is read as any file
    assert named.failed == 1


def test_clerk_may_ingest_but_an_unknown_user_may_not(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A-1"))
    from idp_app.errors import AuthenticationError

    with pytest.raises(AuthenticationError):
        ws.ingest.ingest([inbox], "mallory", workers=0)
    assert ws.ingest.ingest([inbox], "clerk", workers=0).imported == 1


def test_watch_ingests_files_that_appear_in_the_hot_folder(ws: Workspace, inbox: Path) -> None:
    import os
    import time

    old = write_doc(inbox, "old.json", invoice("W-1"))
    os.utime(old, (time.time() - 10, time.time() - 10))
    fresh = write_doc(inbox, "being-written.json", invoice("W-2"))  # too new: taken on a later poll
    reports: list[IngestReport] = []
    polls = iter(range(3))

    def stop() -> bool:
        if next(polls, None) == 1:
            os.utime(fresh, (time.time() - 10, time.time() - 10))
        return len(reports) >= 2

    ws.ingest.watch([inbox], interval=0.01, workers=0, on_batch=reports.append, should_stop=stop)
    assert [r.imported for r in reports] == [1, 1]
    assert {i.filename for i in ws.queue.list()} == {"old.json", "being-written.json"}


def test_watch_waits_for_a_file_written_in_two_goes(ws: Workspace, inbox: Path) -> None:
    """Half a document, a pause of over a second, then the rest: read once, whole."""
    whole = json.dumps(invoice("H-1")).encode("utf-8")
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / "halves.json"
    path.write_bytes(whole[: len(whole) // 2])
    os.utime(path, (time.time() - 10, time.time() - 10))
    reports: list[IngestReport] = []
    polls = iter(range(20))

    def stop() -> bool:
        n = next(polls, None)
        if n == 1:  # the rest, after the first poll saw the first half
            path.write_bytes(whole)
            os.utime(path, (time.time() - 5, time.time() - 5))
        return n is None or sum(r.imported + r.failed for r in reports) >= 1

    ws.ingest.watch([inbox], interval=0.01, workers=0, on_batch=reports.append, should_stop=stop)
    assert [(r.imported, r.failed) for r in reports] == [(1, 0)]
    [item] = ws.queue.list()
    assert ws.documents.get(item.id).fields["invoice_number"].value == "H-1"


def test_watch_tries_again_a_file_it_could_not_read(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = write_doc(inbox, "locked.json", invoice("L-1"))
    os.utime(locked, (time.time() - 10, time.time() - 10))
    put = FileStore.put
    tries: list[str] = []

    def first_time_locked(self: FileStore, path: Path, sha: str | None = None) -> tuple[str, Path]:
        tries.append(path.name)
        if len(tries) == 1:
            raise PermissionError(13, "Permission denied")  # a scanner still holding the file, say
        return put(self, path, sha)

    monkeypatch.setattr(FileStore, "put", first_time_locked)
    reports: list[IngestReport] = []
    polls = iter(range(50))

    def stop() -> bool:
        return len(reports) >= 2 or next(polls, None) is None

    ws.ingest.watch([inbox], interval=0.01, workers=0, on_batch=reports.append, should_stop=stop)
    assert [(r.imported, r.failed) for r in reports] == [(0, 1), (1, 0)]
    assert [i.filename for i in ws.queue.list()] == ["locked.json"]


def test_watch_goes_on_when_a_file_vanishes_between_poll_and_import(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idp_app.services import ingest as ingest_module

    kept = write_doc(inbox, "kept.json", invoice("K-1"))
    gone = write_doc(inbox, "gone.json", invoice("G-1"))
    for path in (kept, gone):
        os.utime(path, (time.time() - 10, time.time() - 10))
    collect = ingest_module.collect
    calls: list[int] = []

    def listed_then_moved(paths: Any, passed_over: Any = None) -> list[Path]:
        calls.append(1)
        if len(calls) == 2 and gone.exists():  # the import's own listing: gone since the poll listed it
            gone.unlink()
        return collect(paths, passed_over)

    monkeypatch.setattr(ingest_module, "collect", listed_then_moved)
    reports: list[IngestReport] = []
    polls = iter(range(20))

    def stop() -> bool:
        return len(reports) >= 1 or next(polls, None) is None

    ws.ingest.watch([inbox], interval=0.01, workers=0, on_batch=reports.append, should_stop=stop)
    assert [(r.imported, r.failed) for r in reports] == [(1, 0)]
    assert [i.filename for i in ws.queue.list()] == ["kept.json"]


def test_a_field_schema_that_cannot_be_used_stops_the_desk_and_its_documents_are_read_once_it_is_mended(
    config: AppConfig, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_extractors import json_extract

    from extractors.fields import schema

    schemas = tmp_path / "schemas"
    schemas.mkdir()
    for name in schema.SCHEMA_TYPES:
        (schemas / f"{name}.toml").write_bytes((schema.SCHEMA_DIR / f"{name}.toml").read_bytes())
    monkeypatch.setattr(schema, "SCHEMA_DIR", schemas)
    good = (schemas / "invoice.toml").read_text(encoding="utf-8")

    def reads_its_schema(path: Path, ctx: Any) -> Any:
        schema.load_schema("invoice")
        return json_extract(path, ctx)

    try:
        with Workspace.open(config, extract=reads_its_schema, upgrade=True) as desk:
            desk.users.add("boss", "boss-pw", "admin")
            desk.users.add("clerk", "clerk-pw", "clerk", by="boss")
            write_doc(inbox, "b.json", invoice("B-1", conf=0.5))
            desk.ingest.ingest([inbox], workers=0)
            [held] = [i.id for i in desk.queue.list()]
            desk.queue.claim(held, "clerk")
            desk.review.correct(held, "net_amount", "101.00", "clerk")
            (schemas / "invoice.toml").write_text(good.replace("required = true", 'required = "yes"', 1), "utf-8")
            schema._load.cache_clear()  # as a new worker process reads it
            # the clerk's type and values wait for the schema, rather than the document being read as it was
            with pytest.raises(ExtractionError, match="read as receipt, with the values you set, by the first run"):
                desk.ingest.set_type(held, "receipt", "clerk")
            assert (desk.documents.get(held).status.value, desk.documents.get(held).doc_type) == ("failed", "receipt")
            write_doc(inbox, "a.json", invoice("A-1"))
            report = desk.ingest.ingest([inbox / "a.json"], workers=0)  # the schema was broken while the desk was open
            assert report.failed == 1  # the new one; the one waiting for its type is not tried while it is broken
            [doc_id] = [f[0] for f in report.failures]
            with desk.db.read() as s:
                doc = s.get(Document, doc_id)
                assert doc is not None and (doc.status, doc.error_kind, doc.attempts) == ("failed", "schema_file", 0)
                assert "invoice.toml: field schema: fields.vendor_name.required must be true or false" in doc.error
            assert desk.ingest.extract_pending(workers=0).extracted == 0  # still broken: not read again
        with pytest.raises(ConfigError, match=r"invoice.toml: field schema: fields.vendor_name.required must be"):
            Workspace.open(config)
        (schemas / "invoice.toml").write_text(good, "utf-8")
        with Workspace.open(config, extract=reads_its_schema) as desk:
            assert desk.ingest.extract_pending(workers=0).extracted == 2  # mended: read again without a command
            assert desk.documents.get(doc_id).status.value in ("needs_review", "auto_approved")
            net = desk.documents.get(held).fields["net_amount"]
            assert (net.value, net.corrected) == ("101.00", True)
    finally:
        schema._load.cache_clear()


def test_a_type_set_whose_reading_is_stopped_part_way_keeps_the_clerks_values(ws: Workspace, inbox: Path) -> None:
    from fake_extractors import json_extract

    stopped: list[Path] = []

    def stopped_once(path: Path, ctx: Any) -> Any:
        if ctx.doc_type == "receipt" and not stopped:
            stopped.append(path)
            raise KeyboardInterrupt  # Ctrl+C while the document is read as a receipt
        return json_extract(path, ctx)

    ws.ingest.extract = stopped_once
    write_doc(inbox, "a.json", invoice("A-1", conf=0.5))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    ws.queue.claim(item.id, "clerk")
    ws.review.correct(item.id, "net_amount", "101.00", "clerk")
    with pytest.raises(KeyboardInterrupt):
        ws.ingest.set_type(item.id, "receipt", "clerk")
    assert ws.documents.get(item.id).status == DocumentStatus.EXTRACTING
    assert ws.ingest.extract_pending(workers=0).extracted == 1  # the next run, whichever it is
    doc = ws.documents.get(item.id)
    assert doc.status == DocumentStatus.NEEDS_REVIEW
    assert (doc.fields["net_amount"].value, doc.fields["net_amount"].corrected) == ("101.00", True)
    ws.ingest.reextract(item.id, "sup")  # read again later: the clerk's value from before is not forced on it
    assert ws.documents.get(item.id).fields["net_amount"].value == "100.00"


def test_a_value_the_clerk_set_survives_a_type_without_its_field(ws: Workspace, inbox: Path) -> None:
    """Payment terms corrected on an invoice, read as a receipt (which has no such field), then as an invoice
    again: the clerk's terms come back."""
    from fake_extractors import json_extract

    def by_type(path: Path, ctx: Any) -> Any:
        result = json_extract(path, ctx)
        if ctx.doc_type == "receipt":
            result.fields.pop("payment_terms")
        return result

    ws.ingest.extract = by_type
    data = invoice("A-1", conf=0.5)
    data["fields"]["payment_terms"] = ["14 days", 0.5]
    write_doc(inbox, "a.json", data)
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    ws.queue.claim(item.id, "clerk")
    ws.review.correct(item.id, "payment_terms", "30 days net", "clerk")
    ws.ingest.set_type(item.id, "receipt", "clerk")
    assert "payment_terms" not in ws.documents.get(item.id).fields
    ws.queue.claim(item.id, "clerk")
    ws.ingest.set_type(item.id, "invoice", "clerk")
    terms = ws.documents.get(item.id).fields["payment_terms"]
    assert (terms.value, terms.corrected) == ("30 days net", True)
