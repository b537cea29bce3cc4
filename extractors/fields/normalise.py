"""Typed values from printed text: amounts in both decimal conventions, dates, currencies, IBANs, VAT ids, names.

Every parser returns the normalised value as a string (amounts ``"1234.56"``, dates ISO ``YYYY-MM-DD``,
currencies ISO 4217) or ``None`` when the text is not such a value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

CURRENCY_SYMBOLS = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "CHF": "CHF",
    "RM": "MYR",
    "Rs": "INR",
    "Rs.": "INR",
    "US$": "USD",
    "Fr.": "CHF",
    "kr": "SEK",
    "zł": "PLN",
}


def parse_amount(text: str) -> Decimal | None:
    """The amount a printed number stands for, in either decimal convention; ``None`` if it is not one. An amount
    with cents in round brackets is below zero.

    The last separator followed by one, two or four digits is the decimal mark, and so is a last separator
    followed by three digits when another separator precedes it (1.234,567); separators followed by exactly
    three digits are otherwise thousands separators (1,234 and 1.234 both read 1234).
    """
    s = text.strip().replace("−", "-").replace("\u2009", " ").replace("\u202f", " ").replace("\u00a0", " ")
    bracketed = s.startswith("(") and s.endswith(")")
    s = s.strip("() ")
    neg = s.startswith("-") or s.endswith("-")
    s = s.strip("-+ ")
    for sym in sorted(CURRENCY_SYMBOLS, key=len, reverse=True):
        if s.startswith(sym) or s.endswith(sym):
            s = s.removeprefix(sym).removesuffix(sym).strip(" -")
    if len(s) > 3 and re.fullmatch(r"[A-Z]{3}", s[:3]):
        s = s[3:].strip()
    if len(s) > 3 and re.fullmatch(r"[A-Z]{3}", s[-3:]):
        s = s[:-3].strip()
    # in round brackets, with its cents: below zero, as accountants print it ("(595.00)", "(€ 95,00)",
    # "(595.00 EUR)")
    neg = neg or (bracketed and bool(re.search(r"[.,]\d{2}$", s)))
    if not re.fullmatch(r"\d(?:[\d.,' ’]*\d)?", s):
        return None
    seps = [(i, c) for i, c in enumerate(s) if not c.isdigit()]
    if not seps:
        value = Decimal(s)
        return -value if neg else value
    last_i, last_c = seps[-1]
    head, tail = s[:last_i], s[last_i + 1 :]
    head_seps = {c for _, c in seps[:-1]}
    decimal_mark = last_c in ".," and (len(tail) in (1, 2, 4) or (len(tail) == 3 and bool(head_seps)))
    if decimal_mark:
        if last_c in head_seps or len(head_seps) > 1:
            return None
        if head_seps and not re.fullmatch(r"\d{1,3}(?:[.,' ’]\d{3})+", head):
            return None
        value = Decimal(re.sub(r"\D", "", head) + "." + tail)
    elif len(head_seps | {last_c}) == 1 and re.fullmatch(r"\d{1,3}(?:[.,' ’]\d{3})+", s):
        value = Decimal(re.sub(r"\D", "", s))
    else:
        return None
    return -value if neg else value


def format_amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def normalise_amount(text: str) -> str | None:
    value = parse_amount(text)
    return None if value is None else format_amount(value)


# ---- dates -----------------------------------------------------------------------------------------------------

MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan januar janv janvier januari jän jänner",
        "february feb februar fév févr février februari",
        "march mar märz maerz mars mrt maart mär",
        "april apr avril avr",
        "may mai mei",
        "june jun juni juin",
        "july jul juli juillet juil",
        "august aug août aout augustus",
        "september sep sept septembre",
        "october oct okt oktober octobre",
        "november nov novembre",
        "december dec dez dezember décembre déc",
    ],
    start=1,
):
    for _n in _names.split():
        MONTHS[_n] = _num

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
NUMERIC_DATE_RE = re.compile(
    r"(?<![\d.])(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)|(?<![\d.])(\d{1,2})([-./])(\d{1,2})\5(\d{4}|\d{2})(?![\d])"
)
TEXT_DATE_DMY_RE = re.compile(
    rf"(?<!\w)(\d{{1,2}})(?:st|nd|rd|th|er)?\.?[\s-]*({_MONTH_ALT})\.?,?[\s-]*(\d{{4}}|\d{{2}}(?!\s*,\s*\d{{4}}))(?!\w)",
    re.IGNORECASE,
)
TEXT_DATE_MDY_RE = re.compile(
    rf"(?<!\w)()({_MONTH_ALT})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\w)", re.IGNORECASE
)


def _mk_date(y: int, m: int, d: int) -> str | None:
    if y < 100:
        y += 2000 if y < 70 else 1900
    if not 1970 <= y <= 2100:
        return None
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_numeric_date(match: re.Match[str], month_first: bool = False) -> str | None:
    """A date from a NUMERIC_DATE_RE match; ``month_first`` only decides when both readings are possible."""
    if match.group(1):
        return _mk_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    a, b, y = int(match.group(4)), int(match.group(6)), int(match.group(7))
    if a > 12:
        return _mk_date(y, b, a)
    if b > 12:
        return _mk_date(y, a, b)
    return _mk_date(y, a, b) if month_first else _mk_date(y, b, a)


def is_month_first(match: re.Match[str]) -> bool | None:
    """True for an unambiguous month-first date (03/20/2023), False for day-first (20/03/2023), None otherwise."""
    if match.group(1):
        return None
    a, b = int(match.group(4)), int(match.group(6))
    if a > 12 >= b:
        return False
    if b > 12 >= a:
        return True
    return None


@cache
def parse_text_date(text: str, language: str | None = None) -> str | None:
    """A date with a month name ("5 mars 2024", "5. März 2024", "March 5, 2024"), read by dateparser."""
    import dateparser

    languages = [language] if language else ["en", "de", "fr", "nl"]
    parsed = dateparser.parse(
        text,
        languages=languages,
        settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    if parsed is None and language:
        parsed = dateparser.parse(
            text, languages=["en", "de", "fr", "nl"], settings={"REQUIRE_PARTS": ["day", "month", "year"]}
        )
    if parsed is None:
        return None
    return _mk_date(parsed.year, parsed.month, parsed.day)


def find_dates(text: str, month_first: bool = False, language: str | None = None) -> list[tuple[int, int, str]]:
    """Every date in ``text`` as (start, end, ISO date): fast regexes first, dateparser only on month-name spans."""
    found: list[tuple[int, int, str]] = []
    for m in NUMERIC_DATE_RE.finditer(text):
        iso = parse_numeric_date(m, month_first)
        if iso:
            found.append((m.start(), m.end(), iso))
    for m in _text_date_matches(text):
        mon = MONTHS.get(m.group(2).lower())
        day, year = (int(m.group(1)), int(m.group(3))) if m.group(1) else (int(m.group(3)), int(m.group(4)))
        iso = _mk_date(year, mon, day) if mon else None
        if iso is None:
            iso = parse_text_date(m.group(0), language)
        if iso:
            found.append((m.start(), m.end(), iso))
    return _without_overlaps(found)


def _text_date_matches(text: str) -> list[re.Match[str]]:
    matches = list(TEXT_DATE_DMY_RE.finditer(text)) + list(TEXT_DATE_MDY_RE.finditer(text))
    return sorted(matches, key=lambda m: m.start())


def _without_overlaps(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Longest match wins where two readings overlap ("05 Jan 17 2019" is Jan 17 2019)."""
    kept: list[tuple[int, int, str]] = []
    for item in sorted(found, key=lambda f: (-(f[1] - f[0]), f[0])):
        if all(item[1] <= k[0] or item[0] >= k[1] for k in kept):
            kept.append(item)
    return sorted(kept)


