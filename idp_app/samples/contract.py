"""Sample contracts of 2 to 8 pages: parties, effective date, term, renewal, notice, governing law, value.

The text is set line by line by :class:`_Typesetter`, so every field's words are drawn (and boxed)
where a reader finds them. A field's words are never split across lines. Filler clauses are added
until the contract reaches the page count its spec asks for.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from idp_app.samples.canvas import BLACK, RecordingCanvas, text_width
from idp_app.samples.formatting import add_months, format_amount, format_day, period_text, period_value, plain
from idp_app.samples.identity import Party, make_party, person_name
from idp_app.samples.truth import SampleTruth, boxes_from_canvas
from idp_app.samples.vocab import (
    CONTRACT_TITLES,
    COUNTRIES,
    FILLER_CLAUSES,
    FILLER_SENTENCES,
    JOB_TITLES,
    ROLE_PAIRS,
    THIRD_ROLES,
    US_LAWS,
)

PAGE = (612.0, 792.0)
MARGIN = 72.0
CONTRACT_LAYOUTS = {
    "con-01": ("Times-Roman", "Times-Bold", "{n}. {title}"),
    "con-02": ("Helvetica", "Helvetica-Bold", "Clause {n} - {title}"),
    "con-03": ("Courier", "Courier-Bold", "ARTICLE {n}: {upper}"),
}
Segment = tuple[str, str | None]
"""A piece of text and the truth key it is printed for (None for prose)."""


@dataclass(frozen=True, slots=True)
class Period:
    count: int
    unit: str
    words: bool

    @property
    def text(self) -> str:
        return period_text(self.count, self.unit, self.words)

    @property
    def value(self) -> str:
        return period_value(self.count, self.unit)


@dataclass(frozen=True, slots=True)
class ContractSpec:
    layout: str
    title: str
    parties: tuple[Party, ...]
    roles: tuple[str, ...]
    signatories: tuple[tuple[str, str], ...]
    effective_date: dt.date
    date_style: str
    term: Period
    renewal: Period | None
    notice: Period
    law_phrase: str
    law_name: str
    value: Decimal
    currency: str
    value_placement: str
    target_pages: int
    filler_seed: int

    @property
    def expiration_date(self) -> dt.date:
        months = self.term.count * 12 if self.term.unit == "years" else self.term.count
        return add_months(self.effective_date, months) - dt.timedelta(days=1)


def random_contract_spec(rng: random.Random, *, layout: str | None = None, pages: int | None = None) -> ContractSpec:
    """A random contract; ``pages`` (2 to 8) fixes its length."""
    target = pages if pages is not None else rng.randint(2, 8)
    if not 2 <= target <= 8:
        raise ValueError(f"a sample contract has 2 to 8 pages, not {target}")
    codes = [rng.choice(tuple(COUNTRIES)) for _ in range(3 if rng.random() < 0.25 else 2)]
    parties = tuple(make_party(rng, code, with_country_line=True) for code in codes)
    roles = (*rng.choice(ROLE_PAIRS), rng.choice(THIRD_ROLES))[: len(parties)]
    law_country = COUNTRIES[codes[0]]
    law_phrase, law_name = law_country.law_phrase, law_country.law_name
    if codes[0] == "US":
        law_phrase, law_name = rng.choice(US_LAWS)
    elif codes[0] == "DE" and rng.random() < 0.5:
        law_phrase = "the laws of the Federal Republic of Germany"
    term = Period(rng.choice((1, 2, 3, 5)), "years", True) if rng.random() < 0.6 else None
    if term is None:
        term = Period(rng.choice((6, 12, 18, 24, 36, 48)), "months", rng.random() < 0.5)
    renewal = Period(rng.choice((1, 2)), "years", True) if rng.random() < 0.5 else None
    if renewal is None and rng.random() < 0.5:
        renewal = Period(rng.choice((6, 12)), "months", rng.random() < 0.5)
    currency = law_country.currency
    return ContractSpec(
        layout=layout or rng.choice(tuple(CONTRACT_LAYOUTS)),
        title=rng.choice(CONTRACT_TITLES),
        parties=parties,
        roles=roles,
        signatories=tuple((person_name(rng), rng.choice(JOB_TITLES)) for _ in parties),
        effective_date=dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 2900)),
        date_style=rng.choice(("en_us_long", "en_long", "en_long", "dmy_slash", "iso")),
        term=term,
        renewal=renewal,
        notice=Period(rng.choice((30, 60, 90, 90, 180)), "days", rng.random() < 0.6),
        law_phrase=law_phrase,
        law_name=law_name,
        value=Decimal(rng.randint(50, 5000) * 100),
        currency=currency,
        value_placement=rng.choice(("code_before", "symbol_before")),
        target_pages=target,
        filler_seed=rng.randrange(2**31),
    )


def _attached(unit: Segment) -> bool:
    """Punctuation printed right after the previous word, without a space."""
    return unit[1] is None and unit[0] in (".", ",", ";", ":")


class _Typesetter:
    """Sets paragraphs into lines and pages; draws them when given a canvas, otherwise only counts pages."""

    def __init__(self, spec: ContractSpec, rc: RecordingCanvas | None) -> None:
        self.font, self.bold, self.heading = CONTRACT_LAYOUTS[spec.layout]
        self.size = 10.5 if self.font != "Courier" else 9.5
        self.leading = self.size * 1.45
        self.rc = rc
        self.width = PAGE[0] - 2 * MARGIN
        self.bottom = PAGE[1] - MARGIN
        self.page = 0
        self.y = MARGIN

    def _new_page(self) -> None:
        if self.rc is not None:
            self._page_number()
            self.rc.new_page()
        self.page += 1
        self.y = MARGIN

    def _page_number(self) -> None:
        if self.rc is not None:
            self.rc.text(PAGE[0] / 2, PAGE[1] - 36, f"- {self.page + 1} -", self.font, 8, align="center")

    def need(self, height: float) -> None:
        if self.y + height > self.bottom:
            self._new_page()

    def space(self, height: float) -> None:
        self.y += height

    def paragraph(self, segments: list[Segment], *, bold: bool = False, indent: float = 0.0) -> None:
        font = self.bold if bold else self.font
        units: list[Segment] = []
        for text, key in segments:
            if key is None:
                units.extend((word, None) for word in text.split())
            else:
                units.append((text, key))
        space = text_width(" ", font, self.size)
        line: list[Segment] = []
        width = 0.0
        for unit in units:
            gap = 0.0 if _attached(unit) else space
            w = text_width(unit[0], self._font_for(unit, font), self.size)
            if line and width + gap + w > self.width - indent:
                self._line(line, font, indent)
                line, width, gap = [], 0.0, 0.0
            width += (gap if line else 0.0) + w
            line.append(unit)
        if line:
            self._line(line, font, indent)
        self.y += self.leading * 0.5

    def _font_for(self, unit: Segment, font: str) -> str:
        return self.bold if unit[1] is not None and unit[1].startswith("parties.") else font

    def _line(self, units: list[Segment], font: str, indent: float) -> None:
        self.need(self.leading)
        baseline = self.y + self.size
        if self.rc is not None:
            # prose runs joined, fields apart; spaces are drawn as characters so readers split words there
            segments: list[tuple[str, str | None, bool]] = []
            for i, unit in enumerate(units):
                text, key = unit
                space_before = i > 0 and not _attached(unit)
                if key is None and segments and segments[-1][1] is None:
                    prev_text, _, prev_space = segments[-1]
                    segments[-1] = (f"{prev_text}{' ' if space_before else ''}{text}", None, prev_space)
                else:
                    segments.append((text, key, space_before))
            x = MARGIN + indent
            for text, key, space_before in segments:
                if space_before:
                    x = self.rc.text(x, baseline, " ", font, self.size).x1
                x = self.rc.text(x, baseline, text, self._font_for((text, key), font), self.size, key=key).x1
        self.y += self.leading

    def centered(self, text: str, size: float) -> None:
        self.need(size * 1.6)
        if self.rc is not None:
            self.rc.text(PAGE[0] / 2, self.y + size, text, self.bold, size, align="center", color=BLACK)
        self.y += size * 1.8

    def heading_line(self, n: int, title: str) -> None:
        self.need(self.leading * 3)
        self.space(self.leading * 0.4)
        self.paragraph([(self.heading.format(n=n, title=title, upper=title.upper()), None)], bold=True)

    def signature_blocks(self, spec: ContractSpec) -> None:
        col = self.width / 2
        for start in range(0, len(spec.parties), 2):
            self.need(self.leading * 7)
            for i in range(start, min(start + 2, len(spec.parties))):
                x = MARGIN + (i - start) * col
                lines = [spec.parties[i].name, "By: ________________________", f"Name: {spec.signatories[i][0]}",
                         f"Title: {spec.signatories[i][1]}", "Date: ______________"]  # fmt: skip
                if self.rc is not None:
                    for j, text in enumerate(lines):
                        size = self.size if text_width(text, self.bold, self.size) < col - 10 else self.size - 2
                        self.rc.text(x, self.y + self.size + j * self.leading * 1.2, text,
                                     self.bold if j == 0 else self.font, size)  # fmt: skip
            self.y += self.leading * 7

    def finish(self) -> int:
        self._page_number()
        return self.page + 1


def _body(spec: ContractSpec, raw: dict[str, Any], fillers: int) -> list[tuple[str, Any]]:
    """The contract as a list of typesetting steps; ``raw`` receives each field's printed text."""
    rng = random.Random(spec.filler_seed)
    a, b = spec.roles[0], spec.roles[1]
    effective = format_day(spec.effective_date, spec.date_style)
    expiry = format_day(spec.expiration_date, spec.date_style)
    value = format_amount(spec.value, "en", spec.currency, spec.value_placement)
    raw.update(parties=[p.name for p in spec.parties], effective_date=effective, term=spec.term.text,
               expiration_date=expiry, notice_period=spec.notice.text, governing_law=spec.law_phrase,
               contract_value=value, currency=value)  # fmt: skip
    steps: list[tuple[str, Any]] = [("title", spec.title)]
    opening = f'This {spec.title.title()} (the "Agreement") is entered into as of'
    steps.append(("para", [(opening, None), (effective, "effective_date"),
                           ("(the \"Effective Date\") by and between:", None)]))  # fmt: skip
    last = len(spec.parties) - 1
    for i, party in enumerate(spec.parties):
        ending = "." if i == last else "; and" if i == last - 1 else ";"
        steps.append(("para", [(party.name, f"parties.{i}"), (f", a company organised under the laws of "
                      f"{party.country.name}, with its registered office at {party.address} (the \"{spec.roles[i]}\")"
                      f"{ending}", None)]))  # fmt: skip

    def filler(title: str) -> None:
        steps.append(("heading", title))
        for _ in range(rng.randint(1, 3)):
            sentences = [t.format(a=a, b=b) for t in rng.sample(FILLER_SENTENCES, rng.randint(2, 4))]
            steps.append(("para", [(" ".join(sentences), None)]))

    filler_titles = list(FILLER_CLAUSES)
    rng.shuffle(filler_titles)
    filler(filler_titles.pop())
    steps.append(("heading", "Term"))
    steps.append(("para", [("This Agreement shall commence on the Effective Date and shall continue for a period of",
                            None), (spec.term.text, "term"), ("(the \"Initial Term\") and, unless renewed, shall "
                            "expire on", None), (expiry, "expiration_date"), (".", None)]))  # fmt: skip
    if spec.renewal is not None:
        raw["renewal_term"] = spec.renewal.text
        steps.append(("para", [("Thereafter this Agreement shall renew automatically for successive periods of", None),
                               (spec.renewal.text, "renewal_term"), ("each, unless either Party gives written notice "
                               "of non-renewal at least", None), (spec.notice.text, "notice_period"),
                               ("before the end of the then current term.", None)]))  # fmt: skip
    else:
        steps.append(("para", [("Either Party may terminate this Agreement for convenience by giving not less than",
                                None), (spec.notice.text, "notice_period"), ("prior written notice to the other "
                                "Party.", None)]))  # fmt: skip
    steps.append(("heading", "Fees and Payment"))
    steps.append(("para", [(f"In consideration of the obligations of the {a}, the {b} shall pay a total contract value "
                            "of", None), (value, "contract_value"), ("exclusive of VAT, payable in instalments against "
                            "invoices issued by the", None), (f"{a}.", None)]))  # fmt: skip
    for _ in range(fillers):
        filler(filler_titles.pop() if filler_titles else "Miscellaneous")
    steps.append(("heading", "Governing Law"))
    steps.append(("para", [("This Agreement and any dispute arising out of it shall be governed by and construed in "
                            "accordance with", None), (spec.law_phrase, "governing_law"), (".", None)]))  # fmt: skip
    steps.append(("para", [("IN WITNESS WHEREOF, the Parties have executed this Agreement by their duly authorised "
                            "representatives as of the Effective Date.", None)]))  # fmt: skip
    steps.append(("signatures", None))
    return steps


