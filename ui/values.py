"""The form a typed value must have before it is handed to the core (like a QValidator, with a reason).

The core checks values again when it stores a correction; this only refuses what is plainly not a date,
an amount, a currency code or an IBAN, so that the clerk hears why at once.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from ui.model import FieldKind

_DATE_FORMS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("d", "m", "y")),
)


def check_value(value_type: str, text: str) -> str:
    """``text`` in the stored form for ``value_type``; ValueError with the reason when it has the wrong form."""
    kind = FieldKind.of(value_type)
    text = text.strip()
    if kind is FieldKind.DATE:
        return _check_date(text)
    if kind is FieldKind.AMOUNT:
        return _check_amount(text)
    if kind is FieldKind.CURRENCY:
        if not re.fullmatch(r"[A-Za-z]{3}", text):
            raise ValueError(f"{text!r} is not a currency code: use three letters such as EUR")
        return text.upper()
    if kind is FieldKind.IBAN:
        compact = re.sub(r"\s+", "", text).upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
            raise ValueError(f"{text!r} is not an IBAN: two letters, two digits, then up to 30 letters or digits")
        return compact
    return text


def _check_date(text: str) -> str:
    for pattern, order in _DATE_FORMS:
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"]).isoformat()
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a date: {exc}") from None
    raise ValueError(f"{text!r} is not a date: type it as YYYY-MM-DD or DD.MM.YYYY")


def _check_amount(text: str) -> str:
    compact = text.replace(" ", "").replace("\u00a0", "")
    compact = re.sub(r"^[A-Z]{3}|[A-Z]{3}$|^[€$£]|[€$£]$", "", compact)
    if re.search(r"[^\d.,\-]", compact) or not re.search(r"\d", compact):
        raise ValueError(f"{text!r} is not an amount: only digits, one decimal separator and a sign")
    last_dot, last_comma = compact.rfind("."), compact.rfind(",")
    decimal_sep = "." if last_dot > last_comma else ","
    digits_after = len(compact) - max(last_dot, last_comma) - 1
    if (
        max(last_dot, last_comma) >= 0
        and digits_after == 3
        and compact.count(decimal_sep) == 1
        and ((decimal_sep == "." and last_comma < 0) or (decimal_sep == "," and last_dot < 0))
    ):
        decimal_sep = ""  # "1,000" or "1.000": a thousands separator
    if decimal_sep:
        thousands = "," if decimal_sep == "." else "."
        compact = compact.replace(thousands, "").replace(decimal_sep, ".")
    else:
        compact = compact.replace(",", "").replace(".", "")
    try:
        amount = Decimal(compact)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    return f"{amount:.2f}" if amount == amount.quantize(Decimal("0.01")) else str(amount)
