"""Workflow benchmark: prints figures (it asserts nothing).

    uv run --frozen --no-sync python benchmarks/bench_workflow.py [--docs 1000] [--queue 100000] [--claims 1000]
        [--pg postgresql+psycopg://idp_test:idp_test@127.0.0.1:5432/idp_test] [--skip ingest,queue,claims]

1. ingest: documents per minute for generated text-layer invoices (idp_app.samples) through the real
   extractor (extractors.pipeline.extract) in a pool of 2 worker processes, into SQLite;
2. queue: time to list a page of 100 from a queue of 100,000 documents (first page, a deep page, filtered);
3. claims: claim latency p50 / p99 with 8 concurrent clerks (processes), on PostgreSQL (--pg, or
   IDP_TEST_DATABASE_URL) and on SQLite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from idp_app.config import AppConfig
from idp_app.db.models import Document, Reason
from idp_app.domain import DocumentStatus
from idp_app.services import QueueFilter, Workspace


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bench_ingest(n: int, workers: int) -> None:
    from idp_app.samples import generate_corpus

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate_corpus(root / "corpus", n, 0, 0.0, seed=7)
        print(f"ingest: generated {n} text-layer invoices in {time.perf_counter() - t0:.1f} s")
        with Workspace.open(AppConfig.for_directory(root / "home")) as ws:
            report = ws.ingest.ingest([root / "corpus" / "docs"], workers=workers)
            with ws.db.read() as s:
                rows = s.execute(select(Reason.code, func.count()).group_by(Reason.code).order_by(Reason.code)).all()
        print(
            f"ingest: {report.extracted} extracted, {report.failed} failed, {report.auto_approved} auto-approved, "
            f"{report.needs_review} to review in {report.seconds:.1f} s with {workers} workers "
            f"= {report.per_minute:.0f} documents/minute (real extractor, SQLite)"
        )
        print("ingest: routing reasons: " + ", ".join(f"{code} {n}" for code, n in rows))


def fill_queue(ws: Workspace, n: int) -> None:
    vendors = ["ACME GmbH", "Blue Ltd", "Côte SARL", "Delta BV", "Echo Inc"]
    batch = []
    for i in range(n):
        risk = (i * 37) % 200
        batch.append(
            {
                "sha256": f"{i:064x}",
                "filename": f"doc{i}.pdf",
                "source_path": f"/in/doc{i}.pdf",
                "suffix": ".pdf",
                "size_bytes": 1000,
                "status": DocumentStatus.NEEDS_REVIEW.value,
                "queued": True,
                "risk": risk,
                "priority": -risk,
                "min_confidence": ((i * 7919) % 1000) / 1000,
                "vendor_name": vendors[i % len(vendors)],
                "invoice_number": f"INV-{i}",
                "attempts": 1,
                "qa_sample": False,
            }
        )
        if len(batch) == 10_000:
            with ws.db.write() as s:
                s.execute(insert(Document), batch)
            batch = []
    if batch:
        with ws.db.write() as s:
            s.execute(insert(Document), batch)
    with ws.db.write() as s:
        s.execute(text("ANALYZE"))


def timed(fn: object, repeat: int = 30) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def bench_queue(n: int, url: str | None, label: str) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Workspace.open(AppConfig.for_directory(Path(tmp), url), upgrade=True) as ws,
    ):
        t0 = time.perf_counter()
        fill_queue(ws, n)
        print(f"queue ({label}): {ws.queue.count():,} documents inserted in {time.perf_counter() - t0:.1f} s")
        deep = ws.queue.list(offset=49_999, limit=1)[0].id
        cases = {
            "first page of 100": lambda: ws.queue.list(limit=100),
            "page 501 of 100 by offset 50,000": lambda: ws.queue.list(offset=50_000, limit=100),
            "page 501 of 100 after the last of page 500": lambda: ws.queue.list(after=deep, limit=100),
            "vendor filter, page of 100": lambda: ws.queue.list(QueueFilter(vendor="blue"), limit=100),
            "max confidence 0.2, page of 100": lambda: ws.queue.list(QueueFilter(max_confidence=0.2), limit=100),
            "count of the queue": lambda: ws.queue.count(),
        }
        for name, fn in cases.items():
            med, p90 = timed(fn)
            print(f"queue ({label}): {name}: median {ms(med)}, p90 {ms(p90)}")


def _clerk(home: str, url: str, user: str, n: int, start: float) -> list[float]:
    with Workspace.open(AppConfig.for_directory(Path(home), url)) as ws:
        while time.time() < start:
            time.sleep(0.001)
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            claim = ws.queue.claim_next(user)
            out.append(time.perf_counter() - t0)
            if claim is None:
                break
        return out


def bench_claims(url: str, label: str, claims: int, home: Path) -> None:
    clerks = [f"clerk{i}" for i in range(8)]
    with Workspace.open(AppConfig.for_directory(home, url), upgrade=True) as ws:
        ws.users.add("boss", "boss-pw", "admin")
        for c in clerks:
            ws.users.add(c, "pw-pw", "clerk", by="boss")
        fill_queue(ws, claims + 100)
    ctx = multiprocessing.get_context("spawn")
    start = time.time() + 8.0  # every process opened and waiting before the first claim
    with ctx.Pool(8) as pool:
        results = pool.starmap(_clerk, [(str(home), url, c, claims // 8, start) for c in clerks])
    wall = time.time() - start
    lat = sorted(x for r in results for x in r)
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"claims ({label}): {len(lat)} claims by 8 concurrent clerks in {wall:.1f} s: "
        f"p50 {ms(p50)}, p99 {ms(p99)}, max {ms(lat[-1])}"
    )


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--pg", default=os.environ.get("IDP_TEST_DATABASE_URL"))
    parser.add_argument("--skip", default="", help="comma-separated: ingest, queue, claims")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if "ingest" not in skip:
        bench_ingest(args.docs, args.workers)
    if "queue" not in skip:
        bench_queue(args.queue, None, "SQLite")
        if args.pg:
            with pg_schema(args.pg) as url:
                bench_queue(args.queue, url, "PostgreSQL")
    if "claims" not in skip:
        if args.pg:
            with pg_schema(args.pg) as url, tempfile.TemporaryDirectory() as tmp:
                bench_claims(url, "PostgreSQL", args.claims, Path(tmp))
        else:
            print("claims (PostgreSQL): skipped, give --pg URL or set IDP_TEST_DATABASE_URL")
        with tempfile.TemporaryDirectory() as tmp:
            bench_claims(f"sqlite:///{Path(tmp) / 'idp.sqlite3'}", "SQLite", args.claims, Path(tmp))


if __name__ == "__main__":
    main()
