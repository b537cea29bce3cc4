"""read_document: any supported file in, a :class:`~extractors.document.Document` out.

The kind of file is told from its bytes. PDF pages with a usable text layer are read from it; pages without
one (scans, or a layer of unmapped glyphs) are rendered and OCRed, page by page. Images are OCRed. A bare
CII / UBL e-invoice becomes a document without pages that carries its XML.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

from extractors.context import ExtractionContext
from extractors.document import Document, Page, Token
from extractors.einvoice.embedded import einvoice_from_pdfium, validate_einvoice_xml
from extractors.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    ExtractionError,
)
from extractors.geometry import BBox
from extractors.ocr.engine import OcrEngine
from extractors.readers.layout import assemble_page, upright
from extractors.readers.ocr_pages import PageJob, ocr_page_image, ocr_pages
from extractors.readers.pdf import PageFrame, extract_words, page_frame, text_turn, usable_text, words_to_tokens
from extractors.readers.pdfium_text import read_text_layer
from extractors.readers.render import (
    PDFIUM_LOCK,
    check_image_header,
    load_page_image,
    open_image,
    open_pdfium,
    turned,
)
from extractors.readers.sniff import FileKind, sniff_file


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _pdf_open_error(path: Path, exc: Exception) -> ExtractionError:
    """Tell an encrypted PDF from a corrupt one after pdfplumber failed to open it."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return EncryptedFileError("the PDF is protected by a password", path=str(path))
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, NotImplementedError):
        pass
    detail = str(exc) or type(exc).__name__
    return CorruptFileError(f"cannot parse the PDF: {detail}", path=str(path))


def _read_pdf(
    path: Path, ctx: ExtractionContext, engine: OcrEngine | None, timing: dict[str, float], warnings: list[str]
) -> tuple[list[Page], bytes | None]:
    with PDFIUM_LOCK:  # released before OCR, which needs no PDFium
        pages, jobs, einvoice = _read_pdf_layer(path, ctx, timing, warnings)
    if jobs:
        start = time.perf_counter()
        for done in ocr_pages(jobs, ctx, engine):
            pages[done.index] = done
        timing["ocr_ms"] = _ms(start)
        warnings.extend(f"page {j.page_index + 1} has no usable text layer; read by OCR" for j in jobs)
    return [pages[i] for i in sorted(pages)], einvoice


def _read_pdf_layer(
    path: Path, ctx: ExtractionContext, timing: dict[str, float], notes: list[str]
) -> tuple[dict[int, Page], list[PageJob], bytes | None]:
    """The pages with a usable text layer, the OCR jobs of the others and the embedded e-invoice, through PDFium;
    an attached file passed over is added to ``notes``."""
    start = time.perf_counter()
    pdf = open_pdfium(path)
    einvoice: bytes | None = None
    pages: dict[int, Page] = {}
    jobs: list[PageJob] = []
    try:
        count = len(pdf)
        if count == 0:
            raise EmptyDocumentError("the PDF has no pages", path=str(path))
        for i in range(count):
            page = pdf[i]
            try:
                layer = read_text_layer(page, i)
            except Exception as exc:  # PDFium reports a broken page as a generic error
                raise CorruptFileError(f"cannot read page {i + 1}: {exc}", path=str(path)) from exc
            finally:
                page.close()
            frame = layer.frame
            if layer.usable:
                pages[i] = _text_page(i, frame, layer.tokens, layer.text_turn)
            else:
                jobs.append(
                    PageJob(str(path), i, True, float(ctx.ocr_dpi), frame.rotation, frame.width_pt, frame.height_pt)
                )
        timing["read_ms"] = _ms(start)
        if ctx.use_einvoice:
            start = time.perf_counter()
            einvoice = einvoice_from_pdfium(pdf, path, notes)
            timing["einvoice_ms"] = _ms(start)
    finally:
        pdf.close()
    return pages, jobs, einvoice


def _text_page(index: int, frame: PageFrame, tokens: Sequence[Token], text_turn: int) -> Page:
    """A text-layer page, turned upright where its text stands turned on the displayed page (a page given a
    /Rotate its content does not make up for, a landscape table printed sideways), as a turned scan is: its size
    and boxes are the upright page's, and its upright turn says how far the displayed page is turned to stand so.
    Labels lie left of and above their values only on the upright page."""
    turn = text_turn % 360
    width, height = frame.width_pt, frame.height_pt
    if turn:
        tokens = upright(tokens, turn, width, height)
        if turn % 180 == 90:
            width, height = height, width
    return assemble_page(index, width, height, tokens, rotation=frame.rotation, upright_turn=(360 - turn) % 360)


