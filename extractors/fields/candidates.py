"""Typed candidates: every span on the page that could be a field's value, with its box and tokens.

Candidates come from *candidate sources*: callables ``(DocView, ExtractionContext) -> list[Candidate]``.
The layout source below finds dates, amounts, identifiers, IBANs, VAT ids, currencies, names and addresses
in the page layout; other sources (a vendor memory, an e-invoice) plug into the same list and may mark a
candidate for one field and give it a prior.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from statistics import median

from extractors.context import ExtractionContext
from extractors.document import Document, Page, Token, TokenSource
from extractors.fields import normalise as nz
from extractors.fields.schema import ValueType
from extractors.geometry import BBox

LEGAL_FORMS = re.compile(
    r"(?<!\w)(gmbh|ag|kg|ohg|ug|e\.?k\.?|ltd|limited|llc|inc|corp|co|plc|sa|sas|sarl|s\.?a\.?r\.?l|eurl|bv|b\.v|nv|n\.v|"
    r"sdn\.? bhd|bhd|enterprise|trading|pvt|private|a\.g|s\.?p\.?a|srl|oy|ab|as)\.?(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span of tokens that could be a field's value: its type, normalised value, text as printed and box."""

    value_type: ValueType
    value: str
    text: str
    page: int
    line: int
    """Index of the (first) line in ``Page.lines``."""
    token_ids: tuple[int, ...]
    bbox_pt: BBox
    valid: bool = True
    """The value passes its type's own check (IBAN and VAT checksums, a plausible date)."""
    ocr_confidence: float = 1.0
    n_lines: int = 1
    source: str = "layout"
    for_field: str | None = None
    """A source that knows which field this is for (vendor memory) names it; None means any field of the type."""
    prior: float = 0.0
    """How strongly the source vouches for the candidate, in [0, 1]; a feature of the scorer."""
    currency_hint: str | None = None
    extra: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


@dataclass(slots=True)
class LineView:
    """One line of a page as text with the character span of each token, and its segments (columns)."""

    page: int
    index: int
    token_ids: tuple[int, ...]
    text: str
    spans: tuple[tuple[int, int], ...]
    bbox_pt: BBox
    segments: tuple[tuple[int, int], ...]
    """Runs of tokens (start, end positions in ``token_ids``) separated by wide gaps."""

    def tokens_in_chars(self, start: int, end: int) -> tuple[int, ...]:
        return tuple(tid for tid, (s, e) in zip(self.token_ids, self.spans, strict=True) if s < end and e > start)


US_STATE_CODES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
    "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
US_ADDRESS = re.compile(r",\s*(?:" + US_STATE_CODES + r")\s+\d{5}(?:-\d{4})?\s*$")
"""A US address's state and ZIP code ending a line ("Austin, TX 78701"): US invoices write dates month first."""
EUROPEAN_CODE = re.compile(
    r"\b(?:[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?"  # an IBAN
    r"|(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|CHE)"
    r" ?-?U?\d[\d .]{7,12}\d)\b"  # a VAT id
)
"""An IBAN or European VAT id: a seller in Europe, whatever the buyer's address."""


@dataclass(slots=True)
class DocView:
    """A document prepared for candidate search: lines as text, median font size, date convention."""

    doc: Document
    lines: list[list[LineView]]
    median_font_pt: float
    month_first: bool

    @classmethod
    def of(cls, doc: Document) -> DocView:
        lines = [page_lines(p) for p in doc.pages]
        sizes = [t.font_size_pt or t.bbox_pt.height for p in doc.pages for t in p.tokens]
        votes = 0
        for page in lines:
            for lv in page:
                for m in nz.NUMERIC_DATE_RE.finditer(lv.text):
                    mf = nz.is_month_first(m)
                    votes += 0 if mf is None else (1 if mf else -1)
        if votes == 0:  # no date settles the order: month first where the document is American
            texts = [lv.text for page in lines for lv in page]
            american = any(US_ADDRESS.search(t) for t in texts) and not any(EUROPEAN_CODE.search(t) for t in texts)
            votes = int(american)
        return cls(doc, lines, median(sizes) if sizes else 10.0, votes > 0)

    def box(self, page: int, token_ids: Sequence[int]) -> BBox:
        tokens = self.doc.pages[page].tokens
        return BBox.union_of(tokens[i].bbox_pt for i in token_ids)

    def ocr_conf(self, page: int, token_ids: Sequence[int]) -> float:
        tokens = self.doc.pages[page].tokens
        return min((tokens[i].confidence for i in token_ids), default=1.0)


