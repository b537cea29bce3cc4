"""Routing rules, each on its own, as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.results import FieldValue
from idp_app.domain import ReviewState
from idp_app.errors import ConfigError
from idp_app.services.routing import (
    Reason,
    RoutingPolicy,
    Suggestion,
    VendorFacts,
    check_rules,
    field_review,
    qa_sampled,
    route,
)

POLICY = RoutingPolicy.load()
KNOWN = VendorFacts(known=True, vendor_name="ACME GmbH", iban_on_file="DE89370400440532013000")
REQUIRED = {"vendor_name": True, "invoice_number": True, "invoice_date": True, "total_amount": True}


def fields(conf: float = 0.99, **values: str | None) -> dict[str, FieldValue]:
    base: dict[str, str | None] = {
        "vendor_name": "ACME GmbH",
        "vendor_iban": "DE89370400440532013000",
        "invoice_number": "INV-1",
        "invoice_date": "2024-03-05",
        "net_amount": "100.00",
        "tax_amount": "19.00",
        "total_amount": "119.00",
    }
    base.update(values)
    return {k: FieldValue(k, v, v or "", conf if v else 0.0) for k, v in base.items()}


LINES = [Decimal("60.00"), Decimal("40.00")]
NOT_SAMPLED = "f" * 64


def codes(reasons: object) -> list[str]:
    return [r.code for r in reasons]  # type: ignore[attr-defined]


def test_clean_document_from_known_vendor_is_auto_approved() -> None:
    decision = route(fields(), LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED)
    assert not decision.needs_review
    assert decision.reasons == ()


def test_field_below_its_threshold_sends_to_review() -> None:
    f = fields()
    f["total_amount"] = FieldValue("total_amount", "119.00", "119.00", 0.93)  # total needs 0.95
    decision = route(f, LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED)
    assert decision.needs_review
    assert codes(decision.reasons) == ["low_confidence"]
    assert decision.reasons[0].fields == ("total_amount",)
    f["total_amount"] = FieldValue("total_amount", "119.00", "119.00", 0.96)
    assert not route(f, LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED).needs_review


def test_missing_required_field_is_a_reason() -> None:
    decision = route(fields(invoice_number=None), LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED)
    assert "missing_field" in codes(decision.reasons)


def test_total_above_limit() -> None:
    f = fields(net_amount="10000.00", tax_amount="1900.00", total_amount="11900.00")
    reasons = check_rules(f, [Decimal("10000.00")], KNOWN, POLICY)
    assert codes(reasons) == ["total_above_limit"]
    limited = RoutingPolicy.from_dict({"rules": {"max_total": "20000"}})
    assert check_rules(f, [Decimal("10000.00")], KNOWN, limited) == []


def test_limits_by_currency() -> None:
    policy = RoutingPolicy.from_dict({"rules": {"max_total": {"EUR": "10000.00", "JPY": "1500000", "*": "5000"}}})
    yen = fields(net_amount="1000000", tax_amount="100000", total_amount="1100000", currency="JPY")
    assert check_rules(yen, [Decimal("1000000")], KNOWN, policy) == []  # 1.1 million yen: under the yen limit
    euro = fields(net_amount="10000.00", tax_amount="1900.00", total_amount="11900.00", currency="EUR")
    [reason] = check_rules(euro, [Decimal("10000.00")], KNOWN, policy)
    assert reason.message == "total 11900.00 EUR is above the limit 10000.00 EUR"
    pounds = fields(net_amount="5000.00", tax_amount="1000.00", total_amount="6000.00", currency="GBP")
    assert codes(check_rules(pounds, [Decimal("5000.00")], KNOWN, policy)) == ["total_above_limit"]  # the "*" one
    only_euro = RoutingPolicy.from_dict({"rules": {"max_total": {"EUR": "10000.00", "USD": "12000"}}})
    assert check_rules(pounds, [Decimal("5000.00")], KNOWN, only_euro) == []  # a currency it does not list
    unread = fields(net_amount="10000.00", tax_amount="1900.00", total_amount="11900.00")
    [reason] = check_rules(unread, [Decimal("10000.00")], KNOWN, only_euro)  # the smallest limit
    assert reason.message == "total 11900.00 is above the limit 10000.00 EUR (the currency was not read)"
    no_euro_limit = RoutingPolicy.from_dict({"rules": {"max_total": {"EUR": "", "*": "5000"}}})
    assert check_rules(euro, [Decimal("10000.00")], KNOWN, no_euro_limit) == []  # "" disables it for EUR
    with pytest.raises(ConfigError, match="not a currency code"):
        RoutingPolicy.from_dict({"rules": {"max_total": {"euro": "10000"}}})


def test_unknown_vendor() -> None:
    reasons = check_rules(fields(), LINES, VendorFacts(known=False), POLICY)
    assert codes(reasons) == ["unknown_vendor"]
    assert reasons[0].fields == ("vendor_name",)


def test_changed_iban_is_flagged_as_possible_fraud() -> None:
    reasons = check_rules(fields(vendor_iban="GB29 NWBK 6016 1331 9268 19"), LINES, KNOWN, POLICY)
    assert codes(reasons) == ["iban_changed"]
    assert "fraud" in reasons[0].message
    assert reasons[0].blocks_approval
    # the same IBAN written with spaces is not a change
    assert check_rules(fields(vendor_iban="DE89 3704 0044 0532 0130 00"), LINES, KNOWN, POLICY) == []


def test_duplicate_invoice_number() -> None:
    facts = VendorFacts(known=True, vendor_name="ACME GmbH", iban_on_file=None, duplicate_of=7)
    reasons = check_rules(fields(), LINES, facts, POLICY)
    assert codes(reasons) == ["duplicate_invoice"]
    assert "document 7" in reasons[0].message


def test_totals_that_do_not_add_up_with_the_one_edit_that_fixes_them() -> None:
    f = fields(total_amount="129.00")
    f["total_amount"] = FieldValue("total_amount", "129.00", "129.00", 0.5)  # least sure: the fix is here
    reasons = check_rules(f, LINES, KNOWN, POLICY)
    assert codes(reasons) == ["arithmetic"]
    assert set(reasons[0].fields) == {"net_amount", "tax_amount", "total_amount"}
    assert reasons[0].suggestion == Suggestion("total_amount", "119.00")


def test_totals_fix_follows_the_line_items() -> None:
    # net is wrong: the line items (60 + 50 = 110) and tax + total agree on 110.00
    f = fields(net_amount="100.00", tax_amount="20.90", total_amount="130.90")
    reasons = check_rules(f, [Decimal("60.00"), Decimal("50.00")], KNOWN, POLICY)
    assert codes(reasons) == ["arithmetic", "line_items_sum"]
    assert reasons[0].suggestion == Suggestion("net_amount", "110.00")
    assert reasons[1].suggestion == Suggestion("net_amount", "110.00")


def test_a_net_and_total_a_vat_rate_apart_with_no_tax_given_do_not_add_up() -> None:
    """A tax the reading missed, or the clerk cleared, where the total is the net plus one of the seller's rates."""

    def totals(**values: str | None) -> list[Reason]:
        f = fields(tax_amount=None, **{"vendor_vat_id": "DE136695976", **values})
        return [r for r in check_rules(f, LINES, KNOWN, POLICY) if r.code == "arithmetic"]

    [reason] = totals()
    assert reason.blocks_approval
    assert (
        reason.message == "net 100.00 and total 119.00 differ by 19.00, one of DE's VAT rates' tax, but no tax is given"
    )
    assert reason.suggestion == Suggestion("tax_amount", "19.00")
    assert [r.suggestion for r in totals(total_amount="107.00")] == [Suggestion("tax_amount", "7.00")]
    # no sign of a missing tax: a zero-rated invoice (its net is its total), a gap no single rate gives (a rounding,
    # a service charge, shipping on a VAT-free invoice), a total below the net (a discount after the subtotal)
    for total in ("100.01", "105.90", "110.00", "99.95", "90.00"):
        assert totals(total_amount=total) == [], total
    # nor where the seller's country, and so its rates, is not known
    assert totals(vendor_vat_id=None) == []
    assert totals(net_amount=None) == []


