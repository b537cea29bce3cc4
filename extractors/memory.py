"""Vendor and layout memory: where a person confirmed each field on earlier documents of the same layout.

A *layout fingerprint* is the set of static words on page 1 with their position quantised to a grid; two
documents share a layout when the Jaccard similarity of their fingerprints is high. For each field of an
approved document the memory keeps the label words printed next to the value (the *anchor*), the value's
offset from that anchor, its region of the page and the value itself (a name or address a person typed where
the print is too garbled to find is kept by its text alone). On the next document of that layout
:class:`MemorySource` (a :data:`~extractors.fields.candidates.CandidateSource`) proposes the layout candidates
found where the memory says the field is, marked for that field and with a ``prior`` (a scorer feature).

Pure: no database. The application persists a :class:`VendorMemory` as JSON (:meth:`VendorMemory.to_json`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from difflib import SequenceMatcher
from functools import cache
from typing import Any, Protocol, cast

import numpy as np

from extractors.context import ExtractionContext
from extractors.document import TokenSource
from extractors.fields.candidates import Candidate, DocView, LineView, layout_source
from extractors.fields.decide import LABEL_PRIOR
from extractors.fields.features import FEATURES
from extractors.fields.locate import MIN_SIMILARITY, find_text
from extractors.fields.normalise import name_tokens
from extractors.fields.schema import ValueType, load_schema
from extractors.fields.scorer import FieldModel, LinearScorer, Scorer
from extractors.geometry import BBox

MEMORY_FORMAT_VERSION = 1
GRID_X, GRID_Y = 24, 48
"""Cells of the fingerprint grid across and down page 1."""
MATCH_THRESHOLD = 0.2
"""The least similarity at which a document is taken to share a remembered layout."""
PRIOR_WEIGHT = 8.0
"""The least logit a full prior (1.0) adds, for models trained before memory candidates existed."""
MAX_ENTRIES = 5000
NEAR_VALUE = 0.15
"""How far (a share of the page height) above or below where a value was confirmed text is taken as near it."""
MEMORY_SIMILARITY = 0.65
"""The least character similarity at which text printed near where a vendor's name or address was confirmed is
taken for it on a document of its layout: lower than elsewhere on the page (``MIN_SIMILARITY``), as the layout
and the place already say whose it is."""

CONFIRMED_BONUS = 6.0
"""What a value a person confirmed for the vendor, found printed (a full prior), adds beyond its prior's weight: the
scorer's generic features (a seller's name far down a till receipt) do not outweigh it. Not where it is printed
under another field's label (a former vendor billed as this invoice's customer)."""
NEAR_FULL = 0.99
"""The most a candidate's place alone vouches for it: a full prior (1.0) is kept for a value a person confirmed."""
CLEAR_WORD = 0.8
"""The least OCR confidence of a word taken as read, not misread, when text is compared with a remembered value."""

_WORD = re.compile(r"^[^\W\d_]{2,}[:.]?$")
_STABLE_TYPES = frozenset({"name", "address", "iban", "vat_id", "currency"})
"""Value types a vendor prints the same on every document: a remembered value is found by its text."""
TEXT_TYPES = frozenset({"name", "address"})
"""Stable types whose remembered value is also found where it is printed only approximately."""
_CANDIDATE_TYPE = {ValueType.PERIOD: ValueType.TEXT, ValueType.PARTY_LIST: ValueType.NAME}


class _TokenLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def bbox_pt(self) -> BBox: ...


class PageLike(Protocol):
    """A page of a read document (``extractors.document.Page``) or its stored view: size and tokens."""

    @property
    def width_pt(self) -> float: ...
    @property
    def height_pt(self) -> float: ...
    @property
    def tokens(self) -> Sequence[Any]: ...


def candidate_type(doc_type: str, field_name: str) -> str | None:
    """The value type of the candidates a field is chosen from (None: not a field of that schema)."""
    schema = load_schema("receipt" if doc_type == "receipt" else "invoice")
    try:
        vtype = schema.field(field_name).value_type
    except KeyError:
        return None
    return str(_CANDIDATE_TYPE.get(vtype, vtype))


