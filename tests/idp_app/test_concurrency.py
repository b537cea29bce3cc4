"""Many clerks at once, and processes killed in the middle of a write."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_extractors import invoice, json_extract, write_doc
from sqlalchemy import func, insert, select, update

from idp_app.config import AppConfig
from idp_app.db.models import CorrectionRow, Document, Extraction, Vendor
from idp_app.domain import DocumentStatus
from idp_app.services import Workspace

WORKERS = Path(__file__).resolve().parent / "workers.py"


def add_review_documents(ws: Workspace, n: int) -> None:
    rows = [
        {
            "sha256": f"{i:064x}",
            "filename": f"doc{i}.pdf",
            "source_path": f"/in/doc{i}.pdf",
            "suffix": ".pdf",
            "size_bytes": 1,
            "status": DocumentStatus.NEEDS_REVIEW.value,
            "queued": True,
            "risk": i % 7,
            "priority": -(i % 7),
            "min_confidence": (i % 100) / 100,
            "attempts": 1,
            "qa_sample": False,
        }
        for i in range(n)
    ]
    with ws.db.write() as s:
        s.execute(insert(Document), rows)


def _clerk(home: str, url: str, user: str, start: Any, results: Any) -> None:
    """One clerk's process: open its own workspace, wait for the others, claim until the queue is empty."""
    got: list[int] = []
    try:
        with Workspace.open(AppConfig.for_directory(Path(home), url), extract=json_extract) as ws:
            start.wait(timeout=120)
            while (claim := ws.queue.claim_next(user)) is not None:
                got.append(claim.document_id)
    finally:
        results.put((user, got))


