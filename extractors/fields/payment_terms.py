"""Payment terms: the sentence that says when an invoice is to be paid, and the due date it implies.

Many invoices print no due date but terms ("Zahlbar innerhalb 30 Tagen netto", "Payment terms: 14 days net",
"Paiement à 30 jours", "Betaling binnen 30 dagen"), often with an early-payment discount ("3 % Skonto innerhalb
10 Tagen"). The terms are read by their wording: a payment word and a number of days, a "net N" or "on receipt",
on one line, with the discount's line below it joined. The due date they imply is the latest date printed in the
terms ("netto bis 04.07.2018"), or else the invoice date plus the net days (the longest period where a discount
gives a shorter one).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from extractors.document import Document, TokenSource
from extractors.fields.normalise import find_dates, normalise_text
from extractors.fields.receipt_rules import RuleLine, receipt_lines
from extractors.geometry import BBox
from extractors.results import FieldValue

# A payment word; German compounds are written together ("Zahlbarinnerhalb30Tagen"), so no word end is asked. On a
# scan the "l" of "Zahlbar" is often read "i", "1" or "|" ("Zahibar innerhalb von 60 Tagen").
_PAYMENT_WORD = re.compile(
    r"\b(?:payment|payable|pay\s+within|terms\s*:|net\s*\d|due\s+(?:within|(?:up)?on)|zah[l1iI|]bar|zah[l1iI|]ung|"
    r"zah[l1iI|]en|"
    r"überweisen|skonto|fällig\s+innerhalb|paiement|règlement|reglement|échéance|betaling|betaalbaar|betalen|"
    r"te\s+voldoen|over\s+te\s+maken|overmaken)",
    re.IGNORECASE,
)
# Periods that are not about paying: delivery, warranty, returns.
_OTHER_PERIOD = re.compile(
    r"deliver|shipping|dispatch|warranty|guarantee|return|refund|liefer|garantie|gewährleistung|rückgabe|"
    r"livraison|retour|levering",
    re.IGNORECASE,
)
# Words that make a line the terms rather than a passing mention of payment.
_STRONG = re.compile(
    r"terms|bedingungen|zah[l1iI|]ungsziel|netto|\bnet\b|zah[l1iI|]bar|payable|conditions\s+de\s+paiement|modalités|"
    r"betalingsvoorwaarden|betalingstermijn",
    re.IGNORECASE,
)
_DAYS = re.compile(r"(?<![\d.,])(\d{1,3})\)?\s*-?\s*(?:days?|tage|tagen|jours?|dagen|dag)(?![a-z])", re.IGNORECASE)
_WEEKS = re.compile(r"(?<![\d.,])(\d{1,2})\)?\s*-?\s*(?:weeks?|wochen|semaines?|weken)(?![a-z])", re.IGNORECASE)
_MONTH_WORD = r"(?:months?|monat(?:e|en|s)?|mois|maand(?:en)?)(?![a-z])"
_WITHIN = r"(?:within|innerhalb(?:\s+von)?|binnen|à|a|dans\s+(?:un\s+délai\s+de\s+)?|net(?:to)?)"
_MONTHS = re.compile(
    rf"\b{_WITHIN}\s+(\d{{1,2}})\)?\s*{_MONTH_WORD}|(?<![\d.,])(\d{{1,2}})\)?\s*{_MONTH_WORD}\s*(?:net(?:to)?)\b",
    re.IGNORECASE,
)
"""A payment period in calendar months: after "within", "innerhalb", "binnen", "à", "net" ("payable within one
month", "Zahlbar innerhalb 2 Monaten", "à 1 mois", "net 2 months") or before "net" ("2 Monate netto"). A month
in another sense on the line ("Laufzeit 24 Monate", "payment for 3 months of hosting", "once a month") is none."""
_NET_DAYS = re.compile(
    r"\bnet(?:to)?\s*(\d{1,3})\b(?!\s*(?:weeks?|wochen|semaines?|weken|months?|monat|mois|maand))|"
    r"(?<![\d.,])(\d{1,3})\s*-?\s*(?:days?|tage|tagen|jours?|dagen)\s*(?:net|netto)",
    re.IGNORECASE,
)
_ON_RECEIPT = re.compile(
    r"\b(?:on|upon)\s+receipt|\bimmediately|\bsofort|à\s+réception|dès\s+réception|\bonmiddellijk",
    re.IGNORECASE,
)
_THEN_MONTH_END = re.compile(r"fin\s+d[eu]\s+mois|zum\s+monatsende|einde\s+(?:van\s+de\s+)?maand", re.IGNORECASE)
"""The French reading: the period, then on to the end of that month ("45 jours fin de mois")."""
_MONTH_END_FIRST = re.compile(
    r"end\s+of\s+(?:the\s+)?month|\beom\b|nach\s+monatsende|ende\s+des\s+monats|après\s+(?:la\s+)?fin\s+d[eu]\s+mois|"
    r"na\s+(?:het\s+)?einde\s+van\s+de\s+maand",
    re.IGNORECASE,
)
"""The period counted from the end of the invoice's month ("net 30 EOM", "30 Tage nach Monatsende")."""
_FROM_OTHER_DAY = re.compile(
    r"(?:of|from|after|following|nach|ab|seit|après|à\s+compter\s+de|dès|na|vanaf)\s+(?:the\s+|der\s+|de\s+la\s+|la\s+)?"
    r"(?:receipt\s+of\s+(?:the\s+)?(?:goods|invoice|merchandise)|delivery|erhalt|eingang|lieferung|wareneingang|"
    r"leistung|rechnungs(?:erhalt|eingang|zugang)|livraison|réception|levering|ontvangst)",
    re.IGNORECASE,
)
"""A period counted from another day than the invoice's: receipt of the goods or of the invoice, delivery."""
_INVOICE_RECEIPT = re.compile(r"invoice|rechnung|facture|factuur", re.IGNORECASE)
"""Payable on receipt of the invoice: taken as payable on the invoice's date (no period to count)."""
_NOT_TERMS = re.compile(
    r"\b(?:interest|\w*zinsen|intérêts|pénalités?|indemnité|rente|late\s+payment|\w*verzug|retard|mahnung|"
    r"mahngebühr|reminder|rappel)\b",
    re.IGNORECASE,
)
"""Clauses about paying late (interest, reminders, penalties): not the terms."""
_DISCOUNT = re.compile(
    r"skonto|discount|escompte|korting|bei\s+zahlung|if\s+paid|when\s+paid|en\s+cas\s+de\s+paiement|bij\s+betaling",
    re.IGNORECASE,
)
"""An early-payment discount's clause ("3 % Skonto innerhalb 10 Tagen", "bei Zahlung innerhalb 14 Tagen ...")."""
_DUE_LABEL = re.compile(
    r"\b(?:due\s+date|fälligkeit(?:sdatum)?|fällig\s+(?:am|bis|zum)|date\s+d'échéance|vervaldatum)\b", re.IGNORECASE
)
"""A due date's own label: the line is the due date, not the terms."""


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """Terms as printed, where, and what they say about the due date."""

    text: str
    page: int
    token_ids: tuple[int, ...]
    net_days: int | None
    """Days from the invoice date to the due date (0: on receipt); None when the terms give no net period in days
    (only a date, only a discount's period, or months)."""
    dates: tuple[str, ...]
    """ISO dates printed in the terms, a discount's left out."""
    month_end: str = ""
    """"then": the net period runs on to the end of its month ("30 jours fin de mois"); "first": it counts from
    the end of the invoice's month ("net 30 days from end of month", "30 Tage nach Monatsende"); "" neither."""
    from_invoice: bool = True
    """The period counts from the invoice; False where it counts from another day ("after receipt of goods",
    "nach Rechnungserhalt"), which the document does not state: no due date is then worked out."""
    net_months: int | None = None
    """Calendar months from the invoice date to the due date, where the terms give the period in months."""

    @property
    def period(self) -> str | None:
        """The net period in words ("30 days", "1 month", "on receipt"); None where the terms give none."""
        if self.net_days is not None:
            return "on receipt" if self.net_days == 0 else f"{self.net_days} days"
        if self.net_months is not None:
            return f"{self.net_months} month" + ("s" if self.net_months != 1 else "")
        return None

    def due_date(self, invoice_date: str | None) -> str | None:
        """The due date the terms give: their latest date on or after the invoice date, else the invoice date
        plus the net days."""
        issued = _day(invoice_date)
        printed = [d for d in (_day(x) for x in self.dates) if d is not None and (issued is None or d >= issued)]
        if printed:
            return max(printed).isoformat()
        if issued is None or self.period is None or not self.from_invoice:
            return None
        if self.month_end == "first":
            issued = _month_end(issued)
        if self.net_days is not None:
            due = issued + timedelta(days=self.net_days)
        else:  # months counted from a month's end end on one ("1 Monat nach Monatsende": 29 Feb -> 31 Mar)
            assert self.net_months is not None
            due = _months_later(issued, self.net_months)
            if self.month_end == "first":
                due = _month_end(due)
        return (_month_end(due) if self.month_end == "then" else due).isoformat()


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months_later(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or that month's last day where it is shorter (31 January
    plus one month is 28 or 29 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


_NUMBER_WORDS = {
    # the periods terms use, spelled out: English, German, French, Dutch
    "seven": 7, "eight": 8, "ten": 10, "fourteen": 14, "fifteen": 15, "twenty": 20, "twenty-one": 21,
    "twenty-eight": 28, "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90,
    "sieben": 7, "acht": 8, "zehn": 10, "vierzehn": 14, "fünfzehn": 15, "zwanzig": 20, "einundzwanzig": 21,
    "achtundzwanzig": 28, "dreißig": 30, "dreissig": 30, "fünfundvierzig": 45, "sechzig": 60, "neunzig": 90,
    "sept": 7, "huit": 8, "dix": 10, "quatorze": 14, "quinze": 15, "vingt": 20, "vingt et un": 21, "vingt-huit": 28,
    "trente": 30, "quarante-cinq": 45, "soixante": 60, "quatre-vingt-dix": 90,
    "zeven": 7, "tien": 10, "veertien": 14, "vijftien": 15, "twintig": 20, "eenentwintig": 21, "achtentwintig": 28,
    "dertig": 30, "vijfenveertig": 45, "zestig": 60, "negentig": 90,
}  # fmt: skip
_SPELLED = re.compile(
    r"\b(" + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True)) + r")\b"
    r"(?=\s*(?:\(\d{1,3}\)\s*)?(?:days?|tage|tagen|jours?|dagen|weeks?|wochen|semaines?|weken)\b)",
    re.IGNORECASE,
)


