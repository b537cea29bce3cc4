"""The version of the code that reads a file into pages and tokens: what a cache of read documents, or of what
was found in them, is made with. A cache of another version is read again (a reader mended since, say one that
read a turned text page sideways, would otherwise go on being served its old reading)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

READER_PACKAGES = ("readers", "ocr")
"""The packages of ``extractors`` that read files: text layers, OCR and its clean-up, the layout."""


@cache
def reader_version() -> str:
    """A hash of the readers' source (without importing them: OpenCV and PDFium are not loaded for it)."""
    root = Path(__file__).parent
    h = hashlib.sha256(b"readers-1")
    for package in READER_PACKAGES:
        for file in sorted((root / package).glob("*.py")):
            h.update(file.name.encode())
            h.update(file.read_bytes())
    return h.hexdigest()[:12]