def page_lines(page: Page) -> list[LineView]:
    """The page's rows as LineView: tokens on one baseline across the whole page width, split into segments.

    Rows are grouped here from token geometry rather than taken from ``Page.lines``, whose lines may stop at
    column gaps: a label and its value in another column must share a row for the features.
    """
    groups = _group_lines(page)
    views = []
    for idx, ids in enumerate(groups):
        ids = sorted(ids, key=lambda i: page.tokens[i].bbox_pt.x0)
        parts, spans, pos = [], [], 0
        for i in ids:
            text = page.tokens[i].text
            spans.append((pos, pos + len(text)))
            parts.append(text)
            pos += len(text) + 1
        box = BBox.union_of(page.tokens[i].bbox_pt for i in ids) if ids else BBox(0, 0, 0, 0)
        views.append(LineView(page.index, idx, tuple(ids), " ".join(parts), tuple(spans), box, _segments(page, ids)))
    return views


def _group_lines(page: Page) -> list[list[int]]:
    """Tokens by row. On a scan that lay askew (boxes stay on the page as displayed), a row climbs or falls by
    tan(skew) per point across the page; rows are grouped by the height a token would have on the levelled page.

    On a scanned page the lines OCR found are kept whole: a line's words stay in one row even where a word of
    another column, or a speck read as a tall word, sits between their heights. Words that stand out of their line
    (see :func:`_apart`) join the row their middle falls in once the lines are in rows, and a line OCR drew
    through two rows is cut where a word shares less than half its height with the one before it."""
    slope = math.tan(math.radians(page.skew_deg)) - _residual_slope(page)

    def level(b: BBox) -> float:
        return slope * b.center[0]

    def band(unit: list[int]) -> tuple[float, float]:
        """The height a unit's words share on the levelled page (a word alone: its own), at least half a word high."""
        boxes = [page.tokens[i].bbox_pt for i in unit]
        top, bottom = max(b.y0 + level(b) for b in boxes), min(b.y1 + level(b) for b in boxes)
        if len(unit) > 1:
            least = median(b.height for b in boxes) / 2
            if bottom - top < least:
                middle = (top + bottom) / 2
                top, bottom = middle - least / 2, middle + least / 2
        return top, bottom

    units: list[list[int]] = []
    loose: list[int] = []
    for unit in _units(page):
        out = _apart(page, unit, level)
        loose.extend(out)
        core = sorted((i for i in unit if i not in out), key=lambda i: page.tokens[i].bbox_pt.x0)
        piece: list[int] = []
        for i in core:
            if piece:
                left, right = page.tokens[piece[-1]].bbox_pt, page.tokens[i].bbox_pt
                shared = min(left.y1 + level(left), right.y1 + level(right)) - max(
                    left.y0 + level(left), right.y0 + level(right)
                )
                if shared < 0.5 * min(left.height, right.height):
                    units.append(piece)
                    piece = []
            piece.append(i)
        if piece:
            units.append(piece)
    bands = [band(u) for u in units]

    def key(k: int) -> tuple[float, float]:
        return sum(bands[k]) / 2, min(page.tokens[i].bbox_pt.x0 for i in units[k])

    lines: list[list[int]] = []
    heads: list[tuple[float, float, tuple[float, float]]] = []  # each row's first unit: its band and sort key
    for k in sorted(range(len(units)), key=key):
        t, b = bands[k]
        if heads and heads[-1][0] - 0.5 <= (t + b) / 2 <= heads[-1][1] + 0.5:
            lines[-1].extend(units[k])
            continue
        lines.append(list(units[k]))
        heads.append((t, b, key(k)))
    for i in loose:  # after the lines: a word apart does not start a row that takes in the line below it
        box = page.tokens[i].bbox_pt
        middle = box.center[1] + level(box)
        near = [r for r, (t, b, _) in enumerate(heads) if t - 0.5 <= middle <= b + 0.5]
        if near:
            lines[min(near, key=lambda r: abs((heads[r][0] + heads[r][1]) / 2 - middle))].append(i)
        else:
            lines.append([i])
            heads.append((box.y0 + level(box), box.y1 + level(box), (middle, box.x0)))
    order = sorted(range(len(lines)), key=lambda r: heads[r][2])
    return [lines[r] for r in order]


