"""The OCR engine: Tesseract through pytesseract, behind a small protocol so that tests can inject another.

An engine takes a grayscale image and returns words with pixel boxes on that image and a confidence in [0, 1],
plus Tesseract's block / paragraph / line numbers, which give the page its layout.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from extractors.errors import OcrUnavailableError

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word found by an engine, its box in pixels of the image it was given."""

    text: str
    left_px: float
    top_px: float
    width_px: float
    height_px: float
    confidence: float
    block: int = 0
    paragraph: int = 0
    line: int = 0


class OcrEngine(Protocol):
    def __call__(self, image: GrayImage, languages: str, psm: int, dpi: float) -> list[OcrWord]: ...


def limit_threads() -> None:
    """Tesseract runs one page per process; its own OpenMP threads would only fight over the cores."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@functools.lru_cache(maxsize=1)
def _installed_languages() -> frozenset[str]:
    import pytesseract

    try:
        pytesseract.get_tesseract_version()
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise OcrUnavailableError(f"Tesseract is not installed or not on PATH ({exc})") from exc


def check_tesseract(languages: str) -> None:
    """Raise :class:`OcrUnavailableError` unless Tesseract and every language in ``languages`` are installed."""
    installed = _installed_languages()
    missing = [lang for lang in languages.split("+") if lang and lang not in installed]
    if missing:
        raise OcrUnavailableError(
            f"Tesseract language pack(s) not installed: {', '.join(missing)}"
            f" (installed: {', '.join(sorted(installed))})"
        )


def tesseract(image: GrayImage, languages: str, psm: int = 3, dpi: float = 300.0) -> list[OcrWord]:
    """Words from ``pytesseract.image_to_data``, confidence scaled from 0-100 to 0-1."""
    import pytesseract
    from PIL import Image

    limit_threads()
    config = f"--oem 1 --psm {psm} --dpi {round(dpi)}"
    try:
        data = pytesseract.image_to_data(
            Image.fromarray(image), lang=languages, config=config, output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailableError(f"Tesseract is not installed or not on PATH ({exc})") from exc
    words: list[OcrWord] = []
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        words.append(
            OcrWord(
                text=text,
                left_px=float(data["left"][i]),
                top_px=float(data["top"][i]),
                width_px=float(data["width"][i]),
                height_px=float(data["height"][i]),
                confidence=min(max(conf / 100.0, 0.0), 1.0),
                block=int(data["block_num"][i]),
                paragraph=int(data["par_num"][i]),
                line=int(data["line_num"][i]),
            )
        )
    return words


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENT_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")


def detect_orientation(image: GrayImage, min_confidence: float = 2.0) -> int:
    """Clockwise degrees (0, 90, 180, 270) to turn ``image`` so its text stands upright; 0 when unsure."""
    import pytesseract
    from PIL import Image

    limit_threads()
    try:
        osd = pytesseract.image_to_osd(Image.fromarray(image), config="--psm 0 -c min_characters_to_try=10")
    except pytesseract.TesseractError:
        return 0  # too little text to tell
    rotate = _ROTATE.search(osd)
    conf = _ORIENT_CONF.search(osd)
    if not rotate or not conf or float(conf.group(1)) < min_confidence:
        return 0
    return int(rotate.group(1)) % 360
