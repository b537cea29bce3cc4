"""The text layer read through PDFium (pypdfium2): characters with boxes, grouped into words.

This is the reader used for text-layer pages. It gives the same words and boxes as the pdfplumber reader in
:mod:`extractors.readers.pdf` (a test holds them together) at about ten times its speed: PDFium parses the
content stream in C++, where pdfminer does it in Python. Boxes go through the same :class:`PageFrame`, so
they sit on the page as PDFium renders it.
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass
from typing import Any

from extractors.document import Token, TokenSource
from extractors.readers.pdf import MAX_GARBAGE_SHARE, MIN_USABLE_CHARS, PageFrame, nonsense

_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
WORD_GAP = 0.25
"""A gap between two characters wider than this share of the font size separates two words."""


@dataclass(frozen=True, slots=True)
class _Char:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    font: str
    weight: int
    angle: float


@dataclass(frozen=True, slots=True)
class TextLayer:
    """One page's words, and what the reader concluded about its text layer."""

    frame: PageFrame
    tokens: list[Token]
    readable_chars: int
    garbage_chars: int
    text_turn: int

    @property
    def usable(self) -> bool:
        total = self.readable_chars + self.garbage_chars
        return (
            self.readable_chars >= MIN_USABLE_CHARS
            and self.garbage_chars <= MAX_GARBAGE_SHARE * total
            and not nonsense([t.text for t in self.tokens])
        )


def page_frame_pdfium(page: Any) -> PageFrame:
    return PageFrame.of(page.get_mediabox(), page.get_cropbox(), int(page.get_rotation()))


def _ctm(frame: PageFrame, page: Any) -> tuple[float, float, float, float, float, float]:
    mx0, my0, mx1, my1 = (float(v) for v in page.get_mediabox())
    mx0, mx1 = min(mx0, mx1), max(mx0, mx1)
    my0, my1 = min(my0, my1), max(my0, my1)
    return {
        90: (0.0, -1.0, 1.0, 0.0, -my0, mx1),
        180: (-1.0, 0.0, 0.0, -1.0, mx1, my1),
        270: (0.0, 1.0, -1.0, 0.0, my1, -mx0),
    }.get(frame.rotation, (1.0, 0.0, 0.0, 1.0, -mx0, -my0))


def _chars(textpage: Any) -> tuple[list[_Char | None], int]:
    """Every character (None for spaces and line breaks) and how many had no Unicode mapping."""
    import pypdfium2.raw as raw

    tp = textpage.raw
    count = raw.FPDFText_CountChars(tp)
    rect = raw.FS_RECTF()
    buf = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    out: list[_Char | None] = []
    garbage = 0
    last_font_ptr: tuple[float, str] = (-1.0, "")
    for k in range(count):
        code = raw.FPDFText_GetUnicode(tp, k)
        ch = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if ch.isspace() or code == 0xFFFE or code == 0x02:
            out.append(None)
            continue
        if raw.FPDFText_HasUnicodeMapError(tp, k) or ch == "\ufffd" or 0xE000 <= code <= 0xF8FF or code < 0x20:
            garbage += 1
            out.append(None)
            continue
        raw.FPDFText_GetLooseCharBox(tp, k, rect)
        size = float(raw.FPDFText_GetFontSize(tp, k))
        if size != last_font_ptr[0] or k % 64 == 0:
            n = raw.FPDFText_GetFontInfo(tp, k, buf, len(buf), flags)
            font = buf.raw[: max(0, n - 1)].decode("utf-8", "replace") if n > 0 else ""
            last_font_ptr = (size, font)
        out.append(
            _Char(
                ch,
                float(rect.left),
                float(min(rect.bottom, rect.top)),
                float(rect.right),
                float(max(rect.bottom, rect.top)),
                size,
                last_font_ptr[1],
                int(raw.FPDFText_GetFontWeight(tp, k)),
                float(raw.FPDFText_GetCharAngle(tp, k)),
            )
        )
    return out, garbage


def _split(chars: list[_Char | None]) -> list[list[_Char]]:
    words: list[list[_Char]] = []
    current: list[_Char] = []
    for c in chars:
        if c is None:
            if current:
                words.append(current)
            current = []
            continue
        if current:
            p = current[-1]
            size = max(min(p.size, c.size), 1.0)
            horizontal = abs(math.sin(c.angle)) < 0.5
            if horizontal:
                gap = (c.x0 - p.x1) if math.cos(c.angle) > 0 else (p.x0 - c.x1)
                off_line = abs((c.y0 + c.y1) - (p.y0 + p.y1)) / 2 > 0.6 * size
            else:
                gap = (c.y0 - p.y1) if math.sin(c.angle) > 0 else (p.y0 - c.y1)
                off_line = abs((c.x0 + c.x1) - (p.x0 + p.x1)) / 2 > 0.6 * size
            if gap > WORD_GAP * size or gap < -2.0 * size or off_line or abs(c.angle - p.angle) > 0.1:
                words.append(current)
                current = []
        current.append(c)
    if current:
        words.append(current)
    return words


def read_text_layer(page: Any, index: int) -> TextLayer:
    """The words of one pypdfium2 page as tokens on the displayed page."""
    frame = page_frame_pdfium(page)
    a, b, c, d, e, f = _ctm(frame, page)
    textpage = page.get_textpage()
    try:
        chars, garbage = _chars(textpage)
    finally:
        textpage.close()
    tokens: list[Token] = []
    turns = {0: 0, 90: 0, 180: 0, 270: 0}
    readable = 0
    for word in _split(chars):
        text = "".join(ch.text for ch in word)
        readable += len(text)
        xs, ys = [], []
        for ch in word:
            for x, y in ((ch.x0, ch.y0), (ch.x1, ch.y1)):
                xs.append(a * x + c * y + e)
                ys.append(b * x + d * y + f)
        box = frame.to_display(min(xs), min(ys), max(xs), max(ys))
        if box is None:
            continue
        first = word[0]
        # PDFium gives the character's angle clockwise (text running up the page: 270 degrees), as the page's
        # /Rotate turns it on the display.
        turn = (round(math.degrees(first.angle) / 90.0) * 90 + frame.rotation) % 360
        turns[turn] += len(text)
        size = max(ch.size for ch in word)
        font = first.font.split("+")[-1]
        tokens.append(
            Token(
                text=text,
                bbox_pt=box,
                page=index,
                confidence=1.0,
                source=TokenSource.TEXT_LAYER,
                font_size_pt=round(size, 2),
                bold=first.weight >= 600 or bool(_BOLD.search(font)),
            )
        )
    turn = max(turns, key=lambda k: turns[k])
    return TextLayer(frame, tokens, readable, garbage, turn)
