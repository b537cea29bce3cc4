"""Field value types: check and normalise what a clerk types (``"05.03.2024"`` -> ``2024-03-05``).

Types come from the field schemas in ``resources/schemas/<doc_type>.toml``; line-item columns have their own.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from idp_app.errors import InvalidValueError

RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"

LINE_ITEM_TYPES = {
    "article_number": "text",
    "description": "text",
    "quantity": "number",
    "unit_price": "amount",
    "amount": "amount",
    "tax_rate": "percent",
}


def schema_types(doc_type: str) -> dict[str, tuple[str, bool]]:
    """Field name -> (value type, required) for a document type; empty if it has no schema. Read as extraction
    reads it (:func:`extractors.fields.schema.load_schema`: checked, a byte-order mark passed over)."""
    from extractors.fields import schema

    if not (schema.SCHEMA_DIR / f"{doc_type}.toml").is_file():
        return {}
    return {f.name: (str(f.value_type), f.required) for f in schema.load_schema(doc_type).fields}


def field_type(doc_type: str | None, name: str, line_item: bool = False) -> str:
    if line_item:
        return LINE_ITEM_TYPES.get(name, "text")
    return schema_types(doc_type or "invoice").get(name, ("text", False))[0]


_AMOUNT_CHARS = re.compile(r"^[+-]?[\d\s.,'’]+$")
_AMBIGUOUS_AMOUNT = re.compile(
    r"[+-]?\s*(?:[€$£¥]|[A-Z]{3})?\s*[+-]?\s*[1-9]\d{0,2}[.,]\d{3}\s*-?\s*(?:[€$£¥]|[A-Z]{3})?"
)
"""One separator and three digits after it ("45.000 €", "1,250", a litre at "1,789"): thousands in one convention,
decimals in the other. A clerk's amount in this form is refused and the two readings are named; "0,125" is not
ambiguous."""
_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF"}


_MONEY_CODE = re.compile(r"^\s*-?\s*([A-Z]{3}|[€$£¥]|kr)(?![A-Za-z])|(?:\d|\s)([A-Z]{3}|[€$£¥]|kr)\.?\s*-?\s*$")
_SIGNS = {
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}),
    "¥": frozenset({"JPY", "CNY"}),
    "kr": frozenset({"SEK", "NOK", "DKK", "ISK"}),
}


def typed_currency(text: str | None) -> frozenset[str]:
    """The currencies an amount may be typed in ("CHF 67,700.00", "12,50 €", "$ 20" in any of the dollars); empty
    where it names none (three capitals that are no ISO 4217 code, such as "TTC", name none)."""
    m = _MONEY_CODE.search(text or "")
    if m is None:
        return frozenset()
    sign = m.group(1) or m.group(2)
    if sign in _SIGNS:
        return _SIGNS[sign]
    return frozenset({sign}) if is_currency_code(sign) else frozenset()


def is_currency_code(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency code (babel's list)."""
    from babel.numbers import get_currency_name

    return bool(re.fullmatch(r"[A-Z]{3}", code)) and get_currency_name(code, locale="en") != code


def parse_amount(text: str) -> Decimal:
    """A Decimal from ``1.234,56``, ``1,234.56``, ``1 234,56``, ``-12.5``, with an optional currency sign; below zero
    also as accountants write it: ``(8.00)``, ``8.00-``, and with a typographic minus ``−8,00``."""
    s = text.strip().replace("\u2212", "-")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        s, negative = s[1:-1].strip(), True
    elif s.endswith("-") and not s.startswith("-"):
        s, negative = s[:-1].strip(), True
    if s.startswith("-") and negative:
        raise InvalidValueError(f"{text!r} is not an amount")
    try:
        value = _plain_amount(s)
    except InvalidValueError as exc:
        raise InvalidValueError(str(exc).replace(repr(s), repr(text), 1)) from None
    return -value if negative else value


