"""Contract field extraction: candidates from patterns, ranked by the scorer, returned with boxes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.context import ExtractionContext
from extractors.contracts.candidates import (
    Candidate,
    date_candidates,
    duration_candidates,
    governing_law_candidates,
    money_currency,
    value_candidates,
)
from extractors.contracts.normalize import US_STATES
from extractors.contracts.parties import party_candidates
from extractors.contracts.scoring import ContractScorer, ValueGroup, load_scorer
from extractors.contracts.text import DocText, Span
from extractors.document import Document, TokenSource
from extractors.fields.candidates import EUROPEAN_CODE, US_STATE_CODES
from extractors.geometry import BBox
from extractors.results import Alternative, FieldValue

CONTRACT_FIELDS = (
    "parties",
    "effective_date",
    "expiration_date",
    "term",
    "renewal_term",
    "notice_period",
    "governing_law",
    "contract_value",
    "currency",
)
MAX_ALTERNATIVES = 3


def extract_contract_fields(
    doc: Document, ctx: ExtractionContext, *, scorer: ContractScorer | None = None
) -> tuple[dict[str, FieldValue], list[str]]:
    """The contract fields of ``doc`` and the warnings met on the way.

    Every field in :data:`CONTRACT_FIELDS` is returned; one that was not found has ``value=None``.

    Confidence is a probability that the value is right. For ``parties`` it is the probability that the
    *whole list* is right (every party found, none extra), not a per-name figure. For a field not found,
    it is the chance that the contract really lacks it: how often contracts lack that field, times the
    chance that the best candidate seen was wrong. It is low for fields nearly every contract has.

    ``scorer`` replaces the weights shipped in ``resources/models/contract/``; ``ctx.model_path`` names the
    invoice field model and is not used here. ``ctx.language_hint`` sets the order of numeric dates the
    document leaves open.
    """
    scorer = scorer or load_scorer()
    dt = DocText(doc)
    warnings: list[str] = []
    if not dt.text.strip():
        warnings.append("contract has no text to read fields from (a scan without OCR?)")
    candidates = contract_candidates(dt, ctx)
    fields: dict[str, FieldValue] = {}
    for name in CONTRACT_FIELDS:
        if name == "currency":
            continue
        groups = scorer.rank(name, candidates)
        weights = scorer.fields.get(name)
        min_conf = weights.min_confidence if weights else 0.5
        fields[name] = _field_value(dt, name, groups, min_conf, weights.absent_rate if weights else 0.2)
    fields["currency"] = _currency(dt, fields["contract_value"])
    return fields, warnings


def contract_candidates(dt: DocText, ctx: ExtractionContext) -> list[Candidate]:
    """Every candidate of every contract field the scorer ranks, found by the patterns over ``dt``."""
    candidates: list[Candidate] = list(governing_law_candidates(dt))
    candidates += date_candidates(dt, day_first=_day_first(ctx, candidates, dt.text))
    candidates += duration_candidates(dt)
    candidates += value_candidates(dt)
    candidates += party_candidates(dt)
    return candidates


def _currency(dt: DocText, value: FieldValue) -> FieldValue:
    """The currency of the contract value, from the symbol or code printed before it ("€", "USD", "US$").

    It is right exactly when the value was read from the right place, so it carries the value's confidence, page
    and box; a contract without a value has no currency either (the value's confidence of being absent).
    """
    code = money_currency(value.text) if value.value is not None and value.text else None
    if code is None:
        note = ("not found: no contract value",) if value.value is None else ("not found: no currency printed",)
        confidence = value.confidence if value.value is None else 0.0
        return FieldValue("currency", None, confidence=confidence, evidence=note)
    return FieldValue(
        name="currency",
        value=code,
        text=value.text,
        confidence=value.confidence,
        page=value.page,
        bbox_pt=value.bbox_pt,
        evidence=("printed with the contract value",),
        token_ids=value.token_ids,
        source=value.source,
    )


def _day_first(ctx: ExtractionContext, law: Sequence[Candidate], text: str) -> bool:
    """The default order for numeric dates the document itself leaves open ("03/05/2023"): from the language
    hint if given, else day first unless the governing law is a US state's; where no law is named, month first
    only if a party is American (a state and ZIP code in an address, "a Delaware corporation") and no European
    IBAN or VAT id is printed."""
    if ctx.language_hint:
        return not str(ctx.language_hint).lower().replace("_", "-").startswith(("en-us", "us"))
    strong = [c.value for c in law if c.kind in ("governed_by", "governed_by_law")]
    if strong:
        return strong[0] not in US_STATES
    american = bool(_US_CODE_ZIP.search(text) or _US_STATE.search(text))
    return not (american and not EUROPEAN_CODE.search(text))


_STATE = "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in US_STATES)
_US_CODE_ZIP = re.compile(r",\s*(?:" + US_STATE_CODES + r")\s+\d{5}(?:-\d{4})?\b")
"""A state's code and ZIP code anywhere in a line ("Austin, TX 78701, and ...")."""
_US_STATE = re.compile(
    r"\b(?:" + _STATE + r")\s+\d{5}(?:-\d{4})?\b"  # "Austin, Texas 78701"
    r"|\ban?\s+(?:" + _STATE + r")\s+(?:corporation|limited\s+liability\s+company|limited\s+partnership|"
    r"general\s+partnership|statutory\s+trust|banking\s+corporation)\b",  # "a Delaware corporation"
    re.IGNORECASE,
)
"""A US party: its state and ZIP code, or a company organised under a state's law."""


def _group_span(dt: DocText, group: ValueGroup) -> Span:
    """The box of the group's first candidate; for a party list, the union of its names on their main page."""
    first = group.candidates[0]
    if not first.spans:
        return dt.span(first.start, first.end)
    parts = [dt.span(a, b) for a, b in first.spans]
    pages = [p.page for p in parts if p.page is not None]
    if not pages:
        return parts[0]
    page = max(set(pages), key=pages.count)
    on_page = [p for p in parts if p.page == page]
    token_ids = tuple(t for p in on_page for t in p.token_ids)
    box = BBox.union_of(p.bbox_pt for p in on_page if p.bbox_pt is not None)
    text = "; ".join(p.text for p in parts)
    return Span(first.start, first.end, text, page, token_ids, box)


def _evidence(group: ValueGroup) -> tuple[str, ...]:
    notes = list(dict.fromkeys(c.evidence for c in group.candidates))
    if len(group.candidates) > 1:
        notes.append(f"seen {len(group.candidates)} times")
    return tuple(notes)


def _field_value(
    dt: DocText, name: str, groups: Sequence[ValueGroup], min_confidence: float, absent_rate: float
) -> FieldValue:
    best = groups[0] if groups and groups[0].confidence >= min_confidence else None
    rest = groups[1:] if best is not None else groups
    alternatives = []
    for g in rest[:MAX_ALTERNATIVES]:
        span = _group_span(dt, g)
        alternatives.append(Alternative(g.value, span.text, g.confidence, span.page, span.bbox_pt))
    if best is None:
        top = groups[0].confidence if groups else 0.0
        note = ("not found: no candidate",) if not groups else (f"not found: best candidate below {min_confidence}",)
        return FieldValue(
            name, None, confidence=absent_rate * (1.0 - top), alternatives=tuple(alternatives), evidence=note
        )
    span = _group_span(dt, best)
    return FieldValue(
        name=name,
        value=best.value,
        text=span.text,
        confidence=best.confidence,
        page=span.page,
        bbox_pt=span.bbox_pt,
        alternatives=tuple(alternatives),
        evidence=_evidence(best),
        token_ids=span.token_ids,
        source=dt.page(span.page).source if span.page is not None else TokenSource.TEXT_LAYER,
    )
