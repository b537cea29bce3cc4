"""Document readers: files in, :class:`~extractors.document.Document` out (pages, tokens with boxes, layout).

- :func:`read_document` reads a PDF (text layer, or OCR for pages without one), a PNG / JPEG / TIFF scan, or a
  bare CII / UBL e-invoice, telling them apart by their bytes;
- :func:`ocr_region` OCRs a box drawn on a page;
- :func:`read_page_again` OCRs a scanned page once more as one block of text (a second look);
- :func:`render_page` renders a page for display, pixel (x, y) at ``dpi`` being point (x, y) * 72 / dpi.
"""

from extractors.readers.core import file_sha256, ocr_region, read_document, read_page_again
from extractors.readers.render import render_page
from extractors.readers.sniff import FileKind, sniff_file

__all__ = ["FileKind", "file_sha256", "ocr_region", "read_document", "read_page_again", "render_page", "sniff_file"]
