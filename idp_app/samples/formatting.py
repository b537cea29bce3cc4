"""How values are printed: amount styles, date styles, currencies and periods in words.

Every function returns the exact string drawn on the page; the truth keeps both that string
(``fields_raw``) and the normalised value (ISO dates, plain decimals with two places).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date

CENT = Decimal("0.01")

# amount style -> (thousands separator, decimal separator)
AMOUNT_STYLES: dict[str, tuple[str, str]] = {
    "en": (",", "."),  # 1,234.56
    "de": (".", ","),  # 1.234,56
    "fr": (" ", ","),  # 1 234,56
    "ch": ("'", "."),  # 1'234.56
}

# date style -> (babel pattern or strftime-like pattern, babel locale or None)
DATE_STYLES: dict[str, tuple[str, str | None]] = {
    "dmy_slash": ("dd/MM/yyyy", None),  # 05/03/2024
    "mdy_slash": ("MM/dd/yyyy", None),  # 03/05/2024
    "dmy_dot": ("dd.MM.yyyy", None),  # 05.03.2024
    "iso": ("yyyy-MM-dd", None),  # 2024-03-05
    "en_long": ("d MMMM yyyy", "en"),  # 5 March 2024
    "en_us_long": ("MMMM d, yyyy", "en"),  # March 5, 2024
    "de_long": ("d. MMMM yyyy", "de"),  # 5. März 2024
    "fr_long": ("d MMMM yyyy", "fr"),  # 5 mars 2024
}
DATE_STYLES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("dmy_slash", "en_long", "iso", "en_us_long"),
    "de": ("dmy_dot", "de_long", "iso"),
    "fr": ("dmy_slash", "fr_long", "iso"),
}

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def money(value: Decimal) -> Decimal:
    """Round to cents, half up (the rule applied per line and per tax rate)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal, places: int = 2) -> str:
    """The normalised form of an amount: a plain decimal string, ``places`` after the point."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):.{places}f}"


def format_number(value: Decimal, style: str, places: int = 2) -> str:
    """``value`` with the thousands and decimal separators of ``style`` (see :data:`AMOUNT_STYLES`)."""
    thousands, decimal_sep = AMOUNT_STYLES[style]
    text = plain(value, places)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, _, frac = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = thousands.join(groups)
    return f"{sign}{out}{decimal_sep}{frac}" if places else f"{sign}{out}"


def format_quantity(value: Decimal, style: str) -> str:
    """A quantity as printed: whole numbers without decimals, otherwise up to two places."""
    if value == value.to_integral_value():
        return str(int(value))
    return format_number(value, style, 2).rstrip("0").rstrip(",.")


def format_amount(value: Decimal, style: str, currency: str, placement: str) -> str:
    """An amount with its currency: ``placement`` is one of symbol_before, symbol_after, code_before, code_after,
    none."""
    number = format_number(value, style)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if placement == "symbol_before":
        return f"{symbol}{number}" if len(symbol) == 1 else f"{symbol} {number}"
    if placement == "symbol_after":
        return f"{number} {symbol}"
    if placement == "code_before":
        return f"{currency} {number}"
    if placement == "code_after":
        return f"{number} {currency}"
    return number


def format_day(day: dt.date, style: str) -> str:
    """``day`` in one of the :data:`DATE_STYLES`."""
    pattern, locale = DATE_STYLES[style]
    return str(format_date(day, pattern, locale=locale or "en"))


def format_rate(rate: Decimal, style: str) -> str:
    """A tax rate as printed, e.g. ``19 %``, ``5,5 %`` or ``8.1%``."""
    number = format_quantity(rate, style)
    return f"{number} %" if style in ("de", "fr") else f"{number}%"


_NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    12: "twelve",
    14: "fourteen",
    18: "eighteen",
    24: "twenty-four",
    30: "thirty",
    36: "thirty-six",
    45: "forty-five",
    48: "forty-eight",
    60: "sixty",
    90: "ninety",
    120: "one hundred twenty",
    180: "one hundred eighty",
}


def period_text(count: int, unit: str, words: bool) -> str:
    """A period as printed: ``three (3) years`` with ``words``, else ``24 months``."""
    noun = unit if count != 1 else unit.rstrip("s")
    if words and count in _NUMBER_WORDS:
        return f"{_NUMBER_WORDS[count]} ({count}) {noun}"
    return f"{count} {noun}"


def period_value(count: int, unit: str) -> str:
    """A period normalised as in the shared truth: ``3 years``, ``24 months``, ``90 days``, ``1 year``."""
    noun = unit if count != 1 else unit.rstrip("s")
    return f"{count} {noun}"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the last day of the target month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th
