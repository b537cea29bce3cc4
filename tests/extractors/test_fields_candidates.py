"""Typed candidates and value normalisation: amounts in both conventions, dates in en/de/fr, codes, labels."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.context import ExtractionContext
from extractors.document import Document, Page, Token, TokenSource
from extractors.fields.candidates import DocView, collect, layout_source
from extractors.fields.features import FEATURES, FeatureBuilder
from extractors.fields.normalise import (
    find_dates,
    name_tokens,
    normalise_currency,
    normalise_iban,
    normalise_vat_id,
    parse_amount,
)
from extractors.fields.schema import ValueType, load_schema, parse_schema
from extractors.geometry import BBox
from extractors.results import FieldValue


def make_doc(rows: list[str], width: float = 595.0) -> Document:
    """A one-page document: each row a line of words; two spaces in a row start a new column 200 pt further."""
    tokens: list[Token] = []
    for r, row in enumerate(rows):
        y = 40.0 + 16.0 * r
        for c, column in enumerate(row.split("  ")):
            x = 40.0 + 250.0 * c
            for word in column.split():
                w = 5.5 * len(word)
                tokens.append(Token(word, BBox(x, y, x + w, y + 10.0), 0, font_size_pt=10.0, index=len(tokens)))
                x += w + 3.0
    return Document("test.pdf", (Page(0, width, 842.0, tuple(tokens)),), "application/pdf")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("12,5", "12.5"),
        ("€1.234,56", "1234.56"),
        ("-0,50", "-0.50"),
        ("1.234.567,89", "1234567.89"),
        ("1,234", "1234"),
    ],
)
def test_amounts_in_both_decimal_conventions(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


def test_a_minus_sign_wrapped_onto_the_label_line_gives_a_negative_amount_too() -> None:
    from extractors.fields.candidates import layout_source

    def amounts(rows: list[str]) -> set[str]:
        doc = make_doc(rows)
        cands = layout_source(DocView.of(doc), ExtractionContext())
        return {c.value for c in cands if c.value_type == ValueType.AMOUNT}

    # "Steuerbetrag in EUR -" with "1,12" right under the sign: the tax of an invoice correction
    assert {"1.12", "-1.12"} <= amounts(["Steuerbetrag in EUR  -", "  1,12"])
    assert "-1.12" not in amounts(["Steuerbetrag in EUR", "  1,12"])
    assert "-1.12" not in amounts(["Steuerbetrag in EUR -", "  1,12"])  # the sign is not over the number


def test_an_address_goes_on_below_a_row_of_another_column() -> None:
    def addresses(rows: list[str]) -> set[str]:
        cands = layout_source(DocView.of(make_doc(rows)), ExtractionContext())
        return {c.value for c in cands if c.value_type == ValueType.ADDRESS}

    # the seller's street and city with the invoice's date between them, in the column to the right
    rows = ["Muster GmbH  Invoice no 12", "Hauptstraße 1", "  Date 05.03.2024", "10115 Berlin"]
    assert "Hauptstraße 1 10115 Berlin" in addresses(rows)
    # two rows of another column in a row end the block
    assert "Hauptstraße 1 10115 Berlin" not in addresses([*rows[:3], "  Due 05.04.2024", rows[3]])
    # and so does a gap of a blank row
    assert "Hauptstraße 1 10115 Berlin" not in addresses([*rows[:2], "", "", rows[3]])


def test_a_currency_symbol_before_the_next_amount_makes_no_amount_of_the_number_before_it() -> None:
    def amounts(row: str) -> set[str]:
        cands = layout_source(DocView.of(make_doc([row])), ExtractionContext())
        return {c.value for c in cands if c.value_type == ValueType.AMOUNT}

    assert amounts("iDEAL op 21 april 2015 € 717,97") == {"717.97"}  # the year is no amount
    assert amounts("Totaal 2015 €") == {"2015.00"}  # the symbol after the number is its own
    assert amounts("Totaal 2015 EUR") == {"2015.00"}
    assert amounts("MwSt 19,00 % 38,00") == {"38.00"}  # a rate stays a rate
    cands = layout_source(DocView.of(make_doc(["Netto 100,00 EUR 19,00 EUR"])), ExtractionContext())
    hints = {c.value: c.currency_hint for c in cands if c.value_type == ValueType.AMOUNT}
    assert hints == {"100.00": "EUR", "19.00": "EUR"}  # an amount keeps the currency printed after it


def test_thousands_set_off_by_a_space_on_a_scan_are_one_amount() -> None:
    """OCR boxes digits by their ink: on a scan "24 660,34" stands 0.86 text heights apart, wider than a text
    layer sets it."""
    from extractors.document import TokenSource

    def amounts(source: TokenSource) -> set[str]:
        words = [("Total", 40.0, 62.0), ("HT", 66.0, 78.0), ("24", 200.0, 209.0), ("660,34", 215.9, 242.0)]
        tokens = tuple(
            Token(w, BBox(x0, 100.0, x1, 108.0), 0, confidence=0.9, source=source, index=i)
            for i, (w, x0, x1) in enumerate(words)
        )
        doc = Document("scan.pdf", (Page(0, 595.0, 842.0, tokens),), "application/pdf")
        cands = layout_source(DocView.of(doc), ExtractionContext())
        return {c.value for c in cands if c.value_type == ValueType.AMOUNT}

    assert "24660.34" in amounts(TokenSource.OCR)
    assert "24660.34" not in amounts(TokenSource.TEXT_LAYER)  # a text layer's gap that wide is two numbers


@pytest.mark.parametrize(
    ("row", "negative"),
    [
        ("Total  (595.00)", "-595.00"),
        ("Total  (595.00 EUR)", "-595.00"),
        ("Total  (EUR 595.00)", "-595.00"),
        ("Total  ( 595.00 )", "-595.00"),
        ("Total  (€ 95,00)", "-95.00"),
        ("Gutschrift  (1 234,56)", "-1234.56"),
        ("Gutschrift  (1 234,56 EUR)", "-1234.56"),
    ],
)
def test_an_amount_in_brackets_is_below_zero_however_its_words_fall(row: str, negative: str) -> None:
    """The accountants' brackets: around the number alone, around it with its currency, or set apart from it."""
    cands = layout_source(DocView.of(make_doc([row])), ExtractionContext())
    amounts = {c.value for c in cands if c.value_type == ValueType.AMOUNT}
    assert negative in amounts and negative.lstrip("-") not in amounts, amounts
    inner = row.split("  ")[1]
    assert parse_amount(inner) == Decimal(negative), inner