def test_tolerance_of_one_cent() -> None:
    assert check_rules(fields(total_amount="119.01"), LINES, KNOWN, POLICY) == []
    assert codes(check_rules(fields(total_amount="119.02"), LINES, KNOWN, POLICY)) == ["arithmetic"]


def test_line_items_that_do_not_sum_to_net_send_it_to_a_clerk_who_may_approve_it() -> None:
    reasons = check_rules(fields(), [Decimal("60.00"), Decimal("41.00")], KNOWN, POLICY)
    assert codes(reasons) == ["line_items_sum"]
    assert "101.00, not the net 100.00" in reasons[0].message and "discount or charge" in reasons[0].message
    assert not reasons[0].blocks_approval  # an allowance on the whole invoice: the clerk checks and approves
    decision = route(fields(), [Decimal("60.00"), Decimal("41.00")], KNOWN, POLICY, NOT_SAMPLED, REQUIRED)
    assert decision.needs_review


def test_a_line_whose_quantity_times_price_is_not_its_amount_sends_it_to_a_clerk() -> None:
    """3 x 987.97 is not 987.97: a quantity misread or typed wrong, exported as it stood."""
    d = Decimal
    products = [(d("3"), d("20.00")), (d("1"), d("40.00"))]  # 60.00 and 40.00: right
    assert check_rules(fields(), LINES, KNOWN, POLICY, line_products=products) == []
    four = [(d("3"), d("0.3333")), (d("1"), d("99.00"))]  # 0.9999 is 1.00 to the cent
    assert check_rules(fields(), [d("1.00"), d("99.00")], KNOWN, POLICY, line_products=four) == []
    wrong = [(d("3"), d("60.00")), (d("1"), d("40.00"))]
    reasons = check_rules(fields(), LINES, KNOWN, POLICY, line_products=wrong)
    assert codes(reasons) == ["line_amount"] and not reasons[0].blocks_approval
    assert reasons[0].message.startswith("line 1: 3 x 60.00 = 180.00, not its amount 60.00")
    assert reasons[0].fields == ("line_items",)
    assert route(fields(), LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED, line_products=wrong).needs_review
    assert check_rules(fields(), LINES, KNOWN, POLICY, line_products=[(None, d("60.00")), (d("1"), None)]) == []
    # a discount line prints its sign, or its percentage, where a quantity would be: not a wrong line
    discount = [d("110.00"), d("-10.00")]
    for qty, price in (("1", "10.00"), ("10", "110.00")):
        sold = [(d("1"), d("110.00")), (d(qty), d(price))]
        assert "line_amount" not in codes(check_rules(fields(), discount, KNOWN, POLICY, line_products=sold))


