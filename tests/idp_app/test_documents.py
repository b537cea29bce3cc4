"""Pages and tokens for the window: read from the stored original once, then from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.context import ExtractionContext
from extractors.document import DocumentType
from extractors.results import ExtractionResult
from idp_app.config import AppConfig
from idp_app.errors import NotFoundError
from idp_app.services import Workspace


def no_fields(path: Path, ctx: ExtractionContext) -> ExtractionResult:
    return ExtractionResult(str(path), DocumentType.INVOICE, 0.9, 1, {})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pages_are_read_once_then_cached(config: AppConfig, tmp_path: Path) -> None:
    from idp_app.samples import make_invoice

    pdf = tmp_path / "in" / "inv.pdf"
    pdf.parent.mkdir()
    make_invoice(pdf, seed=3)
    reads: list[Path] = []

    def read(path: Path, ctx: ExtractionContext):  # type: ignore[no-untyped-def]
        from extractors.readers import read_document

        reads.append(path)
        return read_document(path, ctx)

    with Workspace.open(config, extract=no_fields, read=read) as ws:
        ws.ingest.ingest([pdf.parent], workers=0)
        [item] = ws.queue.list()
        pages = ws.documents.pages(item.id)
        again = ws.documents.pages(item.id)
        assert len(reads) == 1
        assert len(pages) == 1 and 500 < pages[0].height_pt < 900 and 500 < pages[0].width_pt < 700
        assert len(pages[0].tokens) > 20
        assert [(t.text, t.bbox_pt, t.index) for t in again[0].tokens] == [
            (t.text, t.bbox_pt.from_list(t.bbox_pt.to_list(3)), i) for i, t in enumerate(pages[0].tokens)
        ]
        word = pages[0].tokens[5]
        x, y = word.bbox_pt.center
        hit = next(t for t in again[0].tokens if t.bbox_pt.contains_point(x, y))
        assert hit.text == word.text
        png = ws.documents.page_image(item.id, 0, dpi=50)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert ws.documents.page_image(item.id, 0, dpi=50) == png
        with pytest.raises(NotFoundError):
            ws.documents.pages(999)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_scan_fed_in_upside_down_is_kept_and_shown_upright(config: AppConfig, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from extractors.readers import read_document
    from tests.extractors.test_readers_docs import INVOICE_LINES, draw_scan

    img = draw_scan(INVOICE_LINES, dpi=150, page_pt=(520, 260))
    scan = tmp_path / "in" / "scan.png"
    scan.parent.mkdir()
    Image.fromarray(np.ascontiguousarray(img[::-1, ::-1])).save(scan, dpi=(150, 150))
    with Workspace.open(config, extract=no_fields, read=read_document) as ws:
        ws.ingest.ingest([scan.parent], workers=0)
        [item] = ws.queue.list()
        first = ws.documents.pages(item.id)
        cached = ws.documents.pages(item.id)
        assert first[0].upright_turn == cached[0].upright_turn == 180
        assert [t.bbox_pt.to_list(1) for t in cached[0].tokens] == [t.bbox_pt.to_list(1) for t in first[0].tokens]
        shown = np.asarray(Image.open(ws.documents.page_image(item.id, 0, dpi=150)).convert("L"))
        assert shown.shape == img.shape
        assert float(np.mean(np.abs(shown.astype(int) - img.astype(int)))) < 3.0