# ---- fingerprints ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    words: frozenset[str]
    cells: frozenset[str]
    """``word@column:row`` on the quantisation grid."""

    def similarity(self, other: Fingerprint) -> float:
        """Mean of the Jaccard similarity of the words and of the positioned words."""
        return (_jaccard(self.words, other.words) + _jaccard(self.cells, other.cells)) / 2.0


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def _is_label_word(text: str) -> bool:
    return bool(_WORD.match(text))


def layout_fingerprint(pages: Sequence[PageLike]) -> Fingerprint:
    """The static words of page 1 (letters only: no numbers, dates or amounts) and their grid cells."""
    if not pages:
        return Fingerprint(frozenset(), frozenset())
    page = pages[0]
    words, cells = set(), set()
    w, h = max(page.width_pt, 1.0), max(page.height_pt, 1.0)
    for t in page.tokens:
        if not _is_label_word(t.text):
            continue
        word = t.text.lower().rstrip(":.")
        words.add(word)
        col = min(int(t.bbox_pt.x0 / w * GRID_X), GRID_X - 1)
        row = min(int(t.bbox_pt.y0 / h * GRID_Y), GRID_Y - 1)
        cells.add(f"{word}@{col}:{row}")
    return Fingerprint(frozenset(words), frozenset(cells))


# ---- what is remembered ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldMemory:
    """Where one field's confirmed value was printed, relative to its anchor label and on the page."""

    name: str
    ctype: str
    value: str
    page: int
    box: tuple[float, float, float, float] | None
    """The value's box in points; None for a name or address a person typed that is not found as printed."""
    region: tuple[float, float, float, float] | None
    """The value's box as fractions of the page size; None with ``box``."""
    anchor: tuple[str, ...] = ()
    """The label words left of (or above) the value, nearest last, lower case."""
    anchor_box: tuple[float, float, float, float] | None = None
    n_lines: int = 1
    constant: bool = True
    """The same value on every document remembered for this layout (a vendor's name, IBAN, address)."""
    seen: int = 1


@dataclass(slots=True)
class LayoutEntry:
    """One remembered layout: its fingerprint, its vendor and its fields."""

    fingerprint: Fingerprint
    vendor: str | None
    fields: dict[str, FieldMemory] = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)
    """SHA-256 of the approved documents this entry was learned from."""


@dataclass(frozen=True, slots=True)
class ConfirmedField:
    """A field of an approved document as memory learns it: the value a person made true and its box."""

    name: str
    value: str
    page: int
    bbox_pt: BBox | None
    """None where the value is not found printed: only a name or an address is then remembered, by its text."""
    ctype: str


def _row_tokens(page: PageLike, box: BBox) -> list[Any]:
    cy = (box.y0 + box.y1) / 2
    return [t for t in page.tokens if t.bbox_pt.y0 - 1 <= cy <= t.bbox_pt.y1 + 1]


def find_anchor(page: PageLike, box: BBox) -> tuple[tuple[str, ...], BBox | None]:
    """The label words nearest the value: on its row to the left, else just above it. Up to three words."""
    inside = {id(t) for t in page.tokens if _overlaps(t.bbox_pt, box)}
    left = [
        t
        for t in _row_tokens(page, box)
        if id(t) not in inside and t.bbox_pt.x1 <= box.x0 + 1.0 and any(c.isalpha() for c in t.text)
    ]
    height = max(box.height / max(1, round(box.height / 12.0)), 6.0)
    if left:
        left.sort(key=lambda t: t.bbox_pt.x1)
        chosen = [left[-1]]
        for t in reversed(left[:-1]):
            if chosen[0].bbox_pt.x0 - t.bbox_pt.x1 > 2.5 * height or len(chosen) == 3:
                break
            chosen.insert(0, t)
        if box.x0 - chosen[-1].bbox_pt.x1 < 300.0:
            return tuple(t.text.lower() for t in chosen), chosen[-1].bbox_pt
    above = [
        t
        for t in page.tokens
        if id(t) not in inside
        and t.bbox_pt.y1 <= box.y0 + 1.0
        and box.y0 - t.bbox_pt.y1 < 3.0 * height
        and t.bbox_pt.x0 <= box.x1 + 20.0
        and t.bbox_pt.x1 >= box.x0 - 20.0
        and any(c.isalpha() for c in t.text)
    ]
    if above:
        nearest = max(above, key=lambda t: (t.bbox_pt.y1, -abs(t.bbox_pt.x0 - box.x0)))
        return (nearest.text.lower(),), nearest.bbox_pt
    return (), None