def _plain_amount(text: str) -> Decimal:
    s = text.strip()
    for sign, code in _CURRENCY_SIGNS.items():
        s = s.replace(sign, "").replace(code, "")
    s = re.sub(r"\b[A-Z]{3}\b", "", s).strip()
    if not s or not _AMOUNT_CHARS.match(s):
        raise InvalidValueError(f"{text!r} is not an amount")
    spaced = s
    s = re.sub(r"[\s'’]", "", s)
    last_dot, last_comma = s.rfind("."), s.rfind(",")
    decimal_sep = "." if last_dot > last_comma else ","
    if decimal_sep == "," and last_comma >= 0 and len(s) - last_comma - 1 == 3 and last_dot < 0 and s.count(",") > 1:
        decimal_sep = "."  # 1,234,567 has no decimals
    if (
        decimal_sep == ","
        and s.count(",") == 1
        and len(s) - last_comma - 1 == 3
        and "." not in s
        and not re.match(r"[+-]?0,", s)
    ):
        decimal_sep = "."  # 1,234 reads as a thousands separator (0,125 cannot)
    if decimal_sep == "." and s.count(".") > 1 and "," not in s:
        decimal_sep = ","  # 1.234.567 has no decimals (one dot, as in 1.789, is a decimal point)
    thousands = "," if decimal_sep == "." else "."
    _check_groups(text, spaced, decimal_sep, thousands)
    s = s.replace(thousands, "").replace(decimal_sep, ".")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise InvalidValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise InvalidValueError(f"{text!r} is not an amount")
    return value


def _check_groups(text: str, spaced: str, decimal_sep: str, thousands: str) -> None:
    """Refuse digits grouped as no amount is printed ("1.234.56", "0.1.5", "1 2 3 4"): a typing slip that would
    otherwise be read as another amount, a hundred times the one meant. Groups of thousands are three digits after
    the first, which has one to three; a decimal separator comes once."""
    body = spaced.lstrip("+-").strip()
    if body.count(decimal_sep) > 1:
        raise InvalidValueError(f"{text!r} is not an amount: {decimal_sep!r} twice as a decimal separator")
    whole = body.rsplit(decimal_sep, 1)[0] if decimal_sep in body else body
    groups = [g for g in re.split(r"[\s'’" + re.escape(thousands) + "]+", whole.strip())]
    western = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    # India's lakh and crore: the last group three digits, those before it two (1,23,45,678.90)
    indian = 1 <= len(groups[0]) <= 2 and all(len(g) == 2 for g in groups[1:-1]) and len(groups[-1]) == 3
    if len(groups) > 1 and (not (western or indian) or not all(g.isdigit() for g in groups)):
        raise InvalidValueError(
            f"{text!r} is not an amount: thousands are grouped by three digits (1.234.567,89 or 1,234,567.89)"
        )


INVISIBLE = frozenset("\u200b\u00ad\ufeff\u2060")
"""Invisible marks a value pasted from a page or a mail may carry (a zero-width space, a soft hyphen, a byte-order
mark, a word joiner): dropped. The joiners that shape letters in some scripts (U+200C, U+200D) are kept."""
MAX_AMOUNT = Decimal("1e15")
"""No document states an amount of a thousand million million or more: a key held down, or digits pasted twice."""
MAX_CHARS = {"name": 300, "party_list": 1000, "address": 500, "text": 300}
"""The longest value a clerk may type per value type (a company's name, an address); others are codes and numbers,
limited by their form."""


YEARS = range(1900, 2200)
"""Years a document's date can have: "9999-12-31" (a placeholder for "never") or "0024" is a typing slip."""


def parse_date(text: str) -> date:
    d = _parse_date(text)
    if d.year not in YEARS:
        raise InvalidValueError(f"{text!r} is not a plausible date: the year {d.year} is not between 1900 and 2199")
    return d


_TWO_WAYS = re.compile(r"(?P<a>\d{1,2})[/-](?P<b>\d{1,2})[/-](?P<y>\d{4}|\d{2})")
"""A date with slashes or dashes whose day and month could be either number (03/05/2024): British or American.
Dots are read day first, as in German, French and Dutch."""


def _parse_date(text: str) -> date:
    import dateparser

    s = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        try:
            return date.fromisoformat(s)
        except ValueError:
            raise InvalidValueError(f"{text!r} is not a date") from None
    if not re.search(r"\d", s):
        raise InvalidValueError(f"{text!r} is not a date")
    if (m := _TWO_WAYS.fullmatch(s)) and m["a"] != m["b"] and int(m["a"]) <= 12 and int(m["b"]) <= 12:
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        try:
            first, second = date(year, int(m["b"]), int(m["a"])), date(year, int(m["a"]), int(m["b"]))
        except ValueError:
            raise InvalidValueError(f"{text!r} is not a date") from None
        raise InvalidValueError(
            f"{text!r} reads two ways ({first:%-d %B} or {second:%-d %B} {year}): write {first} or {second}"
        )
    parsed = dateparser.parse(
        s,
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": True,
            # a date as printed: not "2 days ago" or "in 3 years", which would be read against today's clock
            "PARSERS": ["custom-formats", "absolute-time"],
        },
    )
    if parsed is None:
        raise InvalidValueError(f"{text!r} is not a date")
    return parsed.date()


