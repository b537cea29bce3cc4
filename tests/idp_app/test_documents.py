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

    def read_and_note(path: Path, ctx: ExtractionContext) -> ExtractionResult:
        doc = read_document(path, ctx)  # what extraction says of the pages it read (the turn)
        return ExtractionResult(str(path), DocumentType.INVOICE, 0.9, 1, {}, warnings=doc.warnings)

    with Workspace.open(config, extract=read_and_note, read=read_document) as ws:
        ws.ingest.ingest([scan.parent], workers=0)
        [item] = ws.queue.list()
        first = ws.documents.pages(item.id)
        cached = ws.documents.pages(item.id)
        assert first[0].upright_turn == cached[0].upright_turn == 180
        assert [t.bbox_pt.to_list(1) for t in cached[0].tokens] == [t.bbox_pt.to_list(1) for t in first[0].tokens]
        shown = np.asarray(Image.open(ws.documents.page_image(item.id, 0, dpi=150)).convert("L"))
        assert shown.shape == img.shape
        assert float(np.mean(np.abs(shown.astype(int) - img.astype(int)))) < 3.0
        upright_box = next(t.bbox_pt for t in first[0].tokens if t.text == "4711")

        # a document extracted before turned pages were read upright has its boxes where the file has the words:
        # its pages are shown that way too, not turned under boxes that would then point elsewhere
        from idp_app.db.models import Extraction

        with ws.db.write() as s:
            row = s.get(Extraction, item.id)
            assert row is not None and any("upright" in w for w in row.result["warnings"])
            row.result = {**row.result, "warnings": []}
        for cached in (config.cache_dir / "tokens").glob("*.json"):
            cached.unlink()
        old = ws.documents.pages(item.id)
        assert old[0].upright_turn == 0
        box = next(t.bbox_pt for t in old[0].tokens if t.text == "4711")
        w, h = old[0].width_pt, old[0].height_pt
        turned_back = [w - upright_box.x1, h - upright_box.y1, w - upright_box.x0, h - upright_box.y0]
        assert all(abs(a - b) < 0.01 for a, b in zip(box.to_list(3), turned_back, strict=True))
        k = 150 / 72
        flipped = img[::-1, ::-1]
        assert flipped[round(box.y0 * k) : round(box.y1 * k), round(box.x0 * k) : round(box.x1 * k)].min() < 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ingest_keeps_the_pages_it_read_so_the_window_does_not_read_the_file_again(
    config: AppConfig, tmp_path: Path
) -> None:
    from idp_app.samples import make_invoice

    pdf = tmp_path / "in" / "inv.pdf"
    pdf.parent.mkdir()
    make_invoice(pdf, seed=5)

    def no_second_read(path: Path, ctx: ExtractionContext):  # type: ignore[no-untyped-def]
        raise AssertionError("the window read the file again")

    with Workspace.open(config, read=no_second_read) as ws:  # extraction as the desk runs it
        ws.ingest.ingest([pdf.parent], workers=0)
        from sqlalchemy import select

        from idp_app.db.models import Document

        with ws.db.read() as s:
            doc_id = s.execute(select(Document.id)).scalar_one()
        pages = ws.documents.pages(doc_id)
        assert pages and len(pages[0].tokens) > 20
        field = ws.documents.get(doc_id).fields["invoice_number"]
        assert field.bbox_pt is not None
        # the field's box covers words of the pages kept: the very words it was read from
        x, y = field.bbox_pt.center
        assert any(t.bbox_pt.contains_point(x, y) for t in pages[0].tokens)


