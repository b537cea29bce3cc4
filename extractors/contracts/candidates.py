"""Candidate generation for the single-valued contract fields: patterns over the document text.

Each pattern names its kind; the kind, where the match sits and how often the same value recurs are the
features the scorer weighs (:mod:`extractors.contracts.scoring`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from extractors.contracts.normalize import (
    DATE_RE,
    JURISDICTION_RE,
    NUMBER_WORD,
    normalize_duration,
    normalize_jurisdiction,
    parse_date_match,
)
from extractors.contracts.text import DocText
from extractors.fields.normalise import normalise_currency


@dataclass(slots=True)
class Candidate:
    """A span of text that could be a field's value, with the pattern that proposed it."""

    name: str
    value: str | tuple[str, ...]
    start: int
    end: int
    kind: str
    evidence: str
    features: dict[str, float] = field(default_factory=dict)
    spans: tuple[tuple[int, int], ...] = ()
    """For several values (parties), the span of each."""


_WS = r"[\s\f]+"
_AMOUNT = NUMBER_WORD + r"(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?|\d+(?:\.\d+)?(?:\s*\(\s*\d+\s*\))?"
DURATION_RE = re.compile(
    r"\b(?P<amount>" + _AMOUNT + r")[\s-]*(?:\(\s*\d+\s*\)\s*)?(?:calendar\s+|full\s+|consecutive\s+)?"
    r"(?P<unit>years?|months?|weeks?|business\s+days?|days?)\b",
    re.IGNORECASE,
)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(" ", _WS), re.IGNORECASE)


# governing law --------------------------------------------------------------------------------------------------
_LAW_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("governed_by", "label: 'governed by the laws of'",
     _rx(r"(?:governed|construed|interpreted|enforced|determined|resolved|accordance with)\b[^.;]{0,160}?\blaws?"
         r"(?: \([^()]{0,80}\))?(?: and [\w ]{1,30}?)? of"
         r"(?: the)?(?: (?:State|Commonwealth) of)?[\s\f]*")),
    ("governed_by_law", "label: 'governed by ... law'",
     _rx(r"(?:governed|construed|interpreted)\b[^.;]{0,60}?\bby(?: and in accordance with)?(?: the)?(?: internal)? ")),
    ("laws_of", "label: 'laws of'", _rx(r"\blaws? of(?: the)?(?: (?:State|Commonwealth) of)?[\s\f]*")),
    ("courts_of", "label: 'courts of'",
     _rx(r"\b(?:courts?|jurisdiction|venue)\b[^.;]{0,80}?\b(?:of|in)(?: the)?(?: (?:State|Commonwealth) of)?"
         r"[\s\f]*")),
)  # fmt: skip


LAW_ADJECTIVES = {
    "german": "Germany", "french": "France", "english": "England and Wales", "swiss": "Switzerland",
    "austrian": "Austria", "dutch": "Netherlands", "belgian": "Belgium", "irish": "Ireland", "italian": "Italy",
    "spanish": "Spain", "swedish": "Sweden", "danish": "Denmark", "norwegian": "Norway", "finnish": "Finland",
    "luxembourg": "Luxembourg", "scottish": "Scotland", "israeli": "Israel", "japanese": "Japan",
}  # fmt: skip
_ADJECTIVE_LAW = re.compile(
    r"(?:governed|construed|interpreted|subject)\b[^.;]{0,80}?\b(" + "|".join(LAW_ADJECTIVES) + r")[\s\f]+law\b",
    re.IGNORECASE,
)