_MONTH_WORDS = {
    "one": 1, "a": 1, "two": 2, "three": 3, "einem": 1, "einen": 1, "eines": 1, "zwei": 2, "drei": 3,
    "un": 1, "deux": 2, "trois": 3, "een": 1, "één": 1, "twee": 2, "drie": 3,
}  # fmt: skip
_SPELLED_MONTHS = re.compile(
    rf"(\b{_WITHIN}\s+)(" + "|".join(sorted((re.escape(w) for w in _MONTH_WORDS), key=len, reverse=True)) + r")\s+"
    r"(?=(?:\(\d{1,2}\)\s*)?(?:months?|monat(?:e|en|s)?|mois|maand(?:en)?)\b)",
    re.IGNORECASE,
)
"""A number of months spelled out after "within" and its like ("within one month", "innerhalb eines Monats")."""


def _in_digits(text: str) -> str:
    """Periods spelled out in figures ("thirty days" -> "30 days", "eines Monats" -> "1 Monats"); "thirty (30)
    days" keeps its figure."""
    text = _SPELLED.sub(
        lambda m: m.group(0) if re.match(r"\s*\(", text[m.end() :]) else str(_NUMBER_WORDS[m.group(1).lower()]), text
    )
    return _SPELLED_MONTHS.sub(
        lambda m: (
            m.group(0) if re.match(r"\s*\(", text[m.end() :]) else f"{m.group(1)}{_MONTH_WORDS[m.group(2).lower()]} "
        ),
        text,
    )