@pytest.mark.parametrize("row", ["Zahlbar (in 30 Tagen) 595.00", "Total 595.00 (incl. VAT)", "(Ref 12) 595.00"])
def test_brackets_that_are_not_the_amounts_leave_it_above_zero(row: str) -> None:
    cands = layout_source(DocView.of(make_doc([row])), ExtractionContext())
    assert "-595.00" not in {c.value for c in cands if c.value_type == ValueType.AMOUNT}


@pytest.mark.parametrize("text", ["1,2,3", "12.345.67", "abc", "1.23.456,7"])
def test_malformed_numbers_are_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Rechnungsdatum: 05.03.2024", "2024-03-05"),
        ("Date de facture : 5 mars 2024", "2024-03-05"),
        ("Datum: 5. März 2024", "2024-03-05"),
        ("Invoice date March 5, 2024", "2024-03-05"),
        ("Issued 2024-03-05", "2024-03-05"),
        ("le 15 décembre 2023", "2023-12-15"),
        ("Jan 17 2019", "2019-01-17"),
    ],
)
def test_dates_in_three_languages(text: str, iso: str) -> None:
    assert [d[2] for d in find_dates(text)] == [iso]


def test_ambiguous_numeric_dates_follow_the_document_convention() -> None:
    assert find_dates("03/04/2023")[0][2] == "2023-04-03"
    assert find_dates("03/04/2023", month_first=True)[0][2] == "2023-03-04"
    assert find_dates("03/20/2023")[0][2] == "2023-03-20"  # only one reading exists


def test_a_us_address_settles_the_order_when_no_date_does() -> None:
    us = ["Lindqvist Print LLC", "178 Broadway", "Austin, TX 78701", "Invoice date 03/05/2024"]
    assert DocView.of(make_doc(us)).month_first
    assert not DocView.of(make_doc([r for r in us if "TX" not in r])).month_first
    # a date that can be read one way only still decides: 20/03/2024 is day first wherever the seller is
    assert not DocView.of(make_doc([*us, "Due 20/03/2024"])).month_first
    assert not DocView.of(make_doc(["Jalan Ipoh, 51200 Kuala Lumpur", "Date 03/05/2024"])).month_first
    # not a US address: a German one with its state-like prefix, or a ZIP with the city after it
    assert not DocView.of(make_doc(["Hauptstraße 5, DE 80331 München", "Datum 05/03/2024"])).month_first
    # a European seller's invoice to a US buyer keeps the seller's order
    seller = ["Muster GmbH", "USt-IdNr. DE136695976", "IBAN DE89 3704 0044 0532 0130 00"]
    assert not DocView.of(make_doc([*seller, "Bill to: Acme Inc, Austin, TX 78701", "Date 05/03/2024"])).month_first


def test_codes_are_checked_by_their_libraries() -> None:
    assert normalise_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert normalise_iban("DE89 3704 0044 0532 0130 01") is None
    assert normalise_vat_id("DE 136 695 976") == "DE136695976"
    assert normalise_vat_id("DE 136 695 977") is None
    # a Swiss VAT number is its enterprise id, printed with or without the MWST/TVA marker
    assert normalise_vat_id("CHE-118.287.126 MWST") == normalise_vat_id("CHE-118.287.126") == "CHE118287126"
    assert normalise_vat_id("CHE-118.287.127") is None
    assert normalise_currency("€") == "EUR"
    assert normalise_currency("Euro") == "EUR"
    assert normalise_currency("dollar des États-Unis") == "USD"
    assert name_tokens("Müller GmbH & Co.") == ("muller", "gmbh", "co")


def test_layout_candidates_carry_type_value_and_box() -> None:
    doc = make_doc(
        [
            "ACME Trading GmbH",
            "Rechnung Nr. RE-2024-0042  Datum: 05.03.2024",
            "IBAN: DE89 3704 0044 0532 0130 00",
            "USt-IdNr.: DE136695976",
            "Summe netto  1.000,00 EUR",
            "MwSt 19 %  190,00 EUR",
            "Gesamtbetrag  1.190,00 EUR",
        ]
    )
    cands = collect(DocView.of(doc), ExtractionContext())
    by_type: dict[str, set[str]] = {}
    for c in cands:
        by_type.setdefault(str(c.value_type), set()).add(c.value)
        assert c.bbox_pt.width > 0 and c.token_ids
    assert {"1000.00", "190.00", "1190.00"} <= by_type["amount"]
    assert "19.00" not in by_type["amount"]  # a rate, not an amount
    assert by_type["date"] == {"2024-03-05"}
    assert "DE89370400440532013000" in by_type["iban"]
    assert "DE136695976" in by_type["vat_id"]
    assert "RE-2024-0042" in by_type["identifier"]
    assert "EUR" in by_type["currency"]
    assert "ACME Trading GmbH" in by_type["name"]


def test_a_one_line_letterhead_offers_its_first_part_as_a_name() -> None:
    doc = make_doc(["Au bon moulin SARL - 1242 chemin de l'olive - 84340 Malaucène - France", "Facture FA-2017-0010"])
    names = {c.value for c in collect(DocView.of(doc), ExtractionContext()) if c.value_type == ValueType.NAME}
    assert "Au bon moulin SARL" in names
    plain = make_doc(["Tel. - +33 4 50 44 68 99"])  # one word before the dash is no name apart
    names = {c.value for c in collect(DocView.of(plain), ExtractionContext()) if c.value_type == ValueType.NAME}
    assert "Tel." not in names
    # the seller's name before the document's title on one line
    titled = make_doc(["Amazon Web Services Invoice", "Invoice Number:  42183017"])
    names = {c.value for c in collect(DocView.of(titled), ExtractionContext()) if c.value_type == ValueType.NAME}
    assert "Amazon Web Services" in names