_UNIT_WORDS = {
    "day": ("tag", "tage", "tagen", "jour", "jours", "dag", "dagen"),
    "business day": ("werktag", "werktage", "werktagen", "arbeitstag", "arbeitstage", "jour ouvré", "jours ouvrés"),
    "week": ("woche", "wochen", "semaine", "semaines", "weken"),
    "month": ("monat", "monate", "monaten", "monats", "mois", "maand", "maanden"),
    "year": ("jahr", "jahre", "jahren", "an", "ans", "année", "années", "jaar", "jaren"),
}
"""Period units in German, French and Dutch, by their English name."""
_FOREIGN_UNIT = {w: unit for unit, words in _UNIT_WORDS.items() for w in words}
_PERIOD = re.compile(
    r"(?P<amount>.+?)\s*(?P<unit>business\s+days?|days?|weeks?|months?|years?|yrs?|"
    + "|".join(re.escape(w) for w in sorted(_FOREIGN_UNIT, key=len, reverse=True))
    + r")\.?",
    re.I,
)
_ISO_PERIOD = re.compile(r"P(?P<amount>\d+)(?P<unit>[YMWD])", re.I)
_ISO_UNIT = {"Y": "years", "M": "months", "W": "weeks", "D": "days"}


def parse_period(text: str) -> str:
    """``"two (2) years"`` -> ``"2 years"``, ``"18 Months"`` -> ``"18 months"``, ``"55.5 months"`` as it is: the
    form contract extraction gives a term or a notice period."""
    from extractors.contracts.normalize import normalize_duration

    iso = _ISO_PERIOD.fullmatch(text.strip())  # ISO 8601, as e-invoices and contract systems write it: P2Y
    m = _PERIOD.fullmatch(f"{iso['amount']} {_ISO_UNIT[iso['unit'].upper()]}" if iso else text.strip())
    if m is None:
        raise InvalidValueError(f"{text!r} is not a period (e.g. 2 years, 30 days, 6 months)")
    amount, unit = m["amount"].strip(), re.sub(r"\s+", " ", m["unit"].lower())
    if unit in _FOREIGN_UNIT:
        unit = _FOREIGN_UNIT[unit] + ("s" if amount not in ("1", "ein", "eine", "einen", "un", "une", "een") else "")
        amount = {"ein": "1", "eine": "1", "einen": "1", "un": "1", "une": "1", "een": "1"}.get(amount, amount)
    if unit == "business days":
        unit = "business day"  # the one plural the duration names do not list
    period = normalize_duration(amount, unit)
    if (
        period is None
        and re.fullmatch(r"\d+\.\d+", amount)
        and float(amount) > 0
        and (whole := normalize_duration("2", unit))
    ):
        period = f"{amount} {whole.split(' ', 1)[1]}"  # a fraction is always plural
    if period is None:
        raise InvalidValueError(f"{text!r} is not a period (e.g. 2 years, 30 days, 6 months)")
    count, unit_name = period.split(" ", 1)
    if float(count) * _DAYS[unit_name.rstrip("s")] > MAX_PERIOD_DAYS:
        raise InvalidValueError(f"{text!r} is not a plausible period: more than 100 years")
    return period


MAX_PERIOD_DAYS = 36525.0
"""The longest term or notice period taken: a hundred years."""
_DAYS = {"day": 1.0, "business day": 1.4, "week": 7.0, "month": 30.4375, "year": 365.25}


PARTY_SEPARATOR = "; "
"""Between the names of a party list as stored, shown and exported (a comma may be part of a name)."""