OUT_OF_LINE_HEIGHT = 1.6
"""A word on a line OCR read, this many times taller than the line's words (a logo, a speck), is not of the line."""


def _apart(page: Page, unit: list[int], level: Callable[[BBox], float]) -> list[int]:
    """Words OCR put on a line that stand out of it: a logo's specks or another column's word beside it, taller
    than the line's words or off their middle on the levelled page. Never the whole line."""
    if len(unit) < 3:
        return []
    boxes = {i: page.tokens[i].bbox_pt for i in unit}
    height = median(b.height for b in boxes.values())
    middle = median(b.center[1] + level(b) for b in boxes.values())
    out = [
        i
        for i, b in boxes.items()
        if b.height > OUT_OF_LINE_HEIGHT * height or abs(b.center[1] + level(b) - middle) > height / 2
    ]
    return out if len(out) < len(unit) else []


RESIDUAL_SLOPE_AT_MOST = 0.09
"""The steepest slope (about 5 degrees) taken for one the clean-up left on a scanned page."""


def _residual_slope(page: Page) -> float:
    """The slope the lines OCR found still have once the page's skew is taken out (a skew the clean-up missed):
    the median, over lines of three words or more and 100 pt long or more, of each line's median slope between
    two of its words; 0 with fewer than three such lines, and on a text layer."""
    if page.source != TokenSource.OCR or not page.lines:
        return 0.0
    base = math.tan(math.radians(page.skew_deg))
    per_line = []
    for ln in page.lines:
        boxes = [page.tokens[i].bbox_pt for i in ln.token_ids if 0 <= i < len(page.tokens)]
        points = [(b.center[0], b.center[1] + base * b.center[0]) for b in boxes]
        if len(points) < 3 or max(x for x, _ in points) - min(x for x, _ in points) < 100:
            continue
        slopes = [
            (q[1] - p[1]) / (q[0] - p[0])
            for k, p in enumerate(points)
            for q in points[k + 1 :]
            if abs(q[0] - p[0]) > 20
        ]
        if slopes:
            per_line.append(median(slopes))
    if len(per_line) < 3:
        return 0.0
    return max(-RESIDUAL_SLOPE_AT_MOST, min(RESIDUAL_SLOPE_AT_MOST, median(per_line)))


def _units(page: Page) -> list[list[int]]:
    """What rows are made of: each token alone, or on a scanned page each line OCR found (tokens in none alone)."""
    if page.source != TokenSource.OCR or not page.lines:
        return [[i] for i in range(len(page.tokens))]
    seen: set[int] = set()
    units = []
    for ln in page.lines:
        ids = [i for i in dict.fromkeys(ln.token_ids) if 0 <= i < len(page.tokens) and i not in seen]
        seen.update(ids)
        if ids:
            units.append(ids)
    units.extend([i] for i in range(len(page.tokens)) if i not in seen)
    return units


