"""Scans: image files and image-only PDF pages read by OCR, boxes on the original page, failure paths."""

from __future__ import annotations

import struct
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from extractors.context import ExtractionContext
from extractors.document import Page, TokenSource
from extractors.errors import CorruptFileError, ImageTooLargeError, OcrUnavailableError
from extractors.geometry import BBox
from extractors.ocr.cleanup import analyse
from extractors.ocr.engine import OcrWord
from extractors.readers import ocr_pages as ocr_pages_module
from extractors.readers import ocr_region, read_document, read_page_again, render_page
from extractors.readers.ocr_pages import PageJob
from tests.extractors.test_readers_docs import INVOICE_LINES, draw_scan, image_pdf, ink_share, text_pdf

CTX = ExtractionContext(ocr_languages="eng", ocr_dpi=200)


def _words(doc) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {t.text: t for t in doc.all_tokens()}


def _expected_box(text: str) -> BBox:
    """Where a word of INVOICE_LINES sits on the page (14 pt DejaVu Sans), roughly, in points."""
    from PIL import ImageFont

    from tests.extractors.test_readers_docs import FONT

    font = ImageFont.truetype(FONT, 140)
    for line, x, y in INVOICE_LINES:
        if text in line.split():
            prefix = line[: line.index(text)]
            x0 = x + font.getlength(prefix) / 10
            return BBox(x0, y - 11, x0 + font.getlength(text) / 10, y + 1)
    raise KeyError(text)


def test_png_scan_is_read_by_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=200)).save(path, dpi=(200, 200))
    doc = read_document(path, CTX)
    assert doc.mime_type == "image/png" and doc.page_count == 1
    page = doc.pages[0]
    assert page.source == TokenSource.OCR and page.image_dpi == 200
    assert (page.width_pt, page.height_pt) == pytest.approx((520, 240), abs=0.5)
    words = _words(doc)
    assert {"ACME", "4711", "1234.50"} <= set(words)
    for word in ("ACME", "4711", "1234.50"):
        tok = words[word]
        assert 0.5 < tok.confidence <= 1.0 and tok.source == TokenSource.OCR  # type: ignore[attr-defined]
        assert tok.bbox_pt.iou(_expected_box(word)) > 0.5, (word, tok.bbox_pt)  # type: ignore[attr-defined]
    assert [t.index for t in page.tokens] == list(range(len(page.tokens)))
    assert "ocr_ms" in doc.timing_ms and len(doc.sha256) == 64


@pytest.mark.slow
def test_skewed_scan_is_deskewed_and_boxes_land_on_the_words(tmp_path: Path) -> None:
    img = draw_scan(dpi=200)
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0)
    skewed = np.asarray(cv2.warpAffine(img, m, (w, h), borderValue=255))
    path = tmp_path / "skewed.jpg"
    Image.fromarray(skewed).save(path, dpi=(200, 200), quality=90)
    doc = read_document(path, CTX)
    page = doc.pages[0]
    assert page.skew_deg == pytest.approx(3.0, abs=0.5)
    words = _words(doc)
    k = 200 / 72
    for word in ("ACME", "4711", "1234.50"):
        box = words[word].bbox_pt  # type: ignore[attr-defined]
        # Ink under the box on the page as it is (skewed), and the box centre where the word's centre went.
        assert ink_share(skewed, (box.x0 * k, box.y0 * k, box.x1 * k, box.y1 * k)) > 0.1
        cx, cy = _expected_box(word).center
        moved = m @ np.array([cx * k, cy * k, 1.0]) / k
        assert box.center == pytest.approx(tuple(moved), abs=4.0), word


def test_image_only_and_mixed_pdf(tmp_path: Path) -> None:
    scan = image_pdf(tmp_path / "scan.pdf", [draw_scan(dpi=200)], dpi=200)
    doc = read_document(scan, CTX)
    page = doc.pages[0]
    assert page.source == TokenSource.OCR and "4711" in _words(doc)
    assert (page.width_pt, page.height_pt) == pytest.approx((520, 240), abs=0.5)
    assert _words(doc)["4711"].bbox_pt.iou(_expected_box("4711")) > 0.5  # type: ignore[attr-defined]
    assert any("OCR" in w for w in doc.warnings)

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(str(text_pdf(tmp_path / "text.pdf"))))
    writer.append(PdfReader(str(scan)))
    mixed = tmp_path / "mixed.pdf"
    writer.write(str(mixed))
    doc = read_document(mixed, CTX)
    assert [p.source for p in doc.pages] == [TokenSource.TEXT_LAYER, TokenSource.OCR]
    assert all(t.page == 1 for t in doc.pages[1].tokens) and "4711" in doc.pages[1].text()
    assert doc.timing_ms["ocr_ms"] > 0 and doc.timing_ms["read_ms"] > 0