def test_a_due_date_before_the_invoice_date_fails_and_blocks() -> None:
    reasons = check_rules(fields(due_date="2024-03-04"), LINES, KNOWN, POLICY)
    assert codes(reasons) == ["date_order"] and reasons[0].blocks_approval
    assert set(reasons[0].fields) == {"invoice_date", "due_date"}
    assert "due_date 2024-03-04 is before invoice_date 2024-03-05" in reasons[0].message
    assert check_rules(fields(due_date="2024-03-05"), LINES, KNOWN, POLICY) == []  # due on the day: fine
    assert check_rules(fields(due_date="2024-03-04", invoice_date=None), LINES, KNOWN, POLICY) == []
    off = RoutingPolicy.from_dict({"rules": {"date_order": False}})
    assert check_rules(fields(due_date="2024-03-04"), LINES, KNOWN, off) == []


def test_an_invoice_dated_after_it_came_in_sends_it_to_a_clerk_and_long_before_where_asked() -> None:
    received = date(2024, 3, 5)
    late = check_rules(fields(invoice_date="2028-03-05"), LINES, KNOWN, POLICY, received=received)
    assert codes(late) == ["date_range"] and late[0].fields == ("invoice_date",) and not late[0].blocks_approval
    assert "invoice_date 2028-03-05 is 1461 days after the document was received (2024-03-05)" in late[0].message
    for day in ("2024-03-06", "2024-03-05", "2014-03-05"):  # a day ahead (time zones), and old ones by default
        assert check_rules(fields(invoice_date=day), LINES, KNOWN, POLICY, received=received) == [], day
    assert check_rules(fields(invoice_date="2024-03-07"), LINES, KNOWN, POLICY, received=received) != []
    assert check_rules(fields(invoice_date="2028-03-05"), LINES, KNOWN, POLICY) == []  # no day to check against
    strict = RoutingPolicy.from_dict({"rules": {"date_ahead_days": 0, "date_age_days": 365}})
    assert codes(check_rules(fields(invoice_date="2024-03-06"), LINES, KNOWN, strict, received=received)) == [
        "date_range"
    ]
    old = check_rules(fields(invoice_date="2014-03-05"), LINES, KNOWN, strict, received=received)
    assert codes(old) == ["date_range"] and "3653 days before the document was received" in old[0].message
    assert check_rules(fields(invoice_date="2023-03-06"), LINES, KNOWN, strict, received=received) == []
    off = RoutingPolicy.from_dict({"rules": {"date_ahead_days": ""}})
    assert check_rules(fields(invoice_date="2028-03-05"), LINES, KNOWN, off, received=received) == []
    decision = route(fields(invoice_date="2028-03-05"), LINES, KNOWN, POLICY, NOT_SAMPLED, REQUIRED, received=received)
    assert decision.needs_review and codes(decision.reasons) == ["date_range"]