def read_pdf_text_pdfplumber(path: Path) -> list[Page]:
    """The text-layer pages of a PDF read with pdfplumber (pdfminer): slower, kept as a cross-check of PDFium."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises many unrelated types for broken files
        raise _pdf_open_error(path, exc) from exc
    pages: list[Page] = []
    with pdf:
        for i, page in enumerate(pdf.pages):
            frame = page_frame(page)
            turn = text_turn(page)
            words = extract_words(page, turn)
            if usable_text(words):
                tokens = words_to_tokens(page, words, i)
                pages.append(_text_page(i, frame, tokens, turn))
            page.close()
    return pages


def _read_image(path: Path, kind: FileKind, ctx: ExtractionContext, engine: OcrEngine | None) -> list[Page]:
    check_image_header(path, kind, ctx.max_image_pixels)
    with open_image(path, ctx.max_image_pixels) as img:
        frames = int(getattr(img, "n_frames", 1) or 1)
    if frames < 1:
        raise EmptyDocumentError("the image has no frames", path=str(path))
    jobs = [PageJob(str(path), i, False, float(ctx.ocr_dpi), 0) for i in range(frames)]
    return ocr_pages(jobs, ctx, engine)


def read_document(path: Path, ctx: ExtractionContext, *, ocr_engine: OcrEngine | None = None) -> Document:
    """Read a PDF, PNG, JPEG, TIFF or e-invoice XML into pages of tokens with boxes in points.

    ``ocr_engine`` replaces Tesseract (tests inject engines that fail or find nothing).
    Raises a subclass of :class:`~extractors.errors.ExtractionError` for every kind of bad input.
    """
    path = Path(path)
    total = time.perf_counter()
    kind = sniff_file(path)
    timing: dict[str, float] = {}
    warnings: list[str] = []
    einvoice: bytes | None = None
    start = time.perf_counter()
    sha = file_sha256(path)
    timing["hash_ms"] = _ms(start)
    if kind == FileKind.PDF:
        pages, einvoice = _read_pdf(path, ctx, ocr_engine, timing, warnings)
    elif kind == FileKind.XML:
        pages = []
        einvoice = path.read_bytes()
        validate_einvoice_xml(einvoice, path)
        if not ctx.use_einvoice:
            warnings.append("an e-invoice XML has no page to read: with e-invoices off (--no-einvoice) nothing is read")
    else:
        start = time.perf_counter()
        pages = _read_image(path, kind, ctx, ocr_engine)
        timing["ocr_ms"] = _ms(start)
    warnings.extend(
        f"page {p.index + 1} was read turned {p.upright_turn} degrees clockwise, to stand upright"
        for p in pages
        if p.upright_turn
    )
    timing["total_ms"] = _ms(total)
    return Document(
        path=str(path),
        pages=tuple(pages),
        mime_type=str(kind),
        sha256=sha,
        einvoice_xml=einvoice,
        warnings=tuple(warnings),
        timing_ms=timing,
    )


def read_page_again(
    path: Path, page: Page, ctx: ExtractionContext, *, psm: int = 6, ocr_engine: OcrEngine | None = None
) -> Page:
    """OCR a page of ``path`` once more with another Tesseract page segmentation: 6 reads it as one uniform
    block of text, 11 as sparse text (every line found on its own, in no particular order).

    The automatic segmentation of the first read can drop or garble a short line set apart from the rest, as
    the date line of a till receipt often is; read as one block, or line by line, such a line usually comes
    through. The page keeps the size, rotation and upright turn of ``page``, so its boxes are in the same points.
    """
    path = Path(path)
    image = load_page_image(path, page.index, float(ctx.ocr_dpi), ctx.max_image_pixels)
    turn = page.upright_turn
    size = (page.height_pt, page.width_pt) if turn % 180 == 90 else (page.width_pt, page.height_pt)
    return ocr_page_image(image, page.index, ctx, ocr_engine, rotation=page.rotation, size_pt=size, psm=psm, turn=turn)


def ocr_region(
    path: Path,
    page_index: int,
    bbox_pt: BBox,
    ctx: ExtractionContext,
    *,
    ocr_engine: OcrEngine | None = None,
    turn: int = 0,
) -> list[Token]:
    """OCR the box a clerk drew on a page; tokens come back in the page's points, in reading order.

    ``turn`` is the page's :attr:`~extractors.document.Page.upright_turn`: the box is on the upright page."""
    path = Path(path)
    image = turned(load_page_image(path, page_index, float(ctx.ocr_dpi), ctx.max_image_pixels), turn)
    page = ocr_page_image(image, page_index, ctx, ocr_engine, region_pt=bbox_pt)
    return list(page.tokens)