def test_multi_page_tiff_and_jpeg_without_dpi(tmp_path: Path) -> None:
    first = Image.fromarray(draw_scan(dpi=200))
    second = Image.fromarray(draw_scan((("Second page total 99.00", 72, 100),), dpi=200))
    tiff = tmp_path / "pages.tiff"
    first.save(tiff, save_all=True, append_images=[second], dpi=(200, 200), compression="tiff_lzw")
    doc = read_document(tiff, CTX)
    assert doc.mime_type == "image/tiff" and doc.page_count == 2
    assert "99.00" in doc.pages[1].text() and doc.pages[1].tokens[0].page == 1

    jpeg = tmp_path / "nodpi.jpg"
    first.save(jpeg, quality=90)  # no resolution stated: the default is assumed
    page = read_document(jpeg, CTX).pages[0]
    assert page.image_dpi == 150 and page.width_pt == pytest.approx(first.width * 72 / 150)


def test_a_page_of_a_long_tiff_is_decoded_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page decoded every page before it: a 45 KB TIFF of 1000 pages took two minutes, 2000 over ten."""
    from extractors.readers import render

    pages = [Image.new("L", (40, 30), 255) for _ in range(60)]
    pages[57] = Image.new("L", (40, 30), 7)
    tiff = tmp_path / "long.tiff"
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    decoded: list[object] = []
    real = render._to_gray
    monkeypatch.setattr(render, "_to_gray", lambda frame: decoded.append(frame) or real(frame))
    frame = render.image_frame(tiff, 57)
    assert len(decoded) == 1 and int(frame.pixels.max()) == 7  # that page, and only it
    with pytest.raises(IndexError, match="no page 60"):
        render.image_frame(tiff, 60)


@pytest.mark.parametrize("suffix", [".tiff", ".png"])
def test_a_16_bit_grey_scan_is_read_not_taken_for_a_blank_page(tmp_path: Path, suffix: str) -> None:
    """Scanners write 16-bit grey TIFFs; Pillow's plain conversion to 8 bits clips them all but white."""
    from extractors.readers.render import load_page_image

    eight = draw_scan(dpi=200)
    path = tmp_path / f"scan16{suffix}"
    Image.fromarray(eight.astype(np.uint16) * 257).save(path, dpi=(200, 200))
    twelve = tmp_path / f"scan12{suffix}"  # a scanner's 12 bits in a 16-bit file: not near black
    Image.fromarray((eight.astype(np.uint32) * 4095 // 255).astype(np.uint16)).save(twelve, dpi=(200, 200))
    assert load_page_image(twelve, 0, 200.0, CTX.max_image_pixels).pixels.mean() > 200
    assert Image.open(path).mode in ("I;16", "I")
    gray = load_page_image(path, 0, 200.0, CTX.max_image_pixels).pixels
    assert np.abs(gray.astype(int) - eight.astype(int)).max() <= 1
    assert {"ACME", "4711", "1234.50"} <= set(_words(read_document(path, CTX)))
    shown = np.asarray(render_page(path, 0, 72.0).convert("L"))
    assert shown.min() < 100  # the page shown has its ink too


def test_a_pale_print_is_read_not_taken_for_a_blank_page(tmp_path: Path) -> None:
    """A faded thermal receipt: its print lighter than a blank page's darkest specks on white paper."""
    page = draw_scan(dpi=200).astype(np.float64)
    pale = np.clip(215.0 - (255.0 - page) / 255.0 * 45.0, 0, 255).astype(np.uint8)  # print at 170 on 215
    path = tmp_path / "pale.png"
    Image.fromarray(pale).save(path, dpi=(200, 200))
    assert not analyse(pale).blank
    assert {"ACME", "4711", "1234.50"} <= set(_words(read_document(path, CTX)))


def test_content_decides_not_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.pdf"
    Image.fromarray(draw_scan(dpi=150)).save(path, format="PNG", dpi=(150, 150))
    assert read_document(path, CTX).mime_type == "image/png"


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def test_huge_image_header_is_refused_fast(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(50_000, 50_000) + b"\x00" * 64)
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as info:
        read_document(bomb, CTX)
    assert time.perf_counter() - start < 2.0
    assert info.value.exit_code == 15 and "50000 x 50000" in str(info.value)


def test_huge_jpeg_header_is_refused_before_decoding(tmp_path: Path) -> None:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x01\x00\x96\x00\x96\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 60_000, 60_000, 1) + b"\x01\x11\x00"
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(b"\xff\xd8" + app0 + sof + b"\xff\xd9")
    with pytest.raises(ImageTooLargeError, match="60000 x 60000"):
        read_document(bomb, CTX)


def test_pixel_limit_comes_from_the_context(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    Image.fromarray(draw_scan(dpi=100)).save(path, quality=80)
    with pytest.raises(ImageTooLargeError):
        read_document(path, ExtractionContext(max_image_pixels=10_000))


def test_corrupt_image(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(_png_header(400, 300) + b"garbage" * 10)
    with pytest.raises(CorruptFileError):
        read_document(path, CTX)


def _crashing_engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
    raise RuntimeError("engine exploded")


def _silent_engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
    return []


def test_engine_that_crashes_fails_the_document_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(path)
    with pytest.raises(OcrUnavailableError, match="engine exploded"):
        read_document(path, CTX, ocr_engine=_crashing_engine)


def test_engine_that_finds_nothing_gives_an_empty_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(path)
    doc = read_document(path, CTX, ocr_engine=_silent_engine)
    assert doc.page_count == 1 and doc.pages[0].tokens == () and doc.pages[0].source == TokenSource.OCR


@pytest.mark.parametrize("faint", [True, False])
def test_a_faint_page_that_reads_nothing_equalised_is_read_again_stretched(tmp_path: Path, faint: bool) -> None:
    """Equalised tile by tile, a pale receipt's paper grain turns into a mottle Tesseract reads nothing in."""
    images: list[np.ndarray] = []

    def engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
        images.append(image)
        return (
            []
            if len(images) == 1
            else [OcrWord("Total", 10, 10, 60, 12, 0.9, 1, 1, 1), OcrWord("1234.50", 80, 10, 70, 12, 0.9, 1, 1, 2)] * 3
        )

    page = draw_scan(dpi=150)
    if faint:
        page = np.clip(200.0 - (255.0 - page) / 255.0 * 60.0, 0, 255).astype(np.uint8)
    path = tmp_path / "receipt.png"
    Image.fromarray(page).save(path, dpi=(150, 150))
    doc = read_document(path, CTX, ocr_engine=engine)
    if faint:
        assert len(images) == 2 and "Total" in _words(doc)
        assert images[1].mean() != images[0].mean()  # another clean-up the second time
    else:
        assert len(images) == 1 and doc.pages[0].tokens == ()  # a clear page found empty is not read again


def test_injected_engine_boxes_are_converted_once(tmp_path: Path) -> None:
    def engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
        # Reports the ink where it finds it on the cleaned image it is given.
        ys, xs = np.nonzero(image < 128)
        box = (float(xs.min()), float(ys.min()), float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min()))
        return [OcrWord("Total", *box, 0.8, 1, 1, 1)]

    path = tmp_path / "one_word.png"
    img = draw_scan(dpi=100, size_pt=6)  # tiny type: the clean-up enlarges it
    h, w = img.shape
    skewed = np.asarray(cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0), (w, h), borderValue=255))
    Image.fromarray(skewed).save(path, dpi=(100, 100))
    ys, xs = np.nonzero(skewed < 128)
    ink = BBox.from_pixels(
        float(xs.min()), float(ys.min()), float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min()), 100
    )
    doc = read_document(path, CTX, ocr_engine=engine)
    tok = doc.pages[0].tokens[0]
    assert tok.text == "Total" and tok.confidence == 0.8
    assert doc.pages[0].skew_deg == pytest.approx(2.0, abs=0.5)
    # The box found on the deskewed, enlarged image comes back around the ink of the original
    # (a little larger: the box of a turned box).
    assert tok.bbox_pt.iou(ink) > 0.75 and tok.bbox_pt.overlap_ratio(ink) < 1.0, (tok.bbox_pt, ink)
    assert ink.overlap_ratio(tok.bbox_pt) > 0.97