def _typeset(spec: ContractSpec, steps: list[tuple[str, Any]], rc: RecordingCanvas | None) -> int:
    ts = _Typesetter(spec, rc)
    clause = 0
    for kind, arg in steps:
        if kind == "title":
            ts.centered(arg, 15)
            ts.space(8)
        elif kind == "heading":
            clause += 1
            ts.heading_line(clause, arg)
        elif kind == "para":
            ts.paragraph(arg)
        else:
            ts.space(10)
            ts.signature_blocks(spec)
    return ts.finish()


def render_contract(
    spec: ContractSpec, *, doc_id: str, file: str, seed: int | None = None
) -> tuple[bytes, SampleTruth]:
    """The PDF bytes of ``spec`` (exactly ``spec.target_pages`` pages) and its truth."""
    # the fewest filler clauses that reach the page count (pages grow with fillers): a binary search
    low, high = 0, 64
    while low < high:
        mid = (low + high) // 2
        if _typeset(spec, _body(spec, {}, mid), None) >= spec.target_pages:
            high = mid
        else:
            low = mid + 1
    raw: dict[str, Any] = {}
    steps = _body(spec, raw, low)
    rc = RecordingCanvas(*PAGE, title=spec.title.title())
    pages = _typeset(spec, steps, rc)
    pdf = rc.finish()
    fields: dict[str, Any] = {
        "parties": [p.name for p in spec.parties],
        "effective_date": spec.effective_date.isoformat(),
        "governing_law": spec.law_name,
        "term": spec.term.value,
        "expiration_date": spec.expiration_date.isoformat(),
        "notice_period": spec.notice.value,
        "contract_value": plain(spec.value),
        "currency": spec.currency,
    }
    if spec.renewal is not None:
        fields["renewal_term"] = spec.renewal.value
    ordered = ("parties", "effective_date", "governing_law", "term", "expiration_date", "renewal_term",
               "notice_period", "contract_value", "currency")  # fmt: skip
    return pdf, SampleTruth(
        id=doc_id,
        file=file,
        type="contract",
        fields={k: fields[k] for k in ordered if k in fields},
        fields_raw={k: raw[k] for k in ordered if k in raw},
        line_items=[],
        boxes=boxes_from_canvas(rc.boxes, raw, []),
        layout=spec.layout,
        language="en",
        pages=pages,
        page_size_pt=PAGE,
        seed=seed,
    )
