"""Checking and normalising what a clerk types, by value type."""

from __future__ import annotations

import re

import pytest

from idp_app.errors import InvalidValueError
from idp_app.services.values import normalise


@pytest.mark.parametrize(
    ("value_type", "text", "expected"),
    [
        ("date", "05.03.2024", "2024-03-05"),
        ("date", "2024-03-05", "2024-03-05"),
        ("date", "5 March 2024", "2024-03-05"),
        ("amount", "1.234,56", "1234.56"),
        ("amount", "1,234.56", "1234.56"),
        ("amount", "€ 99,5", "99.50"),
        ("amount", "-12.5", "-12.50"),
        ("amount", "1 234,00", "1234.00"),
        ("amount", "1.234.567", "1234567.00"),
        ("amount", "1,234,567", "1234567.00"),
        ("amount", "1.7890", "1.789"),  # a unit price: no decimal is rounded away, the zero after them says nothing
        ("amount", "0,125", "0.125"),  # a leading 0 is no thousands group
        ("amount", "-0,125 €", "-0.125"),
        ("amount", "1.789,00", "1789.00"),
        ("amount", "0.005", "0.005"),
        ("amount", "0,1234", "0.1234"),
        ("percent", "7.125%", "7.125"),
        ("percent", "0", "0"),
        ("percent", "100 %", "100"),
        ("currency", "eur", "EUR"),
        ("currency", "€", "EUR"),
        ("iban", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("vat_id", "DE 136 695 976", "DE136695976"),
        ("vat_id", "CHE-118.287.126 MWST", "CHE118287126"),  # Swiss: the enterprise id, with or without MWST
        ("vat_id", "CHE-118.287.126", "CHE118287126"),
        ("text", "  ACME  ", "ACME"),
        ("period", "two (2) years", "2 years"),
        ("period", "18 Months", "18 months"),
        ("period", "1 year", "1 year"),
        ("period", "5 business days", "5 business days"),
        ("period", "55.5 months", "55.5 months"),
        ("period", "3 Monate", "3 months"),
        ("period", "eine Woche", "1 week"),
        ("period", "10 Werktage", "10 business days"),
        ("period", "6 mois", "6 months"),
        ("period", "12 maanden", "12 months"),
        ("period", "P2Y", "2 years"),
        ("period", "100 years", "100 years"),
        ("period", "1200 months", "1200 months"),
        ("period", "P30D", "30 days"),
        ("amount", "", None),
        ("amount", "12.3400", "12.34"),  # zeros past the cents say nothing: stored as the cents
        ("amount", "0.1250", "0.125"),  # a unit price keeps its third decimal
        ("amount", "-3.1000", "-3.10"),
        ("date", "03.05.2023", "2023-05-03"),
        ("date", "25/03/2024", "2024-03-25"),
        ("date", "03/03/2024", "2024-03-03"),
        ("party_list", "Acme Ltd; Globex GmbH", "Acme Ltd; Globex GmbH"),
        (
            "party_list",
            "Acme Ltd;Globex GmbH;\nAcme Ltd\nSmith, Jones & Co",
            "Acme Ltd; Globex GmbH; Smith, Jones & Co",
        ),
        ("party_list", "ACME GmbH, Beta AG", "ACME GmbH; Beta AG"),  # a comma after a legal form: two parties
        ("party_list", "Acme Inc., Beta LLC, Gamma Consulting", "Acme Inc.; Beta LLC; Gamma Consulting"),
        ("party_list", "Acme, Inc.; Acme Holdings, Inc.", "Acme, Inc.; Acme Holdings, Inc."),  # commas in names
        ("party_list", "Smith, John", "Smith, John"),
        ("party_list", " ; ; ", None),  # no name in it: an empty field, which a required field may not be
        ("party_list", ";", None),
    ],
)
def test_normalise(value_type: str, text: str, expected: str | None) -> None:
    assert normalise(value_type, text) == expected


@pytest.mark.parametrize(
    ("value_type", "text", "word"),
    [
        ("date", "tomorrowish", "date"),
        ("date", "31.02.2024", "date"),
        ("date", "9999-12-31", "plausible date"),
        ("date", "05.03.0024", "plausible date"),
        ("period", "99999 years", "not a plausible period"),
        ("period", "1201 months", "not a plausible period"),
        ("date", "03/05/2023", "reads two ways (3 May or 5 March 2023): write 2023-05-03 or 2023-03-05"),
        ("date", "12-01-24", "reads two ways"),
        ("amount", "12a.00", "amount"),
        ("amount", "ten euros", "amount"),
        ("amount", "45.000 €", "ambiguous (45000 or 45)"),  # thousands in German, decimals in English
        ("amount", "1,250", "ambiguous (1250 or 1.25): write 1250.00 or 1.25"),
        ("amount", "1,789", "ambiguous (1789 or 1.789): write 1789.00 or 1.7890 (three decimals, as a unit price has)"),
        ("amount", "EUR -2.500", "ambiguous (2500 or 2.5)"),
        ("currency", "EURO", "currency"),
        ("percent", "232796", "not a tax rate: a rate is a percentage from 0 to 100"),
        ("percent", "-7 %", "not a tax rate"),
        ("iban", "DE00 1234", "IBAN"),
        ("vat_id", "DE123", "VAT"),
        ("vat_id", "CHE-118.287.127", "VAT"),
        ("period", "forever", "period"),
        ("period", "abc", "period"),
        ("period", "0 years", "period"),
        ("period", "0.0 days", "period"),
        # digits grouped as no amount is printed: a slip that would store a hundred times the amount meant
        ("amount", "1.234.56", "thousands are grouped by three digits"),
        ("amount", "0.1.5", "thousands are grouped by three digits"),
        ("amount", "1.000.0", "thousands are grouped by three digits"),
        ("amount", "1 2 3 4", "thousands are grouped by three digits"),
        ("number", "1.5.0", "thousands are grouped by three digits"),
        ("amount", "99999999999999999999999", "not a plausible amount"),
        # a date is as printed, not reckoned from today's clock
        ("date", "2 days ago", "not a date"),
        ("date", "in 3 years", "not a date"),
        ("date", "in 1 month", "not a date"),
        # control characters: an escape sequence would rewrite a terminal, a NUL breaks the database
        ("name", "Evil\x1b]0;pwned\x07\x1b[2J Corp", "control characters"),
        ("text", "PO\x01\x02\x7f", "control characters"),
        ("text", "PO\x00123", "control characters"),
        ("text", "INV-1\nINV-2", "line break"),
    ],
)
def test_wrong_typed_values_are_refused_with_a_message(value_type: str, text: str, word: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        normalise(value_type, text)
    assert word in str(info.value)
    assert repr(text) in str(info.value)  # escaped: a control character typed is not echoed to a terminal raw
    assert info.value.exit_code == 24


def test_a_swiss_vat_id_is_one_vendor_key_with_or_without_its_marker() -> None:
    from idp_app.services.vendors import vat_key

    assert vat_key("CHE-118.287.126 MWST") == vat_key("CHE118287126") == "CHE118287126"
    assert vat_key("DE 136 695 976") == "DE136695976" and vat_key(None) is None


def test_amounts_grouped_in_thousands_in_any_convention_are_read() -> None:
    for text, expected in [
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1 234 567,89", "1234567.89"),
        ("1'234.50", "1234.50"),
        ("-1.234,56", "-1234.56"),
        ("12.345.678", "12345678.00"),
        ("EUR 1.190,00", "1190.00"),
        ("1,23,456.78", "123456.78"),  # India's lakh
        ("12,34,56,789.00", "123456789.00"),  # and crore
    ]:
        assert normalise("amount", text) == expected, text


def test_a_value_too_long_is_refused_and_invisible_formatting_is_dropped() -> None:
    with pytest.raises(InvalidValueError, match="400 characters is too long for this field \\(at most 300\\)"):
        normalise("name", "A" * 400)
    with pytest.raises(InvalidValueError, match="at most 500"):
        normalise("address", "Main Street 1, " * 40)
    assert normalise("name", "ACME\u200b GmbH\u00ad") == "ACME GmbH"  # a zero-width space, a soft hyphen
    assert normalise("address", "Main St 1\r\nBerlin") == "Main St 1\nBerlin"
    assert normalise("address", "Main St 1\rBerlin") == "Main St 1\nBerlin"  # an old Mac's line break
    with pytest.raises(InvalidValueError, match="line break"):
        normalise("text", "INV\u20281")  # a Unicode line separator is a line break too
    assert (
        normalise("name", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")
        == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )  # a joiner kept
    assert normalise("name", "\u200b") is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("(8.00)", "-8.00"), ("8.00-", "-8.00"), ("\u2212100,00", "-100.00"), ("(1.234,56 EUR)", "-1234.56")],
)
def test_an_amount_below_zero_as_accountants_write_it(typed: str, stored: str) -> None:
    """A credit note's amounts in brackets, with a trailing minus (German credit notes), or a typographic minus."""
    assert normalise("amount", typed) == stored


@pytest.mark.parametrize("typed", ["(-8.00)", "(abc)", "8.00--"])
def test_two_signs_or_no_number_in_brackets_are_refused_as_typed(typed: str) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(repr(typed))):
        normalise("amount", typed)