def test_missing_language_pack(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(path)
    with pytest.raises(OcrUnavailableError, match="klingon"):
        read_document(path, ExtractionContext(ocr_languages="eng+klingon"))


def test_missing_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    from extractors.ocr import engine

    engine._installed_languages.cache_clear()
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    path = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(path)
    try:
        with pytest.raises(OcrUnavailableError) as info:
            read_document(path, CTX)
        assert info.value.exit_code == 16
    finally:
        engine._installed_languages.cache_clear()


def test_ocr_region_reads_only_the_box(tmp_path: Path) -> None:
    scan = image_pdf(tmp_path / "scan.pdf", [draw_scan(dpi=200)], dpi=200)
    box = _expected_box("Total").union(_expected_box("1234.50")).expanded(4)
    tokens = ocr_region(scan, 0, box, CTX)
    assert [t.text for t in tokens] == ["Total", "EUR", "1234.50"]
    assert all(t.bbox_pt.overlap_ratio(box) > 0.9 and t.source == TokenSource.OCR for t in tokens)


def test_render_page_for_pdf_and_image(tmp_path: Path) -> None:
    pdf = text_pdf(tmp_path / "inv.pdf")
    image = render_page(pdf, 0, 144)
    assert image.size[0] == pytest.approx(1190, abs=1) and image.size[1] == pytest.approx(1684, abs=1)
    png = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(png, dpi=(100, 100))
    shown = render_page(png, 0, 50)
    assert shown.size == (361, 166)  # 722 x 333 pixels at 100 dpi shown at 50 dpi


def test_pages_render_and_read_from_several_threads_at_once(tmp_path: Path) -> None:
    """The window renders and reads in background threads; PDFium itself may only be used by one at a time."""
    pdfs = [text_pdf(tmp_path / f"inv{k}.pdf") for k in range(3)]
    expected = np.asarray(render_page(pdfs[0], 0, 72))

    def work(k: int) -> bool:
        pdf = pdfs[k % 3]
        if k % 3 == 2:
            return bool(read_document(pdf, CTX).pages[0].tokens)
        return bool(np.array_equal(np.asarray(render_page(pdf, 0, 72)), expected))

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(work, range(90)))


