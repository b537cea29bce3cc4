"""The text layer of a PDF through pdfplumber, and the page frame both text-layer readers share.

pdfplumber gives words in pdfminer's page space: rotated by the page's /Rotate and measured from the MediaBox.
The page the clerk sees (and pypdfium2 renders) is the CropBox, rotated. :class:`PageFrame` maps one to the
other, so that every box lands on the rendered page.

Documents are read with the PDFium reader (:mod:`extractors.readers.pdfium_text`), about five times faster
on the same pages; this pdfplumber reader is kept as its cross-check (a test holds the two together) and for
the garbage-layer rule both apply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extractors.document import Token, TokenSource
from extractors.geometry import BBox

_CID = re.compile(r"\(cid:\d+\)")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)

MIN_USABLE_CHARS = 8
"""A page with fewer readable characters than this has no usable text layer (it is OCRed)."""
MAX_GARBAGE_SHARE = 0.3
"""A text layer where more than this share of characters are unmapped glyphs or control characters is garbage."""


def _rect(obj: Any) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in obj)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


@dataclass(frozen=True, slots=True)
class PageFrame:
    """The displayed page: the CropBox turned by /Rotate, in points, origin top-left.

    ``rx0, ry0, rx1, ry1`` is the CropBox in pdfminer's rotated, MediaBox-relative space (y up).
    """

    rotation: int
    rx0: float
    ry0: float
    rx1: float
    ry1: float

    @property
    def width_pt(self) -> float:
        return self.rx1 - self.rx0

    @property
    def height_pt(self) -> float:
        return self.ry1 - self.ry0

    @classmethod
    def of(cls, mediabox: Any, cropbox: Any, rotate: int) -> PageFrame:
        mx0, my0, mx1, my1 = _rect(mediabox)
        cx0, cy0, cx1, cy1 = _rect(cropbox) if cropbox is not None else (mx0, my0, mx1, my1)
        # The crop box cannot reach past the media box.
        cx0, cy0, cx1, cy1 = max(cx0, mx0), max(cy0, my0), min(cx1, mx1), min(cy1, my1)
        if cx1 <= cx0 or cy1 <= cy0:
            cx0, cy0, cx1, cy1 = mx0, my0, mx1, my1
        rotation = rotate % 360
        # The matrix pdfminer's interpreter starts every page with.
        if rotation == 90:
            ctm = (0.0, -1.0, 1.0, 0.0, -my0, mx1)
        elif rotation == 180:
            ctm = (-1.0, 0.0, 0.0, -1.0, mx1, my1)
        elif rotation == 270:
            ctm = (0.0, 1.0, -1.0, 0.0, my1, -mx0)
        else:
            rotation = 0
            ctm = (1.0, 0.0, 0.0, 1.0, -mx0, -my0)
        a, b, c, d, e, f = ctm
        xs, ys = [], []
        for x, y in ((cx0, cy0), (cx1, cy1)):
            xs.append(a * x + c * y + e)
            ys.append(b * x + d * y + f)
        return cls(rotation, min(xs), min(ys), max(xs), max(ys))

    def to_display(self, x0: float, y0_up: float, x1: float, y1_up: float) -> BBox | None:
        """A box in pdfminer space (y up) as a box on the displayed page, clipped; None if it lies outside."""
        left = max(x0 - self.rx0, 0.0)
        right = min(x1 - self.rx0, self.width_pt)
        top = max(self.ry1 - y1_up, 0.0)
        bottom = min(self.ry1 - y0_up, self.height_pt)
        if right <= left or bottom <= top:
            return None
        return BBox(left, top, right, bottom)


def page_frame(page: Any) -> PageFrame:
    """The frame of a pdfplumber page, from the raw page dictionary."""
    obj = page.page_obj
    return PageFrame.of(obj.mediabox, obj.cropbox, int(getattr(obj, "rotate", 0) or 0))


def garbage_share(text: str) -> float:
    """Share of characters that are unmapped glyphs ``(cid:N)``, control, private-use or replacement characters."""
    if not text:
        return 1.0
    cids = _CID.findall(text)
    rest = _CID.sub("", text)
    bad = sum(len(c) for c in cids)
    for ch in rest:
        if ch.isspace():
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Co", "Cs", "Cn") or ch == "\ufffd":
            bad += 1
    total = sum(1 for ch in text if not ch.isspace())
    return bad / total if total else 1.0


def usable_text(words: Sequence[dict[str, Any]]) -> bool:
    """True when a page's words make a real text layer rather than nothing or garbage."""
    text = "".join(str(w["text"]) for w in words)
    readable = len(_CID.sub("", text))
    return (
        readable >= MIN_USABLE_CHARS
        and garbage_share(text) <= MAX_GARBAGE_SHARE
        and not nonsense([str(w["text"]) for w in words])
    )