def test_a_due_date_the_payment_terms_do_not_give_sends_to_review() -> None:
    terms = "Payment terms: 30 days net"
    assert check_rules(fields(due_date="2024-04-04", payment_terms=terms), LINES, KNOWN, POLICY) == []
    reasons = check_rules(fields(due_date="2024-03-25", payment_terms=terms), LINES, KNOWN, POLICY)
    assert codes(reasons) == ["terms_date"] and not reasons[0].blocks_approval
    assert "due_date 2024-03-25 is not the 2024-04-04 the payment terms give" in reasons[0].message
    # terms stored as read: a discount's line joined to them, or the line under a "Payment terms:" label
    for stored in ("Zahlbar innerhalb 30 Tagen netto 2 % Skonto innerhalb 10 Tagen", "30 Tage netto"):
        assert codes(check_rules(fields(due_date="2024-03-25", payment_terms=stored), LINES, KNOWN, POLICY)) == [
            "terms_date"
        ], stored
    review = field_review(fields(due_date="2024-03-25", payment_terms=terms), LINES, KNOWN, POLICY, REQUIRED, "invoice")
    assert review.states["due_date"] is ReviewState.ERROR
    # terms that give no date of their own (a discount only, counted from delivery) are not compared
    for other in ("3 % Skonto bei Zahlung innerhalb 10 Tagen", "Payable within 30 days of delivery"):
        assert check_rules(fields(due_date="2024-03-25", payment_terms=other), LINES, KNOWN, POLICY) == [], other
    off = RoutingPolicy.from_dict({"rules": {"terms_date": False}})
    assert check_rules(fields(due_date="2024-03-25", payment_terms=terms), LINES, KNOWN, off) == []


def test_terms_in_months_agree_with_a_due_date_a_month_of_30_days_gives() -> None:
    terms = "Zahlbar innerhalb eines Monats netto"  # 5 March + 1 month = 5 April; + 30 days = 4 April
    for due in ("2024-04-05", "2024-04-04"):
        assert check_rules(fields(due_date=due, payment_terms=terms), LINES, KNOWN, POLICY) == [], due
    assert codes(check_rules(fields(due_date="2024-04-15", payment_terms=terms), LINES, KNOWN, POLICY)) == [
        "terms_date"
    ]
    # a month in another sense beside a payment word gives no due date to compare with
    other = "Zahlung per Lastschrift, Kündigungsfrist 3 Monate"
    assert check_rules(fields(due_date="2024-03-19", payment_terms=other), LINES, KNOWN, POLICY) == []


def test_an_iban_or_vat_id_that_fails_its_check_digits_blocks_whatever_its_confidence() -> None:
    known = VendorFacts(known=True, vendor_name="ACME GmbH", iban_on_file="AT21974681944979")
    reasons = check_rules(fields(vendor_iban="AT21974681944979"), LINES, known, POLICY)  # a scan lost a group
    assert codes(reasons) == ["invalid_code"] and reasons[0].blocks_approval
    assert reasons[0].fields == ("vendor_iban",) and "IBAN length" in reasons[0].message
    reasons = check_rules(fields(vendor_vat_id="DE136695977"), LINES, KNOWN, POLICY)
    assert codes(reasons) == ["invalid_code"] and "VAT id" in reasons[0].message
    assert check_rules(fields(vendor_vat_id="DE136695976"), LINES, KNOWN, POLICY) == []
    review = field_review(fields(vendor_vat_id="DE136695977"), LINES, KNOWN, POLICY, REQUIRED, "invoice")
    assert review.states["vendor_vat_id"] is ReviewState.ERROR
    # codes of schemes without a European VAT id's form are not this rule's to judge
    for other in ("29AAGCB7383J1Z4", "ID001921974272", "US1234567890"):
        assert check_rules(fields(vendor_vat_id=other), LINES, KNOWN, POLICY) == [], other
    off = RoutingPolicy.from_dict({"rules": {"invalid_code": False}})
    assert check_rules(fields(vendor_vat_id="DE136695977"), LINES, KNOWN, off) == []


