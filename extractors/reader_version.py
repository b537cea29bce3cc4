"""The version of the code that reads a file into pages and tokens: what a cache of read documents, or of what
was found in them, is made with. A cache of another version is read again (a reader mended since, say one that
read a turned text page sideways, would otherwise go on being served its old reading)."""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from pathlib import Path

READER_PACKAGES = ("readers", "ocr", "einvoice")
"""The packages of ``extractors`` that read files: text layers, OCR and its clean-up, the layout, embedded XML."""
READER_MODULES = ("document.py", "geometry.py")
"""And the modules they make pages and boxes with."""


@cache
def reader_version() -> str:
    """A hash of the readers' source (without importing them: OpenCV and PDFium are not loaded for it) and of the
    Tesseract that reads scans (its version and the languages it has)."""
    root = Path(__file__).parent
    h = hashlib.sha256(b"readers-1")
    files = [f for package in READER_PACKAGES for f in sorted((root / package).glob("*.py"))]
    for file in [*files, *(root / m for m in READER_MODULES)]:
        h.update(file.name.encode())
        h.update(file.read_bytes())
    h.update(_tesseract().encode())
    return h.hexdigest()[:12]


def tesseract_found() -> bool:
    """Whether this process finds a Tesseract to read scans with (the reader version depends on it)."""
    return _tesseract() != NO_TESSERACT


NO_TESSERACT = "no tesseract"


@cache
def _tesseract() -> str:
    try:
        import pytesseract

        version = str(pytesseract.get_tesseract_version())
        data = subprocess.run(
            [pytesseract.pytesseract.tesseract_cmd, "--list-langs"], capture_output=True, text=True, timeout=30
        ).stdout
        return f"{version}|{data}"
    except Exception:  # no Tesseract here: scans are not read, and nothing read by it is kept
        return NO_TESSERACT