def _labelled_otherwise(page: PageLike, box: BBox, fm: FieldMemory) -> bool:
    """Whether the value at ``box`` has, nearest it on its row to the left, a label of the schema that names
    other fields and not this one ("Échéance :" or "Lieferdatum:" before a date memory expects a delivery or an
    invoice date at), unless the field was confirmed on a row with that same label (a vendor's own wording).
    Only labels read as the schema spells them count: a misread or unknown label refuses nothing."""
    owners = _row_label_owners(page, box)
    if not owners or fm.name in owners:
        return False
    if fm.anchor_box is not None and fm.box is not None:
        confirmed_on = _owners_in(" ".join(fm.anchor)) if _on_row(BBox(*fm.anchor_box), BBox(*fm.box)) else None
        if confirmed_on == owners:
            return False
    return True


def _under_label_of_another(page: PageLike, box: BBox, fm: FieldMemory) -> bool:
    """Whether the value at ``box`` is printed as another field's: the schema's label of other fields, not of this
    one, nearest it on its row to the left or on the line just above it ("Bill to:" over a name)."""
    owners = _row_label_owners(page, box)
    if owners is None:
        height = max(box.height / max(fm.n_lines, 1), 6.0)
        above = sorted(
            (
                t
                for t in page.tokens
                if box.y0 - 1.8 * height <= t.bbox_pt.y1 <= box.y0 + 1.0
                and t.bbox_pt.x1 >= box.x0 - 20.0
                and t.bbox_pt.x0 <= box.x1
            ),
            key=lambda t: t.bbox_pt.x0,
        )
        owners = _owners_in(" ".join(t.text for t in above)) if above else None
    return bool(owners) and fm.name not in (owners or ())


def _on_row(anchor: BBox, box: BBox) -> bool:
    cy = (anchor.y0 + anchor.y1) / 2
    return box.y0 - 1.0 <= cy <= box.y1 + 1.0 and anchor.x1 <= box.x0 + 1.0


def _row_label_owners(page: PageLike, box: BBox) -> frozenset[str] | None:
    """The fields whose label is printed nearest left of ``box`` on its row (None where no label is)."""
    left = sorted(
        (t for t in _row_tokens(page, box) if t.bbox_pt.x1 <= box.x0 + 1.0 and not _overlaps(t.bbox_pt, box)),
        key=lambda t: t.bbox_pt.x0,
    )
    return _owners_in(" ".join(t.text for t in left)) if left else None


def _owners_in(text: str) -> frozenset[str] | None:
    """The fields owning the last schema label in ``text`` (longest label first where two start together)."""
    owners, pattern = _schema_labels()
    found = list(pattern.finditer(text))
    return owners[found[-1].group(0).lower()] if found else None


@cache
def _schema_labels() -> tuple[dict[str, frozenset[str]], re.Pattern[str]]:
    owners: dict[str, set[str]] = {}
    for doc_type in ("invoice", "receipt"):
        for spec in load_schema(doc_type).fields:
            for label in spec.all_labels():
                owners.setdefault(label, set()).add(spec.name)
    ordered = sorted(owners, key=lambda w: (-len(w), w))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in ordered) + r")(?!\w)", re.IGNORECASE)
    return {k: frozenset(v) for k, v in owners.items()}, pattern