def test_qa_sample_is_deterministic_and_near_its_rate() -> None:
    import hashlib

    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(4000)]
    picked = [h for h in hashes if qa_sampled(h, 0.05)]
    assert 0.035 < len(picked) / len(hashes) < 0.065
    assert picked == [h for h in hashes if qa_sampled(h, 0.05)]
    sampled = picked[0]
    decision = route(fields(), LINES, KNOWN, POLICY, sampled, REQUIRED)
    assert decision.needs_review and decision.qa_sample and codes(decision.reasons) == ["qa_sample"]
    assert not qa_sampled(sampled, 0.0)


def test_field_review_states() -> None:
    f = fields(total_amount="129.00")
    f["invoice_date"] = FieldValue("invoice_date", "2024-03-05", "05.03.2024", 0.5)
    del f["invoice_number"]
    review = field_review(f, LINES, KNOWN, POLICY, REQUIRED)
    assert review.states["total_amount"] is ReviewState.ERROR
    assert review.states["net_amount"] is ReviewState.ERROR
    assert review.states["invoice_date"] is ReviewState.CHECK
    assert review.states["invoice_number"] is ReviewState.MISSING
    assert review.states["vendor_name"] is ReviewState.OK
    assert codes(review.failed_rules) == ["arithmetic"]


def test_user_policy_overrides_defaults(tmp_path: Path) -> None:
    user = tmp_path / "routing.toml"
    user.write_text(
        "[thresholds]\ndefault = 0.5\n[thresholds.fields]\nnet_amount = 0.99\n[rules]\nunknown_vendor = false\n"
    )
    policy = RoutingPolicy.load(user)
    assert policy.threshold("invoice_date") == 0.5
    assert policy.threshold("net_amount") == 0.99
    assert policy.threshold("total_amount") == 0.95  # kept from the default file
    assert check_rules(fields(), LINES, VendorFacts(known=False), policy) == []


@pytest.mark.parametrize(
    "text",
    [
        "[thresholds]\ndefault = 1.5\n",
        "[rules]\nqa_sample_rate = 2\n",
        "[rules]\nmax_total = 'lots'\n",
        "[rules]\ndate_ahead_days = -1\n",
        "[rules]\ndate_age_days = '30'\n",
        "not toml [",
    ],
)
def test_bad_policy_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "routing.toml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        RoutingPolicy.load(path)


def test_an_optional_field_not_found_but_probably_printed_sends_an_invoice_to_review() -> None:
    """A missing field's confidence is the chance that the document prints none: below one half, it was more
    likely missed than absent."""
    missed = {**fields(), "vendor_vat_id": FieldValue("vendor_vat_id", None, confidence=0.2)}
    reasons = check_rules(missed, LINES, KNOWN, POLICY)
    assert codes(reasons) == ["probably_missed"] and not reasons[0].blocks_approval
    assert reasons[0].fields == ("vendor_vat_id",)
    assert "vendor_vat_id was not found, though probably printed (20% that none is)" in reasons[0].message
    absent = {**fields(), "vendor_vat_id": FieldValue("vendor_vat_id", None, confidence=0.97)}
    assert check_rules(absent, LINES, KNOWN, POLICY) == []
    assert check_rules(missed, LINES, KNOWN, POLICY, "receipt") == []  # fitted on invoices only
    # a required field missing is its own reason (missing_field), not this one
    required = fields(invoice_number=None)
    assert "probably_missed" not in codes(check_rules(required, LINES, KNOWN, POLICY))
    off = RoutingPolicy.from_dict({"rules": {"probably_missed": False}})
    assert check_rules(missed, LINES, KNOWN, off) == []


