"""Normalising contract values: number words, durations, jurisdictions and dates as printed in contracts."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1, "single": 1,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}

NUMBER_WORD = (
    r"(?:(?:" + "|".join(sorted(list(_TENS) + list(_UNITS) + list(_SCALES), key=len, reverse=True)) + r")"
    r"(?:[\s-]+(?:and[\s-]+)?(?:"
    + "|".join(sorted(list(_TENS) + list(_UNITS) + list(_SCALES), key=len, reverse=True))
    + r"))*)"
)
"""A regex fragment matching a run of English number words ("thirty-six", "one hundred and twenty")."""


def words_to_number(text: str) -> int | None:
    """``"thirty-six"`` -> 36, ``"two (2)"`` -> 2, ``"12"`` -> 12; None when ``text`` is no number.

    A digit in parentheses wins over the words before it, because contracts print both and the digits are
    the binding form when they disagree.
    """
    s = text.strip().lower()
    paren = re.search(r"\(\s*(\d+(?:\.\d+)?)\s*\)", s)
    if paren:
        return _int_or_none(paren.group(1))
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return _int_or_none(s)
    words = [w for w in re.split(r"[\s-]+", s) if w and w != "and"]
    if not words:
        return None
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return total + current


def _int_or_none(s: str) -> int | None:
    try:
        value = float(s)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


_UNIT_NAMES = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month"}
_UNIT_NAMES |= {"year": "year", "years": "year", "yr": "year", "yrs": "year", "business day": "business day"}


def normalize_duration(amount: str, unit: str) -> str | None:
    """``("two (2)", "years")`` -> ``"2 years"``; ``("one", "year")`` -> ``"1 year"``."""
    n = words_to_number(amount)
    base = _UNIT_NAMES.get(re.sub(r"\s+", " ", unit.strip().lower()))
    if n is None or base is None or n <= 0:
        return None
    return f"{n} {base}" if n == 1 else f"{n} {base}s"


US_STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming", "District of Columbia",
    "Puerto Rico",
)  # fmt: skip
COUNTRIES = (
    "England and Wales", "Scotland", "Northern Ireland", "Ireland", "Germany", "France", "Switzerland", "Austria",
    "the Netherlands", "Netherlands", "Belgium", "Luxembourg", "Spain", "Italy", "Sweden", "Norway", "Denmark",
    "Finland", "Israel", "Canada", "Ontario", "British Columbia", "Quebec", "Alberta", "Singapore", "Hong Kong",
    "Japan", "China", "India", "Australia", "New South Wales", "Victoria", "Bermuda", "Cayman Islands",
    "British Virgin Islands", "Cyprus", "Russia", "Russian Federation", "Brazil", "Mexico", "South Korea", "Korea",
    "Taiwan", "Poland", "United Kingdom", "United States", "the United States of America", "Hungary",
)  # fmt: skip
_ALIASES = {
    "england": "England and Wales", "england & wales": "England and Wales", "deutschland": "Germany",
    "federal republic of germany": "Germany", "the netherlands": "Netherlands", "new york state": "New York",
    "russian federation": "Russia", "the united states of america": "United States",
    "united states of america": "United States", "u.s.a.": "United States", "usa": "United States",
    "great britain": "United Kingdom", "the united kingdom": "United Kingdom", "republic of korea": "South Korea",
    "commonwealth of massachusetts": "Massachusetts", "commonwealth of pennsylvania": "Pennsylvania",
    "commonwealth of virginia": "Virginia", "commonwealth of kentucky": "Kentucky",
}  # fmt: skip
JURISDICTIONS: tuple[str, ...] = tuple(sorted(set(US_STATES) | set(COUNTRIES) | set(_ALIASES), key=len, reverse=True))
"""Every jurisdiction name recognised in text, longest first so that "West Virginia" wins over "Virginia"."""

JURISDICTION_RE = re.compile(
    r"\b(" + "|".join(re.escape(j).replace(r"\ ", r"\s+") for j in JURISDICTIONS) + r")\b", re.IGNORECASE
)


def normalize_jurisdiction(text: str) -> str | None:
    """``"the State of New York"`` -> ``"New York"``, ``"England"`` -> ``"England and Wales"``; None if unknown."""
    s = re.sub(r"\s+", " ", text.strip()).strip(".,;:")
    s = re.sub(r"(?i)^(the\s+)?(state|commonwealth)\s+of\s+", "", s)
    low = s.lower().removeprefix("the ")
    if low in _ALIASES:
        return _ALIASES[low]
    for name in US_STATES + COUNTRIES:
        if name.lower().removeprefix("the ") == low:
            return name.removeprefix("the ")
    return None


MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"  # noqa: E501
_ORD = r"(?:st|nd|rd|th)?"
DATE_RE = re.compile(
    r"(?P<dmy_day>\d{1,2})"
    + _ORD
    + r"\s+day\s+of\s+(?P<dmy_month>"
    + _MONTH
    + r"),?\s*(?:A\.?D\.?\s*)?(?P<dmy_year>\d{4})"
    r"|(?P<md_month>" + _MONTH + r")\s+(?P<md_day>\d{1,2})" + _ORD + r"\s*,?\s*(?P<md_year>\d{4})"
    r"|(?P<dm_day>\d{1,2})" + _ORD + r"\.?\s+(?P<dm_month>" + _MONTH + r"),?\s+(?P<dm_year>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|(?P<num>\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2}))\b",
    re.IGNORECASE,
)
"""Dates as contracts print them: "February 10, 2017", "6th day of January, 2012", "10 Feb 2017", "1/6/2012"."""


def parse_date_match(m: re.Match[str], day_first: bool = False) -> str | None:
    """The ISO date of a :data:`DATE_RE` match, or None when it names no real day."""
    g = m.groupdict()
    for prefix in ("dmy", "md", "dm"):
        if g.get(f"{prefix}_year"):
            month = MONTHS.get(g[f"{prefix}_month"].lower().rstrip("."))
            return _iso(int(g[f"{prefix}_year"]), month, int(g[f"{prefix}_day"]))
    if g.get("iso"):
        y, mo, d = (int(x) for x in g["iso"].split("-"))
        return _iso(y, mo, d)
    if g.get("num"):
        return parse_date_text(g["num"], day_first)
    return None


def _iso(year: int, month: int | None, day: int) -> str | None:
    if month is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=256)
def parse_date_text(text: str, day_first: bool = False) -> str | None:
    """Any date text dateparser understands, as ISO; used only where the regular expressions gave up."""
    import dateparser

    settings = {"DATE_ORDER": "DMY" if day_first else "MDY", "PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": True}
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed.date().isoformat() if parsed else None