def _segments(page: Page, ids: list[int]) -> tuple[tuple[int, int], ...]:
    """Runs of words apart by more than twice a word's height (14 pt at least). On a scanned page the smaller of
    the two words' heights counts: a logo OCR read as a tall word ("A.", "&") before the seller's name is a run of
    its own, so the name is offered without it."""
    if not ids:
        return ()
    ocr = page.source == TokenSource.OCR
    segs, start = [], 0
    for k in range(1, len(ids)):
        prev, cur = page.tokens[ids[k - 1]].bbox_pt, page.tokens[ids[k]].bbox_pt
        height = min(prev.height, cur.height) if ocr else prev.height
        if cur.x0 - prev.x1 > max(2.0 * height, 14.0):
            segs.append((start, k))
            start = k
    segs.append((start, len(ids)))
    return tuple(segs)


CandidateSource = Callable[[DocView, ExtractionContext], list[Candidate]]


def joined_text(tokens: Sequence[Token], ids: Sequence[int]) -> str:
    """The words of ``ids`` as printed: a space between words, none where a text layer split one word in two
    (a gap under an eighth of the glyph height, as in "Taxiunter nehmen")."""
    parts: list[str] = []
    prev: Token | None = None
    for i in ids:
        tok = tokens[i]
        if prev is not None:
            same_line = abs(tok.bbox_pt.y0 - prev.bbox_pt.y0) < 0.3 * max(prev.bbox_pt.height, 1.0)
            tight = 0.0 <= tok.bbox_pt.x0 - prev.bbox_pt.x1 < 0.12 * max(prev.bbox_pt.height, 1.0)
            glued = same_line and tight and tok.source == TokenSource.TEXT_LAYER and prev.text[-1:].isalpha()
            parts.append("" if glued and tok.text[:1].islower() else " ")
        parts.append(tok.text)
        prev = tok
    return "".join(parts)


def _cand(view: DocView, lv: LineView, vtype: ValueType, value: str, ids: tuple[int, ...], **kw: object) -> Candidate:
    text = joined_text(view.doc.pages[lv.page].tokens, ids)
    return Candidate(
        vtype,
        value,
        text,
        lv.page,
        lv.index,
        ids,
        view.box(lv.page, ids),
        ocr_confidence=view.ocr_conf(lv.page, ids),
        **kw,  # type: ignore[arg-type]
    )


_AMOUNT_TOKEN = re.compile(
    r"^[(\[]?([-−+]?)(?:[$€£¥₹]|RM|Rs\.?|US\$|EUR|USD|GBP|CHF|INR|MYR)?\s?([-−]?\d[\d.,'’]*\d|\d)(-?)[)\]]?[*:;,]?$"
)
_IDENT_TOKEN = re.compile(r"^[#:]?([A-Za-z0-9][A-Za-z0-9/_.\-]*[A-Za-z0-9])[.:,;]?$")
IBAN_RE = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){8,30}(?![A-Za-z0-9])")
VAT_RE = re.compile(
    r"(?<![A-Z0-9])(?:[A-Z]{2} ?[0-9A-Z](?:[ .-]?[0-9A-Z]){7,13}|\d{2}[A-Z]{5}\d{4}[A-Z]\d[A-Z0-9]{2})(?![A-Za-z0-9])"
)


def layout_source(view: DocView, ctx: ExtractionContext) -> list[Candidate]:
    """Candidates of every value type found in the page layout."""
    out: list[Candidate] = []
    for page_lines_ in view.lines:
        for k, lv in enumerate(page_lines_):
            out.extend(_dates(view, lv, ctx))
            out.extend(_amounts(view, lv, page_lines_[k - 1] if k else None))
            out.extend(_codes(view, lv))
            out.extend(_words(view, lv))
            out.extend(_texts(view, page_lines_, k))
    return out


