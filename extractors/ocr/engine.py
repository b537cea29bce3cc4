"""The OCR engine: Tesseract through pytesseract, behind a small protocol so that tests can inject another.

An engine takes a grayscale image and returns words with pixel boxes on that image and a confidence in [0, 1],
plus Tesseract's block / paragraph / line numbers, which give the page its layout.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
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


TURN_BAND = (0.10, 0.45)
"""The band of the page, as a share of its height from the top, read under each turn: the heading and the
parties, lines of words rather than a table's numbers."""
WHOLE_PAGE_PX = 1700
"""The longest side, in pixels, the whole page is read at when the band does not tell its turn."""
MIN_TURN_CHARS = 20
"""Characters in confident words the best turn must read, and twice as many as any other turn, to be taken."""


def clear_chars(words: Sequence[OcrWord]) -> int:
    """Characters in clear words: two characters or more, a letter or digit among them, confidence 0.6 or more."""
    return sum(
        len(w.text) for w in words if len(w.text) >= 2 and w.confidence >= 0.6 and any(c.isalnum() for c in w.text)
    )


def detect_orientation(
    image: GrayImage,
    languages: str = "eng",
    *,
    dpi: float = 300.0,
    text_height_px: float = 0.0,
    engine: OcrEngine = tesseract,
) -> int:
    """Clockwise degrees (0, 90, 180, 270) to turn ``image`` so that its text stands upright; 0 when unsure.

    A band below the top of the page is read under each of the four turns (at half resolution where the text is
    large enough, as one block of text), the whole page where the band does not tell, and the turn whose read has
    by far the most characters in confident words wins. Tesseract's own orientation detection (OSD) is not used:
    on noisy scans its confidence is low as often for the right answer as for a wrong one."""
    import cv2

    limit_threads()
    scale = 0.5 if text_height_px >= 24 else 1.0
    small: GrayImage = (
        image
        if scale == 1.0
        else np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    )
    longest = max(small.shape[:2])
    for band in (TURN_BAND, (0.0, 1.0)):  # the whole page only where the band does not tell
        scores: dict[int, int] = {}
        for turn in (0, 90, 180, 270):
            turned = np.rot90(small, k=-(turn // 90))
            height = turned.shape[0]
            top, bottom = int(height * band[0]), max(int(height * band[1]), int(height * band[0]) + 1)
            part: GrayImage = np.ascontiguousarray(turned[top:bottom])
            if band != TURN_BAND and longest > WHOLE_PAGE_PX:  # the whole page, at a size that reads in a second
                k = WHOLE_PAGE_PX / longest
                part = np.asarray(cv2.resize(part, None, fx=k, fy=k, interpolation=cv2.INTER_AREA), dtype=np.uint8)
            if min(part.shape[:2]) < 8:
                return 0
            try:
                scores[turn] = clear_chars(engine(part, languages, 6, dpi * scale))
            except Exception:  # an engine that cannot read the page cannot tell its turn either
                return 0
        best = max(scores, key=lambda t: scores[t])
        others = max(v for t, v in scores.items() if t != best)
        if scores[best] >= MIN_TURN_CHARS and scores[best] >= 2 * others:
            return best
        if scores[best] < MIN_TURN_CHARS // 4:
            return 0  # hardly a clear word in any turn: a photo, a blank or a page past reading
    return 0