def governing_law_candidates(dt: DocText) -> Iterator[Candidate]:
    text = dt.text
    for m in _ADJECTIVE_LAW.finditer(text):
        yield Candidate(
            "governing_law",
            LAW_ADJECTIVES[m.group(1).lower()],
            m.start(1),
            m.end(1),
            "governed_by_law",
            "label: 'governed by ... law'",
            {},
        )
    for kind, evidence, rx in _LAW_PATTERNS:
        for m in rx.finditer(text):
            j = JURISDICTION_RE.match(text, m.end())
            if not j:
                continue
            if kind == "governed_by_law" and not re.match(r"[\s\f]+law\b", text[j.end() : j.end() + 8], re.I):
                continue
            found = normalize_jurisdiction(j.group(0))
            if found is None:
                continue
            value = found
            # "the laws of the United States and the State of New York": prefer the state that follows
            if value == "United States":
                nxt = re.match(
                    r"[\s\f]+(?:of America[\s\f]+)?and(?: the)?(?: (?:State|Commonwealth) of)?[\s\f]+",
                    text[j.end() :],
                    re.I,
                )
                if nxt:
                    j2 = JURISDICTION_RE.match(text, j.end() + nxt.end())
                    if j2 and normalize_jurisdiction(j2.group(0)):
                        j, value = j2, normalize_jurisdiction(j2.group(0)) or value
            context = text[max(0, m.start() - 200) : m.start()].lower()
            heading = any(h in context for h in ("governing law", "applicable law", "choice of law"))
            yield Candidate(
                "governing_law", value, j.start(), j.end(), kind, evidence, {"near_heading": float(heading)}
            )


# dates ----------------------------------------------------------------------------------------------------------
_DATE_CONTEXT: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("effective_as_of", "pattern: effective as of", _rx(r"effective(?: (?:as of|on|from|date))?(?: the)?[\s\f]*$")),
    ("effective_date_label", "label: 'Effective Date'",
     _rx(r"effective date\W{0,3}(?:shall mean|means|is|of|:)?(?: the)?[\s\f]*$")),
    ("dated_as_of", "pattern: dated as of", _rx(r"\bdated(?: as of| on)?(?: this| the)?[\s\f]*$")),
    ("entered_as_of", "pattern: entered into as of",
     _rx(r"(?:entered into|made|executed|signed)(?: and entered into)?(?: (?:as of|on|this|effective))+"
         r"(?: the)?[\s\f]*$")),
    ("as_of", "pattern: as of", _rx(r"\bas of(?: this| the)?[\s\f]*$")),
    ("executed_this", "pattern: executed this day of",
     _rx(r"(?:executed|signed|agreed|entered into|made)\b[^.;]{0,60}?\b(?:this|on|as of)(?: the)?[\s\f]*$")),
    ("date_label", "label: 'Date:'", _rx(r"\b(?:date|dated|execution date)\s*:?[\s\f]*$")),
)  # fmt: skip
_EXPIRY_CONTEXT: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("expires_on", "pattern: expire on",
     _rx(r"(?:expire|terminate|end)s?(?: automatically)?(?: on| at the close of business on)(?: the)?[\s\f]*$")),
    ("until", "pattern: until", _rx(r"(?:in (?:full )?(?:force|effect)|continue)[^.;]{0,40}\buntil(?: the)?[\s\f]*$")),
    ("expiration_label", "label: 'Expiration Date'",
     _rx(r"(?:expiration|termination) date\W{0,3}(?:shall mean|means|is|:)?(?: the)?[\s\f]*$")),
)  # fmt: skip


def infer_day_first(text: str, default: bool = False) -> bool:
    """Whether the document writes numeric dates day first: any "25/03/2024" says yes, any "03/25/2024" no."""
    votes = [0, 0]
    for m in re.finditer(r"\b(\d{1,2})[/.](\d{1,2})[/.](?:\d{4}|\d{2})\b", text):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            votes[0] += 1
        elif b > 12 >= a:
            votes[1] += 1
    if votes[0] != votes[1]:
        return votes[0] > votes[1]
    return default


