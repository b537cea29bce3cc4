"""Export formats without a database: the Factur-X XML checked by the published XSD and EN 16931 schematron,
read back by the e-invoice reader; what cannot make a valid invoice refused with its reason; CSV files."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from extractors.einvoice.parse import parse_einvoice
from idp_app.export import cii, ubl
from idp_app.export.csv_files import documents_csv, line_items_csv, safe_cell
from idp_app.export.record import ExportLine, ExportRecord
from idp_app.export.validate import check_cii, check_ubl

FIELDS = {
    "vendor_name": "Muster Bürobedarf GmbH",
    "vendor_address": "Hauptstraße 1\n10115 Berlin",
    "vendor_vat_id": "DE136695976",
    "vendor_iban": "DE89370400440532013000",
    "customer_name": "Kunde AG",
    "invoice_number": "R-2024-17",
    "invoice_date": "2024-03-05",
    "due_date": "2024-04-04",
    "po_number": "PO-7",
    "currency": "EUR",
    "net_amount": "107.00",
    "tax_amount": "19.49",
    "total_amount": "126.49",
}
LINES = (
    ExportLine(
        1, {"description": "Toner", "quantity": "2", "unit_price": "50.00", "amount": "100.00", "tax_rate": "19"}
    ),
    ExportLine(2, {"description": "Buch", "quantity": "1", "unit_price": "7.00", "amount": "7.00", "tax_rate": "7"}),
)


def record(lines: tuple[ExportLine, ...] = LINES, **changes: str) -> ExportRecord:
    return ExportRecord(7, "r.pdf", "ab" * 32, "invoice", "approved", "sup", None, {**FIELDS, **changes}, lines)


def xml_of(r: ExportRecord) -> bytes:
    return cii.to_xml(cii.prepare(r, "DE"))


def test_an_invoice_with_two_vat_rates_is_valid_and_reads_back_the_same() -> None:
    xml = xml_of(record())
    verdict = check_cii(xml)
    assert verdict.valid, verdict.errors
    back = parse_einvoice(xml)
    values = {name: fv.value for name, fv in back.fields.items()}
    for name in ("vendor_name", "vendor_vat_id", "vendor_iban", "customer_name", "invoice_number", "currency"):
        assert values[name] == FIELDS[name], name
    assert values["invoice_date"] == "2024-03-05" and values["due_date"] == "2024-04-04"
    assert Decimal(values["total_amount"]) == Decimal("126.49") and Decimal(values["tax_amount"]) == Decimal("19.49")
    assert [li.cells["amount"].value for li in back.line_items] == ["100.00", "7.00"]
    tree = etree.fromstring(xml)
    ns = cii.NSMAP
    rates = tree.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent/text()", namespaces=ns
    )
    assert sorted(rates) == ["19", "7"]
    assert tree.xpath("//ram:SellerTradeParty//ram:PostcodeCode/text()", namespaces=ns) == ["10115"]
    assert tree.xpath("//ram:SellerTradeParty//ram:CityName/text()", namespaces=ns) == ["Berlin"]


def test_the_same_invoice_as_ubl_is_valid_and_reads_back_the_same() -> None:
    xml = ubl.to_xml(cii.prepare(record(delivery_date="2024-03-01"), "DE"))
    verdict = check_ubl(xml)
    assert verdict.valid and not verdict.warnings, verdict
    values = {name: fv.value for name, fv in parse_einvoice(xml).fields.items()}
    for name in ("vendor_name", "vendor_vat_id", "vendor_iban", "customer_name", "invoice_number", "due_date"):
        assert values[name] == FIELDS[name], name
    assert Decimal(values["tax_amount"]) == Decimal("19.49") and Decimal(values["total_amount"]) == Decimal("126.49")
    tampered = xml.replace(b'<cbc:PayableAmount currencyID="EUR">126.49<', b'<cbc:PayableAmount currencyID="EUR">1.00<')
    assert tampered != xml and not check_ubl(tampered).valid


REFUNDED = tuple(
    ExportLine(ln.number, {**ln.cells, "amount": "-" + ln.cells["amount"], "unit_price": "-" + ln.cells["unit_price"]})
    for ln in LINES
)


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_credit_note_is_written_as_one_with_its_amounts_above_zero(syntax: str) -> None:
    """Amounts printed below zero make a credit note (EN 16931 type 381; in UBL its own document), stated above
    zero; valid by the schema and the schematron, and read back as a credit note of the same amounts."""
    inv = cii.prepare(record(REFUNDED, net_amount="-107.00", tax_amount="-19.49", total_amount="-126.49"), "DE")
    assert (inv.type_code, inv.net, inv.tax, inv.total) == ("381", Decimal("107"), Decimal("19.49"), Decimal("126.49"))
    assert [ln.amount for ln in inv.lines] == [Decimal("100.00"), Decimal("7.00")]
    assert any("credit note" in n for n in inv.notes)
    xml = cii.to_xml(inv) if syntax == "cii" else ubl.to_xml(inv)
    verdict = check_cii(xml) if syntax == "cii" else check_ubl(xml)
    assert verdict.valid, verdict.errors
    back = parse_einvoice(xml)
    values = {name: fv.value for name, fv in back.fields.items()}
    assert back.document_kind == "credit_note"
    assert Decimal(values["total_amount"]) == Decimal("126.49") and Decimal(values["tax_amount"]) == Decimal("19.49")
    assert values["due_date"] == FIELDS["due_date"] and values["vendor_iban"] == FIELDS["vendor_iban"]
    invoice = cii.to_xml(cii.prepare(record(), "DE")) if syntax == "cii" else ubl.to_xml(cii.prepare(record(), "DE"))
    assert parse_einvoice(invoice).document_kind == "invoice"
    # lines printed as the invoice printed them, the totals below zero: the same credit note
    as_printed = cii.prepare(record(net_amount="-107.00", tax_amount="-19.49", total_amount="-126.49"), "DE")
    assert as_printed.lines == inv.lines and as_printed.groups == inv.groups
    assert cii.vat_breakdown(as_printed.record) == inv.groups
    assert cii.vat_breakdown(record(net_amount="-107.00", tax_amount="-19.49", total_amount="-126.49")) == tuple(
        cii.TaxGroup(g.rate, -g.basis, -g.tax) for g in inv.groups
    )


def test_a_credit_notes_notes_keep_its_own_signs() -> None:
    """What was worked out is told as the clerk approved it (below zero), as its VAT breakdown tells it."""
    bare = tuple(ExportLine(ln.number, {"amount": ln.cells["amount"]}) for ln in REFUNDED)
    credit = record(bare, net_amount="", tax_amount="-20.33", total_amount="-127.33")
    inv = cii.prepare(credit, "DE")
    assert "no net amount approved: taken as total -127.33 - tax -20.33 = -107.00" in inv.notes
    assert any(n.startswith("VAT rate 19 % worked out from tax -20.33 on net -107.00") for n in inv.notes)
    breakdown_notes: list[str] = []
    cii.vat_breakdown(credit, breakdown_notes)
    assert set(breakdown_notes) <= set(inv.notes)
    for syntax, xml in (("cii", cii.to_xml(inv)), ("ubl", ubl.to_xml(inv))):
        assert check_cii(xml).valid if syntax == "cii" else check_ubl(xml).valid


TERMS = "Zahlbar innerhalb 30 Tagen netto, 3 % Skonto innerhalb 10 Tagen"


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_payment_terms_stand_in_for_a_missing_due_date(syntax: str) -> None:
    """EN 16931 BR-CO-25 asks for a due date or payment terms: terms alone make a valid invoice."""
    inv = cii.prepare(record(due_date="", payment_terms=TERMS), "DE")
    xml = cii.to_xml(inv) if syntax == "cii" else ubl.to_xml(inv)
    verdict = check_cii(xml) if syntax == "cii" else check_ubl(xml)
    assert verdict.valid, verdict.errors
    values = {name: fv.value for name, fv in parse_einvoice(xml).fields.items()}
    assert values["payment_terms"] == TERMS
    assert "due_date" not in values or values["due_date"] is None
    both = cii.prepare(record(payment_terms=TERMS), "DE")
    again = {
        n: fv.value
        for n, fv in parse_einvoice(cii.to_xml(both) if syntax == "cii" else ubl.to_xml(both)).fields.items()
    }
    assert again["payment_terms"] == TERMS and again["due_date"] == "2024-04-04"


def test_the_schematron_catches_a_total_that_does_not_add_up() -> None:
    xml = xml_of(record()).replace(b"<ram:GrandTotalAmount>126.49<", b"<ram:GrandTotalAmount>127.49<")
    verdict = check_cii(xml)
    assert not verdict.valid
    assert any("BR-CO-15" in e for e in verdict.errors), verdict.errors


def test_the_xml_schema_catches_a_missing_element() -> None:
    xml = xml_of(record()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    verdict = check_cii(xml)
    assert not verdict.valid and verdict.errors[0].startswith("XSD")


def test_one_rate_without_line_rates_is_found_from_the_amounts() -> None:
    lines = (
        ExportLine(1, {"description": "x", "amount": "60.00"}),
        ExportLine(2, {"description": "y", "amount": "40.00"}),
    )
    r = record(lines, net_amount="100.00", tax_amount="19.00", total_amount="119.00")
    inv = cii.prepare(r, "DE")
    assert [g.rate for g in inv.groups] == [Decimal("19")]
    assert [ln.quantity for ln in inv.lines] == [Decimal(1), Decimal(1)]
    assert any("no quantity" in n for n in inv.notes)
    assert check_cii(cii.to_xml(inv)).valid


def test_a_line_without_its_quantity_keeps_its_unit_price_where_the_amount_is_a_multiple_of_it() -> None:
    lines = (
        ExportLine(1, {"description": "x", "unit_price": "216.11", "amount": "1080.55"}),  # 5 at 216.11
        ExportLine(2, {"description": "y", "unit_price": "3.00", "amount": "19.45"}),  # no whole multiple
        ExportLine(3, {"description": "z", "unit_price": "100.00", "amount": "90.00"}),  # discounted: not 0.9 units
    )
    r = record(lines, net_amount="1190.00", tax_amount="226.10", total_amount="1416.10")
    inv = cii.prepare(r, "DE")
    assert [(ln.quantity, ln.price) for ln in inv.lines] == [
        (Decimal(5), Decimal("216.11")),
        (Decimal(1), Decimal("19.45")),
        (Decimal(1), Decimal("90.00")),
    ]
    assert any("line 1: no quantity; written as 5, its amount over its unit price" in n for n in inv.notes)
    assert check_cii(cii.to_xml(inv)).valid


def test_lines_that_do_not_add_up_give_one_line_with_the_net_amount() -> None:
    lines = (ExportLine(1, {"description": "x", "amount": "10.00"}),)
    inv = cii.prepare(record(lines, net_amount="100.00", tax_amount="19.00", total_amount="119.00"), "DE")
    assert len(inv.lines) == 1 and inv.lines[0].amount == Decimal("100.00")
    assert any("do not add up" in n for n in inv.notes)
    assert check_cii(cii.to_xml(inv)).valid


def test_a_cent_of_rounding_is_carried_by_one_vat_group() -> None:
    lines = (
        ExportLine(1, {"description": "a", "amount": "10.05", "tax_rate": "19"}),
        ExportLine(2, {"description": "b", "amount": "10.05", "tax_rate": "7"}),
    )
    # per line: 1.9095 -> 1.91 and 0.7035 -> 0.70; the invoice printed 2.62 (rounded once per line sum)
    inv = cii.prepare(record(lines, net_amount="20.10", tax_amount="2.62", total_amount="22.72"), "DE")
    assert sum(g.tax for g in inv.groups) == Decimal("2.62")
    assert check_cii(cii.to_xml(inv)).valid


@pytest.mark.parametrize(
    ("changes", "lines", "reason"),
    [
        ({"tax_amount": "0.00", "total_amount": "107.00"}, LINES, "no VAT"),
        ({"vendor_vat_id": ""}, LINES, "VAT id is empty"),
        ({"due_date": ""}, LINES, "due date and the payment terms are empty"),
        ({"customer_name": ""}, LINES, "customer name"),
        ({"total_amount": "130.00"}, LINES, "is not the total"),
        ({"invoice_number": ""}, LINES, "invoice number"),
        ({"total_amount": "-126.49", "net_amount": "7.00", "tax_amount": "-133.49"}, LINES, "not both below zero"),
        ({"tax_amount": "13.00", "total_amount": "120.00"}, (), "not one of DE's VAT rates"),
        # 19 % on 100 and 7 % on 100 add up to 13 % of 200: no rate Germany has, so no made-up single rate
        ({"net_amount": "200.00", "tax_amount": "26.00", "total_amount": "226.00"}, (), "not one of DE's VAT rates"),
        (
            {"tax_amount": "19.49", "total_amount": "126.49"},
            (ExportLine(1, {"amount": "107.00", "tax_rate": "0"}),),
            "0",
        ),
        ({"tax_amount": "25.00", "total_amount": "132.00"}, LINES, "does not match the line items' rates"),
    ],
)
def test_what_cannot_make_a_valid_invoice_is_refused_with_its_reason(
    changes: dict[str, str], lines: tuple[ExportLine, ...], reason: str
) -> None:
    with pytest.raises(cii.NotExportable, match=reason):
        cii.prepare(record(lines, **changes), "DE")


def test_the_sellers_country_comes_from_its_vat_id() -> None:
    assert cii.country_of(record(vendor_vat_id="ATU72766624")) == "AT"
    assert cii.country_of(record(vendor_vat_id="EL094259216")) == "GR"
    assert cii.country_of(record(vendor_vat_id="xi 123456789")) == "GB"
    assert cii.country_of(record(vendor_vat_id="")) is None


def test_a_single_rate_is_one_the_country_has_and_fits_to_the_cent() -> None:
    lines = (ExportLine(1, {"description": "x", "amount": "400.00"}),)
    inv = cii.prepare(record(lines, net_amount="400.00", tax_amount="76.00", total_amount="476.00"), "DE")
    assert [g.rate for g in inv.groups] == [Decimal("19")]
    with pytest.raises(cii.NotExportable, match="VAT rates"):  # 9.5 %: a multiple of a half, but not German
        cii.prepare(record(lines, net_amount="400.00", tax_amount="38.00", total_amount="438.00"), "DE")
    fr = record(lines, vendor_vat_id="FR40303265045", net_amount="400.00", tax_amount="8.40", total_amount="408.40")
    assert [g.rate for g in cii.prepare(fr, "DE").groups] == [Decimal("2.1")]


def test_rounding_gaps_are_spread_a_cent_per_vat_group_and_no_more() -> None:
    rows = (("a", "10.03", "20"), ("b", "10.05", "10"), ("c", "10.10", "5.5"))
    three = tuple(ExportLine(k, {"description": d, "amount": a, "tax_rate": r}) for k, (d, a, r) in enumerate(rows, 1))
    # per rate: 2.01 + 1.01 + 0.56 = 3.58
    inv = cii.prepare(
        record(three, vendor_vat_id="FR40303265045", net_amount="30.18", tax_amount="3.61", total_amount="33.79"), "FR"
    )
    assert [g.tax for g in inv.groups] == [Decimal("0.57"), Decimal("1.02"), Decimal("2.02")]
    with pytest.raises(cii.NotExportable, match="does not match"):
        cii.prepare(
            record(three, vendor_vat_id="FR40303265045", net_amount="30.18", tax_amount="3.62", total_amount="33.80"),
            "FR",
        )


def test_a_discount_line_has_a_negative_quantity_and_a_positive_price() -> None:
    lines = (
        ExportLine(1, {"description": "Toner", "quantity": "1", "unit_price": "110.00", "amount": "110.00"}),
        ExportLine(2, {"description": "Rabatt", "quantity": "1", "unit_price": "-10.00", "amount": "-10.00"}),
    )
    inv = cii.prepare(record(lines, net_amount="100.00", tax_amount="19.00", total_amount="119.00"), "DE")
    assert (inv.lines[1].quantity, inv.lines[1].price, inv.lines[1].amount) == (-1, 10, Decimal("-10.00"))
    assert check_cii(cii.to_xml(inv)).valid


def test_a_vat_rate_worked_out_from_the_totals_is_noted_for_the_accountant() -> None:
    """Tax 130.00 on 1000.00 is Austria's 13 %, or 20 % and 10 % on two lines whose rates were not read."""
    lines = (
        ExportLine(1, {"description": "A", "amount": "300.00"}),
        ExportLine(2, {"description": "B", "amount": "700.00"}),
    )
    at = {"vendor_vat_id": "ATU13585627", "net_amount": "1000.00", "tax_amount": "130.00", "total_amount": "1130.00"}
    inv = cii.prepare(record(lines, **at), "DE")
    assert {g.rate for g in inv.groups} == {Decimal(13)}
    assert any(
        n.startswith("VAT rate 13 % worked out from tax 130.00 on net 1000.00 (AT's VAT rates)") for n in inv.notes
    )
    rated = tuple(ExportLine(ln.number, {**ln.cells, "tax_rate": "13"}) for ln in lines)
    assert not any("worked out" in n for n in cii.prepare(record(rated, **at), "DE").notes)  # printed: nothing assumed