def _on_time(text: str) -> str:
    """The text without its remarks in brackets and its clauses about paying late, periods in figures."""
    return " ; ".join(c for c in _CLAUSE.split(_in_digits(_ASIDE.sub(" ", text))) if not _NOT_TERMS.search(c))


def _is_terms(text: str) -> bool:
    text = _on_time(text)
    if not _PAYMENT_WORD.search(text) or _DUE_LABEL.search(text):
        return False
    if _OTHER_PERIOD.search(_FROM_OTHER_DAY.sub(" ", text)):  # "Delivery within 5 days", not "30 days of delivery"
        return False
    return bool(
        _DAYS.search(text)
        or _WEEKS.search(text)
        or _MONTHS.search(text)
        or _NET_DAYS.search(text)
        or _ON_RECEIPT.search(text)
    )


_CLAUSE = re.compile(
    r";|\.\s+|,\s+|(?<=\d{4}),|\s+(?:and|und|et|en)\s+(?=\d)|\s+(?:or|oder|ou)\s+|\s+of\s+(?=binnen|\d)|"
    r"\s+(?=\d+(?:[.,]\d+)?\s*%\s*(?:skonto|discount|escompte|korting))",
    re.IGNORECASE,
)
"""Where terms split into clauses: the net period, then the discount ("..., 3 % Skonto innerhalb 10 Tagen")."""


