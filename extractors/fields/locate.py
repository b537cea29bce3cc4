"""Where a known value is printed on a read document: what a clerk's box around it would give.

Dates and amounts are looked for in the forms they are usually printed in; names, addresses and other text by
similarity to runs of whole lines, so that a value OCR misread a letter of is still found where it is printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from extractors.document import Document, Page
from extractors.einvoice.locate import amount_forms, date_forms, find_span
from extractors.fields.candidates import LineView, page_lines
from extractors.fields.normalise import name_tokens
from extractors.fields.schema import ValueType
from extractors.geometry import BBox

MIN_SIMILARITY = 0.8
"""The least character similarity (0-1) of normalised text at which printed lines are taken for the value."""
MAX_LINES = 4


def _span_box(page: Page, ids: Sequence[int]) -> BBox:
    return BBox.union_of(page.tokens[i].bbox_pt for i in ids)


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True, slots=True)
class TextSpan:
    """Where a text value was found: its page, first row (index into :func:`page_lines`), tokens and box."""

    page: int
    line: int
    token_ids: tuple[int, ...]
    bbox_pt: BBox
    n_lines: int
    similarity: float

    def text(self, doc: Document) -> str:
        tokens = doc.pages[self.page].tokens
        return " ".join(tokens[i].text for i in self.token_ids)


_BRACKET = re.compile(r"[(\[{]")
CUT_SHORT = 1e-6
"""What a span ending inside a token (cut at its bracket) gives up against an uncut span as like the value."""


def _before_bracket(text: str) -> str | None:
    """The words of a token before a bracket glued to them ("SB[306295-X}" -> "sb"); None without one."""
    m = _BRACKET.search(text)
    if m is None or m.start() == 0:
        return None
    head = " ".join(name_tokens(text[: m.start()]))
    return head or None


def find_text(
    doc: Document,
    value: str,
    min_similarity: float = MIN_SIMILARITY,
    pages: Sequence[int] | None = None,
    rows: Sequence[Sequence[LineView]] | None = None,
) -> TextSpan | None:
    """The run of consecutive rows (or the part of one row) most like ``value``, if like enough.

    Rows are the pages' tokens grouped by baseline (:func:`page_lines`); ``rows`` passes them when known."""
    want = " ".join(name_tokens(value))
    if not want:
        return None
    words = set(want.split())
    best: TextSpan | None = None

    def consider(page: Page, line: int, ids: Sequence[int], text: str, n_lines: int, cut: bool = False) -> None:
        nonlocal best
        sim = _similarity(want, text) - (CUT_SHORT if cut else 0.0)  # an uncut span wins a tie
        if best is None or sim > best.similarity:
            best = TextSpan(page.index, line, tuple(ids), _span_box(page, ids), n_lines, sim)

    for page in doc.pages:
        if pages is not None and page.index not in pages:
            continue
        page_rows = rows[page.index] if rows is not None else page_lines(page)
        lines = [(n, ln) for n, ln in enumerate(page_rows) if ln.token_ids]
        keys = [[" ".join(name_tokens(page.tokens[i].text)) for i in ln.token_ids] for _, ln in lines]
        for start, (line_no, line) in enumerate(lines):
            # a column of one row (tokens between wide gaps)
            if len(line.segments) > 1:
                for a, b in line.segments:
                    consider(page, line_no, line.token_ids[a:b], " ".join(k for k in keys[start][a:b] if k), 1)
            # part of one row: from the first to the last token sharing a word with the value
            inside = [k for k, key in enumerate(keys[start]) if key and set(key.split()) & words]
            if inside:
                part = keys[start][inside[0] : inside[-1] + 1]
                consider(page, line_no, line.token_ids[inside[0] : inside[-1] + 1], " ".join(k for k in part if k), 1)
                # ending inside a token that runs on into a bracket ("SB[306295-X}": the value's "SB" and a number)
                for end in inside[1:] if min_similarity < 1.0 else ():  # not for a value printed only as it is
                    head = _before_bracket(page.tokens[line.token_ids[end]].text)
                    if head is not None:
                        shortened = " ".join(k for k in [*keys[start][inside[0] : end], head] if k)
                        consider(page, line_no, line.token_ids[inside[0] : end + 1], shortened, 1, cut=True)
            text = ""
            for end in range(start, min(len(lines), start + MAX_LINES)):
                text = " ".join(p for p in (text, *keys[end]) if p)
                if len(text) > 1.5 * len(want) + 4:
                    break
                ids = [i for _, ln in lines[start : end + 1] for i in ln.token_ids]
                consider(page, line_no, ids, text, end - start + 1)
            # a block of one column over several rows (a seller's address beside the customer's)
            for a, b in line.segments if len(line.segments) > 1 else ():
                column = _column_rows(page, lines[start:], line.token_ids[a:b], MAX_LINES)
                ids, text = [], ""
                for n, run in enumerate(column, start=1):
                    ids.extend(run)
                    text = " ".join(p for p in (text, *(" ".join(name_tokens(page.tokens[i].text)) for i in run)) if p)
                    if len(text) > 1.5 * len(want) + 4:
                        break
                    if n > 1:
                        consider(page, line_no, ids, text, n)
    if best is None or best.similarity < min_similarity:
        return None
    return best