def _overlaps(a: BBox, b: BBox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _tuple(b: BBox) -> tuple[float, float, float, float]:
    return (round(b.x0, 2), round(b.y0, 2), round(b.x1, 2), round(b.y1, 2))


SLIP = 0.85
"""Two vendor names this alike (character ratio of their name tokens) on one layout, with the same VAT id or IBAN
confirmed, are one name once mistyped or misread ("Falken Food LLP", "Falken Foods LLP"): the one confirmed last
is kept. Without an identifier in common they are two vendors ("Schmidt Elektro", "Schmitt Elektro")."""
IDENTITY_FIELDS = ("vendor_vat_id", "vendor_iban")


def _same_account(entry: LayoutEntry, fields: Sequence[ConfirmedField]) -> bool:
    """Whether a VAT id or IBAN confirmed now is the one the entry remembers."""
    for f in fields:
        old = entry.fields.get(f.name) if f.name in IDENTITY_FIELDS else None
        if old is not None and f.value and _compact(old.value) == _compact(f.value):
            return True
    return False


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).upper()


def _slip_of(a: str, b: str) -> bool:
    ta, tb = " ".join(name_tokens(a)), " ".join(name_tokens(b))
    return bool(ta and tb) and SequenceMatcher(None, ta, tb).ratio() >= SLIP


def _same_text(a: str, b: str) -> bool:
    ta, tb = name_tokens(a), name_tokens(b)
    return bool(ta) and ta == tb