_ASIDE = re.compile(r"\([^)]*[^\W\d_][^)]*\)")
"""A remark in brackets ("(Verzugszinsen 9 % über dem Basiszins)"): no part of the terms' period."""
_DUE_ON = re.compile(
    r"(?:bis|\bby|\buntil|\bbefore|\bavant|\btard\s+le|\bpayer\s+le|\buiterlijk|\btot|\bdue(?:\s+on)?|"
    r"\bpayable\s+on|fällig\s+am|\béchéance\s+le)\W{0,3}$",
    re.IGNORECASE,
)
"""What comes right before the date the terms say payment is due by ("netto bis 04.07.2018"), not a date they
count from ("ab Rechnungsdatum 05.03.2024")."""


def _net_clauses(text: str) -> list[str]:
    """The clauses that are not about an early-payment discount."""
    plain = _ASIDE.sub(" ", text)
    return [c for c in _CLAUSE.split(plain) if c.strip() and not _DISCOUNT.search(c) and "%" not in c]


def _due_dates(clause: str) -> list[str]:
    return [iso for start, _, iso in find_dates(clause) if _DUE_ON.search(clause[max(0, start - 16) : start])]


def _net_period(clauses: Sequence[str]) -> tuple[int | None, int | None]:
    """The net period as (days, months), one of them set: a period marked net first, else the longest period,
    else none at all where payment is due on receipt (0 days)."""
    text = " ".join(clauses)
    months = [int(next(g for g in m.groups() if g)) for m in _MONTHS.finditer(text)]
    net = [int(next(g for g in m.groups() if g)) for m in _NET_DAYS.finditer(text)]
    net_months = [int(next(g for g in m.groups() if g)) for m in _MONTHS.finditer(text) if "net" in m.group(0).lower()]
    if net or net_months:
        return _longer(net, net_months)
    days = [int(m.group(1)) for m in _DAYS.finditer(text)] + [7 * int(m.group(1)) for m in _WEEKS.finditer(text)]
    if days or months:
        return _longer(days, months)
    return (0, None) if _ON_RECEIPT.search(text) else (None, None)


def _longer(days: Sequence[int], months: Sequence[int]) -> tuple[int | None, int | None]:
    """The longer of the longest period in days and the longest in months (a month taken as 30 days)."""
    if months and (not days or 30 * max(months) > max(days)):
        return None, max(months)
    return max(days), None


_LABEL_ALONE = re.compile(
    r"^\W*(?:payment\s+terms|terms\s+of\s+payment|terms|zahlungsbedingungen|zahlungsziel|conditions\s+de\s+paiement|"
    r"modalités\s+de\s+paiement|betalingsvoorwaarden|betalingstermijn)\W*$",
    re.IGNORECASE,
)
"""The terms' label on a line of its own, the terms on the next ("Zahlungsbedingungen:" / "14 Tage netto")."""


def _under_label(lines: Sequence[RuleLine], k: int) -> bool:
    if k == 0 or lines[k - 1].page != lines[k].page or not _LABEL_ALONE.match(lines[k - 1].text):
        return False
    return _is_terms(f"payment {lines[k].text}")


def find_terms(lines: Sequence[RuleLine]) -> PaymentTerms | None:
    """The line that states payment terms (one under a terms label or that names them as terms first, else the
    first), with the next line when it goes on with the discount."""
    labelled = [k for k in range(len(lines)) if _under_label(lines, k)]
    found = labelled or [k for k, ln in enumerate(lines) if _is_terms(ln.text)]
    if not found:
        return None
    k = next((k for k in found if _STRONG.search(lines[k].text)), found[0])
    ln = lines[k]
    parts = [ln]
    nxt = lines[k + 1] if k + 1 < len(lines) else None
    if nxt is not None and nxt.page == ln.page and _DISCOUNT.search(nxt.text) and _DAYS.search(nxt.text):
        parts.append(nxt)
    text = normalise_text(" ".join(p.text for p in parts))
    clauses = _net_clauses(_on_time("; ".join(p.text for p in parts)))
    dates = tuple(iso for c in clauses for iso in _due_dates(c))
    ids = tuple(i for p in parts for i in p.token_ids)
    joined = " ".join(clauses)
    month_end = "first" if _MONTH_END_FIRST.search(joined) else "then" if _THEN_MONTH_END.search(joined) else ""
    net_days, net_months = _net_period(clauses)
    other = _FROM_OTHER_DAY.search(joined)
    from_invoice = other is None or (net_days == 0 and bool(_INVOICE_RECEIPT.search(other.group(0) + joined)))
    return PaymentTerms(text, ln.page, ids, net_days, dates, month_end, from_invoice, net_months)


