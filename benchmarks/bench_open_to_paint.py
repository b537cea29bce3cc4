"""How long the review window takes from "open the next document" to its first page painted with field boxes.

Builds a workspace of generated invoices in a temporary directory, or uses
``--home DIR``. A first pass renders each page once (the page image cache and the token cache fill); the
measured passes then open each document again, as a clerk moving through the queue does, and time
open -> claimed, read and shown -> first page painted with its boxes. Prints the figures; asserts nothing.

    uv run --frozen --no-sync python benchmarks/bench_open_to_paint.py [--documents 4] [--rounds 3] [--home DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _wait(cond: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Run the event loop (which sleeps while idle, leaving the workers the interpreter) until ``cond()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    end = time.perf_counter() + timeout_s

    def check() -> None:
        if cond() or time.perf_counter() > end:
            loop.quit()

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(check)
    timer.start()
    check()
    if not cond():
        loop.exec()
    timer.stop()
    if not cond():
        raise TimeoutError("the window did not finish in time")


def _make_workspace(home: Path, documents: int) -> None:
    """Generated invoices, their fields taken from the generator's truth (so the figure does not depend on the
    extractor), one of them wrong so that every document waits for review."""
    from extractors.document import DocumentType
    from extractors.geometry import BBox
    from extractors.results import ExtractionResult, FieldValue
    from idp_app.config import AppConfig
    from idp_app.samples.corpus import make_invoice
    from idp_app.samples.truth import SampleTruth
    from idp_app.services import Workspace

    inbox = home / "bench-inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    truths: dict[str, SampleTruth] = {}  # by content hash: the store keeps originals under their hash
    for i in range(documents):
        path = inbox / f"invoice-{i}.pdf"
        truth = make_invoice(path, seed=100 + i)
        truths[hashlib.sha256(path.read_bytes()).hexdigest()] = truth

    def extract(path: Path, ctx: object) -> ExtractionResult:
        truth = truths[hashlib.sha256(path.read_bytes()).hexdigest()]
        fields = {}
        for name, value in truth.fields.items():
            box = truth.boxes.get(name) or {}
            bbox = BBox.from_list(box["bbox_pt"]) if "bbox_pt" in box else None
            conf = 0.5 if name == "invoice_number" else 0.97
            fields[name] = FieldValue(name, value, str(box.get("text", value)), conf, box.get("page", 0), bbox)
        return ExtractionResult(str(path), DocumentType.INVOICE, 0.99, truth.pages, fields)

    with Workspace.open(AppConfig.for_directory(home), extract=extract) as ws:
        ws.users.ensure_demo_users()
        report = ws.ingest.ingest([inbox], workers=0)
        print(f"ingested {report.imported} documents in {report.seconds:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an existing data directory (default: a new one with samples)")
    parser.add_argument("--documents", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from idp_app.config import AppConfig
    from idp_app.services import QueueFilter, Workspace
    from ui.main_window import MainWindow
    from ui.model import UserSession
    from ui.services_backend import ServicesBackend

    tmp = None
    home = args.home
    if home is None:
        tmp = tempfile.TemporaryDirectory(prefix="idp-bench-")
        home = Path(tmp.name)
        _make_workspace(home, args.documents)
    app = QApplication.instance() or QApplication([])  # noqa: F841  (kept alive while the window runs)
    ws = Workspace.open(AppConfig.for_directory(home))
    ids = [item.id for item in ws.queue.list(QueueFilter(), limit=args.documents)]
    if len(ids) < 2:
        print("need at least two documents in the review queue", file=sys.stderr)
        return 2
    backend = ServicesBackend(ws)
    window = MainWindow(backend, UserSession("clerk", "clerk"))
    window.remember = False  # a benchmark leaves the user's layout alone
    window.resize(1600, 1000)
    window.show()

    def painted(doc_id: int) -> bool:
        doc = window.document
        return (
            doc is not None
            and doc.document_id == doc_id
            and (window.page_view.page_image_dpi > 0 or bool(doc.load_error))
            and bool(window.page_view.field_items)
        )

    shown_at: list[float] = []
    window.review.documentOpened.connect(lambda _d: shown_at.append(time.perf_counter()))

    def open_and_paint(doc_id: int) -> tuple[float, float]:
        shown_at.clear()
        t0 = time.perf_counter()
        window.review.open(doc_id)
        _wait(lambda: painted(doc_id))
        window.page_view.viewport().repaint()  # the paint itself, synchronously
        t1 = time.perf_counter()
        core_ms = ((shown_at[0] if shown_at else t1) - t0) * 1000
        return (t1 - t0) * 1000, core_ms

    cold = [open_and_paint(i)[0] for i in ids]
    print(
        f"first opening (pages rendered, tokens read): median {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms"
    )
    warm: list[float] = []
    core: list[float] = []
    for _ in range(args.rounds):
        for i in ids:
            total, claimed = open_and_paint(i)
            warm.append(total)
            core.append(claimed)
    boxes = len(window.page_view.field_items)
    print(
        f"open-to-paint, cached ({len(warm)} openings of {len(ids)} documents, {boxes} boxes on the last page): "
        f"median {statistics.median(warm):.0f} ms, p90 {sorted(warm)[int(0.9 * (len(warm) - 1))]:.0f} ms, "
        f"max {max(warm):.0f} ms"
    )
    print(
        f"  of which until the document is shown (claim and read in the core, fields filled): "
        f"median {statistics.median(core):.0f} ms"
    )
    window.close()
    ws.close()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