def test_a_label_alone_is_no_name_address_or_text() -> None:
    from extractors.pipeline import field_candidates

    doc = make_doc(["Afleveradres", "Strategic Corp", "Fakestreet 46", "Netto"])
    per_field, _rows = field_candidates(doc, load_schema("invoice"), ExtractionContext())
    names = {c.value for c in per_field["vendor_name"]}
    assert "Strategic Corp" in names
    assert "Afleveradres" not in names  # the customer's label
    assert "Netto" in names  # an amount's label, and a shop's name


def test_a_column_of_labels_and_values_is_no_address() -> None:
    from extractors.pipeline import field_candidates

    doc = make_doc(["Rechnungsnummer: 2023/65112", "Kundennummer: K-1", "", "An der Alster 1", "20099 Hamburg"])
    per_field, _rows = field_candidates(doc, load_schema("invoice"), ExtractionContext())
    addresses = {c.value for c in per_field["vendor_address"]}
    assert "An der Alster 1 20099 Hamburg" in addresses  # a street may start with a short label word ("an")
    assert not [a for a in addresses if a.startswith("Rechnungsnummer")]


def test_a_documents_title_is_no_name() -> None:
    doc = make_doc(["OYO  PAYMENT RECEIPT", "Tax Invoice", "Payment Solutions Ltd", "Receipt Bank"])
    cands = collect(DocView.of(doc), ExtractionContext())
    names = {c.value for c in cands if c.value_type == ValueType.NAME}
    texts = {c.value for c in cands if c.value_type == ValueType.TEXT}
    assert {"OYO", "Payment Solutions Ltd", "Receipt Bank"} <= names
    assert not {"PAYMENT RECEIPT", "Tax Invoice"} & names
    assert "PAYMENT RECEIPT" in texts  # still text: what a user's own field may want


def test_a_word_of_a_printed_date_is_no_identifier() -> None:
    from extractors.pipeline import field_candidates

    doc = make_doc(["Invoice Date:  August 3, 2014", "Invoice Number:  42183017", "Order 2014"])
    per_field, _rows = field_candidates(doc, load_schema("invoice"), ExtractionContext())
    numbers = [(c.value, c.line) for c in per_field["invoice_number"]]
    assert ("42183017", 1) in numbers
    assert ("2014", 0) not in numbers  # the year of the date
    assert ("2014", 2) in numbers  # a number of its own elsewhere


def test_a_code_printed_in_groups_ends_where_it_is_valid_not_in_the_next_word() -> None:
    doc = make_doc(
        [
            "Im Internet: www.example.de UStId DE 136 695 976 SWIFT COBADEFFXXX",
            "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX",
            "FR76 1664 7947 7244 2340 5968 780 3 Clavier sans fil",  # the next column's position number
        ]
    )
    cands = collect(DocView.of(doc), ExtractionContext())
    vat = [c for c in cands if c.value_type == ValueType.VAT_ID and c.value.startswith("DE136")]
    iban = [c for c in cands if c.value_type == ValueType.IBAN]
    assert [(c.value, c.valid, c.text) for c in vat] == [("DE136695976", True, "DE 136 695 976")]
    assert [(c.value, c.valid) for c in iban] == [
        ("DE89370400440532013000", True),
        ("FR7616647947724423405968780", True),
    ]

    def vat_ids(row: str) -> list[tuple[str, bool, str]]:
        cands = collect(DocView.of(make_doc([row])), ExtractionContext())
        return [(c.value, c.valid, c.text) for c in cands if c.value_type == ValueType.VAT_ID]

    # digits are never cut off to make a code valid: a checksum may hold by chance
    assert vat_ids("USt-IdNr DE 136 695 976 1") == [("DE1366959761", False, "DE 136 695 976 1")]
    # nor is the label word taken for the country; a British VAT id is valid too
    assert vat_ids("VAT GB 980 7806 84") == [("GB980780684", True, "GB 980 7806 84")]
    # one valid nowhere does not take in the next label ("GB123456789IBAN" was read)
    assert vat_ids("VAT Reg No: GB123456789 IBAN: GB00 1234") == [("GB123456789", False, "GB123456789")]
    # nor does the address before it hide it: the pattern first took "EH1 1YZ VAT ID GB 666" for an id
    assert vat_ids("Edinburgh EH1 1YZ VAT ID GB 666 7530 46 office@lumen.example") == [
        ("GB666753046", True, "GB 666 7530 46")
    ]
    assert "SWIFT" not in vat[0].text and len(vat[0].token_ids) == 4


def _date_features(rows: list[str], *values: str) -> tuple[FeatureBuilder, list[dict[str, float]]]:
    """The features, as the invoice date, of the date candidates with ``values`` on a document of ``rows``."""
    schema = load_schema("invoice")
    view = DocView.of(make_doc(rows))
    cands = [c for c in collect(view, ExtractionContext()) if c.value_type == ValueType.DATE]
    fb = FeatureBuilder(view, schema, cands)
    spec = schema.field("invoice_date")
    return fb, [
        dict(zip(FEATURES, fb.features(spec, next(c for c in cands if c.value == v)), strict=True)) for v in values
    ]


def test_label_features_see_the_label_on_the_left_and_the_competing_label() -> None:
    _, (f_issue, f_due) = _date_features(
        ["Rechnungsdatum: 05.03.2024", "Fälligkeit: 04.04.2024"], "2024-03-05", "2024-04-04"
    )
    assert f_issue["lab_left"] == 1.0 and f_issue["lab_left_adjacent"] == 1.0
    assert f_due["other_left_closer"] == 1.0


def test_a_short_label_inside_another_fields_longer_label_labels_nothing() -> None:
    fb, (f_issued, f_delivered) = _date_features(
        ["Date  Delivery date", "06.02.2024  02.02.2024"], "2024-02-06", "2024-02-02"
    )
    assert f_issued["lab_above_aligned"] == 1.0
    assert f_delivered["lab_above_aligned"] == 0.0 and f_delivered["other_above_aligned"] == 1.0
    [hit] = fb.labels["invoice_date"]  # "date" of "Delivery date" is the delivery date's label only
    assert hit.chars == (0, 4)


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        ("Date limite de paiement le 05 Juillet 2015", "due_date", "2015-07-05"),
        ("Exclusief BTW € 593,36", "net_amount", "593.36"),
        ("UStId DE 136 695 976", "vendor_vat_id", "DE136695976"),
        ("Service Provider:  Amazon Web Services, Inc.", "vendor_name", "Amazon Web Services, Inc."),
    ],
)
def test_labels_as_invoices_print_them(row: str, field: str, value: str) -> None:
    schema = load_schema("invoice")
    view = DocView.of(make_doc([row]))
    cands = collect(view, ExtractionContext())
    cand = next(c for c in cands if c.value == value)
    feats = dict(zip(FEATURES, FeatureBuilder(view, schema, cands).features(schema.field(field), cand), strict=True))
    assert feats["lab_left"] == 1.0, row