def date_candidates(dt: DocText, day_first: bool = False) -> Iterator[Candidate]:
    text = dt.text
    day_first = infer_day_first(text, day_first)
    first_page_end = dt.page_starts[1] if len(dt.page_starts) > 1 else len(text)
    last_page_start = dt.page_starts[-1] if dt.page_starts else 0
    for rank, m in enumerate(DATE_RE.finditer(text)):
        value = parse_date_match(m, day_first)
        if value is None:
            continue
        before = text[max(0, m.start() - 80) : m.start()]
        before_day = re.sub(r"(?i)(?:this|the)?[\s\f]*$", "", before)
        feats = {
            "first_page": float(m.start() < first_page_end),
            "last_page": float(m.start() >= last_page_start and len(dt.page_starts) > 1),
            "top": float(m.start() < 400 and not re.search(r"[a-z,]\s*$", before[-3:])),
            "day_of": float(bool(m.group("dmy_day"))),
            "rank": float(rank),
            "offset": m.start() / max(len(text), 1),
        }
        matched = False
        for kind, evidence, rx in _DATE_CONTEXT:
            if rx.search(before) or rx.search(before_day):
                yield Candidate("effective_date", value, m.start(), m.end(), kind, evidence, dict(feats))
                matched = True
                break
        for kind, evidence, rx in _EXPIRY_CONTEXT:
            if rx.search(before):
                yield Candidate("expiration_date", value, m.start(), m.end(), kind, evidence, dict(feats))
                break
        if not matched:
            yield Candidate("effective_date", value, m.start(), m.end(), "any_date", "pattern: a date", feats)


# durations ------------------------------------------------------------------------------------------------------
_TERM_CONTEXT: tuple[tuple[str, str, str, re.Pattern[str]], ...] = (
    ("notice_period", "notice_of", "pattern: written notice of",
     _rx(r"\bnotice (?:period )?of(?: at least| not less than| no less than)?[\s\f]*$")),
    ("notice_period", "days_notice", "pattern: upon N days' notice",
     _rx(r"(?:upon|with|by giving|on|giving|provide|providing|at least|not less than|no less than)[\s\f]*$")),
    ("renewal_term", "renewal", "pattern: renew for successive periods",
     _rx(r"renew\w*\b[^.;]{0,80}?(?:periods?|terms?) of(?: an? additional)?[\s\f]*$")),
    ("renewal_term", "renewal_term_label", "label: 'Renewal Term'", _rx(r"renewal (?:term|period)[^.;]{0,40}?$")),
    ("term", "term_of_agreement", "label: 'term of this Agreement'",
     _rx(r"\bterm of (?:this|the) (?:agreement|nda)[^.;]{0,60}?$")),
    ("term", "agreement_remains", "pattern: agreement remains in effect for",
     _rx(r"agreement\b[^.;]{0,100}(?:remain|continue|be) (?:in (?:full )?(?:force|effect) )?(?:for|until)"
         r"(?: a (?:period|term) of)?[\s\f]*$")),
    ("term", "agreement_terminates", "pattern: agreement terminates after",
     _rx(r"agreement\b[^.;]{0,60}(?:terminate|expire)s?[^.;]{0,40}?$")),
    ("term", "obligations_expire", "pattern: obligations expire after",
     _rx(r"(?:obligations?|restrictions?|covenants?)\b[^.;]{0,120}(?:expire|terminate|survive|continue)[^.;]{0,50}?$")),
    ("term", "period_of", "pattern: for a period of",
     _rx(r"\b(?:for|during) (?:a|the) (?:period|term) of(?: the)?[\s\f]*$")),
    ("term", "period_from", "pattern: until ... from the date",
     _rx(r"(?:until|through|ending on)(?: the)?[\s\f]*$")),
)  # fmt: skip
_AFTER_NOTICE = re.compile(
    r"[’'`]?s?[\s\f]+(?:prior[\s\f]+|advance[\s\f]+|written[\s\f]+|notice|before[\s\f]+the[\s\f]+(?:end|expir))",
    re.IGNORECASE,
)
_DEFINED_TERM = re.compile(r"[\s\f]*\((?:the[\s\f]+)?[“\"](?:initial[\s\f]+)?term", re.IGNORECASE)
_AFTER_TERM = re.compile(r"[\s\f]*(?:from|after|following|of|commencing|beginning|thereafter|\.|,|;|\))", re.IGNORECASE)