def test_tax_must_be_what_the_line_items_rates_give() -> None:
    nineteen = [Decimal(19), Decimal(19)]
    assert check_rules(fields(), LINES, KNOWN, POLICY, line_rates=nineteen) == []
    mixed = [Decimal(19), Decimal(7)]  # 60 at 19 % and 40 at 7 % give 11.40 + 2.80 = 14.20, not 19.00
    reasons = check_rules(fields(), LINES, KNOWN, POLICY, line_rates=mixed)
    assert codes(reasons) == ["line_tax"]
    assert "give tax 14.20 (7 % on 40.00, 19 % on 60.00), not the tax 19.00" in reasons[0].message
    assert reasons[0].blocks_approval and reasons[0].suggestion is None  # the total agrees with 19.00
    assert set(reasons[0].fields) == {"tax_amount", "line_items"}
    # the printed total agrees with the rates: the tax is the one to mend
    f = fields(tax_amount="19.00", total_amount="114.20")
    reasons = check_rules(f, LINES, KNOWN, POLICY, line_rates=mixed)
    assert codes(reasons) == ["arithmetic", "line_tax"] and reasons[1].suggestion == Suggestion("tax_amount", "14.20")
    assert check_rules(fields(tax_amount="14.20", total_amount="114.20"), LINES, KNOWN, POLICY, line_rates=mixed) == []
    # an invoice that rounded its tax once, not per rate, is a cent off per rate at most
    assert check_rules(fields(tax_amount="14.21", total_amount="114.21"), LINES, KNOWN, POLICY, line_rates=mixed) == []
    # not checked where a line has no rate, or where the lines do not make up the net
    assert check_rules(fields(), LINES, KNOWN, POLICY, line_rates=[Decimal(7), None]) == []
    off = check_rules(fields(), [Decimal("60.00"), Decimal("41.00")], KNOWN, POLICY, line_rates=mixed)
    assert codes(off) == ["line_items_sum"]


def test_a_misread_total_is_mended_where_the_line_items_rates_confirm_the_tax() -> None:
    # 60 at 19 % and 40 at 7 % give tax 14.20, as printed; the total read 112.40 for 114.20, and read surer
    # than the tax: the tax, which the lines confirm, is not the edit offered
    mixed = [Decimal(19), Decimal(7)]
    f = fields(tax_amount="14.20", total_amount="112.40")
    f["tax_amount"] = FieldValue("tax_amount", "14.20", "14.20", 0.6)
    reasons = check_rules(f, LINES, KNOWN, POLICY, line_rates=mixed)
    assert codes(reasons) == ["arithmetic"] and reasons[0].suggestion == Suggestion("total_amount", "114.20")
    # without rates to confirm it, the least sure field is still the one offered
    assert check_rules(f, LINES, KNOWN, POLICY)[0].suggestion == Suggestion("tax_amount", "12.40")


def test_numbers_under_a_tax_column_that_are_no_vat_rate_are_not_checked() -> None:
    # a tax code, a rate written as a fraction, each line's tax amount: none is a rate to hold the tax to
    for column in ([Decimal(1), Decimal(1)], [Decimal("0.19"), Decimal("0.19")], [Decimal("11.40"), Decimal("7.60")]):
        assert check_rules(fields(), LINES, KNOWN, POLICY, line_rates=column) == [], column
    # the check allows what the e-invoice export allows, a cent per rate, whatever the arithmetic tolerance
    loose = RoutingPolicy.load()
    loose = replace(loose, tolerance=Decimal("0.05"))
    nineteen = [Decimal(19), Decimal(19)]
    f = fields(tax_amount="19.04", total_amount="119.04")
    assert codes(check_rules(f, LINES, KNOWN, loose, line_rates=nineteen)) == ["line_tax"]
    f = fields(tax_amount="19.01", total_amount="119.01")
    assert check_rules(f, LINES, KNOWN, loose, line_rates=nineteen) == []


def test_a_tax_column_holding_each_lines_tax_is_no_rate_column() -> None:
    # 35.00, 50.00 and 100.00 at 20 %: the column prints 7.00, 10.00 and 20.00, each also a VAT rate somewhere
    lines = [Decimal("35.00"), Decimal("50.00"), Decimal("100.00")]
    f = fields(net_amount="185.00", tax_amount="37.00", total_amount="222.00")
    assert check_rules(f, lines, KNOWN, POLICY, line_rates=[Decimal(7), Decimal(10), Decimal(20)]) == []
    # rates the seller's country does not have are no rates either (a German seller: 19 and 7)
    f = fields(vendor_vat_id="DE136695976")
    assert check_rules(f, LINES, KNOWN, POLICY, line_rates=[Decimal(20), Decimal(20)]) == []
    assert codes(check_rules(f, LINES, KNOWN, POLICY, line_rates=[Decimal(19), Decimal(7)])) == ["line_tax"]


