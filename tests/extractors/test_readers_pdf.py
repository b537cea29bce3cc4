"""The PDF text-layer reader: words, boxes in points on the displayed page, layout, and bad PDFs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from extractors.context import ExtractionContext
from extractors.document import TokenSource
from extractors.errors import CorruptFileError, EmptyDocumentError, EncryptedFileError, UnsupportedFileError
from extractors.readers import read_document, render_page
from extractors.readers.pdf import garbage_share, usable_text
from tests.extractors.test_readers_docs import INVOICE_LINES, garbage_pdf, ink_share, text_pdf

CTX = ExtractionContext()


def _token(doc, text):  # type: ignore[no-untyped-def]
    return next(t for t in doc.all_tokens() if t.text == text)


def test_text_layer_words_with_boxes_in_points(tmp_path: Path) -> None:
    doc = read_document(text_pdf(tmp_path / "inv.pdf"), CTX)
    assert doc.page_count == 1 and doc.mime_type == "application/pdf"
    assert (
        len(doc.sha256) == 64
        and doc.sha256 == __import__("hashlib").sha256((tmp_path / "inv.pdf").read_bytes()).hexdigest()
    )
    page = doc.pages[0]
    assert page.source == TokenSource.TEXT_LAYER
    assert (round(page.width_pt), round(page.height_pt)) == (595, 842)
    tok = _token(doc, "4711")
    # "Invoice No. 4711" starts at x=72 with a baseline 130 pt from the top, Helvetica 12.
    assert 130 < tok.bbox_pt.x0 < 160 and tok.bbox_pt.y1 == pytest.approx(130, abs=4)
    assert tok.bbox_pt.y0 == pytest.approx(130 - 10, abs=4)
    assert tok.font_size_pt == pytest.approx(12) and tok.confidence == 1.0
    assert [t.index for t in page.tokens] == list(range(len(page.tokens)))
    assert "read_ms" in doc.timing_ms and doc.timing_ms["total_ms"] >= doc.timing_ms["read_ms"]


def test_lines_and_reading_order(tmp_path: Path) -> None:
    page = read_document(text_pdf(tmp_path / "inv.pdf"), CTX).pages[0]
    lines = [page.line_text(line) for line in page.lines]
    assert "Invoice No. 4711" in lines and "Date 2024-03-05" in lines
    # The address line comes first, the total last; same-baseline columns left to right.
    assert lines[0] == "ACME Supplies GmbH" and lines[-1] == "Total EUR 1234.50"
    assert lines.index("Invoice No. 4711") < lines.index("Date 2024-03-05")
    assert page.text().splitlines() == lines
    assert len(page.layout("block")) == len(page.blocks) >= 2


def test_bold_from_font_name(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "bold.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 700, "INVOICE heading text")
    c.setFont("Helvetica", 10)
    c.drawString(72, 680, "plain body text here")
    c.save()
    doc = read_document(path, CTX)
    assert _token(doc, "INVOICE").bold and not _token(doc, "plain").bold


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_a_page_given_a_rotation_is_read_upright_with_boxes_on_its_words(tmp_path: Path, rotate: int) -> None:
    """A /Rotate the content does not make up for turns the page as displayed; it is read as the upright page
    (labels left of their values), and its boxes land on the words of the page rendered and turned upright."""
    src = text_pdf(tmp_path / "src.pdf", size=20)
    writer = PdfWriter()
    writer.append(PdfReader(str(src)))
    page = writer.pages[0]
    page.cropbox = RectangleObject((40, 300, 560, 800))
    if rotate:
        page.rotate(rotate)
    out = tmp_path / f"rot{rotate}.pdf"
    writer.write(str(out))

    doc = read_document(out, CTX)
    p = doc.pages[0]
    assert (p.rotation, p.upright_turn) == (rotate, (360 - rotate) % 360)
    assert (round(p.width_pt), round(p.height_pt)) == (520, 500)
    assert any("to stand upright" in w for w in doc.warnings) == bool(rotate)
    dpi = 72.0
    image = render_page(out, 0, dpi, turn=p.upright_turn)
    assert image.size == (round(p.width_pt), round(p.height_pt))
    gray = np.asarray(image.convert("L"))
    plain = read_document(src, CTX)
    for word in ("ACME", "4711", "1234.50"):
        box = _token(doc, word).bbox_pt
        assert ink_share(gray, (box.x0, box.y0, box.x1, box.y1)) > 0.12, (rotate, word)
        # The same word on the plain page, cropped (x - 40, y - 42), gives the same box.
        b = _token(plain, word).bbox_pt
        assert box.to_list(1) == pytest.approx([b.x0 - 40, b.y0 - 42, b.x1 - 40, b.y1 - 42], abs=0.6), (rotate, word)
    assert [p.line_text(line) for line in p.lines] == [plain.pages[0].line_text(line) for line in plain.pages[0].lines]


@pytest.mark.parametrize(("rotate", "upright_turn"), [(0, 90), (90, 0), (270, 180)])
def test_content_drawn_sideways_is_read_upright_whatever_its_page_rotation(
    tmp_path: Path, rotate: int, upright_turn: int
) -> None:
    """Text drawn running up the page stands upright once the page is shown turned 90 degrees clockwise: with a
    /Rotate of 90 nothing is turned; without one the page is turned 90 degrees; with 270, upside down, 180."""
    from reportlab.pdfgen import canvas

    from extractors.readers.core import read_pdf_text_pdfplumber

    path = tmp_path / "landscape.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.translate(595, 0)
    c.rotate(90)
    c.setFont("Helvetica", 12)
    c.drawString(72, 500, "Invoice No. 4711")
    c.drawString(72, 480, "Total EUR 1234.50")
    c.save()
    writer = PdfWriter()
    writer.append(PdfReader(str(path)))
    if rotate:
        writer.pages[0].rotate(rotate)
    out = tmp_path / "shown.pdf"
    writer.write(str(out))
    for p in (read_document(out, CTX).pages[0], read_pdf_text_pdfplumber(out)[0]):
        assert (p.rotation, p.upright_turn) == (rotate, upright_turn)
        assert (p.width_pt, p.height_pt) == (842, 595)  # the upright page is landscape
        assert [p.line_text(line) for line in p.lines] == ["Invoice No. 4711", "Total EUR 1234.50"]
        number, total = _token_on(p, "4711").bbox_pt, _token_on(p, "Total").bbox_pt
        assert total.y0 > number.y1  # the total's line below the number's on the upright page


def _token_on(page, text):  # type: ignore[no-untyped-def]
    return next(t for t in page.tokens if t.text == text)


def test_garbage_text_layer_is_not_usable() -> None:
    cid = [{"text": "(cid:12)(cid:40)(cid:33)"}] * 5
    assert garbage_share("".join(w["text"] for w in cid)) == 1.0
    assert not usable_text(cid)
    assert not usable_text([{"text": "\x01\x02\x03\x04\x05\x06\x07\x08\x0e"}])
    assert not usable_text([{"text": "ab"}])
    assert usable_text([{"text": "Invoice"}, {"text": "4711"}, {"text": "Total"}])


def test_corrupt_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj <<< nonsense\n")
    with pytest.raises(CorruptFileError) as info:
        read_document(bad, CTX)
    assert info.value.exit_code == 12 and str(bad) in str(info.value)


def test_truncated_pdf_is_corrupt_or_read(tmp_path: Path) -> None:
    data = text_pdf(tmp_path / "ok.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptFileError):
        read_document(cut, CTX)


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(str(text_pdf(tmp_path / "plain.pdf"))))
    writer.encrypt("secret")
    enc = tmp_path / "enc.pdf"
    writer.write(str(enc))
    with pytest.raises(EncryptedFileError):
        read_document(enc, CTX)


def test_pdf_with_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(str(text_pdf(tmp_path / "plain.pdf"))))
    writer.encrypt("", owner_password="owner")
    enc = tmp_path / "owner.pdf"
    writer.write(str(enc))
    assert "4711" in read_document(enc, CTX).text()


def test_zero_page_pdf(tmp_path: Path) -> None:
    empty = tmp_path / "zero.pdf"
    PdfWriter().write(str(empty))
    with pytest.raises(EmptyDocumentError):
        read_document(empty, CTX)


def test_text_file_named_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.pdf"
    fake.write_text("Dear clerk, this is a plain text file.\n")
    with pytest.raises(UnsupportedFileError) as info:
        read_document(fake, CTX)
    assert info.value.exit_code == 11


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(UnsupportedFileError, match="empty"):
        read_document(empty, CTX)
    from extractors.errors import MissingFileError

    with pytest.raises(MissingFileError, match="no such file") as missing:
        read_document(tmp_path / "missing.pdf", CTX)
    assert missing.value.exit_code == 21  # not found, as the README's table has it


def test_multi_page_text_pdf(tmp_path: Path) -> None:
    pages = [INVOICE_LINES, (("Page two terms and conditions", 72, 100),)]
    doc = read_document(text_pdf(tmp_path / "two.pdf", pages=pages), CTX)
    assert doc.page_count == 2
    assert [t.page for t in doc.pages[1].tokens] == [1] * len(doc.pages[1].tokens)
    assert doc.pages[1].text() == "Page two terms and conditions"


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_sideways_page_keeps_words_and_reading_order(tmp_path: Path, rotate: int) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(str(text_pdf(tmp_path / "src.pdf"))))
    writer.pages[0].rotate(rotate)
    out = tmp_path / "turned.pdf"
    writer.write(str(out))
    page = read_document(out, CTX).pages[0]
    lines = [page.line_text(line) for line in page.lines]
    assert lines[0] == "ACME Supplies GmbH" and lines[-1] == "Total EUR 1234.50"
    assert "Invoice No. 4711" in lines


@pytest.mark.parametrize("rotate", [0, 90])
def test_pdfium_and_pdfplumber_readers_agree(tmp_path: Path, rotate: int) -> None:
    from extractors.readers.core import read_pdf_text_pdfplumber

    writer = PdfWriter()
    writer.append(PdfReader(str(text_pdf(tmp_path / "src.pdf"))))
    writer.pages[0].cropbox = RectangleObject((30, 200, 580, 820))
    if rotate:
        writer.pages[0].rotate(rotate)
    out = tmp_path / "p.pdf"
    writer.write(str(out))
    fast = read_document(out, CTX).pages[0]
    slow = read_pdf_text_pdfplumber(out)[0]
    assert [t.text for t in fast.tokens] == [t.text for t in slow.tokens]
    assert (fast.width_pt, fast.height_pt) == pytest.approx((slow.width_pt, slow.height_pt))
    for a, b in zip(fast.tokens, slow.tokens, strict=True):
        assert a.bbox_pt.iou(b.bbox_pt) > 0.7, (a, b)


def test_page_with_an_unmapped_text_layer_goes_to_ocr(tmp_path: Path) -> None:
    from extractors.ocr.engine import OcrWord

    seen = []

    def engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
        seen.append(image.shape)
        return [OcrWord("Readable", 10.0, 10.0, 80.0, 20.0, 0.9, 1, 1, 1)]

    doc = read_document(garbage_pdf(tmp_path / "garbage.pdf"), CTX, ocr_engine=engine)
    page = doc.pages[0]
    assert seen and page.source == TokenSource.OCR and [t.text for t in page.tokens] == ["Readable"]
    assert page.image_dpi == CTX.ocr_dpi and (page.width_pt, page.height_pt) == (400, 200)
    assert "read by OCR" in doc.warnings[0]


def test_an_invisible_layer_of_random_letters_over_a_scan_is_read_by_ocr(tmp_path: Path) -> None:
    """Letters nothing like words (a scanner's layer whose glyphs map to nonsense): the page is OCRed."""
    import random

    from reportlab.pdfgen import canvas

    from extractors.ocr.engine import OcrWord
    from extractors.readers.pdf import nonsense

    rng = random.Random(5)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8)) for _ in range(40)
    ]
    assert nonsense(words)
    assert not nonsense(
        ["Rechnung", "Nummer", "GmbH", "Lieferung", "Betrag", "Zahlbar", "innerhalb", "Tagen", "netto", "Skonto"] * 3
    )
    russian = "Счет-фактура Поставщик Покупатель организация Количество наименование Итого оплате"
    greek = "Τιμολόγιο Προμηθευτής Αγοραστής Ποσότητα Σύνολο πληρωμή"
    assert not nonsense(russian.split(" ") * 4) and not nonsense(greek.split(" ") * 4)  # other scripts: not judged
    from PIL import Image

    from tests.extractors.test_readers_docs import draw_scan

    scan = tmp_path / "scan.png"
    Image.fromarray(draw_scan(dpi=100)).save(scan)
    path = tmp_path / "layered.pdf"
    c = canvas.Canvas(str(path), pagesize=(520, 240))
    c.drawImage(str(scan), 0, 0, 520, 240)  # the scan, under its layer
    text = c.beginText(20, 150)
    text.setTextRenderMode(3)  # invisible, as OCR layers are
    for i in range(0, len(words), 5):
        text.textLine(" ".join(words[i : i + 5]))
    c.drawText(text)
    c.save()

    def engine(image, languages, psm, dpi):  # type: ignore[no-untyped-def]
        return [OcrWord("Invoice", 10.0, 10.0, 80.0, 20.0, 0.9, 1, 1, 1)]

    doc = read_document(path, CTX, ocr_engine=engine)
    assert doc.pages[0].source == TokenSource.OCR and [t.text for t in doc.pages[0].tokens] == ["Invoice"]
    assert "read by OCR" in doc.warnings[0]


def test_side_by_side_blocks_read_one_after_the_other(tmp_path: Path) -> None:
    left = (("ACME Supplies GmbH", 72, 100), ("Hauptstrasse 5", 72, 114), ("80333 Muenchen", 72, 128))
    right = (("Invoice No. 4711", 350, 100), ("Date 2024-03-05", 350, 114), ("Customer 0815", 350, 128))
    footer = (("Thank you for your order", 72, 300),)
    page = read_document(text_pdf(tmp_path / "cols.pdf", pages=((*right, *left, *footer),)), CTX).pages[0]
    blocks = [[page.line_text(page.lines[i]) for i in b.line_ids] for b in page.blocks]
    assert blocks == [
        ["ACME Supplies GmbH", "Hauptstrasse 5", "80333 Muenchen"],
        ["Invoice No. 4711", "Date 2024-03-05", "Customer 0815"],
        ["Thank you for your order"],
    ]
    assert [t.text for t in page.tokens][:4] == ["ACME", "Supplies", "GmbH", "Hauptstrasse"]