def test_a_field_added_to_a_schema_is_data_only() -> None:
    data = {
        "fields": {
            "contract_ref": {"type": "identifier", "labels": {"en": ["contract ref"], "de": ["vertragsnummer"]}},
        }
    }
    schema = parse_schema(data, "invoice")
    spec = schema.field("contract_ref")
    assert spec.value_type == ValueType.IDENTIFIER
    assert spec.all_labels() == ("vertragsnummer", "contract ref")
    with pytest.raises(ValueError, match=r"fields\.x\.type 'colour' is none of date, amount"):
        parse_schema({"fields": {"x": {"type": "colour"}}}, "invoice")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"labels": {"en": ["ref"]}}, "fields.ref has no type"),
        ({"type": "text", "labels": "ref"}, "fields.ref.labels must be a table of languages"),
        ({"type": "text", "labels": {"en": "ref"}}, "fields.ref.labels.en must be a list of words"),  # not r, e, f
        ({"type": "text", "required": "false"}, "fields.ref.required must be true or false .*not 'false'"),
        ({"type": "text", "expected": 1}, "fields.ref.expected must be true or false"),
        ({"type": "text", "lables": {"en": ["ref"]}}, r"fields.ref: no key 'lables' \(did you mean labels\?\)"),
        ("text", "fields.ref must be a table"),
    ],
)
def test_a_schema_entry_that_cannot_be_used_is_refused_naming_the_field(entry: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schema({"fields": {"ref": entry}}, "invoice")


def test_a_schema_file_that_cannot_be_used_names_the_file_and_the_line(tmp_path: Path) -> None:
    from extractors.errors import SchemaFileError
    from extractors.fields.schema import SCHEMA_DIR, check_schemas, read_schema

    for name in ("invoice", "receipt", "contract"):
        (tmp_path / f"{name}.toml").write_bytes((SCHEMA_DIR / f"{name}.toml").read_bytes())
    check_schemas(tmp_path)  # the shipped ones, copied, are fine
    receipt = tmp_path / "receipt.toml"
    receipt.write_text(receipt.read_text(encoding="utf-8") + '\n[fields.tip]\ntype = "amount\n', encoding="utf-8")
    with pytest.raises(SchemaFileError, match=r"receipt.toml: field schema is not valid TOML: .*line \d+") as caught:
        check_schemas(tmp_path)
    assert caught.value.kind == "schema_file"
    receipt.write_text('\ufeff[fields.tip]\ntype = "amount"\nlabels.en = ["tip"]\n', encoding="utf-8")  # with a BOM
    assert read_schema(receipt, "receipt").names() == ("tip",)


def test_shipped_schemas_name_the_canonical_fields() -> None:
    invoice = load_schema("invoice")
    for name in ("vendor_name", "invoice_number", "invoice_date", "total_amount", "vendor_iban", "currency"):
        assert name in invoice.names()
    assert set(invoice.line_item_labels) == {
        "position",
        "article_number",
        "description",
        "quantity",
        "unit_price",
        "amount",
        "tax_rate",
    }
    contract = load_schema("contract")
    assert contract.field("parties").value_type == ValueType.PARTY_LIST
    for spec in invoice.fields:
        assert {"en", "de", "fr"} <= set(spec.labels), spec.name


def test_extra_candidate_sources_plug_in_with_a_prior() -> None:
    from extractors.fields.candidates import Candidate, layout_source
    from extractors.pipeline import field_candidates

    doc = make_doc(["Bank: Sparkasse  Konto 1234567890", "IBAN DE89 3704 0044 0532 0130 00"])

    def vendor_memory(view: DocView, ctx: ExtractionContext) -> list[Candidate]:
        box = view.box(0, (0,))
        return [
            Candidate(
                ValueType.IBAN, "DE02120300000000202051", "known", 0, 0, (0,), box, for_field="vendor_iban", prior=1.0
            )
        ]

    per_field, rows = field_candidates(doc, load_schema("invoice"), ExtractionContext(), [layout_source, vendor_memory])
    values = rows["vendor_iban"].values
    assert "DE02120300000000202051" in values and "DE89370400440532013000" in values
    prior = rows["vendor_iban"].features[:, FEATURES.index("prior")]
    assert prior[values.index("DE02120300000000202051")] == 1.0
    assert prior[values.index("DE89370400440532013000")] == 0.0
    assert all(c.for_field in (None, "vendor_iban") for c in per_field["vendor_iban"])


def test_rows_of_a_page_scanned_askew_are_grouped_level() -> None:
    import math

    from extractors.fields.candidates import page_lines

    climb = math.tan(math.radians(2.5))  # the page lay 2.5 degrees askew; boxes stay as displayed
    tokens: list[Token] = []
    for r, row in enumerate((("Description", "Qty", "Amount"), ("Toner", "1", "3,00"))):
        for word, x in zip(row, (40.0, 300.0, 480.0), strict=True):
            y = 200.0 + 16.0 * r - climb * x
            tokens.append(Token(word, BBox(x, y, x + 5.5 * len(word), y + 10.0), 0, index=len(tokens)))
    askew = Page(0, 595.0, 842.0, tuple(tokens), skew_deg=2.5)
    assert [lv.text for lv in page_lines(askew)] == ["Description Qty Amount", "Toner 1 3,00"]
    assert len(page_lines(dataclasses.replace(askew, skew_deg=0.0))) > 2  # taken level, the rows fall apart


def test_a_receipt_number_is_expected_but_not_required_and_expected_defaults_to_required() -> None:
    receipt = load_schema("receipt").field("invoice_number")
    assert (receipt.required, receipt.expected) == (False, True)  # read again where missing; approvable without
    for spec in load_schema("invoice").fields:
        assert spec.expected == spec.required, spec.name
    spec = parse_schema({"fields": {"ref": {"type": "identifier", "expected": True}}}, "x").field("ref")
    assert (spec.required, spec.expected) == (False, True)


@pytest.mark.parametrize("label", ["MWST-Nr. CHE-116.281.710 MWST", "UID: CHE-116.281.710"])
def test_a_swiss_vat_number_under_its_own_labels_is_the_vendors(tmp_path: Path, label: str) -> None:
    from extractors.pipeline import extract
    from tests.extractors.test_readers_docs import text_pdf

    lines = (
        ("Alpenblick Handels AG", 72, 80),
        ("Bahnhofstrasse 12, 8001 Zürich", 72, 95),
        (label, 72, 110),
        ("Rechnung Nr. 2024-117", 72, 160),
        ("Datum: 05.03.2024", 350, 160),
        ("Total CHF 1'234.50", 350, 300),
    )
    result = extract(text_pdf(tmp_path / "ch.pdf", pages=(lines,)), ExtractionContext())
    vat = result.fields["vendor_vat_id"]
    assert vat.value == "CHE116281710" and vat.confidence >= 0.5, vat


def test_a_span_vendor_memory_proposes_for_one_field_does_not_count_twice_for_the_others() -> None:
    """Memory proposing the delivery date's span for the delivery date made that date look printed twice: the
    invoice date then took it ("Date de livraison : 2024-12-05") over its own ("Date : 2024-12-06")."""
    doc = make_doc(["Date :  2024-12-06", "Date de livraison :  2024-12-05", "Total  119,00"])
    view = DocView.of(doc)
    schema = load_schema("invoice")
    found = collect(view, ExtractionContext())
    delivery = next(c for c in found if c.value == "2024-12-05")
    with_memory = [*found, dataclasses.replace(delivery, source="memory", for_field="delivery_date", prior=0.99)]
    spec = schema.field("invoice_date")
    dates = [c for c in found if c.value_type == ValueType.DATE]
    plain = FeatureBuilder(view, schema, found).matrix(spec, dates)
    assert (FeatureBuilder(view, schema, with_memory).matrix(spec, dates) == plain).all()


@pytest.mark.parametrize(
    ("net", "tax", "total"), [("-500.00", "-95.00", "-595.00"), ("(500.00)", "(95.00)", "(595.00)")]
)
def test_a_credit_notes_amounts_below_zero_are_read_as_an_invoices(
    tmp_path: Path, net: str, tax: str, total: str
) -> None:
    """Printed with a minus or in the accountants' brackets, they rank and add up as an invoice's amounts do."""
    from extractors.pipeline import extract
    from tests.extractors.test_readers_docs import text_pdf

    lines = (
        ("Northwind Supplies Ltd", 50, 60),
        ("Credit Note No: CN-77", 350, 120),
        ("Date: 2024-03-05", 350, 136),
        ("Description", 50, 260),
        ("Qty", 300, 260),
        ("Unit price", 360, 260),
        ("Amount", 470, 260),
        ("Consulting services", 50, 278),
        ("1", 300, 278),
        (f"{net} EUR", 360, 278),
        (f"{net} EUR", 470, 278),
        ("Subtotal", 360, 314),
        (f"{net} EUR", 470, 314),
        ("VAT 19%", 360, 330),
        (f"{tax} EUR", 470, 330),
        ("Total", 360, 346),
        (f"{total} EUR", 470, 346),
    )
    fields = extract(text_pdf(tmp_path / "cn.pdf", pages=(lines,)), ExtractionContext()).fields
    assert [fields[n].value for n in ("net_amount", "tax_amount", "total_amount")] == ["-500.00", "-95.00", "-595.00"]
    assert min(fields[n].confidence for n in ("net_amount", "tax_amount", "total_amount")) > 0.5


@pytest.mark.parametrize(
    ("other", "sure"), [("", False), ("Shipping 1.250,50", True), ("Delivered 04.03.2024 Shipping 1.250,50", True)]
)
def test_an_amount_that_reads_two_ways_is_no_surer_than_a_coin_toss_unless_the_page_tells(
    tmp_path: Path, other: str, sure: bool
) -> None:
    """'45.000' is 45000 (a dot grouping thousands) or 45 (a dot marking decimals): a page printing cents with a
    comma elsewhere tells which."""
    from extractors.pipeline import TWO_WAYS_EVIDENCE, extract
    from tests.extractors.test_readers_docs import text_pdf

    lines = [
        ("Acme Trading Ltd", 50, 60),
        ("INVOICE", 350, 60),
        ("Invoice No: INV-45", 350, 100),
        ("Date: 2024-03-05", 350, 116),
        ("Total EUR 45.000", 360, 330),
    ]
    if other:
        lines.append((other, 360, 300))
    total = extract(text_pdf(tmp_path / "t.pdf", pages=(tuple(lines),)), ExtractionContext()).fields["total_amount"]
    assert total.value == "45000.00"
    assert (total.confidence > 0.5) == sure and (TWO_WAYS_EVIDENCE in total.evidence) != sure


def ocr_page(
    read: list[list[tuple[str, float, float, float, float]]], width: float, height: float, skew_deg: float = 0.0
) -> Page:
    """A scanned page as OCR read it: each list of (word, x0, y0, x1, y1) one line."""
    from extractors.document import Line, TokenSource

    tokens: list[Token] = []
    lines = []
    for words in read:
        ids = []
        for text, x0, y0, x1, y1 in words:
            ids.append(len(tokens))
            tokens.append(Token(text, BBox(x0, y0, x1, y1), 0, 0.9, TokenSource.OCR, index=len(tokens)))
        lines.append(Line(tuple(ids), BBox.union_of(tokens[i].bbox_pt for i in ids)))
    return Page(0, width, height, tuple(tokens), tuple(lines), source=TokenSource.OCR, skew_deg=skew_deg)


def test_a_line_ocr_read_stays_one_row_beside_a_column_of_other_heights() -> None:
    """A generated invoice scanned 1.9 degrees askew, as Tesseract read it: the invoice date's line, and the end
    of the buyer's house number beside it, in a column whose lines sit at other heights."""
    from extractors.fields.candidates import page_lines

    read = [
        [("Rechnungsdatum:", 41.5, 214.3, 105.8, 224.4), ("16.", 127.1, 212.9, 137.1, 220.1),
         ("Juli", 140.1, 212.4, 153.6, 219.3), ("2022", 156.6, 211.3, 175.2, 218.8),
         ("18", 353.7, 201.2, 361.4, 208.3)],
        [("Lieferdatum:", 42.0, 229.0, 88.0, 236.0), ("13.", 128.0, 227.0, 138.0, 233.0),
         ("Juli", 141.0, 226.0, 154.0, 233.0), ("2022", 157.0, 225.0, 176.0, 232.0)],
    ]  # fmt: skip
    page = ocr_page(read, 595.44, 842.04, skew_deg=1.9)
    rows = [lv.text for lv in page_lines(page)]
    assert "Rechnungsdatum: 16. Juli 2022" in rows, rows  # before: "2022 18", "Rechnungsdatum: 16. Juli"
    doc = Document("scan.png", (page,), "image/png")
    dates = [c.value for c in layout_source(DocView.of(doc), ExtractionContext()) if c.value_type == ValueType.DATE]
    assert sorted(dates) == ["2022-07-13", "2022-07-16"]


def test_a_tall_title_on_a_line_ocr_read_does_not_pull_the_line_below_into_its_row() -> None:
    """The seller's name, and the large title "INVOICE" (read as letters) that OCR put on its line; the e-mail
    address under the name, within the title's height, is a row of its own."""
    from extractors.document import Line, TokenSource
    from extractors.fields.candidates import page_lines

    read = [
        [("Sammy", 49, 27, 84, 36), ("Maystone", 87, 27, 133, 36), ("I", 461, 28, 463, 49), ("N", 468, 28, 484, 49),
         ("V", 487, 28, 505, 49), ("E", 558, 28, 573, 49)],
        [("smaystone4@fake.com", 49, 39, 152, 49)],
    ]  # fmt: skip
    page = ocr_page(read, 612.0, 792.0)
    assert [lv.text for lv in page_lines(page)] == ["Sammy Maystone I N V E", "smaystone4@fake.com"]
    logo = [("ik", 45, 47, 72, 59), ("Yardleywerk", 97, 37, 185, 54), ("OG", 189, 36, 212, 48),
            ("5020", 476, 27, 494, 35), ("Salzburg", 499, 26, 534, 36)]  # fmt: skip
    beside = [
        Token(t, BBox(x0, y0, x1, y1), 0, 0.9, TokenSource.OCR, index=k) for k, (t, x0, y0, x1, y1) in enumerate(logo)
    ]
    line = Line(tuple(range(len(beside))), BBox.union_of(t.bbox_pt for t in beside))
    header = Page(0, 612.0, 792.0, tuple(beside), (line,), source=TokenSource.OCR)
    # a logo read as "ik" before the seller's name, and the seller's town in the other column, OCR put on one line
    assert [lv.text for lv in page_lines(header)] == ["5020 Salzburg", "Yardleywerk OG", "ik"]
    two = [Token("Net", BBox(40, 100, 60, 110), 0, 0.9, TokenSource.OCR, index=0),
           Token("Total", BBox(40, 120, 70, 130), 0, 0.9, TokenSource.OCR, index=1)]  # fmt: skip
    through = Page(0, 612.0, 792.0, tuple(two), (Line((0, 1), BBox(40, 100, 70, 130)),), source=TokenSource.OCR)
    assert [lv.text for lv in page_lines(through)] == ["Net", "Total"]  # a line OCR drew through two rows
    two = [Token("Total", BBox(40, 100, 70, 110), 0, 0.9, TokenSource.OCR, index=0),
           Token("99,00", BBox(300, 109, 330, 119), 0, 0.9, TokenSource.OCR, index=1)]  # fmt: skip
    barely = Page(0, 612.0, 792.0, tuple(two), (Line((0, 1), BBox(40, 100, 330, 119)),), source=TokenSource.OCR)
    assert [lv.text for lv in page_lines(barely)] == ["Total", "99,00"]  # one point of height in common


def test_rows_of_a_scan_whose_skew_the_clean_up_missed_follow_the_slope_of_the_lines_ocr_read() -> None:
    """Lines climbing 2.6 degrees on a page whose clean-up found no skew: the words at a line's ends are as far
    from its middle as a word is high, and stay in its row."""
    from extractors.document import Line, TokenSource
    from extractors.fields.candidates import page_lines

    climb = math.tan(math.radians(2.6))
    rows = [["Zwischensumme", "38'285.15", "CHF"], ["USt.", "8.1%", "3'101.10", "CHF"], ["Total", "41'386.25", "CHF"]]
    tokens: list[Token] = []
    lines = []
    for r, words in enumerate(rows):
        ids = []
        for k, word in enumerate(words):
            x = 60.0 + 130.0 * k
            y = 300.0 + 30.0 * r - climb * x
            ids.append(len(tokens))
            tokens.append(
                Token(word, BBox(x, y, x + 6.0 * len(word), y + 9.0), 0, 0.9, TokenSource.OCR, index=len(tokens))
            )
        lines.append(Line(tuple(ids), BBox.union_of(tokens[i].bbox_pt for i in ids)))
    page = Page(0, 595.0, 842.0, tuple(tokens), tuple(lines), source=TokenSource.OCR, skew_deg=0.0)
    assert [lv.text for lv in page_lines(page)] == [" ".join(words) for words in rows]


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("VAT No FRO7262264492", "FR07262264492"),  # O for 0 in the check digits
        ("UID ATUS1199331", "ATU51199331"),  # S for 5 after the U that Austrian numbers carry
        ("IBAN DE89 3704 0044 0532 O130 00", "DE89370400440532013000"),
        ("IBAN DE89 3704 0044 0532 O130 00 BIC COBADEFFXXX", "DE89370400440532013000"),  # not run into the BIC
    ],
)
def test_a_code_ocr_read_with_a_letter_for_a_digit_is_mended_where_only_that_reading_is_valid(
    read: str, meant: str
) -> None:
    from extractors.document import TokenSource

    doc = make_doc(["Rechnung", read])
    kind = ValueType.IBAN if "IBAN" in read else ValueType.VAT_ID
    scanned_tokens = tuple(dataclasses.replace(t, source=TokenSource.OCR, confidence=0.9) for t in doc.pages[0].tokens)
    scanned = dataclasses.replace(doc, pages=(dataclasses.replace(doc.pages[0], tokens=scanned_tokens),))
    found = [c for c in layout_source(DocView.of(scanned), ExtractionContext()) if c.value_type == kind]
    assert [(c.value, c.valid) for c in found] == [(meant, True)]
    printed = [c for c in layout_source(DocView.of(doc), ExtractionContext()) if c.value_type == kind]
    assert [c.valid for c in printed] == [False] and printed[0].value != meant  # a text layer prints what it means