def normalise_date(text: str, month_first: bool = False) -> str | None:
    dates = find_dates(text, month_first)
    if dates:
        return dates[0][2]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return text.strip()
    return None


# ---- currencies, IBAN, VAT ---------------------------------------------------------------------------------------


@cache
def currency_names() -> dict[str, str]:
    """Currency names in en/de/fr/nl (from babel) and ISO codes, lower-cased, to ISO 4217 codes."""
    from babel import Locale

    table: dict[str, str] = {}
    for lang in ("en", "de", "fr", "nl"):
        for code, name in Locale.parse(lang).currencies.items():
            if len(code) == 3 and code.isalpha():
                table[name.lower()] = code
                table[code.lower()] = code
    return table


_COMMON = "EUR USD GBP CHF INR MYR JPY CNY SEK NOK DKK PLN CZK HUF CAD AUD SGD HKD"
COMMON_CURRENCIES = frozenset(_COMMON.split())


def normalise_currency(text: str) -> str | None:
    t = text.strip().strip(".:,()")
    if t in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[t]
    if t.upper() in COMMON_CURRENCIES and (t.isupper() or t.lower() == t.lower()):
        return t.upper()
    return currency_names().get(t.lower()) if len(t) > 3 else None


def normalise_iban(text: str) -> str | None:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    compact = re.sub(r"[\s.-]", "", text).upper()
    try:
        return str(IBAN(compact).compact)
    except (SchwiftyException, ValueError):
        return None


