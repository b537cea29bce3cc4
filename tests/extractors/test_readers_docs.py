"""Documents the reader tests make for themselves: PDFs with reportlab and pypdf, scans with Pillow and OpenCV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# (text, x_pt, baseline_pt from the top) of a small invoice
INVOICE_LINES: tuple[tuple[str, float, float], ...] = (
    ("ACME Supplies GmbH", 72, 90),
    ("Invoice No. 4711", 72, 130),
    ("Date 2024-03-05", 350, 130),
    ("Total EUR 1234.50", 72, 200),
)


def text_pdf(
    path: Path, pages: Sequence[Sequence[tuple[str, float, float]]] = (INVOICE_LINES,), size: int = 12
) -> Path:
    """A PDF with a real text layer; each line drawn at (x, baseline from the top) in points."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        for text, x, y_top in lines:
            c.setFont("Helvetica", size)
            c.drawString(x, A4[1] - y_top, text)
        c.showPage()
    c.save()
    return path


SCAN_PAGE_PT = (520.0, 240.0)
"""A small page (a slip) holding INVOICE_LINES: OCR time grows with the page, tests stay quick."""


def draw_scan(
    lines: Sequence[tuple[str, float, float]] = INVOICE_LINES,
    dpi: int = 200,
    size_pt: float = 14,
    page_pt: tuple[float, float] = SCAN_PAGE_PT,
) -> np.ndarray:
    """A white page image with black text, lines at (x, baseline from the top) in points, at ``dpi``."""
    k = dpi / 72.0
    img = Image.new("L", (round(page_pt[0] * k), round(page_pt[1] * k)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, round(size_pt * k))
    for text, x, y_top in lines:
        draw.text((x * k, y_top * k), text, font=font, fill=0, anchor="ls")
    return np.array(img)


def image_pdf(path: Path, images: Sequence[np.ndarray], dpi: int = 200) -> Path:
    """A PDF whose pages are only images (a scan without a text layer)."""
    pil = [Image.fromarray(a).convert("RGB") for a in images]
    pil[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=pil[1:])
    return path


def ink_share(gray: np.ndarray, box_px: tuple[float, float, float, float]) -> float:
    """Share of dark pixels inside a pixel box of a grayscale image."""
    x0, y0, x1, y1 = (round(v) for v in box_px)
    crop = gray[max(0, y0) : y1, max(0, x0) : x1]
    return float((crop < 128).mean()) if crop.size else 0.0


def garbage_pdf(path: Path, text: bytes = b"ABCDEFGHIJKLMNOP QRSTUVWX") -> Path:
    """A PDF whose text layer has no Unicode mapping (glyph names the reader cannot map): garbage text."""
    diffs = b" ".join(b"/g%d" % i for i in range(32, 127))
    objs: list[bytes | None] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /Differences [32 "
        + diffs
        + b"] >> >>",
    ]
    # Some ink beside the text: the glyphs themselves do not render (their names are unknown).
    stream = b"BT /F1 14 Tf 40 100 Td (" + text + b") Tj ET 0 g 40 140 12 12 re f 60 140 12 12 re f"
    objs[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + (o or b"") + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path
