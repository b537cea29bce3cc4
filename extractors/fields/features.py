"""Features of a candidate for one field: labels nearby, distances, position, font, validity, rule agreement."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from extractors.document import TokenSource
from extractors.fields.candidates import LEGAL_FORMS, Candidate, DocView
from extractors.fields.schema import FieldSpec, Schema

FEATURES: tuple[str, ...] = (
    "lab_left",
    "lab_left_gap",
    "lab_left_adjacent",
    "lab_above",
    "lab_above_dist",
    "lab_section",
    "lab_strength",
    "other_left_closer",
    "other_above_closer",
    "other_section_closer",
    "x_rel",
    "y_rel",
    "page_first",
    "page_last",
    "font_rel",
    "bold",
    "valid",
    "ocr_conf",
    "amount_rank",
    "amount_is_max",
    "sum_as_total",
    "sum_as_net",
    "sum_as_tax",
    "date_is_earliest",
    "date_is_latest",
    "freq",
    "legal_form",
    "line_rank",
    "upper_ratio",
    "digit_ratio",
    "n_tokens",
    "n_lines",
    "after_colon",
    "prior",
    "line_values",
    "rightmost",
    "currency_near",
    "label_in_value",
    "lab_left_x_lab_gap",
    "lab_any",
    "amount_col",
    "lab_above_aligned",
    "other_above_aligned",
    "value_labelled_elsewhere",
    "value_labelled_other",
)
N_FEATURES = len(FEATURES)
_I = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True, slots=True)
class LabelHit:
    page: int
    line: int
    x0: float
    x1: float
    strength: float
    token_end: int
    """Position in the line's tokens just after the label."""
    chars: tuple[int, int] = (0, 0)
    """The label's span in the line's text."""


_OCR_FOLD = str.maketrans({"i": "l", "1": "l", "|": "l", "!": "l", "0": "o"})
"""Letters OCR reads one for another, each folded to one of them: "USt-ldNr." is "USt-IdNr.", "T0tal" is "Total".
One character for one, so that a match's span in the folded text is its span in the line's."""
OCR_FOLD_MIN_LEN = 4
"""A label shorter than this is matched as printed on an OCR line too: "No" folded would also be "N0", "Nl"."""


def _ocr_fold(text: str) -> str:
    lower = text.lower()
    if len(lower) != len(text):  # "İ" lowers to two characters
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    return lower.translate(_OCR_FOLD)


def _ocr_label(label: str) -> str:
    """A label's pattern on an OCR line: folded (see :func:`_ocr_fold`), an accented letter also without its accent
    ("Facturé a" is "Facturé à"; not the other way: "Facturé" is no "Facture"), a space allowed at a hyphen
    ("USt -ID"), and a last word of one letter followed by a space, a colon or the line's end ("Facture à", not the
    "Facture A-2024-0042" of an invoice number)."""
    out = []
    for ch in _ocr_fold(label):
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            out.append(f"[{re.escape(ch)}{re.escape(_ocr_fold(base))}]")
        elif ch == "-":
            out.append(" ?- ?")
        else:
            out.append(re.escape(ch))
    pattern = "".join(out)
    if re.search(r"(?:^|\s)\w$", label, re.UNICODE):
        pattern += r"(?=[\s:]|$)"
    return pattern


def _label_pattern(labels: Collection[str], ocr: bool = False) -> re.Pattern[str] | None:
    """Whole words, case-insensitive; with ``ocr``, the labels of :data:`OCR_FOLD_MIN_LEN` characters or more, the
    longest first, as OCR misreads them (see :func:`_ocr_label`), to be matched in the folded text."""
    long_first = sorted((w for w in labels if len(w) >= OCR_FOLD_MIN_LEN), key=len, reverse=True)
    words = [_ocr_label(w) for w in long_first] if ocr else [re.escape(w) for w in labels]
    return re.compile(r"(?<!\w)(" + "|".join(words) + r")(?!\w)", re.IGNORECASE) if words else None