class _OutOfOrderPool:
    """Stands in for the process pool: records the order pages are handed out in, returns a page per job."""

    def __init__(self, broken: bool = False) -> None:
        self.handed: list[int] = []
        self.broken = broken

    def map(self, fn, jobs, ctxs):  # type: ignore[no-untyped-def]
        if self.broken:
            from concurrent.futures.process import BrokenProcessPool

            raise BrokenProcessPool("a worker was killed")
        self.handed = [j.page_index for j in jobs]
        return [Page(j.page_index, j.width_pt or 0.0, j.height_pt or 0.0) for j in jobs]


def test_pages_are_handed_out_largest_first_and_come_back_in_page_order(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _OutOfOrderPool()
    monkeypatch.setattr(ocr_pages_module, "_pool", lambda workers: pool)
    sizes = [(300.0, 400.0), (600.0, 800.0), (100.0, 100.0), (400.0, 500.0)]
    jobs = [PageJob("scan.pdf", i, True, 200.0, 0, w, h) for i, (w, h) in enumerate(sizes)]
    pages = ocr_pages_module.ocr_pages(jobs, replace(CTX, workers=2))
    assert pool.handed == [1, 3, 0, 2]
    assert [p.index for p in pages] == [0, 1, 2, 3]
    assert [(p.width_pt, p.height_pt) for p in pages] == sizes


def test_a_dead_worker_fails_the_document_and_the_next_one_gets_a_new_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ocr_pages_module._POOLS, 2, _OutOfOrderPool(broken=True))
    jobs = [PageJob("scan.pdf", i, True, 200.0, 0, 100.0, 100.0) for i in range(2)]
    with pytest.raises(OcrUnavailableError, match="worker process stopped"):
        ocr_pages_module.ocr_pages(jobs, replace(CTX, workers=2))
    assert 2 not in ocr_pages_module._POOLS