MONTH_SLACK_DAYS = 3
"""How far a printed due date may lie from the one terms in months give: billing systems often count a month as
30 days (one month from 31 January: 28 February by the calendar, 2 March by 30 days)."""


def agrees_with_terms(terms: str, invoice_date: str | None, due_date: str) -> str | None:
    """None where ``due_date`` is the one terms as stored (one line of text) give for ``invoice_date`` (or they
    give none), else the date they give. Terms in months allow :data:`MONTH_SLACK_DAYS` either side."""
    found = find_terms([RuleLine("Payment terms:", 0, (), 1.0), RuleLine(terms, 0, (), 1.0)])
    implied = found.due_date(invoice_date) if found is not None else None
    if found is None or implied is None or implied == due_date:
        return None
    printed, wanted = _day(due_date), _day(implied)
    near = printed is not None and wanted is not None and abs((printed - wanted).days) <= MONTH_SLACK_DAYS
    return None if found.net_months is not None and near else implied


def payment_terms(doc: Document) -> PaymentTerms | None:
    """The document's payment terms, if it states any."""
    return find_terms(receipt_lines(doc))


TERMS_CONFIDENCE = 0.92
"""The confidence of terms found by their wording (a rule, not a fitted scorer): of the terms it found on the
generated invoices (13) and the zugferd set (36), none was another sentence."""
COUNTED = 0.98
"""A due date counted from the invoice date is as sure as the terms and that date, less a little for the reading
of the period: of 41 due dates worked out on generated invoices (seeds 3 and 7), 41 were right."""
FROM_TERMS = "from the payment terms"
"""Evidence of a due date worked out from the payment terms rather than printed as one."""


def merge_payment_terms(doc: Document, fields: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    """``fields`` with the payment terms the document states, and the due date they imply where none is printed."""
    out = dict(fields)
    terms = payment_terms(doc)
    if terms is not None and not 0 <= terms.page < len(doc.pages):
        terms = None
    picked = out.get("payment_terms")
    if picked is not None and terms is not None:
        out["payment_terms"] = _terms_value(doc, terms)
    elif picked is not None and picked.found and not _is_terms(f"payment {picked.value}"):
        # the scorer's pick stands only where it states a period ("Zahlungsziel" / "14 Tage netto"); a line
        # where terms stood on the vendor's earlier invoice ("Vielen Dank für Ihren Auftrag.") is none
        absent = 0.5  # whether the document prints terms the wording rule did not read is not known
        out["payment_terms"] = FieldValue("payment_terms", None, confidence=absent, alternatives=picked.alternatives)
    due = out.get("due_date")
    if terms is None or due is None or due.found:
        return out
    issued = out.get("invoice_date")
    issued_on = issued.value if issued is not None and isinstance(issued.value, str) else None
    when = terms.due_date(issued_on)
    if when is None:
        return out
    shown = _terms_value(doc, terms)
    if terms.dates and when in terms.dates:
        confidence, why = TERMS_CONFIDENCE, f"{FROM_TERMS}: the date they name"
    else:
        assert issued is not None and terms.period is not None
        confidence = min(TERMS_CONFIDENCE, issued.confidence) * COUNTED
        period = "on receipt" if terms.net_days == 0 else f"{terms.period} after the invoice date"
        why = f"{FROM_TERMS}: {period}" + (", to the end of that month" if terms.month_end else "")
    out["due_date"] = replace(shown, name="due_date", value=when, confidence=confidence, evidence=(why,))
    return out


def _terms_value(doc: Document, terms: PaymentTerms) -> FieldValue:
    page = doc.pages[terms.page]
    boxes = [page.tokens[i].bbox_pt for i in terms.token_ids if 0 <= i < len(page.tokens)]
    return FieldValue(
        "payment_terms",
        terms.text,
        terms.text,
        TERMS_CONFIDENCE,
        terms.page if boxes else None,
        BBox.union_of(boxes) if boxes else None,
        (),
        ("payment wording",),
        TokenSource.OCR if page.source == TokenSource.OCR else TokenSource.TEXT_LAYER,
        terms.token_ids,
    )
