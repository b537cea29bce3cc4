"""Page images: PDF pages rendered with pypdfium2, image files decoded with Pillow, both as 8-bit arrays.

An image is checked against the pixel limit from its header before it is decoded; a PDF page is checked
against the limit from its size and the resolution before it is rendered.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageSequence

from extractors.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    ExtractionError,
    ImageTooLargeError,
)
from extractors.geometry import POINTS_PER_INCH
from extractors.readers.sniff import FileKind, check_pixels, jpeg_size, png_size, sniff_file

DEFAULT_MAX_PIXELS = 200_000_000
# Pillow's own guard, for any image opened anywhere in the process: our readers check ctx.max_image_pixels
# from the header first; this stops a bomb that reaches Pillow by another path.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

DEFAULT_IMAGE_DPI = 150.0
"""The resolution assumed for an image that does not state one (or states a screen default below 100 dpi)."""
MIN_TRUSTED_DPI = 99.5

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page as pixels: grayscale, and the resolution that maps its pixels to points."""

    pixels: GrayImage
    dpi: float

    @property
    def width_pt(self) -> float:
        return float(self.pixels.shape[1]) * POINTS_PER_INCH / self.dpi

    @property
    def height_pt(self) -> float:
        return float(self.pixels.shape[0]) * POINTS_PER_INCH / self.dpi


def turned(image: PageImage, turn: int) -> PageImage:
    """``image`` turned clockwise by ``turn`` degrees (a multiple of 90)."""
    quarters = (turn // 90) % 4
    if not quarters:
        return image
    return PageImage(np.ascontiguousarray(np.rot90(image.pixels, k=-quarters)), image.dpi)


def image_dpi(img: Image.Image) -> float:
    """The resolution an image states, if plausible, else :data:`DEFAULT_IMAGE_DPI`."""
    dpi = img.info.get("dpi")
    if isinstance(dpi, tuple) and dpi:
        with contextlib.suppress(TypeError, ValueError):
            value = float(dpi[0])
            if MIN_TRUSTED_DPI <= value <= 2400:
                return round(value, 1)  # PNG stores dots per metre: 200 dpi reads back as 199.9996
    return DEFAULT_IMAGE_DPI


def check_image_header(path: Path, kind: FileKind, max_pixels: int) -> None:
    """Refuse an over-large PNG or JPEG from its header bytes alone (TIFF frames are checked as they are read)."""
    if kind == FileKind.PNG:
        with path.open("rb") as fh:
            width, height = png_size(fh.read(32))
        check_pixels(width, height, max_pixels, path)
    elif kind == FileKind.JPEG:
        width, height = jpeg_size(path)
        check_pixels(width, height, max_pixels, path)


def _eight_bit(frame: Image.Image) -> Image.Image:
    """A grey frame of 16 or 32 bits (a scanner's 16-bit TIFF, a 16-bit PNG) as 8 bits, scaled rather than clipped:
    Pillow's conversion to "L" clips every value above 255 to white, which leaves a 16-bit page blank."""
    if frame.mode not in ("I", "F") and not frame.mode.startswith("I;16"):
        return frame
    values = np.asarray(frame, dtype=np.float64)
    top = float(values.max(initial=0.0))
    # the depth the values fill: 8, 12 (a scanner's 12 bits in a 16-bit file) or 16 bits (floats: 0 to 1)
    depths = (1.0,) if frame.mode == "F" and top <= 1.0 else (255.0, 4095.0, 65535.0)
    top = next((d for d in depths if top <= d), top)
    scaled = np.clip(values * (255.0 / max(top, 1e-9)), 0.0, 255.0)
    return Image.fromarray(np.round(scaled).astype(np.uint8), mode="L")


def _to_rgb(frame: Image.Image) -> Image.Image:
    """A frame in colour for display, transparency laid on white."""
    frame = _eight_bit(frame)
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return frame.convert("RGB")


def _to_gray(frame: Image.Image) -> GrayImage:
    frame = _eight_bit(frame)
    if frame.mode in ("1", "L"):
        return np.asarray(frame.convert("L"), dtype=np.uint8)
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, rgba)
    return np.asarray(frame.convert("L"), dtype=np.uint8)