@pytest.mark.slow
def test_two_workers_read_the_same_pages_as_one(tmp_path: Path) -> None:
    # The larger third page is handed out first; the pages still come back in their order.
    pages = [
        draw_scan(dpi=150),
        draw_scan((("Second page total 99.00", 72, 100),), dpi=150),
        draw_scan((("Third page, a long one", 72, 100),), dpi=150, page_pt=(520, 700)),
    ]
    pdf = image_pdf(tmp_path / "three.pdf", pages, dpi=150)
    one = read_document(pdf, CTX)
    two_workers = ExtractionContext(ocr_languages="eng", ocr_dpi=200, workers=2)
    two = read_document(pdf, two_workers)
    assert [p.text() for p in two.pages] == [p.text() for p in one.pages]
    assert [p.index for p in two.pages] == [0, 1, 2]
    assert "long" in two.pages[2].text()
    assert [t.bbox_pt for t in two.all_tokens()] == [t.bbox_pt for t in one.all_tokens()]
    # The pool's own threads now run; the next document must still go to the same warm workers.
    kept = list(ocr_pages_module._POOLS.values())
    read_document(pdf, two_workers)
    assert list(ocr_pages_module._POOLS.values()) == kept


@pytest.mark.slow
@pytest.mark.parametrize(("code", "upright_turn"), [(cv2.ROTATE_180, 180), (cv2.ROTATE_90_CLOCKWISE, 270)])
def test_turned_scan_is_read_as_the_upright_page(tmp_path: Path, code: int, upright_turn: int) -> None:
    lines = (*INVOICE_LINES, ("Payment due within thirty days of receipt", 72, 230))
    img = draw_scan(lines, dpi=150, page_pt=(520, 260))
    path = tmp_path / "turned.png"
    Image.fromarray(np.ascontiguousarray(cv2.rotate(img, code))).save(path, dpi=(150, 150))
    doc = read_document(path, CTX)
    page = doc.pages[0]
    assert page.upright_turn == upright_turn
    assert (round(page.width_pt), round(page.height_pt)) == (520, 260)
    assert any("turned" in w for w in doc.warnings)
    # lines read in the upright page's order, left to right
    assert "Payment due within thirty days of receipt" in page.text()
    words = _words(doc)
    k = 150 / 72
    for word in ("4711", "thirty"):
        box = words[word].bbox_pt  # type: ignore[attr-defined]
        assert ink_share(img, (box.x0 * k, box.y0 * k, box.x1 * k, box.y1 * k)) > 0.1, word
    # what the clerk sees is the page turned upright, so a box drawn on it reads the words inside it
    shown = np.asarray(render_page(path, 0, 150, page.upright_turn).convert("L"))
    assert shown.shape == img.shape
    assert float(np.mean(np.abs(shown.astype(int) - img.astype(int)))) < 3.0
    thirty = words["thirty"].bbox_pt  # type: ignore[attr-defined]
    drawn = BBox(thirty.x0 - 4, thirty.y0 - 4, thirty.x1 + 4, thirty.y1 + 4)
    assert [t.text for t in ocr_region(path, 0, drawn, CTX, turn=page.upright_turn)] == ["thirty"]
    # a second look with another segmentation reads the same upright page
    again = read_page_again(path, page, CTX, psm=6)
    assert (again.upright_turn, again.width_pt, again.height_pt) == (page.upright_turn, page.width_pt, page.height_pt)
    second = {t.text: t.bbox_pt for t in again.tokens}["thirty"]
    assert second.overlap_ratio(thirty) > 0.7


def test_render_keeps_the_colour_of_a_scan(tmp_path: Path) -> None:
    rgb = np.zeros((200, 300, 3), dtype=np.uint8)
    rgb[..., 0] = 200  # a reddish scan
    path = tmp_path / "red.jpg"
    Image.fromarray(rgb).save(path, dpi=(200, 200), quality=95)
    shown = render_page(path, 0, 100)
    assert shown.size == (150, 100) and shown.mode == "RGB"
    r, g, b = shown.getpixel((75, 50))  # type: ignore[misc]
    assert r > 150 and g < 50 and b < 50