def normalise(value_type: str, text: str | None) -> str | None:
    """The stored form of ``text`` for ``value_type``; ``None``/blank clears the field.

    Raises :class:`InvalidValueError` with a message a clerk can act on.
    """
    if text is None or not text.strip():
        return None
    # invisible marks pasted with a value are dropped (INVISIBLE); a control character (an escape sequence, a
    # bell, a NUL) is refused
    lines = re.sub(r"\r\n?|[\u2028\u2029\x85]", "\n", text.strip())  # line breaks of every system, as one
    s = "".join(c for c in lines if c not in INVISIBLE).strip()
    if not s:
        return None
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in s):
        raise InvalidValueError(f"{text!r} holds control characters: type the value as printed")
    if "\n" in s and value_type not in ("address", "party_list"):
        raise InvalidValueError(f"{text!r} has a line break: this field is one line")
    limit = MAX_CHARS.get(value_type, 300)
    if len(s) > limit:
        raise InvalidValueError(f"a value of {len(s)} characters is too long for this field (at most {limit})")
    if value_type == "date":
        return parse_date(s).isoformat()
    if value_type == "amount":
        if _AMBIGUOUS_AMOUNT.fullmatch(s):
            digits = re.sub(r"\D", "", s)
            small = Decimal(digits[:-3] + "." + digits[-3:])
            cents = small == small.quantize(Decimal("0.01"))
            exact = f"{small.quantize(Decimal('0.01'))}" if cents else f"{small}0 (three decimals, as a unit price has)"
            raise InvalidValueError(
                f"{text!r} is ambiguous ({int(digits)} or {small.normalize():f}): write {int(digits)}.00 or {exact}"
            )
        value = parse_amount(s)
        if abs(value) >= MAX_AMOUNT:
            raise InvalidValueError(f"{text!r} is not a plausible amount: a thousand million million or more")
        if -int(value.as_tuple().exponent) > 2:  # finite: parse_amount refuses NaN and infinity
            value = value.normalize()  # zeros past the cents say nothing ("12.3400" is 12.34)
        decimals = -int(value.as_tuple().exponent)
        # cents at least; more decimals (a unit price of 0.125) are kept, never rounded away
        return f"{value.quantize(Decimal('0.01')) if decimals < 2 else value:f}"
    if value_type == "percent":
        rate = parse_amount(s.rstrip("%").strip())
        if not 0 <= rate <= 100:
            raise InvalidValueError(f"{text!r} is not a tax rate: a rate is a percentage from 0 to 100")
        return f"{rate.normalize():f}"
    if value_type == "number":
        return f"{parse_amount(s.rstrip('%').strip()).normalize():f}"
    if value_type == "currency":
        code = _CURRENCY_SIGNS.get(s, s.upper())
        if not is_currency_code(code):
            raise InvalidValueError(f"{text!r} is not a currency code (e.g. EUR)")
        return code
    if value_type == "iban":
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            return str(IBAN(s).compact)
        except (SchwiftyException, ValueError) as exc:
            raise InvalidValueError(f"{text!r} is not a valid IBAN: {exc}") from None
    if value_type == "period":
        return parse_period(s)
    if value_type == "party_list":  # names separated by ";", line breaks, or a comma after a legal form
        from extractors.contracts.parties import split_at_company_commas

        pieces = (n for p in re.split(r"[;\n]", s) for n in split_at_company_commas(p))
        names = dict.fromkeys(n for n in (p.strip(" \t,") for p in pieces) if n)
        return PARTY_SEPARATOR.join(names) or None
    if value_type == "vat_id":
        from stdnum import vatin
        from stdnum.exceptions import ValidationError

        compact = re.sub(r"[\s.\-]", "", s).upper()
        if compact.startswith("CHE"):
            from extractors.fields.normalise import swiss_uid

            if (found := swiss_uid(compact)) is None:
                raise InvalidValueError(f"{text!r} is not a valid VAT id: not a Swiss enterprise id (CHE-123.456.789)")
            return found
        try:
            return str(vatin.validate(compact))
        except ValidationError as exc:
            raise InvalidValueError(f"{text!r} is not a valid VAT id: {exc}") from None
    return s


VAT_CHECKED = re.compile(
    r"AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI|GB|CH|NO"
)
"""VAT id prefixes whose form and check digits are judged: the EU's (VIES), the UK's, Switzerland's and Norway's."""


def wrong_code(value_type: str, text: str) -> str | None:
    """Why an IBAN, or a VAT id of a European country, is wrong (check digits, length, form: schwifty,
    python-stdnum), or None. Also None for any other code (a GSTIN, a Malaysian GST number read with its label),
    which is not this check's to judge."""
    compact = re.sub(r"[\s.\-]", "", text).upper()
    if value_type == "iban":
        from schwifty import IBAN
        from schwifty.exceptions import InvalidCountryCode, SchwiftyException

        try:
            IBAN(compact)
        except InvalidCountryCode:
            return None
        except (SchwiftyException, ValueError) as exc:
            return f"IBAN {text} is wrong for its country: {exc}"
        return None
    if value_type == "vat_id":
        from stdnum import vatin
        from stdnum.ch import uid
        from stdnum.exceptions import InvalidComponent, ValidationError

        if not VAT_CHECKED.fullmatch(compact[:2]):
            return None
        if compact.startswith("CHE"):
            compact = re.sub(r"(MWST|TVA|IVA)$", "", compact)
        try:
            (uid if compact.startswith("CHE") else vatin).validate(compact)
        except InvalidComponent:
            return None
        except ValidationError as exc:
            return f"VAT id {text} is wrong for its country: {exc}"
    return None