@contextlib.contextmanager
def open_image(path: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Open an image file lazily (no pixel decoded yet), mapping Pillow's failures to our errors."""
    try:
        with Image.open(path) as img:
            yield img
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(str(exc), path=str(path)) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptFileError(f"cannot read the image: {exc}", path=str(path)) from exc


def image_frames(path: Path, max_pixels: int) -> Iterator[PageImage]:
    """Every frame of an image file (TIFF pages), each checked against the limit before it is decoded."""
    with open_image(path, max_pixels) as img:
        for frame in ImageSequence.Iterator(img):
            yield _page_image(frame, path, max_pixels)


def image_frame(path: Path, index: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> PageImage:
    """One frame of an image file, found by seeking to it: only it is decoded (decoding every frame before it made
    a thousand-page TIFF take minutes, each page costing more than the last)."""
    with open_image(path, max_pixels) as img:
        try:
            img.seek(index)
        except EOFError:
            raise IndexError(f"{path}: no page {index}") from None
        return _page_image(img, path, max_pixels)


def _page_image(frame: Image.Image, path: Path, max_pixels: int) -> PageImage:
    """The frame an image file is at, checked against the pixel limit before it is decoded."""
    check_pixels(frame.width, frame.height, max_pixels, path)
    dpi = image_dpi(frame)
    try:
        pixels = _to_gray(frame)
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptFileError(f"cannot decode the image: {exc}", path=str(path)) from exc
    return PageImage(pixels, dpi)


def _pypdf_diagnosis(path: Path, detail: str) -> ExtractionError:
    """Why PDFium could not open a PDF: a password, no pages at all, or damage."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return EncryptedFileError("the PDF is protected by a password", path=str(path))
        if len(reader.pages) == 0:
            return EmptyDocumentError("the PDF has no pages", path=str(path))
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, NotImplementedError):
        pass
    return CorruptFileError(f"cannot open the PDF: {detail}", path=str(path))


logging.getLogger("pypdf").setLevel(logging.ERROR)
"""pypdf, asked why PDFium could not open a file, logs what it meets on the way ("EOF marker not found") as
warnings, which Python prints to stderr when nothing configured logging: a damaged file is reported once, as
its extraction error."""

PDFIUM_LOCK = threading.RLock()
"""PDFium may not be called from two threads at once, not even for two documents: the window renders pages and
reads text in background threads. Every use of a pypdfium2 document, from opening to closing, holds this lock."""


def open_pdfium(path: Path) -> Any:
    """An open pypdfium2 document; typed errors for a password, zero pages or a damaged file."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        # PDFium's error code is process-global and can be stale: ask pypdf what is wrong instead.
        raise _pypdf_diagnosis(path, str(exc)) from exc


def render_pdf_page(pdf: Any, index: int, dpi: float, max_pixels: int = DEFAULT_MAX_PIXELS) -> PageImage:
    """One page of an open pypdfium2 document as a grayscale image at ``dpi``, rotation applied."""
    page = pdf[index]
    try:
        width_pt, height_pt = page.get_size()
        scale = dpi / POINTS_PER_INCH
        check_pixels(max(1, round(width_pt * scale)), max(1, round(height_pt * scale)), max_pixels)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            pixels = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
        finally:
            bitmap.close()  # here, under the caller's PDFIUM_LOCK, not whenever it is collected
        if pixels.ndim == 3:
            pixels = pixels[..., 0]
        return PageImage(pixels, dpi)
    finally:
        page.close()


def load_page_image(path: Path, page_index: int, dpi: float, max_pixels: int = DEFAULT_MAX_PIXELS) -> PageImage:
    """A page of a PDF rendered at ``dpi``, or a frame of an image file at its own resolution."""
    kind = sniff_file(path)
    if kind == FileKind.PDF:
        with PDFIUM_LOCK:
            pdf = open_pdfium(path)
            try:
                if not 0 <= page_index < len(pdf):
                    raise EmptyDocumentError(f"no page {page_index + 1} in a PDF of {len(pdf)}", path=str(path))
                return render_pdf_page(pdf, page_index, dpi, max_pixels)
            finally:
                pdf.close()
    if kind in (FileKind.PNG, FileKind.JPEG, FileKind.TIFF):
        check_image_header(path, kind, max_pixels)
        try:
            return image_frame(path, page_index, max_pixels)
        except IndexError as exc:
            raise EmptyDocumentError(f"no page {page_index + 1} in this image", path=str(path)) from exc
    raise EmptyDocumentError("an e-invoice XML has no page to render", path=str(path))


_PIL_TURNS = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def render_page(path: Path, page_index: int, dpi: float, turn: int = 0) -> Image.Image:
    """A page as the clerk sees it, at ``dpi``: PDF pages rendered by pypdfium2, images resampled, then turned
    clockwise by ``turn`` degrees (a page's :attr:`~extractors.document.Page.upright_turn`).

    The image's pixel ``(x, y)`` is the point ``(x * 72 / dpi, y * 72 / dpi)`` on the page.
    """
    image = _render_page(path, page_index, dpi)
    transpose = _PIL_TURNS.get(turn % 360)
    return image if transpose is None else image.transpose(transpose)


def _render_page(path: Path, page_index: int, dpi: float) -> Image.Image:
    kind = sniff_file(path)
    if kind == FileKind.PDF:
        with PDFIUM_LOCK:
            pdf = open_pdfium(path)
            try:
                if not 0 <= page_index < len(pdf):
                    raise EmptyDocumentError(f"no page {page_index + 1} in a PDF of {len(pdf)}", path=str(path))
                page = pdf[page_index]
                try:
                    width_pt, height_pt = page.get_size()
                    scale = dpi / POINTS_PER_INCH
                    check_pixels(max(1, round(width_pt * scale)), max(1, round(height_pt * scale)), DEFAULT_MAX_PIXELS)
                    bitmap = page.render(scale=scale)
                    try:
                        image: Image.Image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap can go
                    finally:
                        bitmap.close()  # here, under the lock, not whenever it is collected
                    return image
                finally:
                    page.close()
            finally:
                pdf.close()
    if kind not in (FileKind.PNG, FileKind.JPEG, FileKind.TIFF):
        raise EmptyDocumentError("an e-invoice XML has no page to render", path=str(path))
    check_image_header(path, kind, DEFAULT_MAX_PIXELS)
    with open_image(path, DEFAULT_MAX_PIXELS) as img:
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i != page_index:
                continue
            check_pixels(frame.width, frame.height, DEFAULT_MAX_PIXELS, path)
            frame_dpi = image_dpi(frame)
            pil = _to_rgb(frame)
            if abs(frame_dpi - dpi) > 1e-6:
                size = (max(1, round(pil.width * dpi / frame_dpi)), max(1, round(pil.height * dpi / frame_dpi)))
                pil = pil.resize(size, Image.Resampling.BILINEAR)
            return pil
    raise EmptyDocumentError(f"no page {page_index + 1} in this image", path=str(path))