def test_a_code_is_not_mended_where_no_reading_or_two_readings_are_valid() -> None:
    from extractors.fields.normalise import mended_code, normalise_vat_id

    assert mended_code("DE778094670", normalise_vat_id) is None  # digits misread as digits: nothing to mend
    assert mended_code("DE123456789", normalise_vat_id) is None
    assert mended_code("DEOOOOOOOOO", normalise_vat_id) is None  # more letters than are mended


def test_a_vat_id_ocr_read_whose_check_digits_fail_is_doubted_one_a_text_layer_prints_is_not() -> None:
    from extractors.document import DocumentType, TokenSource
    from extractors.pipeline import MISREAD_CODE_CONFIDENCE, MISREAD_CODE_EVIDENCE, extract_document

    doc = make_doc(
        [
            "Acme Trading GmbH  RECHNUNG",
            "Rechnungsnummer: RE-2024-118",
            "Datum: 05.03.2024",
            "USt-IdNr.: DE778094670",
            "Gesamtbetrag 119,00 EUR",
        ]
    )
    scanned_tokens = tuple(dataclasses.replace(t, source=TokenSource.OCR, confidence=0.95) for t in doc.pages[0].tokens)
    scanned = dataclasses.replace(
        doc, pages=(dataclasses.replace(doc.pages[0], tokens=scanned_tokens, source=TokenSource.OCR),)
    )
    ctx = ExtractionContext(second_look=False)
    printed = extract_document(doc, ctx, doc_type=DocumentType.INVOICE).fields["vendor_vat_id"]
    read = extract_document(scanned, ctx, doc_type=DocumentType.INVOICE).fields["vendor_vat_id"]
    assert printed.value == read.value == "DE778094670"
    assert printed.confidence > MISREAD_CODE_CONFIDENCE and MISREAD_CODE_EVIDENCE not in printed.evidence
    assert read.confidence <= MISREAD_CODE_CONFIDENCE and MISREAD_CODE_EVIDENCE in read.evidence