def _matches(
    text: str, pattern: re.Pattern[str] | None, ocr_pattern: re.Pattern[str] | None, folded: str = ""
) -> list[re.Match[str]]:
    """Where labels are printed on a line's ``text``: as printed, and on an OCR line (its ``folded`` text) also as
    OCR misread them, where no label printed as it is overlaps, or where those that do lie inside ("lnvoice Date"
    is one label, not "Date")."""
    found = list(pattern.finditer(text)) if pattern is not None else []
    if ocr_pattern is not None:
        for m in ocr_pattern.finditer(folded):
            overlap = [f for f in found if m.start() < f.end() and f.start() < m.end()]
            if all(m.start() <= f.start() and f.end() <= m.end() and f.span() != m.span() for f in overlap):
                found = [f for f in found if f not in overlap] + [m]
    return sorted(found, key=lambda m: m.start())


def _ocr_lines(view: DocView) -> dict[tuple[int, int], str]:
    """The folded text (see :func:`_ocr_fold`) of each line OCR read, by (page, line)."""
    out = {}
    for page_lines in view.lines:
        for lv in page_lines:
            tokens = view.doc.pages[lv.page].tokens
            if any(tokens[i].source == TokenSource.OCR for i in lv.token_ids):
                out[(lv.page, lv.index)] = _ocr_fold(lv.text)
    return out


def find_labels(
    view: DocView, spec: FieldSpec, ocr_lines: Mapping[tuple[int, int], str] | None = None
) -> list[LabelHit]:
    """Where the field's label words are printed (whole words, case-insensitive; on a line OCR read also as OCR
    misreads them, see :func:`_ocr_label`). ``ocr_lines`` are the folded lines of :func:`_ocr_lines`, once for all
    fields."""
    hits: list[LabelHit] = []
    labels = spec.all_labels()
    if not labels:
        return hits
    folded_lines = _ocr_lines(view) if ocr_lines is None else ocr_lines
    pattern, ocr_pattern = _label_pattern(labels), _label_pattern(labels, ocr=True)
    for page_lines in view.lines:
        for lv in page_lines:
            folded = folded_lines.get((lv.page, lv.index))
            for m in _matches(lv.text, pattern, ocr_pattern if folded is not None else None, folded or ""):
                ids = lv.tokens_in_chars(m.start(), m.end())
                if not ids:
                    continue
                box = view.box(lv.page, ids)
                end = lv.token_ids.index(ids[-1]) + 1
                hits.append(
                    LabelHit(lv.page, lv.index, box.x0, box.x1, len(m.group(0)) / 20.0, end, (m.start(), m.end()))
                )
    return hits


def schema_labels(view: DocView, schema: Schema) -> dict[str, list[LabelHit]]:
    """Each field's label hits, less those inside a longer label of another field: "Date" is the invoice date's
    label, but not in "Delivery date" or "Due date", which label other fields."""
    ocr_lines = _ocr_lines(view)
    hits = {spec.name: find_labels(view, spec, ocr_lines) for spec in schema.fields}
    spans: dict[tuple[int, int], list[tuple[str, int, int]]] = {}
    for name, found in hits.items():
        for h in found:
            spans.setdefault((h.page, h.line), []).append((name, *h.chars))

    def inside_another(name: str, h: LabelHit) -> bool:
        a, b = h.chars
        return any(
            other != name and s0 <= a and b <= s1 and s1 - s0 > b - a for other, s0, s1 in spans[(h.page, h.line)]
        )

    return {name: [h for h in found if not inside_another(name, h)] for name, found in hits.items()}


def _sum_roles(amounts: Sequence[Decimal]) -> dict[Decimal, set[str]]:
    """Which amounts can be a total, a net or a tax in some ``net + tax = total`` among the document's amounts."""
    vals = sorted({a for a in amounts if a > 0})[-60:]
    roles: dict[Decimal, set[str]] = {}
    present = set(vals)
    for i, net in enumerate(vals):
        for tax in vals[:i]:
            total = net + tax
            if total in present and tax < net:
                roles.setdefault(total, set()).add("total")
                roles.setdefault(net, set()).add("net")
                roles.setdefault(tax, set()).add("tax")
    return roles