_FROM_DATE = re.compile(
    r"[\s\f]*(?:\(\d+\)[\s\f]*)?(?:from|after|following|of)[\s\f]+(?:the[\s\f]+)?(?:date[\s\f]+(?:hereof|of[\s\f]+(?:this|the))|"
    r"effective[\s\f]+date|execution|signing|closing|commencement)",
    re.IGNORECASE,
)


def duration_candidates(dt: DocText) -> Iterator[Candidate]:
    text = dt.text
    for m in DURATION_RE.finditer(text):
        value = normalize_duration(m.group("amount"), m.group("unit"))
        if value is None:
            continue
        before = text[max(0, m.start() - 160) : m.start()]
        after = text[m.end() : m.end() + 60]
        from_date = bool(_FROM_DATE.match(after))
        feats = {
            "offset": m.start() / max(len(text), 1),
            "after_ok": float(bool(_AFTER_TERM.match(after))),
            "from_date": float(from_date),
            "mentions_term": float(bool(re.search(r"\bterm\b", before[-80:], re.I))),
            "confidential": float(bool(re.search(r"confiden|non-?disclos|obligation", before, re.I))),
            "unit_days": float("day" in value),
            "defined_term": float(bool(_DEFINED_TERM.match(after))),
        }
        for name, kind, evidence, rx in _TERM_CONTEXT:
            if not rx.search(before):
                continue
            if name == "notice_period" and kind == "days_notice" and not _AFTER_NOTICE.match(after):
                continue
            yield Candidate(name, value, m.start(), m.end(), kind, evidence, dict(feats))
            break
        else:
            if from_date:
                yield Candidate("term", value, m.start(), m.end(), "from_date", "pattern: N years from the date", feats)


# contract value -------------------------------------------------------------------------------------------------
_MONEY_RE = re.compile(
    r"(?:(?P<cur>US\$|USD|\$|EUR|€|£|GBP|CHF)[\s\f]?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+(?:\.\d{2})?)"
    r"(?:[\s\f]+(?P<scale>million|billion|thousand))?)",
    re.IGNORECASE,
)
_VALUE_CONTEXT = _rx(
    r"(?:total|aggregate|maximum|contract|agreement)[^.;]{0,30}?(?:value|price|fees?|amount|consideration|sum)"
    r"[^.;]{0,30}?$|\bnot to exceed[\s\f]*$|\b(?:fee|price|consideration|compensation) of[\s\f]*$"
)
_SCALES = {"thousand": Decimal(1000), "million": Decimal(1_000_000), "billion": Decimal(1_000_000_000)}


def money_currency(text: str) -> str | None:
    """The ISO 4217 code of the currency printed in a money span such as "€295,700.00" or "USD 25,000"."""
    m = _MONEY_RE.search(text)
    return normalise_currency(m.group("cur").upper()) if m else None


def value_candidates(dt: DocText) -> Iterator[Candidate]:
    text = dt.text
    for m in _MONEY_RE.finditer(text):
        if not _VALUE_CONTEXT.search(text[max(0, m.start() - 100) : m.start()]):
            continue
        try:
            amount = Decimal(m.group("num").replace(",", ""))
        except InvalidOperation:
            continue
        if m.group("scale"):
            amount *= _SCALES[m.group("scale").lower()]
        yield Candidate(
            "contract_value", f"{amount:.2f}", m.start(), m.end(), "value_label", "label: 'total value of'",
            {"offset": m.start() / max(len(text), 1)},
        )  # fmt: skip