def test_a_date_right_after_a_plain_date_label_is_the_invoice_date_not_the_delivery_date_below_it() -> None:
    """As OCR read a generated invoice scanned 2.65 degrees askew, which prints no due date: the scorer ranks an
    invoice's earliest date first, here the delivery date."""
    from extractors.document import DocumentType, TokenSource
    from extractors.pipeline import extract_document

    read = [
        ("Date:", 331.7, 126.4, 352.0, 141.5), ("22", 409.8, 133.9, 419.9, 141.5),
        ("December", 423.0, 134.3, 466.9, 143.7), ("2024", 469.0, 136.6, 490.7, 145.0),
        ("Delivery", 331.1, 144.7, 362.5, 154.5), ("date:", 365.3, 146.5, 384.7, 153.8),
        ("11", 409.9, 147.8, 418.1, 155.4), ("December", 422.3, 148.2, 466.3, 157.9),
        ("2024", 468.3, 150.5, 490.0, 159.0),
    ]  # fmt: skip
    tokens = tuple(
        Token(text, BBox(x0, y0, x1, y1), 0, 0.95, TokenSource.OCR, index=k)
        for k, (text, x0, y0, x1, y1) in enumerate(read)
    )
    page = Page(0, 595.28, 841.89, tokens, source=TokenSource.OCR, skew_deg=-2.65)
    doc = Document("scan.pdf", (page,), "application/pdf")
    fields = extract_document(doc, ExtractionContext(second_look=False), doc_type=DocumentType.INVOICE).fields
    assert (fields["invoice_date"].value, fields["delivery_date"].value) == ("2024-12-22", "2024-12-11")