class FeatureBuilder:
    """Computes the feature matrix of candidates for each field of a schema on one document."""

    def __init__(self, view: DocView, schema: Schema, candidates: Sequence[Candidate]) -> None:
        self.view = view
        self.schema = schema
        self.candidates = candidates
        self.labels = schema_labels(view, schema)
        amounts = [Decimal(c.value) for c in candidates if c.value_type == "amount"]
        # a credit note prints its amounts below zero: they rank and add up as an invoice's do, sign turned
        self.sign = -1 if amounts and max(amounts, key=abs) < 0 else 1
        amounts = [self.sign * a for a in amounts]
        self.amount_sorted = sorted(set(amounts), reverse=True)
        self.roles = _sum_roles(amounts)
        dates = sorted({c.value for c in candidates if c.value_type == "date"})
        self.dates = dates
        # how often a value is printed: each printed span once, however many sources propose it (vendor memory
        # proposing a span for one field must not make its value more frequent for the others)
        printed = {(c.value_type, c.value, c.page, tuple(c.token_ids)) for c in candidates}
        self.freq = Counter((vtype, value) for vtype, value, _, _ in printed)
        # ... but a value memory proposes for a field counts once more for that field (its own vote, not others')
        self.proposed = Counter((c.for_field, c.value_type, c.value) for c in candidates if c.for_field)
        self.line_values: Counter[tuple[int, int]] = Counter(
            (page, line)
            for vtype, _, page, line, _ in {
                (c.value_type, c.value, c.page, c.line, tuple(c.token_ids)) for c in candidates
            }
            if vtype == "amount"
        )
        self.rightmost: dict[tuple[int, int], float] = {}
        self.amount_x0: dict[tuple[int, int], list[float]] = {}
        for c in candidates:
            if c.value_type == "amount":
                key = (c.page, c.line)
                self.rightmost[key] = max(self.rightmost.get(key, 0.0), c.bbox_pt.x1)
                self.amount_x0.setdefault(key, []).append(c.bbox_pt.x0)
        self.currency_lines = {(c.page, c.line) for c in candidates if c.value_type == "currency"}
        self._hits: dict[tuple[str, int], tuple[list[LabelHit], list[LabelHit]]] = {}

    def _page_hits(self, spec: FieldSpec, page: int) -> tuple[list[LabelHit], list[LabelHit]]:
        """The field's own label hits on a page, and those of other fields of the same value type."""
        key = (spec.name, page)
        if key not in self._hits:
            own = [h for h in self.labels[spec.name] if h.page == page]
            others = [
                h
                for other in self.schema.fields
                if other.name != spec.name and other.value_type == spec.value_type
                for h in self.labels[other.name]
                if h.page == page
            ]
            self._hits[key] = (own, others)
        return self._hits[key]

    def matrix(self, spec: FieldSpec, cands: Sequence[Candidate]) -> np.ndarray:
        rows = [self.features(spec, c) for c in cands]
        X = np.asarray(rows, dtype=np.float64).reshape(len(rows), N_FEATURES)
        if len(rows):
            # whether the same value is printed elsewhere next to this field's label (or another field's)
            labelled = X[:, _I["lab_left_adjacent"]] + X[:, _I["lab_above_aligned"]] > 0
            other = X[:, _I["other_left_closer"]] + X[:, _I["other_above_aligned"]] > 0
            own_values = {c.value for c, hit in zip(cands, labelled, strict=True) if hit}
            other_values = {c.value for c, hit in zip(cands, other, strict=True) if hit}
            X[:, _I["value_labelled_elsewhere"]] = [c.value in own_values for c in cands]
            X[:, _I["value_labelled_other"]] = [c.value in other_values for c in cands]
        return X

    def features(self, spec: FieldSpec, c: Candidate) -> list[float]:
        view = self.view
        page = view.doc.pages[c.page]
        lv = view.lines[c.page][c.line]
        own, others = self._page_hits(spec, c.page)
        left_own = self._left(own, c)
        left_other = self._left(others, c)
        above_own = self._above(own, c, 3)
        above_other = self._above(others, c, 3)
        sect_own = self._above(own, c, 10, loose=True)
        sect_other = self._above(others, c, 10, loose=True)
        gap = min((c.bbox_pt.x0 - h.x1 for h in left_own), default=600.0)
        first_tok = lv.token_ids.index(c.token_ids[0]) if c.token_ids[0] in lv.token_ids else 0
        adjacent = any(first_tok - h.token_end <= 1 for h in left_own)
        strength = max((h.strength for h in left_own + above_own), default=0.0)
        tokens = [page.tokens[i] for i in c.token_ids]
        fonts = [t.font_size_pt or t.bbox_pt.height for t in tokens]
        letters = [ch for ch in c.text if ch.isalpha()]
        amount = self.sign * Decimal(c.value) if c.value_type == "amount" else None
        n_amounts = max(len(self.amount_sorted), 1)
        rank = self.amount_sorted.index(amount) / n_amounts if amount is not None else 1.0
        roles = self.roles.get(amount, set()) if amount is not None else set()
        text_low = c.text.lower()
        label_in_value = any(h.line == c.line and h.token_end > first_tok for h in own + others)
        own_left_gap = min(gap / 100.0, 6.0)
        amount_col = (
            sum(1 for x in self.amount_x0.get((c.page, c.line), ()) if x < c.bbox_pt.x0 - 0.5)
            if c.value_type == "amount"
            else 0
        )
        aligned_own = any(abs(h.x1 - c.bbox_pt.x1) < 25.0 or abs(h.x0 - c.bbox_pt.x0) < 10.0 for h in above_own)
        aligned_other = any(abs(h.x1 - c.bbox_pt.x1) < 25.0 or abs(h.x0 - c.bbox_pt.x0) < 10.0 for h in above_other)
        return [
            float(bool(left_own)),
            own_left_gap,
            float(adjacent),
            float(bool(above_own)),
            min((c.line - h.line for h in above_own), default=4) / 4.0,
            float(bool(sect_own)),
            strength,
            float(bool(left_other) and _closer(left_other, left_own, c)),
            float(
                bool(above_other)
                and (not above_own or max(h.line for h in above_other) > max(h.line for h in above_own))
            ),
            float(
                bool(sect_other) and (not sect_own or max(h.line for h in sect_other) > max(h.line for h in sect_own))
            ),
            c.bbox_pt.center[0] / max(page.width_pt, 1.0),
            c.bbox_pt.center[1] / max(page.height_pt, 1.0),
            float(c.page == 0),
            float(c.page == len(view.doc.pages) - 1),
            (sum(fonts) / len(fonts)) / view.median_font_pt - 1.0 if fonts else 0.0,
            float(any(t.bold for t in tokens)),
            float(c.valid),
            c.ocr_confidence,
            rank,
            float(amount is not None and rank == 0.0),
            float("total" in roles),
            float("net" in roles),
            float("tax" in roles),
            float(c.value_type == "date" and bool(self.dates) and c.value == self.dates[0]),
            float(c.value_type == "date" and bool(self.dates) and c.value == self.dates[-1]),
            math.log1p(self.freq[(c.value_type, c.value)] + self.proposed[(spec.name, c.value_type, c.value)]),
            float(bool(LEGAL_FORMS.search(c.text))),
            min(c.line / 40.0, 1.5),
            sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0,
            sum(ch.isdigit() for ch in c.text) / max(len(c.text), 1),
            min(len(c.token_ids) / 10.0, 2.0),
            float(c.n_lines),
            float(first_tok > 0 and page.tokens[lv.token_ids[first_tok - 1]].text.endswith(":")),
            c.prior if c.for_field in (None, spec.name) else 0.0,
            min(self.line_values[(c.page, c.line)] / 5.0, 2.0),
            float(c.value_type == "amount" and c.bbox_pt.x1 >= self.rightmost.get((c.page, c.line), 0.0) - 0.5),
            float(c.currency_hint is not None or (c.page, c.line) in self.currency_lines),
            float(label_in_value or text_low.rstrip(":") in spec.all_labels()),
            float(bool(left_own)) * own_left_gap,
            float(bool(left_own or above_own or sect_own)),
            min(amount_col / 5.0, 2.0),
            float(aligned_own),
            float(aligned_other),
            0.0,
            0.0,
        ]

    @staticmethod
    def _left(hits: Sequence[LabelHit], c: Candidate) -> list[LabelHit]:
        return [h for h in hits if h.line == c.line and h.x1 <= c.bbox_pt.x0 + 1.0]

    def _above(self, hits: Sequence[LabelHit], c: Candidate, max_lines: int, loose: bool = False) -> list[LabelHit]:
        out = []
        for h in hits:
            if not 0 < c.line - h.line <= max_lines:
                continue
            if loose:
                if h.x0 <= c.bbox_pt.x1 + 5.0 and h.x1 >= c.bbox_pt.x0 - 200.0:
                    out.append(h)
            elif h.x0 <= c.bbox_pt.x1 + 20.0 and h.x1 >= c.bbox_pt.x0 - 20.0:
                out.append(h)
        return out


def _closer(other: Sequence[LabelHit], own: Sequence[LabelHit], c: Candidate) -> bool:
    if not own:
        return True
    return max(h.x1 for h in other) > max(h.x1 for h in own)