def test_lines_are_summed_as_written_to_the_cent_and_control_characters_are_dropped() -> None:
    lines = (
        ExportLine(1, {"description": "Toner\x0cA4", "amount": "50.005"}),
        ExportLine(2, {"description": "Papier", "amount": "49.995"}),
    )
    inv = cii.prepare(record(lines, net_amount="100.00", tax_amount="19.00", total_amount="119.00"), "DE")
    assert len(inv.lines) == 1  # 50.01 + 50.00 is not 100.00: one line carries the net amount
    worked_out = "VAT rate 19 % worked out from tax 19.00 on net 100.00 (DE's VAT rates): no line item prints its rate"
    assert inv.notes == (worked_out, "the line items do not add up to the net amount: one line carries the net amount")
    bare = cii.prepare(record((), net_amount="100.00", tax_amount="19.00", total_amount="119.00"), "DE")
    assert len(bare.lines) == 1
    assert bare.notes == (worked_out, "no line items were read: one line carries the net amount")
    inv = cii.prepare(
        record(
            (*lines[:1], ExportLine(2, {"amount": "49.995"})),
            net_amount="100.01",
            tax_amount="19.00",
            total_amount="119.01",
        ),
        "DE",
    )
    xml = cii.to_xml(inv)
    assert b"Toner A4" in xml and check_cii(xml).valid