def _column_rows(page: Page, lines: Sequence[tuple[int, LineView]], first: Sequence[int], most: int) -> list[list[int]]:
    """The tokens of ``first`` and, on each following row, the column that starts within a few points of where it
    starts; a row with nothing under the column (another column's line between two of its lines) is passed over,
    and a row with other text there ends the block."""
    x0 = page.tokens[first[0]].bbox_pt.x0
    x1 = max(page.tokens[i].bbox_pt.x1 for i in first)
    out = [list(first)]
    for _, ln in lines[1:]:
        if len(out) == most:
            break
        hit = None
        for a, b in ln.segments or ((0, len(ln.token_ids)),):
            if abs(page.tokens[ln.token_ids[a]].bbox_pt.x0 - x0) <= 6.0:
                hit = list(ln.token_ids[a:b])
                break
        if hit is not None:
            above = page.tokens[out[-1][0]].bbox_pt
            if page.tokens[hit[0]].bbox_pt.y0 - above.y1 > 2.0 * above.height:
                break  # a gap: the next block
            out.append(hit)
        elif any(page.tokens[i].bbox_pt.x0 < x1 and page.tokens[i].bbox_pt.x1 > x0 for i in ln.token_ids):
            break
    return out


def locate_text(doc: Document, value: str, min_similarity: float = MIN_SIMILARITY) -> tuple[int, BBox] | None:
    """The page and box of the printed text most like ``value`` (see :func:`find_text`)."""
    span = find_text(doc, value, min_similarity)
    return None if span is None else (span.page, span.bbox_pt)


def locate_value(doc: Document, value_type: str, value: str) -> tuple[int, BBox] | None:
    """The page and box where ``value`` (normalised, of ``value_type``) is printed, or None."""
    if not value:
        return None
    forms: set[str] | None = None
    if value_type == ValueType.DATE:
        forms = date_forms(value)
    elif value_type == ValueType.AMOUNT:
        forms = amount_forms(value)
    if forms is not None:
        hit = find_span(doc.pages, {f.casefold().replace(" ", "") for f in forms}, last=value_type == ValueType.AMOUNT)
        if hit is None:
            return None
        page = doc.pages[hit[0]]
        return hit[0], _span_box(page, hit[1])
    if value_type in (ValueType.IBAN, ValueType.VAT_ID):
        return locate_code(doc, value)
    # identifiers are found only as printed; names, addresses and other text also misread
    exact = value_type not in (ValueType.NAME, ValueType.ADDRESS, ValueType.TEXT)
    return locate_text(doc, value, 1.0 if exact else MIN_SIMILARITY)


VAT_MARKERS = frozenset({"MWST", "TVA", "IVA"})
"""What may follow a Swiss VAT number in its own token ("CHE-118.287.126MWST")."""
MAX_CODE_TOKENS = 8
"""Tokens a printed code may be split into ("DE89 3704 0044 0532 0130 00")."""


def _compact(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def locate_code(doc: Document, value: str) -> tuple[int, BBox] | None:
    """Where an IBAN or a VAT id is printed, in groups or with punctuation ("CHE-118.287.126 MWST" for
    ``CHE118287126``): the fewest tokens of one row whose letters and digits are the code's (a Swiss VAT marker
    may follow in the same token)."""
    want = _compact(value)
    if not want:
        return None
    for page in doc.pages:
        for line in page_lines(page):
            ids = line.token_ids
            for a in range(len(ids)):
                text = ""
                for b in range(a, min(len(ids), a + MAX_CODE_TOKENS)):
                    text += _compact(page.tokens[ids[b]].text)
                    if text == want or (text.startswith(want) and text[len(want) :] in VAT_MARKERS):
                        return page.index, _span_box(page, ids[a : b + 1])
                    if not want.startswith(text):
                        break
    return None