def _dates(view: DocView, lv: LineView, ctx: ExtractionContext) -> list[Candidate]:
    out = []
    for start, end, iso in nz.find_dates(lv.text, view.month_first, ctx.language_hint):
        ids = lv.tokens_in_chars(start, end)
        if ids:
            out.append(_cand(view, lv, ValueType.DATE, iso, ids))
    return out


def _amounts(view: DocView, lv: LineView, above: LineView | None = None) -> list[Candidate]:
    out = []
    tokens = view.doc.pages[lv.page].tokens
    ids = lv.token_ids
    wrapped_sign = _minus_wrapped_above(tokens, lv, above)
    for pos, tid in enumerate(ids):
        text = tokens[tid].text
        m = _AMOUNT_TOKEN.match(text)
        if not m:
            continue
        number = m.group(2)
        use = (tid,)
        # "1 234,56": a thousands group split into two tokens
        head = re.fullmatch(r"\(?(\d{1,3})", tokens[ids[pos - 1]].text) if pos > 0 else None
        if head and re.fullmatch(r"\d{3}[.,]\d{2}", number):
            gap = tokens[tid].bbox_pt.x0 - tokens[ids[pos - 1]].bbox_pt.x1
            widest = THOUSANDS_GAP_OCR if tokens[tid].source == TokenSource.OCR else THOUSANDS_GAP_FIELD
            if gap < tokens[tid].bbox_pt.height * widest:
                whole = head.group(1) + " " + number
                below = _bracketed(tokens, ids, pos - 1, pos, whole)
                out.append(_amount(view, lv, (ids[pos - 1], tid), whole, m, negative=below))
        has_decimals = bool(re.search(r"[.,]\d{1,2}$|[.,]\d{4}$", number))
        symbol = text[: m.start(2)].strip("([-−+ ")
        before = tokens[ids[pos - 1]].text if pos > 0 else ""
        after = tokens[ids[pos + 1]].text if pos + 1 < len(ids) else ""
        # "op 21 april 2015 € 717,97": a symbol between a whole number and the next amount is the amount's
        after_is_next = not has_decimals and pos + 2 < len(ids) and _AMOUNT_TOKEN.match(tokens[ids[pos + 2]].text)
        cur = nz.normalise_currency(symbol) if symbol else None
        cur = cur or nz.normalise_currency(before) or (None if after_is_next else nz.normalise_currency(after))
        if not has_decimals and cur is None:
            continue
        if after.startswith("%") or text.endswith("%"):
            continue
        c = _amount(view, lv, use, number, m, cur, negative=_bracketed(tokens, ids, pos, pos, number))
        if c is not None:
            out.append(c)
            if pos == 0 and wrapped_sign and not m.group(1) and not c.value.startswith("-"):
                # "Steuerbetrag in EUR -" above, "1,12" below: the sign wrapped onto the label's line
                out.append(replace(c, value="-" + c.value, text="-" + c.text))
    return [c for c in out if c is not None]


THOUSANDS_GAP_FIELD = 0.6
"""The widest gap, in text heights, between a head of one to three digits and the rest of an amount ("1 234,56")
on a text layer."""
THOUSANDS_GAP_OCR = 1.2
"""The same read by OCR, which boxes digits by their ink: "24 660,34" on a scan stands 0.86 heights apart."""


def _minus_wrapped_above(tokens: Sequence[Token], lv: LineView, above: LineView | None) -> bool:
    """Whether the line above ends in a lone minus sign over the start of ``lv``'s first token."""
    if above is None or not above.token_ids or not lv.token_ids:
        return False
    last, first = tokens[above.token_ids[-1]], tokens[lv.token_ids[0]]
    near_below = 0 <= first.bbox_pt.y0 - last.bbox_pt.y1 <= 1.5 * first.bbox_pt.height
    over = first.bbox_pt.x0 - 4 * first.bbox_pt.height <= last.bbox_pt.x0 <= first.bbox_pt.x1 + 4 * first.bbox_pt.height
    return last.text in ("-", "−") and near_below and over


