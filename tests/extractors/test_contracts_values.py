"""Number words, durations, jurisdictions and dates as contracts print them."""

from __future__ import annotations

import pytest

from extractors.contracts.candidates import infer_day_first
from extractors.contracts.normalize import (
    DATE_RE,
    normalize_duration,
    normalize_jurisdiction,
    parse_date_match,
    words_to_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("three (3)", 3),
        ("thirty-six", 36),
        ("twenty four", 24),
        ("one hundred eighty", 180),
        ("one hundred and twenty", 120),
        ("two thousand", 2000),
        ("18", 18),
        ("twelve (12)", 12),
        ("five (7)", 7),
        ("a", 1),
        ("several", None),
        ("", None),
    ],
)
def test_words_to_number(text: str, number: int | None) -> None:
    assert words_to_number(text) == number


@pytest.mark.parametrize(
    ("amount", "unit", "value"),
    [
        ("two (2)", "years", "2 years"),
        ("one", "year", "1 year"),
        ("One", "years", "1 year"),
        ("thirty-six", "months", "36 months"),
        ("ninety (90)", "days", "90 days"),
        ("12", "Months", "12 months"),
        ("zero", "days", None),
        ("two", "fortnights", None),
    ],
)
def test_normalize_duration(amount: str, unit: str, value: str | None) -> None:
    assert normalize_duration(amount, unit) == value


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("the State of New York", "New York"),
        ("State of Delaware", "Delaware"),
        ("the Commonwealth of Massachusetts", "Massachusetts"),
        ("England and Wales", "England and Wales"),
        ("England", "England and Wales"),
        ("the Federal Republic of Germany", "Germany"),
        ("Germany", "Germany"),
        ("the Netherlands", "Netherlands"),
        ("west   virginia", "West Virginia"),
        ("Oregon.", "Oregon"),
        ("Atlantis", None),
    ],
)
def test_normalize_jurisdiction(text: str, name: str | None) -> None:
    assert normalize_jurisdiction(text) == name


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("February 10, 2017", "2017-02-10"),
        ("Feb. 10, 2017", "2017-02-10"),
        ("June 1st, 2001", "2001-06-01"),
        ("10 February 2017", "2017-02-10"),
        ("the 6th day of January, 2012", "2012-01-06"),
        ("this 6 day of Jan., 2012", "2012-01-06"),
        ("2012-01-06", "2012-01-06"),
        ("1/6/2012", "2012-01-06"),
        ("3.26.01", "2001-03-26"),
        ("February 30, 2017", None),
    ],
)
def test_dates_month_first(text: str, iso: str | None) -> None:
    m = DATE_RE.search(text)
    assert m is not None
    assert parse_date_match(m, day_first=False) == iso


def test_numeric_dates_day_first() -> None:
    m = DATE_RE.search("dated 03/05/2022")
    assert m is not None
    assert parse_date_match(m, day_first=True) == "2022-05-03"
    assert parse_date_match(m, day_first=False) == "2022-03-05"


def test_day_first_inferred_from_unambiguous_dates() -> None:
    assert infer_day_first("signed 03/05/2022, paid 25/05/2022") is True
    assert infer_day_first("signed 03/05/2022, paid 05/25/2022") is False
    assert infer_day_first("signed 03/05/2022", default=True) is True
    assert infer_day_first("signed 03/05/2022", default=False) is False
