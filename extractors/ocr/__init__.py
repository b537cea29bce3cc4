"""OCR: image clean-up with OpenCV and Tesseract through pytesseract, boxes returned in PDF points."""

from extractors.ocr.cleanup import Prepared, analyse, estimate_skew, prepare, remove_rules
from extractors.ocr.engine import OcrEngine, OcrWord, check_tesseract, tesseract
from extractors.ocr.pages import PageJob, ocr_job, ocr_page_image, ocr_pages

__all__ = [
    "OcrEngine",
    "OcrWord",
    "PageJob",
    "Prepared",
    "analyse",
    "check_tesseract",
    "estimate_skew",
    "ocr_job",
    "ocr_page_image",
    "ocr_pages",
    "prepare",
    "remove_rules",
    "tesseract",
]