def _amount(
    view: DocView,
    lv: LineView,
    ids: tuple[int, ...],
    number: str,
    m: re.Match[str],
    cur: str | None = None,
    *,
    negative: bool = False,
) -> Candidate | None:
    value = nz.parse_amount(number)
    if value is None:
        return None
    if (m.group(1) in "-−" and m.group(1)) or m.group(3) or negative:
        value = -value
    return _cand(view, lv, ValueType.AMOUNT, nz.format_amount(value), ids, currency_hint=cur)


def _bracketed(tokens: Sequence[Token], ids: Sequence[int], first: int, last: int, number: str) -> bool:
    """Whether the amount printed by the words ``ids[first..last]`` of a line stands in round brackets with its
    cents, the accountants' way of printing it below zero (a credit note's lines and totals, a discount): the
    brackets on its own words or on words of their own, with its currency inside or not ("(595.00)",
    "(595.00 EUR)", "(EUR 595.00)", "( 595.00 )", "(1 234,56)"). A bracket around other words is not it."""
    if not re.search(r"[.,]\d{2}$", number):
        return False
    opens = tokens[ids[first]].text.startswith("(")
    if not opens and first > 0:
        before = tokens[ids[first - 1]].text
        opens = before == "(" or (before.startswith("(") and nz.normalise_currency(before[1:]) is not None)
    closes = tokens[ids[last]].text.rstrip("*:;,").endswith(")")
    if not closes and last + 1 < len(ids):
        after = tokens[ids[last + 1]].text.rstrip("*:;,")
        closes = after == ")" or (after.endswith(")") and nz.normalise_currency(after[:-1]) is not None)
    return opens and closes


def _codes(view: DocView, lv: LineView) -> list[Candidate]:
    """IBANs and VAT ids. On a line OCR read, a code with letters read for digits is mended where only one reading
    of them is valid (see :func:`~extractors.fields.normalise.mended_code`); a text layer's code is as printed: a
    misprint, or a made-up number, stays invalid."""
    out = []
    upper = lv.text
    tokens = view.doc.pages[lv.page].tokens
    ocr = any(tokens[i].source == TokenSource.OCR for i in lv.token_ids)

    def iban(shape: str) -> str | None:
        """The valid IBAN ``shape`` is, or on a line OCR read, the one it stands for."""
        return (
            (nz.normalise_iban(shape) or (nz.mended_code(shape, nz.normalise_iban) if ocr else None)) if shape else None
        )

    for m in IBAN_RE.finditer(upper):
        end = _valid_end(upper, m, lambda s: iban(nz.iban_shape(s) or "") is not None, digits_too=True)
        shape = nz.iban_shape(upper[m.start() : end])
        ids = lv.tokens_in_chars(m.start(), end)
        if shape and ids:
            valid = iban(shape)
            out.append(_cand(view, lv, ValueType.IBAN, valid or shape, ids, valid=valid is not None))

    def vat_id(text: str) -> str | None:
        """The valid VAT id ``text`` is, or on a line OCR read, the one it stands for."""
        compact = re.sub(r"[ .-]", "", text).upper()
        return nz.normalise_vat_id(compact) or (nz.mended_code(compact, nz.normalise_vat_id) if ocr else None)

    pos = 0
    while (vm := VAT_RE.search(upper, pos)) is not None:
        start, end = _valid_span(upper, vm, lambda s: vat_id(s) is not None)
        pos = max(vm.end(), end)
        compact = re.sub(r"[ .-]", "", upper[start:end])
        ids = lv.tokens_in_chars(start, end)
        if ids and not compact.isalpha() and sum(c.isdigit() for c in compact) >= 6:
            valid = vat_id(compact)  # "CHE-118.287.126 MWST" is CHE118287126
            out.append(_cand(view, lv, ValueType.VAT_ID, valid or compact, ids, valid=valid is not None))
    return out