@pytest.mark.slow
def test_orientation_is_found_on_a_noisy_scan_in_every_turn() -> None:
    from extractors.ocr.engine import detect_orientation

    words = "Supplier Customer Invoice Delivery Payment Reference Account Quantity Description Amount"
    lines = tuple(
        (f"{words.split()[i % 10]} {words.split()[(i * 3) % 10]} {1000 + 37 * i}", 60, 60 + 22 * i) for i in range(30)
    )
    page = draw_scan(lines, dpi=150, size_pt=12, page_pt=(595, 842)).astype(np.float64)
    rng = np.random.default_rng(4)
    noisy = np.clip(cv2.GaussianBlur(page, (3, 3), 0) + rng.normal(0, 45, page.shape), 0, 255).astype(np.uint8)
    # each page turned as a scanner may feed it: the turn that sets it upright is found
    for code, expected in (
        (None, 0),
        (cv2.ROTATE_90_CLOCKWISE, 270),
        (cv2.ROTATE_180, 180),
        (cv2.ROTATE_90_COUNTERCLOCKWISE, 90),
    ):
        fed = noisy if code is None else np.ascontiguousarray(cv2.rotate(noisy, code))
        assert detect_orientation(fed, "eng", dpi=150, text_height_px=25) == expected, expected
    # a page with no text to read is left as it is
    assert detect_orientation(np.full((400, 300), 255, np.uint8), "eng", dpi=150) == 0


def test_a_first_read_that_looks_turned_is_told_from_an_upright_one() -> None:
    from extractors.readers.ocr_pages import _maybe_turned

    def word(text: str, conf: float, w: float = 60, h: float = 14) -> OcrWord:
        return OcrWord(text, 0, 0, w, h, conf)

    upright = [word("Invoice", 0.93), word("4711", 0.9), word("Total", 0.88), word("1234.50", 0.91)]
    assert not _maybe_turned(upright)
    # upside down: Tesseract makes words of the marks, a few of them with a fair confidence
    upside_down = [word("sIe10L", 0.5), word("Ilt", 0.4), word("q", 0.7), word("01.21", 0.62), word("ISI", 0.35)]
    assert _maybe_turned(upside_down)
    # sideways: the lines read well, in boxes taller than wide
    sideways = [word(w.text, 0.95, w=14, h=60) for w in upright]
    assert _maybe_turned(sideways)


@pytest.mark.slow
def test_a_sideways_page_tesseract_reads_clearly_is_still_turned(tmp_path: Path) -> None:
    # two short lines at the top of an A4 page: too little for the layout analysis to see lines running up the
    # page, and Tesseract reads them sideways with a high confidence, in boxes taller than wide
    img = draw_scan((("Receipt 4471", 60, 80), ("Total 45.00 EUR", 60, 100)), dpi=200, page_pt=(595, 842))
    fed = np.ascontiguousarray(cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE))
    assert analyse(fed).vertical_text is False
    path = tmp_path / "sideways.png"
    Image.fromarray(fed).save(path, dpi=(200, 200))
    doc = read_document(path, CTX)
    assert doc.pages[0].upright_turn == 270
    assert "Total 45.00 EUR" in doc.pages[0].text()


def test_a_box_drawn_through_the_lines_around_a_value_reads_the_value_alone(tmp_path: Path) -> None:
    """A box around an IBAN on a scan that cuts through the line below read its cut tops as "ee eee" words, and the
    IBAN with them was no IBAN."""
    lines = [
        ("Dark Line Above Here 2024", 40, 100),
        ("AT21 9746 8194 4979 9443", 40, 118),
        ("Below Text Line Again", 40, 136),
    ]
    path = tmp_path / "three.png"
    Image.fromarray(draw_scan(lines, dpi=200, size_pt=11)).save(path, dpi=(200, 200))
    words = ocr_region(path, 0, BBox(30, 100, 330, 130), CTX)
    assert [t.text for t in words] == ["AT21", "9746", "8194", "4979", "9443"]