def _context() -> Any:
    """Fork where the platform has it: the clerks start with the modules already imported.

    Spawning 8 interpreters that each import SQLAlchemy and the services cost about a minute on a busy
    2-core machine, most of this test's time; the claims themselves are the same either way. The parent's
    connections are closed before forking, so no child shares one.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_eight_clerks_never_get_the_same_document(ws: Workspace, config: AppConfig) -> None:
    clerks = [f"c{i}" for i in range(8)]
    for name in clerks:
        ws.users.add(name, "pw-pw", "clerk", by="boss")
    add_review_documents(ws, 1000)  # one INSERT statement, not the ingest service
    ws.db.engine.dispose()
    ctx = _context()
    start, results = ctx.Barrier(len(clerks)), ctx.Queue()
    procs = [
        ctx.Process(target=_clerk, args=(str(config.home), config.database_url, c, start, results)) for c in clerks
    ]
    for p in procs:
        p.start()
    by_clerk = dict(results.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    claimed = [doc for got in by_clerk.values() for doc in got]
    assert len(claimed) == 1000
    assert len(set(claimed)) == 1000, [d for d, n in Counter(claimed).items() if n > 1][:10]
    assert sum(1 for got in by_clerk.values() if got) >= 2  # they really ran side by side
    owner = {doc: clerk for clerk, got in by_clerk.items() for doc in got}
    with ws.db.read() as s:
        holders = dict(s.execute(select(Document.id, Document.claimed_by)).all())
    assert holders == owner
    # the audit log tells the same story: one claim per document, by the clerk who holds it
    claims = [
        (r.document_id, r.actor)
        for r in ws.audit.records(limit=5000)
        if r.action == "transition" and r.details["to"] == DocumentStatus.IN_REVIEW.value
    ]
    assert len(claims) == 1000 and dict(claims) == owner
    assert ws.audit.verify().ok


def _run_until_paused(args: list[str], point: str, tmp_path: Path) -> None:
    marker = tmp_path / f"paused-{point}"
    env = {**os.environ, "IDP_PAUSE_AT": point, "IDP_PAUSE_FILE": str(marker), "IDP_PAUSE_SECONDS": "120"}
    proc = subprocess.Popen([sys.executable, str(WORKERS), *args], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"the process ended (status {proc.returncode}) before reaching {point}")
            if time.monotonic() > deadline:
                pytest.fail(f"the process never reached {point}")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_killed_mid_ingest_loses_nothing_and_does_nothing_twice(
    ws: Workspace, config: AppConfig, inbox: Path, tmp_path: Path
) -> None:
    for i in range(3):
        write_doc(inbox, f"{i}.json", invoice(f"K-{i}"))
    _run_until_paused(["ingest", str(config.home), config.database_url, str(inbox)], "ingest.store", tmp_path)
    with ws.db.read() as s:
        statuses = Counter(s.execute(select(Document.status)).scalars())
        assert s.execute(select(func.count()).select_from(Extraction)).scalar_one() == 0
    # all recorded; the one being read marked extracting (its result's transaction rolled back), the others not
    # reached yet left imported: no attempt is charged to them
    assert statuses == {"extracting": 1, "imported": 2}
    assert ws.audit.verify().ok
    report = ws.ingest.ingest([inbox], workers=0)
    assert (report.imported, report.duplicates, report.extracted) == (0, 3, 3)
    with ws.db.read() as s:
        assert s.execute(select(func.count()).select_from(Extraction)).scalar_one() == 3
        assert Counter(s.execute(select(Document.status)).scalars()) == {"needs_review": 3}
    extracted = Counter(
        r.document_id
        for r in ws.audit.records(limit=1000)
        if r.action == "transition" and r.details["to"] == "extracted"
    )
    assert sorted(extracted.values()) == [1, 1, 1]
    assert ws.audit.verify().ok


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a parent's death signal is Linux's")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_workers_of_a_killed_ingest_end_with_it(
    ws: Workspace, config: AppConfig, inbox: Path, tmp_path: Path
) -> None:
    for i in range(3):
        write_doc(inbox, f"{i}.json", invoice(f"W-{i}"))
    marker = tmp_path / "paused-ingest.store"
    env = {**os.environ, "IDP_PAUSE_AT": "ingest.store", "IDP_PAUSE_FILE": str(marker), "IDP_PAUSE_SECONDS": "120"}
    args = [sys.executable, str(WORKERS), "ingest-pool", str(config.home), config.database_url, str(inbox)]
    proc = subprocess.Popen(args, env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        workers = [c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
        assert len(workers) == 2
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)  # none left waiting on a dead run's pipe


def test_killed_mid_approve_leaves_the_document_in_review(
    ws: Workspace, config: AppConfig, inbox: Path, tmp_path: Path
) -> None:
    write_doc(inbox, "a.json", invoice("A-1"))
    ws.ingest.ingest([inbox], workers=0)
    claim = ws.queue.claim_next("clerk")
    assert claim is not None
    ws.review.correct(claim.document_id, "invoice_number", "A-2", "clerk")
    args = ["approve", str(config.home), config.database_url, str(claim.document_id), "clerk"]
    _run_until_paused(args, "review.approve", tmp_path)
    doc = ws.documents.get(claim.document_id)
    assert (doc.status, doc.claimed_by, doc.fields["invoice_number"].value) == (
        DocumentStatus.IN_REVIEW,
        "clerk",
        "A-2",
    )
    with ws.db.read() as s:
        assert s.execute(select(func.count()).select_from(CorrectionRow)).scalar_one() == 1  # no confirmations
        assert s.execute(select(func.count()).select_from(Vendor)).scalar_one() == 0
    assert ws.audit.verify().ok
    ws.review.approve(claim.document_id, "clerk")
    assert ws.documents.get(claim.document_id).status is DocumentStatus.APPROVED
    assert ws.audit.verify().ok


@contextlib.contextmanager
def run_a_reading(config: AppConfig, inbox: Path, documents: int) -> Iterator[tuple[Workspace, Workspace]]:
    """Run A extracts ``documents`` imported invoices in a thread, held inside its first until the block ends;
    run B is another workspace on the same database. Yields (A, B) once A is reading."""
    reading, release = threading.Event(), threading.Event()

    def slow(path: Path, ctx: Any) -> Any:
        reading.set()
        release.wait(60)
        return json_extract(path, ctx)

    with (
        Workspace.open(config, extract=slow, upgrade=True) as a,
        Workspace.open(config, extract=json_extract) as b,
    ):
        for k in range(documents):
            a.ingest.import_file(write_doc(inbox, f"{k}.json", invoice(f"A-{k}")))
        run_a = threading.Thread(target=a.ingest.extract_pending, kwargs={"workers": 0})
        run_a.start()
        try:
            assert reading.wait(60)
            yield a, b
        finally:
            release.set()
            run_a.join(60)


def test_a_second_run_leaves_alone_the_document_another_run_is_reading_and_shares_the_rest(
    config: AppConfig, inbox: Path
) -> None:
    with run_a_reading(config, inbox, 3) as (_, b):
        with b.db.read() as s:
            reading = s.execute(select(Document.id).where(Document.status == "extracting")).scalars().all()
        waiting = b.ingest.pending()
        # A reads the first; the two it has not reached are free for B
        assert len(reading) == 1 and len(waiting) == 2 and reading[0] not in waiting
        second = b.ingest.extract_pending(workers=0)
        assert (second.extracted, second.failed) == (2, 0)
    with Workspace.open(config, extract=json_extract) as ws, ws.db.read() as s:  # run A has finished
        rows = s.execute(select(Document.status, Document.attempts, Document.claimed_by)).all()
    assert all(r[0] in ("needs_review", "auto_approved") for r in rows)
    assert [r[1] for r in rows] == [1, 1, 1] and all(r[2] is None for r in rows)


def test_documents_of_a_killed_or_lapsed_run_are_taken_over(config: AppConfig, inbox: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Workspace.open(config, extract=json_extract, upgrade=True) as ws:
        for k in range(3):
            write_doc(inbox, f"{k}.json", invoice(f"A-{k}"))
        ids = [ws.ingest.import_file(p)[0] for p in sorted(inbox.iterdir())]
        later, earlier = datetime.now(UTC) + timedelta(minutes=10), datetime.now(UTC) - timedelta(minutes=1)
        holders = [
            (f"ingest:{socket.gethostname()[:40]}:{dead.pid}:0", later),  # killed on this machine
            ("ingest:other-desk:4242:0", earlier),  # lapsed: its lease ran out
            ("ingest:other-desk:4242:1", later),  # at work on another desk
        ]
        with ws.db.write() as s:
            for doc_id, (holder, until) in zip(ids, holders, strict=True):
                s.execute(
                    update(Document)
                    .where(Document.id == doc_id)
                    .values(status="extracting", claimed_by=holder, lease_expires_at=until, attempts=1)
                )
        assert ws.ingest.pending() == ids[:2]
        report = ws.ingest.extract_pending(workers=0)
        assert report.extracted == 2
        assert ws.documents.get(ids[2]).status.value == "extracting"


def test_a_reextraction_holds_its_document_so_another_run_leaves_it(
    config: AppConfig, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idp_app.services.ingest import IngestService

    with Workspace.open(config, extract=json_extract, upgrade=True) as ws:
        ws.users.add("boss", "boss-pw", "admin")
        write_doc(inbox, "a.json", invoice("A-1"))
        ws.ingest.ingest([inbox], workers=0)
        [doc_id] = ws.ingest.pending() or [i.id for i in ws.queue.list()]
        seen: dict[str, list[int]] = {}
        extract_pending = IngestService.extract_pending

        def other_run_looks_first(self: IngestService, **kwargs: Any) -> Any:
            with Workspace.open(config, extract=json_extract) as other:  # a hot-folder watch, say
                seen["other"] = other.ingest.pending()
            return extract_pending(self, **kwargs)

        monkeypatch.setattr(IngestService, "extract_pending", other_run_looks_first)
        report = ws.ingest.reextract(doc_id, "boss")
        assert seen["other"] == [] and report.extracted == 1


def test_a_run_keeps_its_hold_while_one_long_document_is_read(
    config: AppConfig, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idp_app.services import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "EXTRACT_LEASE_SECONDS", 0.6)  # a lease of 0.6 s, renewed every 0.1 s
    monkeypatch.setattr(ingest_module, "RENEW_SECONDS", 0.1)
    with run_a_reading(config, inbox, 2) as (_, b):
        time.sleep(1.5)  # two and a half leases: held only if renewed while the first document is read
        with b.db.read() as s:
            reading = s.execute(select(Document.id).where(Document.status == "extracting")).scalars().all()
        assert len(reading) == 1 and reading[0] not in b.ingest.pending()