def test_addresses_keep_postcodes_cities_and_drop_a_country_name() -> None:
    ns = cii.NSMAP
    for vat, address, postcode, city, first in (
        (
            "NL004495445B01",
            "Keizersgracht 1\n1012 AB Amsterdam\nNetherlands",
            "1012 AB",
            "Amsterdam",
            "Keizersgracht 1",
        ),
        ("ATU72766624", "Kärntner Straße 158 5020 Salzburg", "5020", "Salzburg", "Kärntner Straße 158"),
        ("DE136695976", "Hauptstraße 1\n10115 Berlin\nDeutschland", "10115", "Berlin", "Hauptstraße 1"),
    ):
        tree = etree.fromstring(xml_of(record(vendor_address=address, vendor_vat_id=vat)))
        seller = tree.xpath("//ram:SellerTradeParty/ram:PostalTradeAddress", namespaces=ns)[0]
        assert seller.xpath("ram:PostcodeCode/text()", namespaces=ns) == [postcode]
        assert seller.xpath("ram:CityName/text()", namespaces=ns) == [city]
        assert seller.xpath("ram:LineOne/text()", namespaces=ns) == [first]
        assert seller.xpath("ram:LineTwo", namespaces=ns) == []


def test_the_export_modules_import_on_their_own() -> None:
    import subprocess
    import sys

    for module in ("idp_app.export.cii", "idp_app.export.record", "idp_app.export.csv_files"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_no_buyer_country_is_refused_rather_than_assumed() -> None:
    with pytest.raises(cii.NotExportable, match="buyer_country"):
        cii.prepare(record(), None)


def test_a_delivery_date_is_written_and_a_bad_iban_refused() -> None:
    tree = etree.fromstring(xml_of(record(delivery_date="2024-03-01")))
    path = "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString/text()"
    assert tree.xpath(path, namespaces=cii.NSMAP) == ["20240301"]
    assert check_cii(xml_of(record(delivery_date="2024-03-01"))).warnings == ()  # no empty delivery element
    with pytest.raises(cii.NotExportable, match="vendor_iban"):
        cii.prepare(record(vendor_iban="AT21974681944979"), "DE")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_documents_csv_has_every_schema_field_in_order_and_guards_formulas() -> None:
    evil = replace(record(), fields={**FIELDS, "vendor_name": '=HYPERLINK("http://x")', "net_amount": "-5.00"})
    data = documents_csv("invoice", [record(), evil])
    assert b"\r\n" in data
    rows = _rows(data)
    header = list(rows[0])
    assert header[:7] == ["document_id", "file", "sha256", "decision", "approved_by", "override_reason", "failed_rules"]
    assert header.index("vendor_name") < header.index("invoice_number") < header.index("total_amount")
    assert (
        rows[0]["vendor_name"] == "Muster Bürobedarf GmbH"
        and rows[0]["vendor_address"] == "Hauptstraße 1\n10115 Berlin"
    )
    assert rows[1]["vendor_name"].startswith("'=") and rows[1]["net_amount"] == "-5.00"


def test_line_items_csv_keys_each_line_by_document_and_number() -> None:
    rows = _rows(line_items_csv([record()]))
    assert [(r["document_id"], r["invoice_number"], r["line"], r["currency"], r["amount"]) for r in rows] == [
        ("7", "R-2024-17", "1", "EUR", "100.00"),
        ("7", "R-2024-17", "2", "EUR", "7.00"),
    ]


def test_safe_cell_guards_every_formula_but_leaves_negative_numbers() -> None:
    assert safe_cell("-3.00", "amount") == "-3.00"
    assert safe_cell('=HYPERLINK("http://x")', "vat_id") == '\'=HYPERLINK("http://x")'
    assert safe_cell("-3.00+A1", "amount") == "'-3.00+A1"
    assert safe_cell("+49 30 1234", "text") == "'+49 30 1234"
    assert safe_cell("@sum", "name") == "'@sum"


def test_an_override_is_in_the_row_with_the_rules_it_let_through() -> None:
    overridden = replace(
        record(),
        override_reason="=confirmed by phone",
        failed_rules=("arithmetic: net 1 + tax 2 = 3, not the total 4", "vat_changed: another VAT id"),
    )
    rows = _rows(documents_csv("invoice", [record(), overridden]))
    assert (rows[0]["override_reason"], rows[0]["failed_rules"]) == ("", "")
    assert rows[1]["override_reason"] == "'=confirmed by phone"
    assert rows[1]["failed_rules"] == "arithmetic; vat_changed"


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_printed_total_a_cent_off_is_written_with_a_rounding_amount(syntax: str) -> None:
    r = record(total_amount="126.50")
    with pytest.raises(cii.NotExportable, match=r"net 107\.00 \+ tax 19\.49 is not the total 126\.50"):
        cii.prepare(r, "DE")  # no rounding allowed
    inv = cii.prepare(r, "DE", Decimal("0.01"))
    assert inv.rounding == Decimal("0.01") and inv.with_vat == Decimal("126.49")
    assert "the total 126.50 is net + tax 126.49 rounded by 0.01 (EN 16931 BT-114)" in inv.notes
    xml = cii.to_xml(inv) if syntax == "cii" else ubl.to_xml(inv)
    verdict = check_cii(xml) if syntax == "cii" else check_ubl(xml)
    assert verdict.valid, verdict.errors
    assert (b"<ram:RoundingAmount>0.01<" if syntax == "cii" else b"PayableRoundingAmount") in xml
    due = b"<ram:DuePayableAmount>126.50<" if syntax == "cii" else b'<cbc:PayableAmount currencyID="EUR">126.50<'
    assert due in xml  # what is due, as printed
    with pytest.raises(cii.NotExportable, match=r"is not the total 126\.51"):
        cii.prepare(record(total_amount="126.51"), "DE", Decimal("0.01"))


def test_a_rounded_unit_price_and_a_line_without_description_are_noted() -> None:
    lines = (
        ExportLine(1, {"description": "Toner", "quantity": "2", "unit_price": "50.00001", "amount": "100.00",
                       "tax_rate": "19"}),
        ExportLine(2, {"description": "", "quantity": "1", "unit_price": "7.00", "amount": "7.00", "tax_rate": "7"}),
    )  # fmt: skip
    inv = cii.prepare(record(lines), "DE")
    assert inv.notes == (
        "line 1: unit price 50.00001 written as 50.00 (four decimals)",
        "line 2: no description; written as 'Line 2'",
    )
    assert check_cii(cii.to_xml(inv)).valid


def test_a_net_amount_finer_than_a_cent_is_not_written_as_an_e_invoice() -> None:
    with pytest.raises(cii.NotExportable, match="more than two decimals"):
        cii.prepare(record(net_amount="107.001", tax_amount="19.489"), "DE")


def _groups(r: ExportRecord, notes: list[str] | None = None) -> list[tuple[str, str, str]]:
    return [(f"{g.rate:f}", f"{g.basis:f}", f"{g.tax:f}") for g in cii.vat_breakdown(r, notes)]


def test_the_vat_breakdown_splits_by_rate_without_what_only_an_e_invoice_needs() -> None:
    bare = record(customer_name="", due_date="", vendor_vat_id="")  # a receipt-like record: no buyer, no seller id
    assert _groups(bare) == [("7", "7.00", "0.49"), ("19", "100.00", "19.00")]
    lines = tuple(ExportLine(ln.number, {k: v for k, v in ln.cells.items() if k != "tax_rate"}) for ln in LINES)
    one_rate = record(lines, net_amount="107.00", tax_amount="20.33", total_amount="127.33")
    notes: list[str] = []
    assert _groups(one_rate, notes) == [("19", "107.00", "20.33")]  # the German seller's rate that fits
    assert any("worked out from tax 20.33 on net 107.00" in n for n in notes)
    bare_lines = tuple(ExportLine(ln.number, {"amount": ln.cells["amount"]}) for ln in LINES)
    notes = []  # what only the XML's lines assume (a quantity of 1, a "Line 1" name) is not the breakdown's
    _groups(record(bare_lines, net_amount="107.00", tax_amount="20.33", total_amount="127.33"), notes)
    assert len(notes) == 1 and notes[0].startswith("VAT rate 19 % worked out from tax 20.33 on net 107.00")
    refunded = tuple(ExportLine(ln.number, {"amount": "-" + ln.cells["amount"]}) for ln in LINES)
    notes = []  # a credit note's, told with its own amounts
    credit_one = record(refunded, net_amount="-107.00", tax_amount="-20.33", total_amount="-127.33")
    assert _groups(credit_one, notes) == [("19", "-107.00", "-20.33")]
    assert len(notes) == 1 and "worked out from tax -20.33 on net -107.00" in notes[0]
    notes = []  # a credit note whose net was left empty: noted once, in its own signs
    assert _groups(replace(credit_one, fields={**credit_one.fields, "net_amount": ""}), notes) == [
        ("19", "-107.00", "-20.33")
    ]
    assert notes[0] == "no net amount approved: taken as total -127.33 - tax -20.33 = -107.00" and len(notes) == 2
    with pytest.raises(cii.NotExportable, match="no VAT id names a country"):
        cii.vat_breakdown(replace(one_rate, fields={**one_rate.fields, "vendor_vat_id": ""}))
    credit = tuple(
        ExportLine(
            ln.number, {**ln.cells, "amount": "-" + ln.cells["amount"], "unit_price": "-" + ln.cells["unit_price"]}
        )
        for ln in LINES
    )
    refund = record(credit, net_amount="-107.00", tax_amount="-19.49", total_amount="-126.49")
    assert _groups(refund) == [("7", "-7.00", "-0.49"), ("19", "-100.00", "-19.00")]
    assert _groups(record(tax_amount="0.00", total_amount="107.00")) == [("0", "107.00", "0.00")]
    notes = []  # an amount left empty at approval and worked out from the total is said to be so
    assert _groups(record(net_amount="", tax_amount="19.49"), notes) == [
        ("7", "7.00", "0.49"),
        ("19", "100.00", "19.00"),
    ]
    assert notes == ["no net amount approved: taken as total 126.49 - tax 19.49 = 107.00"]
    notes = []
    assert _groups(record(tax_amount="", total_amount="107.00"), notes) == [("0", "107.00", "0.00")]
    assert notes == ["no tax amount approved: taken as total 107.00 - net 107.00 = 0.00"]
    assert (
        "no tax amount approved: taken as total 126.49 - net 107.00 = 19.49"
        in cii.prepare(record(tax_amount=""), "DE").notes
    )  # and the e-invoice says the same
    with pytest.raises(cii.NotExportable, match="net and tax amounts are empty"):
        cii.vat_breakdown(record(net_amount="", tax_amount=""))
    with pytest.raises(cii.NotExportable, match="does not match the line items' rates"):
        cii.vat_breakdown(record(tax_amount="25.00", total_amount="132.00"))