def iban_shape(text: str) -> str | None:
    """An IBAN-shaped string (country, check digits, 10-30 alphanumerics) compacted, valid or not."""
    compact = re.sub(r"[\s.-]", "", text).upper()
    return compact if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", compact) else None


def normalise_vat_id(text: str) -> str | None:
    """A compact VAT id when ``text`` is a valid VAT number with its country prefix (python-stdnum's ``vatin``:
    the EU's, and GB, CH, NO and the others it knows), as the review form validates a clerk's entry."""
    from stdnum import vatin

    compact = re.sub(r"[\s.-]", "", text).upper()
    if compact.startswith("CHE"):
        return swiss_uid(compact)
    try:
        if vatin.is_valid(compact):
            return str(vatin.compact(compact))
    except Exception:  # stdnum raises its own ValidationError family and sometimes ValueError
        return None
    return None


_DIGIT_SLIPS = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
"""Letters OCR reads in place of the digits they look like."""
MENDED_SLIPS_AT_MOST = 3


def mended_code(compact: str, normalise: Callable[[str], str | None]) -> str | None:
    """The one valid code that a code OCR read with letters for digits stands for ("FRO7262264492" is
    FR07262264492, "ATUS1199331" is ATU51199331): after the country, each letter that looks like a digit is read
    as it or as the digit, and ``normalise`` (a VAT id's or an IBAN's, None where invalid) checks each reading.
    None where no reading is valid or two different ones are (a short checksum's chance hit), and where more
    than :data:`MENDED_SLIPS_AT_MOST` letters could be digits."""
    head, body = compact[:2], compact[2:]
    spots = [i for i, ch in enumerate(body) if ch in _DIGIT_SLIPS]
    if not spots or len(spots) > MENDED_SLIPS_AT_MOST:
        return None
    found = set()
    for mask in range(1, 2 ** len(spots)):
        chars = list(body)
        for k, i in enumerate(spots):
            if mask >> k & 1:
                chars[i] = _DIGIT_SLIPS[chars[i]]
        valid = normalise(head + "".join(chars))
        if valid:
            found.add(valid)
    return found.pop() if len(found) == 1 else None


_SWISS_VAT_SUFFIX = re.compile(r"(?:MWST|TVA|IVA)$")


def swiss_uid(compact: str) -> str | None:
    """A Swiss VAT number in the form of its enterprise id (``CHE118287126``): Swiss invoices print it with or
    without the language marker of VAT registration ("CHE-118.287.126 MWST", "UID CHE-118.287.126"), which names
    the same number. None unless its check digit holds (python-stdnum's ``ch.uid``)."""
    from stdnum.ch import uid

    number = _SWISS_VAT_SUFFIX.sub("", compact)
    return str(uid.compact(number)) if uid.is_valid(number) else None


def vat_shape(text: str) -> str | None:
    compact = re.sub(r"[\s.-]", "", text).upper()
    return (
        compact if re.fullmatch(r"(?:[A-Z]{2}[0-9A-Z]{8,12}|\d{2}[A-Z]{5}\d{4}[A-Z]\d[A-Z0-9]{2})", compact) else None
    )


# ---- names and free text -------------------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def name_tokens(text: str) -> tuple[str, ...]:
    """Case-, accent- and punctuation-insensitive tokens, for comparing names and addresses."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    return tuple(re.findall(r"[a-z0-9]+", t))


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" :,;")


def normalise_identifier(text: str) -> str:
    return re.sub(r"\s+", "", text).strip(":#.,;()").upper()