@dataclass(slots=True)
class VendorMemory:
    """Every remembered layout. ``learn`` adds an approved document; ``match`` finds a document's layout."""

    entries: list[LayoutEntry] = field(default_factory=list)
    threshold: float = MATCH_THRESHOLD

    def match(self, fp: Fingerprint) -> tuple[LayoutEntry | None, float]:
        """The entry of the most similar layout (of two alike, the one learned last)."""
        best: tuple[LayoutEntry | None, float] = (None, 0.0)
        for entry in self.entries:
            sim = entry.fingerprint.similarity(fp)
            if sim > 0.0 and sim >= best[1]:
                best = (entry, sim)
        return best if best[1] >= self.threshold else (None, best[1])

    def learn(
        self, sha256: str, pages: Sequence[PageLike], fields: Iterable[ConfirmedField], vendor: str | None = None
    ) -> LayoutEntry:
        """Remember the confirmed fields of one approved document (again: its newer boxes replace the older)."""
        fp = layout_fingerprint(pages)
        confirmed = list(fields)
        entry, _ = self.match(fp)
        renamed = None
        if entry is not None and vendor and entry.vendor and not _same_text(vendor, entry.vendor):
            if _slip_of(vendor, entry.vendor) and _same_account(entry, confirmed):
                renamed, entry.vendor = entry.vendor, vendor  # mistyped or misread before: this name replaces it
            else:
                entry = None
        if entry is None:
            entry = LayoutEntry(fp, vendor)
            self.entries.append(entry)
            del self.entries[:-MAX_ENTRIES]
        else:
            entry.fingerprint = fp  # the latest document's: a union would grow with every item description
            entry.vendor = entry.vendor or vendor
        for f in confirmed:
            if f.page >= len(pages) or not f.value:
                continue
            old = entry.fields.get(f.name)
            if old is not None and renamed is not None and _same_value(old.value, renamed):
                old = None  # the vendor's name as it was wrongly confirmed: forgotten, not kept as a variant
            constant = old is None or (old.constant and _same_value(old.value, f.value))
            if f.bbox_pt is None:
                if f.ctype in TEXT_TYPES:
                    entry.fields[f.name] = _typed_only(f, old, constant)
                continue
            page = pages[f.page]
            anchor, anchor_box = find_anchor(page, f.bbox_pt)
            w, h = max(page.width_pt, 1.0), max(page.height_pt, 1.0)
            lines = max(1, round(f.bbox_pt.height / max(_line_height(page, f.bbox_pt), 1.0)))
            entry.fields[f.name] = FieldMemory(
                f.name,
                f.ctype,
                f.value,
                f.page,
                _tuple(f.bbox_pt),
                (f.bbox_pt.x0 / w, f.bbox_pt.y0 / h, f.bbox_pt.x1 / w, f.bbox_pt.y1 / h),
                anchor,
                _tuple(anchor_box) if anchor_box is not None else None,
                lines,
                constant,
                (old.seen + 1) if old else 1,
            )
        if sha256 not in entry.documents:
            entry.documents.append(sha256)
        return entry

    def forget(self, sha256: str) -> None:
        for entry in self.entries:
            if sha256 in entry.documents:
                entry.documents.remove(sha256)
        self.entries = [e for e in self.entries if e.documents]

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": MEMORY_FORMAT_VERSION,
            "threshold": self.threshold,
            "entries": [
                {
                    "words": sorted(e.fingerprint.words),
                    "cells": sorted(e.fingerprint.cells),
                    "vendor": e.vendor,
                    "documents": e.documents,
                    "fields": {n: asdict(f) for n, f in e.fields.items() if f.box is not None},
                    # values kept by their text alone, under a key of their own that older readers pass over
                    "typed": {n: asdict(f) for n, f in e.fields.items() if f.box is None},
                }
                for e in self.entries
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VendorMemory:
        if data.get("format_version") != MEMORY_FORMAT_VERSION:
            raise ValueError(f"vendor memory format {data.get('format_version')} is not {MEMORY_FORMAT_VERSION}")
        entries = []
        for raw in data.get("entries", []):
            fields = {}
            for n, f in {**dict(raw.get("typed", {})), **dict(raw.get("fields", {}))}.items():
                fields[n] = FieldMemory(
                    str(f["name"]),
                    str(f["ctype"]),
                    str(f["value"]),
                    int(f["page"]),
                    _box4(f["box"]) if f.get("box") else None,
                    _box4(f["region"]) if f.get("region") else None,
                    tuple(str(a) for a in f.get("anchor", ())),
                    _box4(f["anchor_box"]) if f.get("anchor_box") else None,
                    int(f.get("n_lines", 1)),
                    bool(f.get("constant", True)),
                    int(f.get("seen", 1)),
                )
            fp = Fingerprint(frozenset(raw.get("words", [])), frozenset(raw.get("cells", [])))
            entries.append(LayoutEntry(fp, raw.get("vendor"), fields, list(raw.get("documents", []))))
        return cls(entries, float(data.get("threshold", MATCH_THRESHOLD)))


def _typed_only(f: ConfirmedField, old: FieldMemory | None, constant: bool) -> FieldMemory:
    """A name or address confirmed where it is not found printed (OCR garbled it): its text is remembered, and
    where the layout had it before is kept."""
    if old is not None and old.box is not None:
        return replace(old, value=f.value, constant=constant, seen=old.seen + 1)
    return FieldMemory(
        f.name, f.ctype, f.value, f.page, None, None, constant=constant, seen=(old.seen + 1) if old else 1
    )


def _box4(v: Sequence[float]) -> tuple[float, float, float, float]:
    a, b, c, d = (float(x) for x in v)
    return (a, b, c, d)


def _same_value(a: str, b: str) -> bool:
    return a == b or _same_text(a, b)


def _line_height(page: PageLike, box: BBox) -> float:
    heights = [t.bbox_pt.height for t in page.tokens if _overlaps(t.bbox_pt, box)]
    return float(np.median(heights)) if heights else 12.0


# ---- the candidate source --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemorySource:
    """A candidate source: the layout candidates where the matched layout's fields were confirmed."""

    memory: VendorMemory
    max_per_field: int = 2

    def __call__(self, view: DocView, ctx: ExtractionContext) -> list[Candidate]:
        if not self.memory.entries or not view.doc.pages:
            return []
        entry, _ = self.memory.match(layout_fingerprint(view.doc.pages))
        if entry is None:
            return []
        found = layout_source(view, ctx)
        out: list[Candidate] = []
        for fm in entry.fields.values():
            out.extend(self._for_field(view, fm, [c for c in found if c.value_type == fm.ctype]))
        return out

    def _for_field(self, view: DocView, fm: FieldMemory, cands: list[Candidate]) -> list[Candidate]:
        page_no = fm.page if fm.page < len(view.doc.pages) else 0
        page = view.doc.pages[page_no]
        if fm.box is None:  # a typed name or address: where text like it is printed
            known = _printed_like(view, fm, page_no) if fm.constant else None
            return [] if known is None else [known]
        target = _predicted_box(page, fm)
        scored: list[tuple[float, Candidate]] = []
        found_as_printed = False
        for c in cands:
            if c.page != page_no and not (fm.constant and _same_value(c.value, fm.value)):
                continue
            same = fm.constant and fm.ctype in _STABLE_TYPES and _same_value(c.value, fm.value)
            found_as_printed |= same
            if not same and _labelled_otherwise(view.doc.pages[c.page], c.bbox_pt, fm):
                continue  # its place alone does not make it this field's where its row names another
            if same:  # printed as another field's ("Bill to:"): no more than a place
                prior = NEAR_FULL if _under_label_of_another(view.doc.pages[c.page], c.bbox_pt, fm) else 1.0
            else:
                prior = _closeness(c, target, fm)
            if prior >= 0.25:
                scored.append((prior, c))
        scored.sort(key=lambda pc: -pc[0])
        if found_as_printed:  # a vendor's constant value is printed as confirmed: nothing else is proposed
            scored = [(p, c) for p, c in scored if _same_value(c.value, fm.value)]
        elif fm.constant and fm.ctype in TEXT_TYPES:
            known = _printed_like(view, fm, page_no)
            if known is not None:
                return [known]
        return [replace(c, source="memory", for_field=fm.name, prior=p) for p, c in scored[: self.max_per_field]]


def _printed_like(view: DocView, fm: FieldMemory, page_no: int) -> Candidate | None:
    """The remembered value where text like it is printed (a letter misread by OCR, a changed line break):
    the value a person confirmed for this vendor, with the box of the printed text.

    Text near where the value was confirmed is taken at a lower similarity than text elsewhere on the page (a
    shop's name in its header misread, and printed again in its footer)."""
    span = None
    if fm.box is not None:
        page = view.doc.pages[page_no]
        target = _predicted_box(page, fm)
        if _place_names_another(view, page_no, target, fm):
            return None  # another name or address read clearly where the value was: another seller's document
        reach = NEAR_VALUE * page.height_pt
        near = list(view.lines)  # only this page's lines are searched
        near[page_no] = [
            ln if ln.bbox_pt.y1 >= target.y0 - reach and ln.bbox_pt.y0 <= target.y1 + reach else _blank(ln)
            for ln in near[page_no]
        ]
        span = find_text(view.doc, fm.value, MEMORY_SIMILARITY, pages=[page_no], rows=near)
    if span is not None:
        why = _names_another(view, span.page, span.token_ids, fm.value)
        if why == ANOTHER_WORD:
            return None  # another name where the value was: not to be looked for elsewhere (a footer's head office)
        if why == WORDS_MISSING:
            span = None  # the value cut off near its place: the whole page is read
    if span is None:
        span = find_text(view.doc, fm.value, MIN_SIMILARITY, pages=[page_no], rows=view.lines)
    if span is None or _names_another(view, span.page, span.token_ids, fm.value):
        return None
    text = span.text(view.doc)
    if _from_text_layer(view, span.page, span.token_ids) and not _same_value(text, fm.value):
        return None  # a text layer has no misreads to mend: what it prints is this document's value
    found = Candidate(
        ValueType(fm.ctype),
        fm.value,
        text,
        span.page,
        span.line,
        span.token_ids,
        span.bbox_pt,
        ocr_confidence=view.ocr_conf(span.page, span.token_ids),
        n_lines=span.n_lines,
        source="memory",
        for_field=fm.name,
        prior=1.0,
    )
    if _under_label_of_another(view.doc.pages[span.page], span.bbox_pt, fm):
        found = replace(found, prior=NEAR_FULL)  # printed as another field's ("Bill to:"): no more than a place
    return found


def _from_text_layer(view: DocView, page_no: int, token_ids: Sequence[int]) -> bool:
    tokens = view.doc.pages[page_no].tokens
    return bool(token_ids) and all(tokens[i].source == TokenSource.TEXT_LAYER for i in token_ids)


def _place_names_another(view: DocView, page_no: int, target: BBox, fm: FieldMemory) -> bool:
    """Whether where the value was confirmed now holds a word read clearly that the value has nothing like
    ("Gamma Software GmbH" where "Alpha Trading GmbH" was): another seller's document of the same layout."""
    page = view.doc.pages[page_no]
    known = set(name_tokens(fm.value))
    for t in page.tokens:
        cx, cy = (t.bbox_pt.x0 + t.bbox_pt.x1) / 2, (t.bbox_pt.y0 + t.bbox_pt.y1) / 2
        if t.confidence < CLEAR_WORD or not (target.x0 <= cx <= target.x1 and target.y0 <= cy <= target.y1):
            continue
        if any(_long_word(w) and w not in known and not _like_any(w, known) for w in name_tokens(t.text)):
            return True
    return False


def _names_another(view: DocView, page_no: int, token_ids: Sequence[int], value: str) -> str:
    """Why the printed text names something else than the remembered value, however alike they read ("" where it
    does not):

    - it has a word, read clearly, that the value has nothing like: another shop of the same chain and till
      ("MR. D.I.Y. (KUCHAI) SDN BHD" where "MR. D.I.Y. (M) SDN BHD" was confirmed);
    - or two words or numbers of the value have nothing like them in it: another branch's address ("... 41150
      KLANG, SELANGOR" where "... 41150 KLANG, SELANGOR 1317 TRILLIUM S6 BESI" was confirmed).

    OCR garbles the letters of a word and may lose one word; it does not invent a word read clearly."""
    known = set(name_tokens(value))
    tokens = view.doc.pages[page_no].tokens
    printed: set[str] = set()
    for i in token_ids:
        words = name_tokens(tokens[i].text)
        printed.update(words)
        if tokens[i].confidence < CLEAR_WORD:
            continue
        for word in words:
            if _long_word(word) and word not in known and not _like_any(word, known):
                return ANOTHER_WORD
    missing = [
        w for w in known if (_long_word(w) or _long_number(w)) and w not in printed and not _like_any(w, printed)
    ]
    return WORDS_MISSING if len(missing) >= 2 else ""


ANOTHER_WORD = "a word read clearly that the value has nothing like"
WORDS_MISSING = "two words or numbers of the value missing"


def _long_word(word: str) -> bool:
    return len(word) >= 4 and word.isalpha()


def _long_number(word: str) -> bool:
    """A number of three digits or more: a house, lot or branch number."""
    return len(word) >= 3 and word.isdigit()


def _like_any(word: str, others: Iterable[str]) -> bool:
    return any(SequenceMatcher(None, word, k, autojunk=False).ratio() >= 0.5 for k in others)


def _blank(line: LineView) -> LineView:
    """A line left out of a search: no tokens (its index kept)."""
    return replace(line, token_ids=(), spans=(), segments=())


def _predicted_box(page: PageLike, fm: FieldMemory) -> BBox:
    """Where the value should be: its offset from the anchor found on this page, else its region."""
    assert fm.box is not None and fm.region is not None
    x0, y0, x1, y1 = fm.box
    if fm.anchor and fm.anchor_box is not None:
        hits = _anchor_hits(page, fm.anchor)
        if hits:
            ax, ay = fm.anchor_box[0], fm.anchor_box[1]
            best = min(hits, key=lambda b: (b[1], math.hypot(b[0].x0 - ax, b[0].y0 - ay)))[0]
            dx, dy = best.x0 - ax, best.y0 - ay
            return BBox(x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    w, h = page.width_pt, page.height_pt
    rx0, ry0, rx1, ry1 = fm.region
    return BBox(rx0 * w, ry0 * h, rx1 * w, ry1 * h)


def _anchor_hits(page: PageLike, anchor: tuple[str, ...]) -> list[tuple[BBox, int]]:
    """Boxes of the anchor's nearest word on this page, each with how many of the words before it differ."""
    hits = []
    for t in page.tokens:
        if t.text.lower() != anchor[-1]:
            continue
        before = sorted(
            (r for r in _row_tokens(page, t.bbox_pt) if r.bbox_pt.x1 <= t.bbox_pt.x0 + 1.0), key=lambda r: r.bbox_pt.x0
        )
        words = [r.text.lower() for r in before]
        wanted = list(anchor[:-1])
        got = words[len(words) - len(wanted) :] if wanted else []
        missed = len(wanted) - sum(1 for a, b in zip(reversed(wanted), reversed(got), strict=False) if a == b)
        hits.append((t.bbox_pt, missed))
    return hits


def _closeness(c: Candidate, target: BBox, fm: FieldMemory) -> float:
    """1.0 where the candidate sits where the value is expected, falling off with distance and size change."""
    b = c.bbox_pt
    scale = max(target.height / max(fm.n_lines, 1), 8.0)
    dx = min(abs(b.x0 - target.x0), abs(b.x1 - target.x1))
    dy = abs(b.y0 - target.y0)
    prior = math.exp(-((math.hypot(dx, dy) / (1.5 * scale)) ** 2))
    dw = abs(b.width - target.width) / max(target.width, 20.0)
    prior *= math.exp(-dw)
    if c.n_lines != fm.n_lines:
        prior *= 0.6
    return min(float(prior), NEAR_FULL)


# ---- the scorer's weight for memory ----------------------------------------------------------------------------

_PRIOR = FEATURES.index("prior")


@dataclass(frozen=True, slots=True)
class PriorBoost:
    """A scorer with ``extra`` times the ``prior`` feature added to its logit (what memory candidates carry)."""

    inner: Scorer
    extra: float

    def logits(self, X: np.ndarray) -> np.ndarray:
        base = self.inner.logits(X)
        if not len(X):
            return base
        return base + self.extra * X[:, _PRIOR] + CONFIRMED_BONUS * (X[:, _PRIOR] >= 1.0)

    def to_dict(self) -> dict[str, Any]:
        return self.inner.to_dict()


def _boosted(s: Scorer, weight: float) -> Scorer:
    if isinstance(s, PriorBoost):
        return s
    learned = float(s.coef[_PRIOR] / s.scale[_PRIOR]) if isinstance(s, LinearScorer) else 0.0
    # Any scorer with ``logits`` serves the decision; the boost is applied at extraction, never saved.
    return cast(Scorer, PriorBoost(s, max(weight - learned, 0.0)))


def with_memory_weight(model: FieldModel, weight: float = PRIOR_WEIGHT) -> FieldModel:
    """A copy of ``model`` in which a full prior adds at least ``weight`` to a candidate's logit.

    Models are trained on candidates without memory (the ``prior`` feature is 0 there), so they learned
    nothing about it; memory needs a weight to pay off on the very next document. Fields without a trained
    scorer get the label-word scorer with that weight.
    """
    per_type: dict[str, Scorer] = {str(t): LABEL_PRIOR for t in ValueType}
    per_type.update(model.per_type)
    return FieldModel(
        {k: _boosted(v, weight) for k, v in model.per_field.items()},
        {k: _boosted(v, weight) for k, v in per_type.items()},
        model.confidence,
        model.version,
        dict(model.metrics),
        model.training_documents,
        model.absent,
        model.contract,
    )