def _valid_span(text: str, m: re.Match[str], valid: Callable[[str], bool]) -> tuple[int, int]:
    """Where a VAT id starts and ends: the whole match, or else the first valid id that starts at a later word of
    it, which may run on past the match: the pattern took the words before it for the country ("VAT GB 980 7806 84"
    is GB980780684) or for its first digits ("Edinburgh EH1 1YZ VAT ID GB 666 7530 46" is GB666753046)."""
    end = _valid_end(text, m, valid)
    if valid(text[m.start() : end]):
        return m.start(), end
    for gap in (m.start() + i for i, ch in enumerate(m.group(0)) if ch == " "):
        rest = VAT_RE.match(text, gap + 1)
        if rest is not None:
            later = _valid_end(text, rest, valid)
            if valid(text[rest.start() : later]):
                return rest.start(), later
    # an id that is valid nowhere (a misprint, a made-up number) still ends before a word of letters that follows
    # it ("GB123456789 IBAN: ..."): no VAT id ends in a word
    while (cut := text.rfind(" ", m.start(), end)) > m.start() and text[cut + 1 : end].isalpha():
        end = cut
    return m.start(), end


def _valid_end(text: str, m: re.Match[str], valid: Callable[[str], bool], digits_too: bool = False) -> int:
    """Where a code ends: the whole match, or else its longest valid part ending between two words.

    Printed in groups, a code runs on into the next word ("UStId DE 232 446 240 SWIFT ...") and
    the pattern takes the word as part of it. An IBAN, whose length its country fixes, may also lose digits
    that belong to the next column ("FR76 1664 ... 780 3 Clavier"); a VAT id only words.
    """
    if valid(m.group(0)):
        return m.end()
    for cut in sorted((m.start() + i for i, ch in enumerate(m.group(0)) if ch == " "), reverse=True):
        if not digits_too and any(ch.isdigit() for ch in text[cut : m.end()]):
            break  # a VAT id has several lengths: a valid prefix of its digits may be a checksum's chance hit
        if valid(text[m.start() : cut]):
            return cut
    return m.end()


def _words(view: DocView, lv: LineView) -> list[Candidate]:
    """Identifiers and currencies: one token each."""
    out = []
    tokens = view.doc.pages[lv.page].tokens
    for tid in lv.token_ids:
        text = tokens[tid].text
        cur = nz.normalise_currency(text)
        if cur is None:
            m = _AMOUNT_TOKEN.match(text)
            if m and text[: m.start(2)].strip("([-−+ "):
                cur = nz.normalise_currency(text[: m.start(2)].strip("([-−+ "))
        if cur:
            out.append(_cand(view, lv, ValueType.CURRENCY, cur, (tid,)))
        # "n°562044387", "Nr:4711", "#A-12": the number printed glued to its label
        glued = re.split(r"[°#:]", text)[-1]
        for word in {text, glued} if glued else {text}:
            m2 = _IDENT_TOKEN.match(word)
            if not (m2 and any(c.isdigit() for c in m2.group(1)) and 3 <= len(m2.group(1)) <= 30):
                continue
            ident = m2.group(1)
            if nz.find_dates(ident) or re.fullmatch(r"\d+[.,]\d{2}", ident):
                continue
            out.append(_cand(view, lv, ValueType.IDENTIFIER, nz.normalise_identifier(ident), (tid,)))
    return out


TITLE_WORDS = frozenset({"invoice", "rechnung", "facture", "factuur", "receipt", "gutschrift", "avoir"})
"""A document's title, printed after the seller's name on one line."""
_TITLE_QUALIFIERS = frozenset({"tax", "payment", "cash", "sales", "official", "original", "copy", "pro", "forma"})
"""Words a title may have besides its noun ("PAYMENT RECEIPT", "Tax Invoice"): a title is no seller's name."""


def _only_a_title(text: str) -> bool:
    words = [w.strip(".:-").lower() for w in text.split()]
    return any(w in TITLE_WORDS for w in words) and all(w in TITLE_WORDS | _TITLE_QUALIFIERS for w in words)