@pytest.mark.parametrize(
    ("label", "field"),
    [("USt-ldNr.:", "vendor_vat_id"), ("USt -ID", "vendor_vat_id"), ("T0tal:", "total_amount")],
)
def test_a_label_ocr_misread_still_labels_its_value_one_a_text_layer_prints_does_not(label: str, field: str) -> None:
    """Labels as Tesseract read them on generated invoices: "l" for "I", a space before a hyphen, "0" for "o"."""
    from extractors.document import TokenSource

    value = {"vendor_vat_id": "DE568892232", "total_amount": "119.00"}[field]
    doc = make_doc([f"{label} {value if field == 'vendor_vat_id' else '119,00'}"])
    scanned_tokens = tuple(dataclasses.replace(t, source=TokenSource.OCR, confidence=0.95) for t in doc.pages[0].tokens)
    scanned = dataclasses.replace(
        doc, pages=(dataclasses.replace(doc.pages[0], tokens=scanned_tokens, source=TokenSource.OCR),)
    )
    schema = load_schema("invoice")

    def lab_left(d: Document) -> float:
        view = DocView.of(d)
        cands = collect(view, ExtractionContext())
        cand = next(c for c in cands if c.value == value)
        feats = FeatureBuilder(view, schema, cands).features(schema.field(field), cand)
        return dict(zip(FEATURES, feats, strict=True))["lab_left"]

    assert lab_left(scanned) == 1.0
    assert lab_left(doc) == 0.0  # a text layer prints what it means: "T0tal" is no label there


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("N0 4711", []),  # "No" folded would also be "N0" and "Nl": a short label is matched as printed
        ("Facture a Kronberg AG", ["Facture a"]),  # the accent OCR lost
        ("Facturé Kronberg AG", []),  # but an accent printed is no label without it ("Facture")
        ("FACTURE A-2024-0042", ["FACTURE"]),  # nor is the first letter of an invoice number a label's last word
        ("lnvoice Date: 05.03.2024", ["lnvoice Date"]),  # one label, not "Date" alone
        ("İİİİİİ Summe T0tal 119,00", ["T0tal"]),  # "İ" lowers to two letters: spans stay the line's
    ],
)
def test_labels_ocr_misread(text: str, labels: list[str]) -> None:
    from extractors.fields.features import _label_pattern, _matches, _ocr_fold

    words = ["No", "Facture", "Facturé à", "Invoice", "Invoice Date", "Date", "Total"]
    found = _matches(text, _label_pattern(words), _label_pattern(words, ocr=True), _ocr_fold(text))
    assert [text[m.start() : m.end()] for m in found] == labels