NONSENSE_SHARE = 0.6
"""Above this share of its words of letters unlike any word (see :func:`nonsense`), a text layer is nonsense: an
invisible layer over a scan whose glyphs map to random letters. On the 2,108 text pages of Kleister-NDA, zugferd,
invoice2data and 200 generated invoices: at most 0.18 over 20 words or more (German compounds, "GmbH"), none above."""
NONSENSE_MIN_WORDS = 20
_VOWELS = frozenset("aeiouyäöüéèêëàâîïôûæøåœ")


def _unlike_a_word(word: str) -> bool | None:
    """Whether a word of four Latin letters or more is unlike a word of any language written in them: its case
    changes inside it ("qwJjwKq"), or six letters or more without a vowel. None for a word not judged (short, with
    digits or signs: codes and amounts; or in Cyrillic, Greek, Arabic, Chinese...)."""
    if len(word) < 4 or not word.isalpha() or not all("LATIN" in unicodedata.name(c, "") for c in word):
        return None  # short, with digits or signs, or in another script (its case and vowels are not Latin's)
    if word.islower() or word.isupper() or word.istitle():
        return len(word) >= 6 and not any(c in _VOWELS for c in word.lower())
    return True


def nonsense(words: Sequence[str]) -> bool:
    """True when a page's words are mostly unlike words (:data:`NONSENSE_SHARE` of at least
    :data:`NONSENSE_MIN_WORDS` judged): a layer to read by OCR instead."""
    judged = [j for j in map(_unlike_a_word, words) if j is not None]
    return len(judged) >= NONSENSE_MIN_WORDS and sum(judged) > NONSENSE_SHARE * len(judged)


def text_turn(page: Any) -> int:
    """How far the page's text is turned clockwise as displayed (0, 90, 180, 270), by most characters."""
    votes = {0: 0, 90: 0, 180: 0, 270: 0}
    for ch in page.chars[:2000]:
        a, b = float(ch["matrix"][0]), float(ch["matrix"][1])
        if abs(a) >= abs(b):
            votes[0 if a > 0 else 180] += 1
        else:
            # y grows upwards in pdfminer space: b < 0 means the text runs down the page.
            votes[90 if b < 0 else 270] += 1
    return max(votes, key=lambda k: votes[k])


_DIRECTIONS = {
    0: {},
    180: {"line_dir": "btt", "char_dir": "rtl"},
    90: {"line_dir_rotated": "rtl", "char_dir_rotated": "ttb"},
    270: {"line_dir_rotated": "ltr", "char_dir_rotated": "btt"},
}


def extract_words(page: Any, turn: int = 0) -> list[dict[str, Any]]:
    """pdfplumber's words with their font, split where the font changes.

    The font size is not an attribute to split on: pdfminer measures it across the text direction, which for
    sideways text varies from glyph to glyph. It is read from the word's box instead.
    """
    words: list[dict[str, Any]] = page.extract_words(
        keep_blank_chars=False, use_text_flow=False, extra_attrs=["fontname"], **_DIRECTIONS.get(turn, {})
    )
    return words


def words_to_tokens(page: Any, words: Sequence[dict[str, Any]], index: int) -> list[Token]:
    """Tokens on the displayed page from pdfplumber's words (whose boxes pdfplumber shifts by the MediaBox)."""
    frame = page_frame(page)
    mb_x0 = float(page.mediabox[0])
    mb_top = float(page.mediabox[1])
    height = float(page.height)
    tokens: list[Token] = []
    for w in words:
        text = _CID.sub("", str(w["text"])).strip()
        if not text:
            continue
        # Undo pdfplumber's shift back to pdfminer space: x - mb_x0, y_up = height - (top - mb_top).
        x0 = float(w["x0"]) - mb_x0
        x1 = float(w["x1"]) - mb_x0
        y1_up = height - (float(w["top"]) - mb_top)
        y0_up = height - (float(w["bottom"]) - mb_top)
        box = frame.to_display(x0, y0_up, x1, y1_up)
        if box is None:
            continue
        fontname = str(w.get("fontname") or "")
        size = (x1 - x0) if w.get("upright", True) is False else (y1_up - y0_up)
        tokens.append(
            Token(
                text=text,
                bbox_pt=box,
                page=index,
                confidence=1.0,
                source=TokenSource.TEXT_LAYER,
                font_size_pt=round(size, 2),
                bold=bool(_BOLD.search(fontname.split("+")[-1])),
            )
        )
    return tokens