def test_pages_are_turned_as_their_extraction_read_them_page_by_page() -> None:
    from extractors.document import Document as ReadDocument
    from extractors.document import Page, Token
    from extractors.geometry import BBox
    from idp_app.services.documents import as_extracted, turns_noted

    def page(index: int, turn: int) -> Page:  # read now as upright, 200 x 100 pt, one word near the top left
        return Page(index, 200.0, 100.0, (Token("Total", BBox(10, 5, 40, 15), index),), upright_turn=turn)

    read = ReadDocument("x.png", (page(0, 180), page(1, 180), page(2, 0)), "image/png")
    warnings = ["page 1 was read turned 180 degrees clockwise, to stand upright", "another note"]
    assert turns_noted(warnings) == {0: 180}
    shown = as_extracted(read, turns_noted(warnings))
    assert shown.pages[0] == read.pages[0]  # as extracted: upright
    assert shown.pages[2] == read.pages[2]
    # extracted as it lay in the file: the word is where the file has it, bottom right
    assert shown.pages[1].upright_turn == 0 and shown.pages[1].tokens[0].bbox_pt == BBox(160, 85, 190, 95)
    # a page extracted turned one way and read now another is put as extracted
    sideways = as_extracted(ReadDocument("x.png", (page(0, 0),), "image/png"), {0: 90})
    assert (sideways.pages[0].width_pt, sideways.pages[0].height_pt, sideways.pages[0].upright_turn) == (100, 200, 90)
    assert sideways.pages[0].tokens[0].bbox_pt == BBox(85, 10, 95, 40)


def test_pages_not_kept_at_a_new_extraction_leave_no_older_pages_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idp_app.learning.extract import LearnedExtract
    from idp_app.samples import make_invoice
    from idp_app.services import documents

    pdf = tmp_path / "inv.pdf"
    make_invoice(pdf, seed=5)
    tokens = tmp_path / "tokens"
    extract = LearnedExtract(tmp_path / "models", tokens_dir=tokens)
    ctx = ExtractionContext(use_einvoice=False)
    extract(pdf, ctx)
    [kept] = list(tokens.glob("*.json"))

    def full_disk(tokens_dir: Path, doc: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents, "save_pages", full_disk)
    extract(pdf, ctx)  # extracted again (a supervisor's reextract): its pages cannot be kept
    assert not kept.exists()  # the window reads the file again rather than show pages of the earlier read


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_window_read_that_ends_after_a_new_extraction_keeps_the_extractions_pages(
    config: AppConfig, tmp_path: Path
) -> None:
    from dataclasses import replace

    from extractors.readers import read_document
    from idp_app.samples import make_invoice
    from idp_app.services.documents import save_pages

    pdf = tmp_path / "in" / "inv.pdf"
    pdf.parent.mkdir()
    make_invoice(pdf, seed=3)
    tokens_dir = config.cache_dir / "tokens"

    def read_while_extracted_again(path: Path, ctx: ExtractionContext):  # type: ignore[no-untyped-def]
        older = read_document(path, ctx)
        # while the window reads, a re-extraction keeps the pages it read: a page narrower than this read's
        newer = replace(older, pages=tuple(replace(p, width_pt=p.width_pt - 100) for p in older.pages))
        save_pages(tokens_dir, newer)
        return older

    with Workspace.open(config, extract=no_fields, read=read_while_extracted_again) as ws:
        ws.ingest.ingest([pdf.parent], workers=0)
        [item] = ws.queue.list()
        width = read_document(pdf, ExtractionContext()).pages[0].width_pt
        shown = ws.documents.pages(item.id)
        assert shown[0].width_pt == width - 100  # the extraction's pages are shown, not the older read's
        assert ws.documents.pages(item.id)[0].width_pt == width - 100  # and stay kept
        # a cache another version wrote is no extraction's: it is replaced by what the window read
        (tokens_dir / f"{ws.documents.get(item.id).sha256}.json").write_text('{"version": 1, "pages": []}')
        ws.documents._read = lambda path, ctx: read_document(path, ctx)  # type: ignore[method-assign]
        assert ws.documents.pages(item.id)[0].width_pt == width
        assert ws.documents.pages(item.id)[0].width_pt == width


def test_write_atomically_without_overwriting_leaves_a_file_there_as_it_is(tmp_path: Path) -> None:
    from idp_app.services.storage import write_atomically

    target = tmp_path / "a" / "x.json"
    assert write_atomically(target, b"new", overwrite=False)
    assert not write_atomically(target, b"old", overwrite=False)
    assert target.read_bytes() == b"new"
    assert write_atomically(target, b"newest")
    assert target.read_bytes() == b"newest"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.json"]  # no temporary file left behind