def test_a_logo_ocr_read_as_a_tall_word_before_the_sellers_name_is_a_run_of_its_own() -> None:
    """As Tesseract read a generated invoice's letterhead: the logo as "A.", 18 pt tall, 27 pt left of the name."""
    from extractors.fields.candidates import page_lines

    read = [
        [("A.", 47.0, 37.0, 71.0, 55.5), ("Kestrel", 98.0, 38.0, 148.0, 50.9),
         ("Systems", 153.0, 35.0, 214.0, 51.2), ("B.V.", 219.0, 34.0, 245.0, 46.0)],
    ]  # fmt: skip
    scanned = ocr_page(read, 595.0, 842.0)
    [row] = page_lines(scanned)
    assert [row.text[row.spans[a][0] : row.spans[b - 1][1]] for a, b in row.segments] == ["A.", "Kestrel Systems B.V."]
    doc = Document("scan.png", (scanned,), "image/png")
    names = {c.value for c in layout_source(DocView.of(doc), ExtractionContext()) if c.value_type == ValueType.NAME}
    assert "Kestrel Systems B.V." in names
    # a text layer's words are apart by twice the height of the word before the gap: one run, as before
    printed = dataclasses.replace(
        scanned, tokens=tuple(dataclasses.replace(t, source=TokenSource.TEXT_LAYER) for t in scanned.tokens)
    )
    printed = dataclasses.replace(printed, source=TokenSource.TEXT_LAYER)
    assert len(page_lines(printed)[0].segments) == 1


_BUYER_ABOVE_SELLER = [

        [("Facturé", 198.7, 53.5, 228.5, 59.8), ("à", 231.6, 53.5, 235.4, 59.8), ("Facture", 469.7, 45.8, 546.5, 61.7)],
        [("Lavande", 198.7, 66.0, 240.2, 73.9), ("Maschinenbau", 244.3, 66.0, 315.8, 73.9),
         ("AG", 319.7, 66.0, 335.0, 73.9)],
        [("Bahnhofstrasse", 198.7, 78.7, 263.8, 85.9), ("169", 267.6, 79.0, 282.2, 85.9)],
        [("6003", 198.2, 91.0, 218.6, 97.9), ("Luzern", 222.2, 91.0, 250.6, 97.9)],
        [("Thistle", 23.8, 109.0, 54.0, 116.4), ("Informatique", 56.9, 109.0, 114.5, 118.1),
         ("SAS", 117.8, 108.7, 136.6, 116.4)],
        [("125", 24.7, 121.7, 38.9, 128.4), ("place", 42.0, 121.4, 62.6, 130.1),
         ("Bellecour", 65.5, 121.4, 103.2, 128.2), ("N°", 198.5, 121.7, 206.9, 128.2),
         ("de", 209.8, 121.7, 219.1, 128.2), ("facture:", 221.8, 121.7, 252.7, 128.2),
         ("INV-2024-74777", 258.2, 121.4, 323.5, 128.2), ("Date:", 450.5, 121.7, 470.6, 128.2),
         ("2024-11-04", 475.9, 121.4, 521.8, 128.2)],
        [("13001", 24.7, 133.7, 47.5, 140.4), ("Marseille", 51.6, 133.2, 87.4, 140.4),
         ("Echéance:", 198.5, 133.7, 239.8, 142.1), ("2024-11-18", 245.5, 135.6, 290.9, 142.1)],
        [("+49", 24.0, 146.2, 37.4, 152.4), ("295", 39.8, 146.2, 52.8, 152.4), ("919151", 55.4, 146.2, 80.6, 152.4)],
        [("office", 24.0, 156.0, 43.2, 166.1), ("@thistle.example", 43.7, 157.0, 104.6, 164.9)],
]  # fmt: skip
"""As Tesseract read the top of a generated invoice: the buyer's block above the seller's, which is printed in a
column at the left."""


def _scanned_invoice(read: list[list[tuple[str, float, float, float, float]]]) -> dict[str, FieldValue]:
    from extractors.document import DocumentType
    from extractors.pipeline import extract_document

    doc = Document("scan.png", (ocr_page(read, 595.28, 841.89),), "image/png")
    return extract_document(doc, ExtractionContext(second_look=False), doc_type=DocumentType.INVOICE).fields


@pytest.mark.parametrize("country", [False, True])
def test_the_address_under_the_buyers_name_is_not_the_sellers(country: bool) -> None:
    """The scorer ranks the address printed first, the buyer's, as the seller's; nor is the end of the buyer's
    block (its country) the seller's address."""
    read = list(_BUYER_ABOVE_SELLER)
    if country:
        read.insert(4, [("Schweiz", 198.4, 103.2, 232.0, 110.1)])
    fields = _scanned_invoice(read)
    assert fields["customer_name"].value == "Lavande Maschinenbau AG"
    assert fields["vendor_address"].value == "125 place Bellecour 13001 Marseille"


def test_a_sellers_address_taken_below_the_scorers_threshold_is_no_surer_than_a_coin_toss() -> None:
    from extractors.pipeline import SET_ASIDE_CONFIDENCE

    no_address = [kept for line in _BUYER_ABOVE_SELLER if (kept := [w for w in line if w[1] > 150 or w[2] < 120])]
    address = _scanned_invoice(no_address)["vendor_address"]
    assert "Luzern" not in (address.value or "")
    assert address.confidence <= SET_ASIDE_CONFIDENCE
