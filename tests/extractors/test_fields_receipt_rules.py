"""Receipt layout rules: the seller from the header block, the final total, the sale date, and the pipeline merge."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from extractors.context import ExtractionContext
from extractors.document import Document, DocumentType, Page, Token, TokenSource
from extractors.fields.receipt_rules import amounts_in, fix_legal_form, receipt_answers
from extractors.geometry import BBox
from extractors.pipeline import extract_document


def receipt(lines: list[str], confidence: float = 0.95) -> Document:
    """A narrow scanned-looking receipt, one printed line per entry."""
    tokens: list[Token] = []
    for r, text in enumerate(lines):
        y = 20.0 + 12.0 * r
        x = 10.0
        for word in text.split():
            w = 5.0 * len(word)
            box = BBox(x, y, x + w, y + 8.0)
            tokens.append(Token(word, box, 0, confidence, TokenSource.OCR, index=len(tokens)))
            x += w + 4.0
    page = Page(0, 220.0, 20.0 + 12.0 * len(lines), tuple(tokens), source=TokenSource.OCR)
    return Document("receipt.png", (page,), "image/png")


SHOP = [
    "jane doe",
    "KEDAI RUNCIT MAJU SDN BHD",
    "(CO.REG : 123456-A)",
    "NO. 12, JALAN MAWAR 3,",
    "TAMAN BAHAGIA, 47300 PETALING JAYA",
    "TEL: 03-12345678",
    "TAX INVOICE",
    "Date: 05/03/2018 14:22",
    "BREAD 1 3.50 3.50",
    "MILK 2 4.20 8.40",
    "SUB TOTAL 11.90",
    "GST 6% 0.71",
    "TOTAL 12.61",
    "ROUNDING ADJ -0.01",
    "TOTAL ROUNDED RM 12.60",
    "CASH RM 20.00",
    "CHANGE RM 7.40",
    "THANK YOU PLEASE COME AGAIN",
]


def test_seller_address_total_and_date_come_from_the_receipt_layout() -> None:
    got = receipt_answers(receipt(SHOP))
    assert got["vendor_name"].value == "KEDAI RUNCIT MAJU SDN BHD"
    assert got["vendor_address"].value == "NO. 12, JALAN MAWAR 3, TAMAN BAHAGIA, 47300 PETALING JAYA"
    assert got["total_amount"].value == "12.60"
    assert got["invoice_date"].value == "2018-03-05"
    assert got["total_amount"].strength > got["vendor_address"].strength * 0.5


def test_cash_minus_change_settles_between_two_totals() -> None:
    lines = [*SHOP[:10], "TOTAL 30.91", "NETT TOTAL 30.90", "CASH 50.00", "CHANGE 19.10"]
    assert receipt_answers(receipt(lines))["total_amount"].value == "30.90"
    lines = [*SHOP[:10], "SUBTOTAL 28.00", "TOTAL:", "CASH 100.00", "CHANGE 71.40"]
    assert receipt_answers(receipt(lines))["total_amount"].value == "28.60"


def test_a_rounded_sale_gives_the_rounded_total() -> None:
    def total(tail: list[str]) -> str:
        return str(receipt_answers(receipt([*SHOP[:10], *tail]))["total_amount"].value)

    # the rounded amount printed on its own "Rounding" line
    assert total(["Total Sales (Inclusive GST) RM 42.33", "Rounding Adjustment RM .02", "Rounding RM 42.35"]) == "42.35"
    # only the adjustment printed, either sign
    assert total(["Total (Inclusive of GST): 67.98", "Rounding Adj: 0.02", "Thank you"]) == "68.00"
    assert total(["TOTAL 13.62", "ROUNDING -0.02"]) == "13.60"
    # cash paid minus change, one rounding step from the total
    assert total(["TOTAL AMT. RM 60.31", "CASH RM 70.30", "CHANGE RM 10.00"]) == "60.30"
    # nothing says the sale was rounded: the printed total stands
    assert total(["TOTAL 68.41", "CASH 70.00"]) == "68.41"
    # a "Rounding" line far from the total is not the total
    assert total(["TOTAL 13.62", "ROUNDING 20.00"]) == "13.62"
    # a labelled amount due after rounding is the final total, as before
    assert total(["Nett Amount (Rounded) RM 42.35"]) == "42.35"
    assert total(["TOTAL 42.33", "Amount Due (Rounded) 42.40"]) == "42.40"
    # "Ground" is no rounding
    assert total(["TOTAL 13.62", "Ground Floor Lot 0.02"]) == "13.62"


def test_subtotal_tax_and_quantity_lines_are_not_the_total() -> None:
    lines = [*SHOP[:10], "SUB TOTAL 90.00", "TOTAL QTY 3", "TOTAL GST 5.40", "GRAND TOTAL 95.40"]
    assert receipt_answers(receipt(lines))["total_amount"].value == "95.40"


def test_a_whole_amount_after_its_currency_is_a_total() -> None:
    """Receipts in rupees print whole amounts ("Grand Total Rs 1939"); a split amount stays one amount."""
    lines = ["PAYMENT RECEIPT", "Room Charges Rs 1939 x 1 Night x 1 Room Rs 1939", "Grand Total Rs 1939", "Thank you"]
    assert receipt_answers(receipt(lines))["total_amount"].value == "1939.00"
    assert amounts_in("TOTAL: ₹1,250") == [Decimal("1250")]
    assert amounts_in("TOTAL RM 10 00", loose=True) == [Decimal("10.00")]
    assert amounts_in("GST 6% RM 0.60") == [Decimal("0.60")]
    assert amounts_in("RS. 1939") == [Decimal("1939")]
    # beside an amount with decimals a whole one is a note, and a minus makes no amount of it
    assert amounts_in("TOTAL 12.61 SAVED $1") == [Decimal("12.61")]
    assert amounts_in("DISCOUNT -$5") == []


def test_a_line_stating_the_tax_included_in_the_total_is_not_the_total() -> None:
    head = SHOP[:10]
    for tax_line in ("TOTAL INCLUDES 6% GST 3.98", "GST @6% included in total RM 3.98", "*6% GST Included : 3.98"):
        lines = [*head, "Take-out Total (incl GST) 70.30", "Change 0.00", tax_line, "Thank You"]
        assert receipt_answers(receipt(lines))["total_amount"].value == "70.30", tax_line


def test_a_total_is_checked_against_the_parts_it_is_made_of() -> None:
    def total(*tail: str) -> str | None:
        return receipt_answers(receipt([*SHOP[:10], *tail, "THANK YOU"]))["total_amount"].value

    # a digit of the total misread: subtotal and tax say 11.60
    assert total("(Excluded GST) Sub Total 10.94", "Total GST 0.66", "TOTAL 11.66") == "11.60"
    # supplies at each rate; the total's last digit lost
    assert total("Total 0% supplies: 54.31", "Total 6% supplies (Inc. GST): 14.10", "Total Payable: 68.4") == "68.41"
    # no total label could be read: the amount below the parts that they add up to
    assert total("Sub Total RM 68.87", "GST/TAX 6% ; RM 4.13", "TOP, : RM 73.00", "CHANGE: RM 0.00") == "73.00"
    # what must stand: a total that agrees, a rounded sale, a part whose last digit was lost
    assert total("Sub Total 10.94", "GST 0.66", "TOTAL 11.60") == "11.60"
    assert total("Sub Total 11.92", "GST 0.70", "Rounding Adj -0.02", "TOTAL 12.60") == "12.60"
    assert total("Total 0% supplies: 27.4", "Total 6% supplies (Inc. GST): 32.10", "Total Payable: 59.54") == "59.54"


def test_a_total_the_tax_summary_adds_up_to_outweighs_a_misread_cash_line() -> None:
    def total(*tail: str) -> str | None:
        return receipt_answers(receipt([*SHOP[:10], *tail, "THANK YOU"]))["total_amount"].value

    summary = ("GST SUMMARY", "AMOUNT TAX", "SR 6.00 16.98 1.02")
    # "CASH 18.00" read as 48.00 with no change: the total, 16.98 + 1.02, stands
    assert total("SUB-TOTAL 16.98", "TOTAL 18.00", "CASH 48.00", "CHANGE 0.00", *summary) == "18.00"
    # paid exactly, the total line misread, and the summary agrees with the cash: the cash stands
    assert total("SUB-TOTAL 16.98", "TOTAL 48.00", "CASH 18.00", "CHANGE 0.00", *summary) == "18.00"
    # the subtotal and the tax add up to the total: it stands against the cash line
    assert total("SUB-TOTAL 16.98", "GST 6% 1.02", "TOTAL 18.00", "CASH 48.00", "CHANGE 0.00") == "18.00"
    # nothing adds up to the total: the amount tendered with no change is the total, as before
    assert total("TOTAL 48.00", "CASH 18.00", "CHANGE 0.00") == "18.00"
    # a rounded cash sale: the cash paid is the total rounded, though the parts add up to the unrounded one
    assert total("SUB-TOTAL 16.96", "GST 6% 1.02", "NETT TOTAL 17.98", "CASH 18.00", "CHANGE 0.00") == "18.00"


def test_ocr_slips_in_amounts_and_legal_forms_are_mended() -> None:
    assert amounts_in("TOTAL RM6O.30") == [amounts_in("60.30")[0]]
    assert str(amounts_in("GRAND TOTAL 10 00", loose=True)[-1]) == "10.00"
    assert fix_legal_form("MR D.I.Y. (M) SON BHD") == "MR D.I.Y. (M) SDN BHD"


def test_a_name_split_before_its_legal_form_is_joined() -> None:
    lines = ["LOGO", "GOLDEN LEAF BOOK", "CO. (M) SDN BHD", "LOT 5, JALAN IPOH 51200 KUALA LUMPUR", "TEL 03-999"]
    assert receipt_answers(receipt(lines))["vendor_name"].value == "GOLDEN LEAF BOOK CO. (M) SDN BHD"


def test_a_name_over_two_lines_an_owner_prefix_and_specks_after_the_legal_form() -> None:
    address = ["LOT 5, JALAN IPOH 51200 KUALA LUMPUR", "TEL 03-999"]
    for printed, name in (
        # the registered form alone on the line under a name that ends in "HOLDINGS"
        (["Cash Sale", "SINNATHAMBY HOLDINGS", "SDN. BHD.", "249336-T"], "SINNATHAMBY HOLDINGS SDN. BHD."),
        # a line opening with "&" continues the name above it
        (["THE COFFEE BEAN", "& TEA LEAF CM) SDN. BHD."], "THE COFFEE BEAN & TEA LEAF (M) SDN. BHD."),
        # the brand above the company that owns it is not part of the company's name
        (["OLD ASIA", "OWN BY: CHEF LEE SDN BHD"], "CHEF LEE SDN BHD"),
        # a speck read after the legal form, but "CO" after "TRADING" is the name's own
        (["MR. D.I.Y. (M) SDN BHO x"], "MR. D.I.Y. (M) SDN BHD"),
        (["TOKYO KITCHEN SDN BHD ee"], "TOKYO KITCHEN SDN BHD"),
        (["SAM SAM TRADING CO"], "SAM SAM TRADING CO"),
        (["ABC SDN BHD CO"], "ABC SDN BHD"),
        # an owner of one word, or on a line of its own, is not joined to the brand above it
        (["OLD ASIA", "OWNED BY: ABC SDN BHD"], "ABC SDN BHD"),
        (["OLD ASIA", "OWNED BY:", "ABC SDN BHD"], "ABC SDN BHD"),
        # the legal form joined from the line below is cleaned of its registration number
        (["SINNATHAMBY HOLDINGS", "SDN BHD 249336"], "SINNATHAMBY HOLDINGS SDN BHD"),
        (["3M SDN BHD"], "3M SDN BHD"),
    ):
        got = receipt_answers(receipt([*printed, *address]))
        assert got["vendor_name"].value == name, printed


def test_a_legal_form_whose_name_was_lost_names_no_seller_but_its_address_is_read() -> None:
    got = receipt_answers(receipt(["CO. (M) SDN BHD", "(Co. No. 113825-W)", "No 8, Jalan 7/118B, 56000 Kuala Lumpur"]))
    assert "vendor_name" not in got
    assert got["vendor_address"].value == "No 8, Jalan 7/118B, 56000 Kuala Lumpur"


def test_a_title_read_without_its_space_ends_the_address() -> None:
    lines = ["KEDAI MAJU SDN BHD", "12, Jalan Tampoi 7/4,", "81200 Johor Bahru, Johor", "TAXINVOICE", "TOTAL 5.00"]
    assert receipt_answers(receipt(lines))["vendor_address"].value == "12, Jalan Tampoi 7/4, 81200 Johor Bahru, Johor"


def test_pipeline_takes_the_layout_answer_and_keeps_the_scorer_answer_as_alternative() -> None:
    doc = receipt(SHOP)
    result = extract_document(doc, ExtractionContext(use_einvoice=False), doc_type=DocumentType.RECEIPT)
    total = result.fields["total_amount"]
    assert total.value == "12.60"
    assert total.bbox_pt is not None and total.page == 0
    assert 0.0 < total.confidence <= 1.0
    name = result.fields["vendor_name"]
    assert name.value == "KEDAI RUNCIT MAJU SDN BHD"
    low = extract_document(
        receipt(SHOP, confidence=0.3), ExtractionContext(use_einvoice=False), doc_type=DocumentType.RECEIPT
    )
    assert low.fields["total_amount"].confidence < total.confidence


def test_address_skips_registration_and_branch_lines_and_ends_after_the_postcode_line() -> None:
    lines = [
        "MAJU HARDWARE SDN BHD",
        "(GST Reg No. 001234567890)",
        "KEPONG BRANCH",
        "LOT 7, JALAN BESAR,",
        "52100 KEPONG,",
        "KUALA LUMPUR",
        "12/01/2018 10:15",
        "TOTAL 5.00",
    ]
    got = receipt_answers(receipt(lines))
    assert got["vendor_address"].value == "LOT 7, JALAN BESAR, 52100 KEPONG, KUALA LUMPUR"


@pytest.mark.parametrize(
    ("below", "kept"),
    [
        ("1237-TMN INDAH PERDANA", True),  # a chain's branch number and place
        ("MALAYSIA", True),
        ("03-7781 2233", False),  # a phone number without its label
        ("RCPT 55812 KASIR 2", False),
        ("PREPAY CHIT NUMBER", False),  # a label below the address, its number on the next line
    ],
)
def test_a_branch_line_below_the_postcode_belongs_to_the_address(below: str, kept: bool) -> None:
    lines = ["SPEEDY MART S/B (519537-X)", "LOT 12, JALAN ANGSA,", "41150 KLANG, SELANGOR", below, "TOTAL 5.00"]
    address = receipt_answers(receipt(lines))["vendor_address"].value
    assert address == "LOT 12, JALAN ANGSA, 41150 KLANG, SELANGOR" + (f" {below}" if kept else "")


@pytest.mark.parametrize(
    "above",
    [
        ["( 801580-T j"],  # the company number alone, its brackets misread
        ["Co- ai: 360671-D"],  # "Co. No:" misread
        ["Site: 1046"],
        ["formerly known as", "Golden Arches Restaurants Sdn Bhd", "Licensee of McDonald's"],
    ],
)
def test_lines_about_the_company_above_its_address_are_passed_over(above: list[str]) -> None:
    lines = ["SUN WONG KUT SDN BHD", *above, "No. 343, Jalan Kurau,", "81620 Pengerang, Johor.", "Tel: 07-8263254"]
    assert receipt_answers(receipt(lines))["vendor_address"].value == "No. 343, Jalan Kurau, 81620 Pengerang, Johor."


def test_a_place_line_ending_in_a_comma_goes_on_to_the_state_below() -> None:
    lines = ["SINNATHAMBY HOLDINGS SDN. BHD.", "NO.17, JALAN BESAR,", "39100 BRINCHANG,", "CAMERON HIGHLANDS,"]
    lines += ["PAHANG", "KEDAH", "GST Reg.: 002120876032"]
    address = receipt_answers(receipt(lines))["vendor_address"].value
    assert address == "NO.17, JALAN BESAR, 39100 BRINCHANG, CAMERON HIGHLANDS, PAHANG"


@pytest.mark.parametrize("below", ["SERVED BY: ALI", "HALAL FOOD", "POS TERMINAL A", "THANK YOU"])
def test_only_a_state_continues_a_place_line_ending_in_a_comma(below: str) -> None:
    lines = ["KEDAI MAJU SDN BHD", "NO. 5, JALAN MAWAR,", "47300 PETALING JAYA,", "SELANGOR,", below, "TOTAL 1.00"]
    address = receipt_answers(receipt(lines))["vendor_address"].value
    assert address == "NO. 5, JALAN MAWAR, 47300 PETALING JAYA, SELANGOR,"


@pytest.mark.parametrize(
    "lines",
    [
        ["PT 12345-A, KAMPUNG BARU,", "43000 KAJANG, SELANGOR."],  # a land title's lot, not a company number
        ["PTD 101064-K, KG SEELONG,", "81400 SENAI, JOHOR"],
        ["SS 2/72, 47300 - P.J."],  # a postcode and the town's initials
        ["Stall: 12", "Medan Selera Taman Maju,", "43000 Kajang"],  # a labelled number that is the address's
        ["PT: 5678,", "Kampung Baru, 43000 Kajang"],
    ],
)
def test_address_lines_like_company_numbers_or_labelled_numbers_are_kept(lines: list[str]) -> None:
    got = receipt_answers(receipt(["KEDAI MAJU SDN BHD", *lines, "TEL: 03-1234 5678"]))["vendor_address"].value
    assert got == " ".join(lines)


def test_dates_whose_separators_ocr_misread_are_still_read_day_first() -> None:
    assert receipt_answers(receipt(["SHOP ENTERPRISE", "Date: 10103/2018 6:41"]))["invoice_date"].value == "2018-03-10"
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "INVOICE DATE: 6/172018 6:42:02 PM"]))
    assert got["invoice_date"].value == "2018-01-06"  # one-digit day and month, the second "/" read as "7"
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "ITEM HD03-04-06 2.00", "19-09-17 15:39 POS 1"]))
    assert got["invoice_date"].value == "2017-09-19"
    # a month whose first digit was misread, under a label with a letter misread
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "INV no: CS-SA0111837 Dare: 18/69/2017 |"]))
    assert got["invoice_date"].value == "2017-09-18"
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "Tarikh: 25/30/2017"]))
    assert got["invoice_date"].value == "2017-10-25"
    # a date read as printed wins over one whose month was guessed; a month ending in 1 or 2 is not guessed
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "Date: 19/62/2017", "DD: 19/09/2017 11:09"]))
    assert got["invoice_date"].value == "2017-09-19"
    assert "invoice_date" not in receipt_answers(receipt(["SHOP ENTERPRISE", "Date: 18/21/2017"]))
    # a word like "Rate:" before a number is no date label: the date printed with a time wins
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "Room Rate: 01/03/2018", "12/03/2018 14:02"]))
    assert got["invoice_date"].value == "2018-03-12"
    # a day that one misread digit could make three days is left alone
    assert "invoice_date" not in receipt_answers(receipt(["SHOP ENTERPRISE", "Date: 32/02/2018"]))


def test_legal_form_misreads_and_trailing_branch_codes_are_cleaned_from_the_name() -> None:
    got = receipt_answers(receipt(["99 SPEED MART 5/8 (519537-X)", "LOT 2, JALAN ANGSA, 41150 KLANG", "TEL 03-1"]))
    assert got["vendor_name"].value == "99 SPEED MART S/B"
    for printed, name in (
        ("GARDENIA BAKERIES (KL) SDN EHD (139386 X)", "GARDENIA BAKERIES (KL) SDN BHD"),
        ("SUPER.SEVEN CASH & CARRY SEN 3HD As a cat", "SUPER.SEVEN CASH & CARRY SDN BHD"),
        ("POPULAR BOOK CO. CM) SDN BHD", "POPULAR BOOK CO. (M) SDN BHD"),
    ):
        got = receipt_answers(receipt([printed, "LOT 2, JALAN ANGSA, 41150 KLANG", "TEL 03-1"]))
        assert got["vendor_name"].value == name


def test_a_header_that_starts_with_the_address_names_no_seller() -> None:
    """The name's lines lost to OCR: the first header line is the address's last."""
    got = receipt_answers(receipt(["; U13, 40170 SHAH ALAM,", "TEL: 012-6651783", "TOTAL 7.00"]))
    assert "vendor_name" not in got
    # a legal form makes it a name, postcode or not
    named = receipt_answers(receipt(["KEDAI 12345 SDN BHD, KLANG", "NO. 1, JALAN BESAR", "TOTAL 7.00"]))
    assert named["vendor_name"].value.startswith("KEDAI 12345 SDN BHD")


def test_a_narrow_long_page_counts_as_receipt_evidence() -> None:
    from extractors.fields.doctype import classify

    lines = ["KEDAI MAJU", "ITEM 1 2.00", "TOTAL 2.00"]
    page = receipt(lines).pages[0]
    narrow = Document("narrow.png", (replace(page, width_pt=220.0, height_pt=600.0),), "image/png")
    wide = Document("wide.png", (replace(page, width_pt=595.0, height_pt=842.0),), "image/png")
    assert classify(narrow)[0] == DocumentType.RECEIPT
    assert classify(wide)[0] != DocumentType.RECEIPT


def test_a_date_with_one_separator_lost_is_the_last_resort() -> None:
    got = receipt_answers(receipt(["SHOP ENTERPRISE", "~ 2703/2018 No CS 20243"]))["invoice_date"]
    assert got.value == "2018-03-27"
    labelled = receipt_answers(receipt(["SHOP ENTERPRISE", "~ 2703/2018 No CS", "Date: 28/03/2018"]))
    assert labelled["invoice_date"].value == "2018-03-28"
    assert got.strength < labelled["invoice_date"].strength
    # both separators lost: an eight-digit word that is a valid day, month and year, when no other date is printed
    bare = receipt_answers(receipt(["SHOP ENTERPRISE", "27032018 Ne. : CS-20242", "GST ID : 002139201536"]))
    assert bare["invoice_date"].value == "2018-03-27"
    # one separator lost reads more surely than both
    both = receipt_answers(receipt(["SHOP ENTERPRISE", "28032018", "~ 2703/2018 No CS"]))
    assert both["invoice_date"].value == "2018-03-27"
    for line in ("INV 32032018", "INV 27132018", "REF 270320189", "TEL 20782322"):
        assert "invoice_date" not in receipt_answers(receipt(["SHOP ENTERPRISE", line])), line
    with_date = receipt_answers(receipt(["SHOP ENTERPRISE", "27032018", "Date: 28/03/2018"]))
    assert with_date["invoice_date"].value == "2018-03-28"


def test_a_value_right_of_its_own_row_label_wins_over_an_unlabelled_top_candidate() -> None:
    import numpy as np

    from extractors.fields.decide import _row_labelled
    from extractors.fields.features import FEATURES, N_FEATURES

    X = np.zeros((3, N_FEATURES))
    X[0, FEATURES.index("lab_section")] = 1.0  # top-ranked, only a label further up
    for j in (1, 2):
        X[j, FEATURES.index("lab_left")] = 1.0
        X[j, FEATURES.index("lab_left_adjacent")] = 1.0
        X[j, FEATURES.index("lab_strength")] = 0.8
    X[1, FEATURES.index("other_left_closer")] = 1.0  # another field's label is nearer
    assert _row_labelled(X, (0, 1, 2), 0) == 2
    X[0, FEATURES.index("lab_left")] = 1.0
    assert _row_labelled(X, (0, 1, 2), 0) == 0


def test_a_value_a_person_confirmed_for_the_vendor_outranks_the_layout_rule() -> None:
    from extractors.fields.candidates import DEFAULT_SOURCES
    from extractors.fields.scorer import FieldModel
    from extractors.memory import ConfirmedField, MemorySource, VendorMemory, with_memory_weight
    from extractors.pipeline import FROM_MEMORY, load_model

    ctx = ExtractionContext(use_einvoice=False)
    first = receipt(SHOP)
    name_line = first.pages[0].tokens[2:7]  # "KEDAI RUNCIT MAJU SDN BHD"
    memory = VendorMemory()
    confirmed = ConfirmedField(
        "vendor_name", "KEDAI RUNCIT MAJU SDN BHD", 0, BBox.union_of(t.bbox_pt for t in name_line), "name"
    )
    memory.learn("sha-1", first.pages, [confirmed], "KEDAI RUNCIT MAJU SDN BHD")
    misread = receipt([SHOP[0], "KEDAI RUNClT MAJU SDN 8HD", *SHOP[2:]])
    model: FieldModel = with_memory_weight(load_model(None))
    plain = extract_document(misread, ctx, model=model, doc_type=DocumentType.RECEIPT)
    assert plain.fields["vendor_name"].value != "KEDAI RUNCIT MAJU SDN BHD"  # the rule reads the misprint
    sources = [*DEFAULT_SOURCES, MemorySource(memory)]
    got = extract_document(misread, ctx, model=model, sources=sources, doc_type=DocumentType.RECEIPT).fields[
        "vendor_name"
    ]
    assert got.value == "KEDAI RUNCIT MAJU SDN BHD"
    assert FROM_MEMORY in got.evidence
    assert got.alternatives and got.alternatives[0].value != got.value  # the rule's reading, for the drop-down


def test_a_plain_date_label_on_its_row_wins_only_over_a_top_date_printed_as_another_fields() -> None:
    """A plain "Date:" beside a date beats a top-ranked "Delivery date:" value; over a date no other label claims, it is
    too plain to count ("Print Date:" at the foot of a till receipt)."""
    import numpy as np

    from extractors.fields.decide import _row_labelled
    from extractors.fields.features import FEATURES, N_FEATURES

    X = np.zeros((2, N_FEATURES))
    X[0, FEATURES.index("lab_section")] = 1.0  # top-ranked, only a label further up
    X[1, FEATURES.index("lab_left")] = 1.0
    X[1, FEATURES.index("lab_left_adjacent")] = 1.0
    X[1, FEATURES.index("lab_strength")] = 0.2  # "Date:"
    assert _row_labelled(X, (0, 1), 0, "date") == 0
    for claim in ("other_left_closer", "other_above_closer", "value_labelled_other"):
        Y = X.copy()
        Y[0, FEATURES.index(claim)] = 1.0
        assert _row_labelled(Y, (0, 1), 0, "date") == 1
        assert _row_labelled(Y, (0, 1), 0, "identifier") == 0  # "No." names too many things