_PARTS_SEPARATORS = frozenset({"-", "–", "—", "·", "|", "•"})
"""A word that separates the parts of a line: a name from its address on a one-line letterhead."""


def _texts(view: DocView, lines: list[LineView], k: int) -> list[Candidate]:
    """Names, addresses and free text: line segments, the part after a colon, and runs of up to four lines."""
    lv = lines[k]
    tokens = view.doc.pages[lv.page].tokens
    out: list[Candidate] = []
    for s, e in lv.segments:
        ids = lv.token_ids[s:e]
        words = [tokens[i].text for i in ids]
        variants = [ids]
        for j, w in enumerate(words[:-1]):
            if w.endswith(":"):
                variants.append(ids[j + 1 :])
                break
        cut = next((j for j, w in enumerate(words) if w in _PARTS_SEPARATORS), 0)
        if cut >= 2:  # a letterhead on one line: "Au bon moulin SARL - 1242 chemin de l'olive - 84340 Malaucène"
            variants.append(ids[:cut])
        if len(words) >= 3 and words[-1].lower() in TITLE_WORDS:  # "Amazon Web Services Invoice"
            variants.append(ids[:-1])
        for var in variants:
            text = nz.normalise_text(joined_text(tokens, var))
            letters = sum(c.isalpha() for c in text)
            if letters < 2 or len(var) > 12:
                continue
            if not _only_a_title(text):
                out.append(_cand(view, lv, ValueType.NAME, text, var))
            out.append(_cand(view, lv, ValueType.TEXT, text, var))
            block = list(var)
            texts = [text]
            last = lv.bbox_pt
            skipped = 0
            j = k
            while len(texts) < 5 and j + 1 < len(lines):
                j += 1
                nxt = lines[j]
                seg = _overlapping_segment(nxt, view.box(lv.page, var), tokens)
                height = max(last.height, 6.0)
                if seg is None:
                    # a row of another column between two lines of this block ("Date : ..." right of an
                    # address): passed over once, if the block goes on right below it
                    skipped += 1
                    if skipped > 1 or nxt.bbox_pt.y0 - last.y1 > 1.5 * height:
                        break
                    continue
                if nxt.bbox_pt.y0 - last.y1 > (1.5 + 1.5 * skipped) * height:
                    break
                skipped = 0
                last = nxt.bbox_pt
                block.extend(seg)
                texts.append(nz.normalise_text(joined_text(tokens, seg)))
                joined = " ".join(texts)
                if len(texts) == 2:
                    out.append(_cand(view, lv, ValueType.NAME, joined, tuple(block), n_lines=2))
                out.append(_cand(view, lv, ValueType.ADDRESS, joined, tuple(block), n_lines=len(texts)))
    return out


def _overlapping_segment(lv: LineView, box: BBox, tokens: Sequence[object]) -> tuple[int, ...] | None:
    for s, e in lv.segments:
        ids = lv.token_ids[s:e]
        seg_box = BBox.union_of(tokens[i].bbox_pt for i in ids)  # type: ignore[attr-defined]
        centred = abs(seg_box.center[0] - box.center[0]) < 15.0  # receipts centre their header lines
        if abs(seg_box.x0 - box.x0) < 12.0 or centred:
            return tuple(ids)
    return None


def ocr_share(doc: Document) -> float:
    tokens = doc.all_tokens()
    return sum(t.source == TokenSource.OCR for t in tokens) / len(tokens) if tokens else 0.0


DEFAULT_SOURCES: tuple[CandidateSource, ...] = (layout_source,)


def collect(
    view: DocView, ctx: ExtractionContext, sources: Sequence[CandidateSource] = DEFAULT_SOURCES
) -> list[Candidate]:
    """Candidates from every source, de-duplicated by (type, value, page, tokens)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for source in sources:
        for c in source(view, ctx):
            key = (c.value_type, c.value, c.page, c.token_ids, c.for_field)
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out
