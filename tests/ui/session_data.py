"""A workspace with generated documents for the end-to-end window tests (no shared data, no model files).

Extraction is replaced by the generator's truth with chosen mistakes, so that each test knows what the clerk
must correct; scanned pages are read as pages without words, so that the clerk must draw a box.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from extractors.context import ExtractionContext
from extractors.document import Document, DocumentType, Page, TokenSource
from extractors.geometry import BBox
from extractors.results import ExtractionResult, FieldValue, LineItem
from idp_app.config import AppConfig
from idp_app.samples.corpus import make_invoice, make_scan
from idp_app.samples.scan import ScanParams
from idp_app.samples.truth import SampleTruth
from idp_app.services import Workspace

WRONG_NUMBER = "2022/8600O"


def _fields(truth: SampleTruth, *, drop: str | None, wrong: str | None) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for name, value in truth.fields.items():
        box = truth.boxes.get(name) or {}
        bbox = BBox.from_list(box["bbox_pt"]) if "bbox_pt" in box else None
        if name == drop:
            out[name] = FieldValue(name, None, confidence=0.3)
        elif name == wrong:
            out[name] = FieldValue(name, WRONG_NUMBER, WRONG_NUMBER, 0.41, box.get("page", 0), bbox)
        else:
            out[name] = FieldValue(name, value, str(box.get("text", value)), 0.97, box.get("page", 0), bbox)
    return out


def _items(truth: SampleTruth) -> tuple[LineItem, ...]:
    return tuple(
        LineItem(cells={k: FieldValue(k, v, v, 0.95) for k, v in row.items() if isinstance(v, str)}, page=0)
        for row in truth.line_items
    )


def make_inbox(folder: Path) -> dict[str, SampleTruth]:
    """Write ``text.pdf`` and ``scan.png`` (another invoice, scanned) into ``folder``; return their truth."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "work"
    work.mkdir(exist_ok=True)
    text_truth = make_invoice(folder / "text.pdf", seed=3)
    paper_truth = make_invoice(work / "paper.pdf", seed=5)
    params = ScanParams(dpi=200, noise_sigma=1.0, light=0.0, jpeg_quality=95, output="png", seed=3)
    scan_truth = make_scan(work / "paper.pdf", paper_truth, folder / "scan.png", params=params)
    shutil.rmtree(work)
    return {"text.pdf": text_truth, "scan.png": scan_truth}


@contextmanager
def review_workspace(
    tmp: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> Iterator[tuple[Workspace, dict[str, SampleTruth]]]:
    """Two invoices waiting for review: ``text.pdf`` (a wrong invoice number) and ``scan.png`` (number missing).

    ``samples`` is a folder made by :func:`make_inbox` (once per test run) with its truth; it is copied.
    """
    source, truths = samples
    inbox = tmp / "inbox"
    shutil.copytree(source, inbox)

    def extract(path: Path, ctx: ExtractionContext) -> ExtractionResult:
        scanned = path.suffix == ".png"  # the store keeps originals by hash: tell them apart by type
        truth = truths["scan.png" if scanned else "text.pdf"]
        fields = _fields(truth, drop="invoice_number" if scanned else None, wrong=None if scanned else "invoice_number")
        return ExtractionResult(str(path), DocumentType.INVOICE, 0.99, 1, fields, _items(truth))

    def read(path: Path, ctx: ExtractionContext) -> Document:
        if path.suffix.lower() == ".png":
            with Image.open(path) as img:
                dpi = 200.0
                w_pt, h_pt = img.width * 72 / dpi, img.height * 72 / dpi
            page = Page(0, w_pt, h_pt, (), source=TokenSource.OCR, image_dpi=dpi)
            return Document(str(path), (page,), "image/png")
        from extractors.readers import read_document

        return read_document(path, ctx)

    config = AppConfig.for_directory(tmp / "home")
    ws = Workspace.open(config, extract=extract, read=read)
    ws.users.ensure_demo_users()
    ws.ingest.ingest([inbox], workers=0)
    try:
        yield ws, truths
    finally:
        ws.close()