def test_a_tax_no_vat_rate_gives_blocks_approval() -> None:
    fr = {"vendor_vat_id": "FR40303265045"}
    # a mistyped total (17825.60 for 1782.56) and the tax made to fit it: 1100 % of the net
    bad = fields(net_amount="1485.47", tax_amount="16340.13", total_amount="17825.60", **fr)
    reasons = check_rules(bad, [], KNOWN, POLICY)
    assert codes(reasons) == ["total_above_limit", "tax_rate"]
    reasons = reasons[1:]
    assert reasons[0].blocks_approval and "1100.0 % of the net 1485.47" in reasons[0].message
    assert "the highest listed is 27 %" in reasons[0].message
    # one rate's tax, and several rates' (between none and the highest), pass; a negative tax on a positive net not
    assert check_rules(fields(net_amount="1485.47", tax_amount="297.09", total_amount="1782.56", **fr), [], KNOWN,
                       POLICY) == []  # fmt: skip
    assert check_rules(fields(net_amount="200.00", tax_amount="30.00", total_amount="230.00", **fr), [], KNOWN,
                       POLICY) == []  # fmt: skip
    assert codes(check_rules(fields(net_amount="100.00", tax_amount="-5.00", total_amount="95.00", **fr), [], KNOWN,
                             POLICY)) == ["tax_rate"]  # fmt: skip
    # a credit note: both negative
    assert check_rules(fields(net_amount="-100.00", tax_amount="-20.00", total_amount="-120.00", **fr), [], KNOWN,
                       POLICY) == []  # fmt: skip
    # a seller charging its buyer's country's VAT (a German shop's 20 % for Austria, 27 % for Hungary: EU one-stop-
    # shop sales), a Swiss seller charging German VAT, and tax rounded line by line at the standard rate all pass
    de, ch = {"vendor_vat_id": "DE136695976"}, {"vendor_vat_id": "CHE-116.281.710 MWST"}
    for extra, net, tax in [(de, "100.00", "20.00"), (de, "100.00", "27.00"), (ch, "100.00", "19.00"),
                            (de, "24.36", "4.68")]:  # fmt: skip
        total = f"{float(net) + float(tax):.2f}"
        assert check_rules(fields(net_amount=net, tax_amount=tax, total_amount=total, **extra), [], KNOWN,
                           POLICY) == [], (extra, tax)  # fmt: skip
    # a seller whose VAT id names no listed country (or none at all) is not checked: its rates are not known
    assert check_rules(fields(net_amount="100.00", tax_amount="28.00", total_amount="128.00"), [], KNOWN, POLICY) == []
    assert codes(check_rules(bad, [], KNOWN, replace(POLICY, arithmetic=False))) == ["total_above_limit"]


def test_the_totals_fix_never_makes_an_impossible_tax_and_prefers_one_rates_tax() -> None:
    fr = {"vendor_vat_id": "FR40303265045"}
    f = fields(net_amount="1485.47", tax_amount="297.09", total_amount="17825.60", **fr)
    f["total_amount"] = FieldValue("total_amount", "17825.60", "17825.60", 1.0)  # as the clerk typed it
    f["tax_amount"] = FieldValue("tax_amount", "297.09", "297.09", 0.6)  # the least sure: it was offered
    [_limit, reason] = check_rules(f, [], KNOWN, POLICY)
    assert reason.code == "arithmetic"
    assert reason.suggestion == Suggestion("total_amount", "1782.56")  # 20 % of the net: FR's standard rate
    # where no edit leaves a tax any rate gives, none is offered
    g = fields(net_amount="100.00", tax_amount="500.00", total_amount="50.00", **fr)
    arithmetic = next(r for r in check_rules(g, [], KNOWN, POLICY) if r.code == "arithmetic")
    assert arithmetic.suggestion is None
    # without a known country, the least sure field as before
    assert check_rules(fields(total_amount="129.00"), LINES, KNOWN, POLICY)[0].suggestion is not None
    # an invoice of two rates (a hotel: 500 at 7 %, 500 at 19 %) with its total misread: the total is offered, not
    # a tax of one rate that would make the right tax wrong
    de = {"vendor_vat_id": "DE136695976"}
    h = fields(net_amount="1000.00", tax_amount="130.00", total_amount="1190.00", **de)
    h["total_amount"] = FieldValue("total_amount", "1190.00", "1190.00", 0.55)
    [hotel] = check_rules(h, [], KNOWN, POLICY)
    assert hotel.suggestion == Suggestion("total_amount", "1130.00")
