"""Many clerks at once, and processes killed in the middle of a write."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc
from sqlalchemy import func, insert, select

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


def test_eight_clerks_never_get_the_same_document(ws: Workspace, config: AppConfig) -> None:
    clerks = [f"c{i}" for i in range(8)]
    for name in clerks:
        ws.users.add(name, "pw-pw", "clerk", by="boss")
    add_review_documents(ws, 1000)
    ctx = multiprocessing.get_context("spawn")
    from workers import claim_all

    with ctx.Pool(8) as pool:
        results = pool.starmap(claim_all, [(str(config.home), config.database_url, c) for c in clerks])
    claimed = [doc for got in results for doc in got]
    assert len(claimed) == 1000
    assert len(set(claimed)) == 1000, [d for d, n in Counter(claimed).items() if n > 1][:10]
    assert sum(1 for got in results if got) >= 2  # they really ran side by side
    with ws.db.read() as s:
        holders = dict(s.execute(select(Document.id, Document.claimed_by)).all())
    owner = {doc: clerk for clerk, got in zip(clerks, results, strict=True) for doc in got}
    assert holders == owner
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
    assert statuses == {"extracting": 3}  # all recorded, the first result's transaction rolled back
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
