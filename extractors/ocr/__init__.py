"""OCR building blocks: cheap OpenCV clean-up of page images and the Tesseract engine behind a protocol.

Whole pages (rendering, clean-up, OCR, boxes back to points, layout, parallel pages) are read by
:mod:`extractors.readers.ocr_pages`.
"""

from extractors.ocr.cleanup import Analysis, Prepared, analyse, estimate_skew, prepare, remove_rules
from extractors.ocr.engine import OcrEngine, OcrWord, check_tesseract, detect_orientation, tesseract

__all__ = [
    "Analysis",
    "OcrEngine",
    "OcrWord",
    "Prepared",
    "analyse",
    "check_tesseract",
    "detect_orientation",
    "estimate_skew",
    "prepare",
    "remove_rules",
    "tesseract",
]
