"""Line items from the layout (header row, columns, continuation across pages), document type, decisions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from extractors.document import Document, DocumentType, Page, Token, TokenSource
from extractors.fields.decide import FieldInput, decide
from extractors.fields.doctype import classify
from extractors.fields.features import FEATURES, N_FEATURES
from extractors.fields.line_items import extract_line_items
from extractors.fields.schema import load_schema
from extractors.geometry import BBox


def page_of(index: int, rows: list[list[tuple[float, str]]]) -> Page:
    """Rows of (x, text) cells; each cell's words are laid out from x."""
    tokens: list[Token] = []
    for r, row in enumerate(rows):
        y = 60.0 + 16.0 * r
        for x0, text in row:
            x = x0
            for word in text.split():
                w = 5.0 * len(word)
                tokens.append(Token(word, BBox(x, y, x + w, y + 9.0), index, font_size_pt=9.0, index=len(tokens)))
                x += w + 3.0
    return Page(index, 595.0, 842.0, tuple(tokens))


HEADER = [(40, "Description"), (300, "Qty"), (380, "Unit price"), (480, "Amount")]


def test_rows_and_columns_under_a_header_continue_on_the_next_page() -> None:
    page0 = page_of(
        0,
        [
            [(40, "Invoice 1001")],
            HEADER,
            [(40, "Office chair"), (300, "2"), (380, "70,00"), (480, "140,00")],
            [(40, "Desk lamp LED"), (300, "1"), (380, "25,50"), (480, "25,50")],
            [(40, "with dimmer")],
        ],
    )
    page1 = page_of(
        1,
        [
            [(40, "Cable set"), (300, "3"), (380, "4,00"), (480, "12,00")],
            [(40, "Subtotal"), (480, "177,50")],
        ],
    )
    doc = Document("t.pdf", (page0, page1), "application/pdf")
    items = extract_line_items(doc, load_schema("invoice"))
    got = [(i.value("description"), i.value("quantity"), i.value("unit_price"), i.value("amount")) for i in items]
    assert got == [
        ("Office chair", "2", "70.00", "140.00"),
        ("Desk lamp LED with dimmer", "1", "25.50", "25.50"),
        ("Cable set", "3", "4.00", "12.00"),
    ]
    assert [i.page for i in items] == [0, 0, 1]
    assert items[0].cells["amount"].bbox_pt is not None and items[0].cells["amount"].bbox_pt.x0 >= 470


def test_numbers_inside_a_description_stay_in_it() -> None:
    page = page_of(
        0,
        [
            HEADER,
            [(40, "Monitor 27 inch"), (300, "1"), (380, "244,69"), (480, "244,69")],
            [(40, "Cable set, Cat. 6"), (300, "4"), (380, "558,00"), (480, "2.232,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    got = [(i.value("description"), i.value("quantity"), i.value("amount")) for i in items]
    assert got == [("Monitor 27 inch", "1", "244.69"), ("Cable set, Cat. 6", "4", "2232.00")]


def test_a_number_under_the_tax_column_that_is_no_percentage_is_no_rate() -> None:
    page = page_of(
        0,
        [
            [(40, "Description"), (300, "Qty"), (360, "VAT %"), (420, "Unit price"), (500, "Amount")],
            [(40, "Office chair"), (300, "2"), (360, "19"), (420, "70,00"), (500, "140,00")],
            [(40, "Desk lamp"), (300, "1"), (360, "232796"), (420, "10,00"), (500, "10,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("tax_rate")) for i in items] == [
        ("Office chair", "19"),
        ("Desk lamp", None),
    ]


def test_the_number_right_of_every_header_is_the_amount_when_its_header_was_not_read() -> None:
    # OCR lost the word "Amount" on the header bar: the last column's numbers are amounts, not tax rates
    page = page_of(
        0,
        [
            [(40, "Description"), (300, "Qty"), (360, "Unit Price"), (440, "VAT"), (520, "= =")],
            [(40, "Desk lamp"), (300, "1"), (360, "1,961.71"), (440, "8.5%"), (520, "1,961.71")],
            [(40, "Project management"), (300, "8"), (360, "4.11"), (440, "8.5%"), (520, "32.88")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("quantity"), i.value("unit_price"), i.value("tax_rate"), i.value("amount")) for i in items] == [
        ("1", "1961.71", "8.5", "1961.71"),
        ("8", "4.11", "8.5", "32.88"),
    ]


def test_descriptions_stay_when_ocr_lost_the_description_header() -> None:
    # the header bar read as "CS ... Qty Unit Price VAT = =": the words left of the numbers are still the items
    page = page_of(
        0,
        [
            [(40, "CS"), (300, "Qty"), (360, "Unit Price"), (440, "VAT"), (520, "= =")],
            [(40, "1"), (70, "Desk lamp LED"), (300, "1"), (360, "1,961.71"), (440, "8.5%"), (520, "1,961.71")],
            [(40, "3"), (70, "Project management"), (300, "8"), (360, "4.11"), (440, "8.5%"), (520, "32.88")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("quantity"), i.value("amount")) for i in items] == [
        ("Desk lamp LED", "1", "1961.71"),
        ("Project management", "8", "32.88"),
    ]


def test_totals_rows_and_the_page_footer_end_the_table() -> None:
    page = page_of(
        0,
        [
            HEADER,
            [(40, "Support hours"), (300, "7"), (380, "608,00"), (480, "4.256,00")],
            [(40, "Tax advisory"), (300, "1"), (380, "100,00"), (480, "100,00")],
            [(300, "Net amount $"), (480, "4.356,00")],
            [(300, "Sales Tax $ 8.88"), (480, "386,81")],
            [(300, "Amount due $"), (480, "4.742,81")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [i.value("description") for i in items] == ["Support hours", "Tax advisory"]
    only_footer = page_of(0, [HEADER, [(40, "Desk"), (300, "1"), (380, "5,00"), (480, "5,00")], [(40, "Page 1 of 1")]])
    items = extract_line_items(Document("t.pdf", (only_footer,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("amount")) for i in items] == [("Desk", "5.00")]


def test_a_totals_row_beside_a_sidebar_ends_the_table() -> None:
    """Bank details in a column left of the table share its rows: the net amount's row still ends the items."""
    side = [(200, "Bezeichnung"), (340, "Menge"), (400, "Einzelpreis"), (480, "Betrag")]
    page = page_of(
        0,
        [
            [(24, "Bank Austria"), *side],
            [(24, "IBAN"), (200, "Monitor 27 Zoll"), (340, "5"), (400, "400,00"), (480, "2.000,00")],
            [(24, "ATU47243406"), (300, "Nettobetrag"), (480, "2.000,00")],
            [(300, "USt. 20 %"), (480, "400,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("amount")) for i in items] == [("Monitor 27 Zoll", "2000.00")]


def test_a_page_footer_with_the_bank_account_under_a_table_going_on_is_no_item() -> None:
    page0 = page_of(
        0,
        [
            HEADER,
            [(40, "Office chair"), (300, "2"), (380, "70,00"), (480, "140,00")],
            [(40, "High Street IBAN: GB14 BARC"), (300, "2000"), (380, "1234"), (480, "5678 90")],
            [(40, "Bristol BS1 4DJ VAT ID: GB 514 0719 19")],
        ],
    )
    page1 = page_of(
        1, [[(40, "Cable set"), (300, "3"), (380, "4,00"), (480, "12,00")], [(40, "Total"), (480, "152,00")]]
    )
    items = extract_line_items(Document("t.pdf", (page0, page1), "application/pdf"), load_schema("invoice"))
    assert [i.value("description") for i in items] == ["Office chair", "Cable set"]


def test_an_item_whose_description_holds_a_serial_or_a_period_is_kept() -> None:
    page = page_of(
        0,
        [
            HEADER,
            [(40, "Laptop SN20 2305 1234 5678"), (300, "1"), (380, "900,00"), (480, "900,00")],
            [(40, "Wartung DE 01.03.2024-31.03.2024"), (300, "1"), (380, "50,00"), (480, "50,00")],
            [(40, "Dock"), (300, "1"), (380, "100,00"), (480, "100,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [i.value("amount") for i in items] == ["900.00", "50.00", "100.00"]


@pytest.mark.parametrize("label", ["MwSt-Satz", "USt-Satz", "Steuer-Satz", "MwSt."])
def test_a_tax_rate_header_with_a_hyphen_heads_the_tax_column(label: str) -> None:
    header = [(40, "Bezeichnung"), (250, "Menge"), (320, label), (400, "Einzelpreis"), (490, "Betrag")]
    page = page_of(0, [header, [(40, "Toner"), (250, "2"), (320, "19 %"), (400, "10,00"), (490, "20,00")]])
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [i.value("tax_rate") for i in items] == ["19"]


def test_a_vat_id_label_in_a_sidebar_heads_no_tax_column() -> None:
    page = page_of(
        0,
        [
            [(24, "USt-ID"), (200, "Beschreibung"), (380, "Anz."), (440, "E-Preis"), (515, "Gesamt")],
            [(24, "DE856617669"), (200, "Projektleitung"), (386, "12"), (447, "20,27"), (519, "243,24")],
            [(200, "Sicherheitsprüfung"), (391, "1"), (436, "2.145,74"), (512, "2.145,74")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("amount")) for i in items] == [
        ("Projektleitung", "243.24"),
        ("Sicherheitsprüfung", "2145.74"),
    ]
    assert all(i.value("tax_rate") is None for i in items)


def test_an_item_over_two_lines_with_its_unit_and_gtin_is_one_item() -> None:
    # "Stk" and "%" stand under number columns; the GTIN and the amount are printed on the item's second line,
    # a detail ("Bruttopreis: 9,9000") on its third.
    page = page_of(
        0,
        [
            [(40, "Description"), (300, "Qty"), (380, "Unit price"), (430, "VAT"), (480, "Amount")],
            [(40, "Trennblätter A4"), (300, "20 Stk"), (380, "9,9000"), (430, "19 %")],
            [(40, "4012345001235"), (480, "198,00")],
            [(40, "Bruttopreis: 9,9000")],  # a detail of the item above, not an item
            [(40, "Joghurt Banane"), (300, "50 Stk"), (380, "5,5000"), (430, "7 %")],
            [(40, "4000050986428"), (480, "275,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    got = [(i.value("description"), i.value("quantity"), i.value("unit_price"), i.value("amount")) for i in items]
    assert got == [
        ("Trennblätter A4", "20", "9.90", "198.00"),
        ("Joghurt Banane", "50", "5.50", "275.00"),
    ]


def _items(rows: list[list[tuple[float, str]]]) -> list[tuple[str | None, ...]]:
    items = extract_line_items(Document("t.pdf", (page_of(0, rows),), "application/pdf"), load_schema("invoice"))
    return [
        tuple(i.value(c) for c in ("article_number", "description", "quantity", "unit_price", "amount")) for i in items
    ]


def test_position_and_article_number_columns_stay_out_of_the_description() -> None:
    header = [(40, "Pos"), (70, "Art-Nr"), (150, "Beschreibung"), (300, "Menge"), (380, "Nettopreis"), (480, "Betrag")]
    rows = [
        header,
        [(40, "1"), (70, "TB100A4"), (150, "Trennblätter A4"), (300, "20"), (380, "9,90"), (480, "198,00")],
        [(70, "4012345001235")],  # the GTIN under the article number, and its scheme
        [(70, "(GTIN)")],
        [(40, "2"), (150, "Joghurt"), (300, "50"), (380, "5,50"), (480, "275,00")],
        [(70, "ARNR2"), (150, "Banane")],  # this row's article number is printed under its first line
    ]
    assert _items(rows) == [
        ("TB100A4", "Trennblätter A4", "20", "9.90", "198.00"),
        ("ARNR2", "Joghurt Banane", "50", "5.50", "275.00"),
    ]
    # a header wider than its column, and a description starting left of its own header
    wide = [
        (40, "Pos"),
        (70, "Art-Nr-Kunde"),
        (135, "Beschreibung"),
        (300, "Menge"),
        (380, "Nettopreis"),
        (480, "Betrag"),
    ]
    row = [(40, "1"), (131, "Übernachtung 2 Nächte"), (300, "1"), (380, "158,88"), (480, "158,88")]
    assert _items([wide, row]) == [(None, "Übernachtung 2 Nächte", "1", "158.88", "158.88")]
    # its next line starting with a number a little left of the header is still description
    row = [(40, "1"), (131, "Übernachtung."), (300, "1"), (380, "158,88"), (480, "158,88")]
    assert _items([wide, row, [(131, "2 Nächte Hotel")]])[0][1] == "Übernachtung. 2 Nächte Hotel"
    # "Artikel" heads the descriptions, unless the header has a description word of its own
    dutch = [(40, "Artikel"), (110, "Omschrijving"), (300, "Aantal"), (380, "Prijs"), (480, "Bedrag")]
    row = [(40, "E103184"), (110, "Onderhoudsset CA6707/10"), (300, "1"), (380, "49,99"), (480, "49,99")]
    assert _items([dutch, row]) == [("E103184", "Onderhoudsset CA6707/10", "1", "49.99", "49.99")]
    dutch[1] = (110, "Kleur")
    assert _items([dutch, row])[0][:2] == (None, "E103184 Onderhoudsset CA6707/10")


def test_a_code_in_brackets_is_the_article_number_and_a_serial_number_line_a_detail() -> None:
    rows = [
        HEADER,
        [(40, "[FURN_7777] Office Chair"), (300, "1"), (380, "70,00"), (480, "70,00")],
        [(40, "Serial number: SDMPP373MPP15")],
        [(40, "Olive Oil"), (300, "2"), (380, "1,00"), (480, "2,00")],
    ]
    assert _items(rows) == [
        ("FURN_7777", "Office Chair", "1", "70.00", "70.00"),
        (None, "Olive Oil", "2", "1.00", "2.00"),
    ]


def test_a_header_over_two_lines_a_note_set_apart_and_the_payment_terms() -> None:
    rows = [
        [(40, "Beschreibung"), (300, "Menge"), (360, "Einzelpreis"), (425, "USt."), (470, "Positions-")],
        [(470, "betrag")],  # the amount's label, on the header's second line
        [(40, "Beamer-Deckenhalterung"), (300, "1"), (360, "122,50"), (425, "19 %"), (470, "122,50")],
        [(40, "mit Kabelsatz")],
        [],
        [(40, "Lieferung erfolgte am 3. Mai")],  # a note set apart: no part of the description
        [(40, "Stahlcoil"), (300, "10"), (425, "0 %")],  # no price printed: a quantity and a rate
        [(40, "Basismenge: 1 Stk"), (470, "1.000,00")],
        [(40, "Zahlungsbedingungen:")],
        [(40, "Zahlbar innerhalb 30 Tagen"), (360, "3%")],
    ]
    assert _items(rows) == [
        (None, "Beamer-Deckenhalterung mit Kabelsatz", "1", "122.50", "122.50"),
        (None, "Stahlcoil", "10", None, "1000.00"),
    ]


def test_numbers_keep_their_order_under_the_columns_and_a_detail_opens_the_next_page() -> None:
    # "19 %" stands nearer "Menge" than the wide "Steuer" header, but the quantity is taken by "20"
    header = [(40, "Beschreibung"), (250, "Nettopreis"), (330, "Menge"), (420, "Steuer"), (500, "Entgelt")]
    page0 = page_of(
        0, [header, [(40, "Trennblätter A4"), (250, "9,90"), (330, "20 Stk"), (370, "19 %"), (500, "198,00")]]
    )
    page1 = page_of(
        1,
        [
            [(60, "Bruttopreis:"), (250, "9,90")],  # a detail of the item at the foot of the page before
            [(40, "Joghurt Banane"), (250, "5,50"), (330, "50 Stk"), (370, "7 %"), (500, "275,00")],
        ],
    )
    items = extract_line_items(Document("t.pdf", (page0, page1), "application/pdf"), load_schema("invoice"))
    got = [tuple(i.value(c) for c in ("description", "unit_price", "quantity", "tax_rate", "amount")) for i in items]
    assert got == [
        ("Trennblätter A4", "9.90", "20", "19", "198.00"),
        ("Joghurt Banane", "5.50", "50", "7", "275.00"),
    ]


def test_the_amounts_of_an_invoice_correction_add_up_below_zero() -> None:
    # the tax that makes the sum work is taken even though no label names it strongly
    inputs = {
        "net_amount": _input("net_amount", ["-7.67", "-7.90"], [1.0, 0.0], [0, 1]),
        "tax_amount": _input("tax_amount", ["-5.00", "-1.12"], [0.0, 0.0], [2, 3]),
        "total_amount": _input("total_amount", ["-8.79", "19.00"], [1.0, 0.0], [4, 5]),
    }
    out = decide(None, inputs)
    picked = {n: inputs[n].values[d.chosen] for n, d in out.items() if d.chosen is not None}
    assert picked == {"net_amount": "-7.67", "tax_amount": "-1.12", "total_amount": "-8.79"}
    assert out["tax_amount"].rule == 1.0


def test_labelled_values_under_an_item_are_its_details_and_a_date_is_no_number() -> None:
    rows = [
        HEADER,
        [(40, "Kunstrasen grün"), (300, "3"), (380, "3,33"), (480, "10,00")],
        [(60, "Bruttopreis :"), (300, "4,00"), (320, "Abschlag :"), (380, "0,67")],  # label: value, twice
        [(60, "Wir erlauben uns Ihnen folgende Positionen")],  # text after the details: a note
        [(40, "Ticket Berlin AB"), (300, "1"), (380, "8,41"), (480, "8,41")],
        [],
        [(40, "Gültig ab"), (380, "20.09.2018")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Kunstrasen grün", "3", "3.33", "10.00"),
        ("Ticket Berlin AB", "1", "8.41", "8.41"),
    ]


def test_allowances_and_charges_are_no_items() -> None:
    rows = [
        HEADER,
        [(40, "Materialzertifikat"), (300, "1"), (380, "850,00"), (480, "850,00")],
        [(60, "Abschlag Lagerware (CAO)"), (300, "10"), (380, "1000,00"), (480, "-100,00")],  # on the item above
        [(40, "Zitronensäure 100ml"), (300, "5"), (380, "1,00"), (480, "5,00")],
        [],
        [(40, "Zuschlag Nachtarbeit"), (300, "4"), (380, "12,50"), (480, "50,00")],  # billed work: an item
        [(40, "Remise en état du compresseur"), (300, "1"), (380, "450,00"), (480, "450,00")],  # a repair: an item
        [],
        [(40, "Zu- und Abschläge:")],  # the invoice's allowances and charges: the item table has ended
        [(40, "Zuschlag Einwegverpackung"), (300, "1"), (380, "30,00"), (480, "30,00")],
        [(40, "Rechnungsrabatt"), (300, "1"), (380, "2,00"), (480, "2,00")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Materialzertifikat", "1", "850.00", "850.00"),
        ("Zitronensäure 100ml", "5", "1.00", "5.00"),
        ("Zuschlag Nachtarbeit", "4", "12.50", "50.00"),
        ("Remise en état du compresseur", "1", "450.00", "450.00"),
    ]


def test_a_lone_number_or_a_price_without_an_amount_starts_no_item() -> None:
    rows = [
        HEADER,
        [(40, "Toolbox Stahlcoil"), (300, "10"), (380, "100,00"), (480, "1000,00")],
        [(60, "CO-123/V2A Preisbasismenge:")],  # a label awaiting its value: a note, not the description
        [(380, "1 Stk")],  # the value of the label above
        [(40, "Stoßfänger"), (300, "10"), (380, "100,00"), (480, "1000,00")],
        [],
        [(40, "Inklusiv-Kilometer"), (380, "873,00")],  # a price alone bills nothing: no item
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Toolbox Stahlcoil", "10", "100.00", "1000.00"),
        ("Stoßfänger", "10", "100.00", "1000.00"),
    ]


def test_a_header_word_ocr_misread_by_a_letter_still_heads_its_column() -> None:
    rows = [
        [(40, "#"), (60, "Dexcription"), (300, "Qty"), (380, "Unit Price"), (480, "Amount")],
        [(40, "1"), (60, "Copy paper A4, 80 g (box)"), (300, "3.5"), (380, "34.00"), (480, "119.00")],
        [(40, "2"), (60, "Consulting services"), (300, "7"), (380, "4.30"), (480, "30.10")],
    ]
    page = page_of(0, rows)
    scanned = replace(page, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page.tokens))
    items = extract_line_items(Document("s.pdf", (scanned,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("quantity")) for i in items] == [
        ("Copy paper A4, 80 g (box)", "3.5"),
        ("Consulting services", "7"),
    ]
    # a misread word that labels the descriptions or the article numbers heads the descriptions, as read right
    rows = [
        [(40, "Artlkel"), (300, "Menge"), (380, "Preis"), (480, "Betrag")],
        [(40, "Widget blau"), (300, "2"), (380, "5,00"), (480, "10,00")],
    ]
    page_a = page_of(0, rows)
    ocr_a = replace(page_a, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page_a.tokens))
    items = extract_line_items(Document("a.pdf", (ocr_a,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("article_number"), i.value("description")) for i in items] == [(None, "Widget blau")]
    # in a text layer a word is as printed: no column is guessed for it
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert all(i.value("description") is None for i in items)
    # a short label OCR split in two ("T otal") is joined, only where it then reads exactly as the label
    rows = [
        [(40, "Item"), (300, "Quantity"), (380, "Rate"), (470, "T"), (476, "otal")],
        [(40, "Training workshop (1 day)"), (300, "8"), (380, "38.28"), (470, "306.24")],
    ]
    page = page_of(0, rows)
    scanned = replace(page, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page.tokens))
    items = extract_line_items(Document("s.pdf", (scanned,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("unit_price"), i.value("amount")) for i in items] == [("38.28", "306.24")]


def test_a_description_header_ocr_garbled_past_recognition_still_heads_the_descriptions() -> None:
    rows = [
        [(40, "N°"), (60, "Qté"), (100, "NMäeimation"), (300, "Prix unitaire"), (400, "TVA"), (480, "Montant HT")],
        [
            (40, "1"),
            (60, "50"),
            (100, "Licence logicielle (annuelle)"),
            (300, "28,00"),
            (400, "5,5%"),
            (480, "1400,00"),
        ],
        [(40, "2"), (60, "2,5"), (100, "Lampe de bureau LED"), (300, "134,18"), (400, "5,5%"), (480, "335,45")],
    ]
    page = page_of(0, rows)
    scanned = replace(page, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page.tokens))
    items = extract_line_items(Document("s.pdf", (scanned,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("description"), i.value("quantity"), i.value("amount")) for i in items] == [
        ("Licence logicielle (annuelle)", "50", "1400.00"),
        ("Lampe de bureau LED", "2.5", "335.45"),
    ]
    # in a text layer an unknown header word is as printed: it is not taken for the description's label
    items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
    assert all(i.value("description") is None for i in items)
    # two unknown words (the garbled label and a unit column's): no telling which heads the descriptions, so no
    # column is placed for them; the words left of the numbers are still the item's (its unit's word with them)
    rows = [
        [(40, "Bä!zäicnnmg"), (200, "Einheitn"), (300, "Menge"), (380, "Preis"), (480, "Betrag")],
        [(40, "Beratung vor Ort"), (200, "Std"), (300, "2"), (380, "90,00"), (480, "180,00")],
    ]
    page = page_of(0, rows)
    scanned = replace(page, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page.tokens))
    items = extract_line_items(Document("s.pdf", (scanned,), "application/pdf"), load_schema("invoice"))
    assert [i.value("description") for i in items] == ["Beratung vor Ort Std"]


def test_a_table_whose_header_row_is_unreadable_gives_rows_whose_numbers_add_up() -> None:
    rows = [
        [(40, "ty"), (60, "DVESTTITTICT"), (380, "Unit Price"), (480, "Amoumt")],  # a header OCR could not read
        [(40, "10"), (60, "Cloud storage 1 TB / month"), (380, "2.87"), (480, "28.70")],
        [(40, "6"), (60, "Installation and set-up"), (380, "4.34"), (480, "26.04")],
        [(60, "Desk lamp LED"), (300, "1"), (380, "570.00"), (480, "570.00")],  # the quantity after the description
        [(300, "Total excl. VAT"), (480, "624.74")],
        [(300, "VAT 20%"), (480, "124.95")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Cloud storage 1 TB / month", "10", "2.87", "28.70"),
        ("Installation and set-up", "6", "4.34", "26.04"),
        ("Desk lamp LED", "1", "570.00", "570.00"),
    ]
    # a position number first, a tax rate between price and amount, ruled lines read as bars
    rows = [
        [
            (40, "1"),
            (60, "Schreibtischleuchte LED"),
            (300, "1"),
            (380, "33,00"),
            (440, "20%"),
            (480, "33,00"),
            (540, "|"),
        ],
        [(40, "3"), (60, "Projektleitung"), (300, "4"), (380, "610,00"), (440, "20%"), (465, "2.440,00"), (540, "|")],
        [(300, "Summe netto"), (465, "2.473,00")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Schreibtischleuchte LED", "1", "33.00", "33.00"),
        ("Projektleitung", "4", "610.00", "2440.00"),
    ]
    # a number that starts the description at a word space is no position; an allowance is no row
    rows = [
        [(40, "12 x 1,0l PET Wasser"), (300, "1"), (380, "5,00"), (480, "5,00")],
        [(40, "2"), (60, "Abendessen"), (300, "2"), (380, "40,00"), (480, "80,00")],  # a position set apart
        [(40, "Rabatt Stammkunde"), (380, "-10,00"), (480, "-10,00")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("12 x 1,0l PET Wasser", "1", "5.00", "5.00"),
        ("Abendessen", "2", "40.00", "80.00"),
    ]
    # lines ending in two amounts that no quantity makes add up are no table
    rows = [
        [(40, "Opening balance 2023"), (380, "12.50"), (480, "30.00")],
        [(40, "Paid 2024"), (380, "3.00"), (480, "9.99")],
    ]
    assert _items(rows) == []


def test_a_number_whose_thousands_a_space_sets_off_is_one_number() -> None:
    rows = [
        [(40, "Désignation"), (300, "Qté"), (380, "Prix unitaire"), (480, "Montant HT")],
        [(40, "Écran 27 pouces"), (300, "2"), (380, "1 344,18"), (480, "2 688,36")],
        [(40, "Toner noir"), (300, "1"), (380, "3,00"), (480, "3,00")],
        [(40, "Stockage cloud"), (300, "1 000"), (380, "0,50"), (480, "500,00")],
        [(40, "Serveur"), (300, "0,1"), (380, "1 344,18 134,42")],  # price and amount a word apart: two numbers
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Écran 27 pouces", "2", "1344.18", "2688.36"),
        ("Toner noir", "1", "3.00", "3.00"),
        ("Stockage cloud", "1000", "0.50", "500.00"),
        ("Serveur", "0.1", "1344.18", "134.42"),
    ]
    # OCR boxes a narrow "1" by its ink, which ends short of the space: a text height from the digits after it
    ocr = [rows[0], [(40, "Routeur"), (300, "2"), (380, "1"), (394, "300,00"), (480, "2"), (494, "600,00")]]
    page = page_of(0, ocr)
    scanned = replace(page, tokens=tuple(replace(t, source=TokenSource.OCR) for t in page.tokens))
    items = extract_line_items(Document("s.pdf", (scanned,), "application/pdf"), load_schema("invoice"))
    assert [(i.value("quantity"), i.value("unit_price"), i.value("amount")) for i in items] == [
        ("2", "1300.00", "2600.00")
    ]
    # a quantity beside a price under the next header, as close, is two numbers
    tight = [
        [(40, "Description"), (300, "Qty"), (323, "Price"), (480, "Amount")],
        [(40, "Widget"), (310, "5"), (323, "120,00"), (480, "600,00")],
    ]
    for source in (TokenSource.TEXT_LAYER, TokenSource.OCR):
        page = page_of(0, tight)
        page = replace(page, tokens=tuple(replace(t, source=source) for t in page.tokens))
        items = extract_line_items(Document("t.pdf", (page,), "application/pdf"), load_schema("invoice"))
        assert [(i.value("quantity"), i.value("unit_price")) for i in items] == [("5", "120.00")], source


def test_a_line_opening_with_a_label_under_an_item_is_a_note_unless_it_bills_an_amount() -> None:
    rows = [
        HEADER,
        [(40, "Strom Arbeitspreis"), (300, "1210"), (380, "0,25"), (480, "302,50")],
        [(60, "Zählerstand von-bis:"), (300, "543210"), (380, "544420")],  # about the item above
        [(60, "Bruttopreis : 1,50 Abschlag : 0,03 Artikelrabatt"), (380, "1")],
        [(40, "Incl. Thuiskopieheffing: Thuiskopie 3.50"), (300, "1"), (480, "4,24")],  # a levy billed
        [(40, "Hosting: März 2024"), (480, "29,00")],  # an amount alone, billed: an item
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Strom Arbeitspreis", "1210", "0.25", "302.50"),
        ("Incl. Thuiskopieheffing: Thuiskopie 3.50", "1", None, "4.24"),
        ("Hosting: März 2024", None, None, "29.00"),
    ]


def test_an_amount_column_left_of_the_description_is_the_quantity() -> None:
    header = [(40, "Amount"), (100, "Product"), (300, "VAT"), (380, "Price"), (480, "Total")]
    rows = [header, [(40, "400.00"), (100, "Ballons: various colors"), (300, "19%"), (380, "0.79"), (480, "316.00")]]
    assert _items(rows) == [(None, "Ballons: various colors", "400", "0.79", "316.00")]


def test_a_group_subtotal_inside_the_table_does_not_end_it() -> None:
    rows = [
        HEADER,
        [(40, "--- Non Food ---")],
        [(40, "[FURN_7777] Office Chair"), (300, "1"), (380, "70,00"), (480, "70,00")],
        [(400, "Subtotal"), (480, "70,00")],
        [(40, "--- Food Products ---")],
        [(40, "*987123* Olive Oil"), (300, "1"), (380, "1,00"), (480, "0,90")],
        [(400, "Subtotal"), (480, "0,90")],
        [(300, "Tax 15% on $ 70,90"), (480, "10,64")],  # a line of the totals, not an item
        [(300, "Total"), (480, "81,54")],
    ]
    assert _items(rows) == [
        ("FURN_7777", "Office Chair", "1", "70.00", "70.00"),
        ("987123", "Olive Oil", "1", "1.00", "0.90"),
    ]


def test_the_headers_of_this_projects_sample_invoices() -> None:
    german = [(40, "Pos."), (70, "Beschreibung"), (370, "Anz."), (420, "E-Preis"), (500, "Gesamt")]
    rows = [german, [(40, "2"), (70, "Beratungsleistung"), (385, "2"), (420, "1.433,09"), (500, "2.866,18")]]
    assert _items(rows) == [(None, "Beratungsleistung", "2", "1433.09", "2866.18")]
    # the quantity first, right-aligned just before the description
    french = [(40, "Quantité"), (96, "Description"), (380, "P.U. HT"), (450, "TVA"), (510, "Montant")]
    rows = [french, [(78, "25"), (96, "Contrat de maintenance"), (400, "1,59"), (450, "5,5 %"), (510, "39,75")]]
    assert _items(rows) == [(None, "Contrat de maintenance", "25", "1.59", "39.75")]
    # a position number under no header of its own
    english = [(60, "Description"), (300, "Qty"), (380, "Unit price"), (430, "VAT"), (480, "Amount")]
    rows = [english, [(40, "1"), (60, "Support hours"), (300, "7"), (380, "608,00"), (430, "19 %"), (480, "4.256,00")]]
    assert _items(rows) == [(None, "Support hours", "7", "608.00", "4256.00")]


def test_a_side_panel_beside_the_table_and_ruled_lines_read_as_bars_stay_out() -> None:
    header = [(120, "Description"), (340, "Qty"), (400, "Unit price"), (480, "Amount")]
    rows = [
        [(20, "Bank"), *header],
        [(20, "IBAN"), (110, "|"), (120, "Toner noir"), (340, "1"), (400, "3,00"), (480, "3,00")],
        [(20, "BE76 7258"), (120, "Heures de support"), (330, "|"), (340, "25"), (400, "24,72"), (480, "618,00")],
    ]
    assert [i[1:] for i in _items(rows)] == [
        ("Toner noir", "1", "3.00", "3.00"),
        ("Heures de support", "25", "24.72", "618.00"),
    ]
    # a description under a centred header starts left of it, and is kept whole
    centred = [[(140, "Description"), (340, "Qty"), (400, "Unit price"), (480, "Amount")]]
    centred.append([(40, "Office chair, ergonomic"), (340, "2"), (400, "70,00"), (480, "140,00")])
    assert [i[1] for i in _items(centred)] == ["Office chair, ergonomic"]

    # a side panel's line between two items is no line of the description above it
    header = [(24, "Bank"), (228, "Description"), (390, "Qty"), (445, "Unit price"), (516, "Amount")]
    rows = [
        header,
        [(228, "Network switch 24-port"), (390, "5"), (445, "32,66"), (516, "163,30")],
        [(24, "Rabobank")],
        [(228, "Cable"), (390, "1"), (445, "2,00"), (516, "2,00")],
    ]
    assert [i[1] for i in _items(rows)] == ["Network switch 24-port", "Cable"]
    # a label word twice on the header's line: "TVA intracom." in the side panel, "TVA" over the rates
    header = [(24, "TVA intracom."), (202, "Description"), (321, "Quantité"), (395, "P.U. HT"), (449, "TVA")]
    rows = [
        [*header, (512, "Montant")],
        [(24, "FR34171964679"), (202, "Papier A4"), (349, "1"), (401, "987,97"), (449, "20 %"), (519, "987,97")],
    ]
    assert _items(rows) == [(None, "Papier A4", "1", "987.97", "987.97")]


def test_no_header_no_items() -> None:
    doc = Document("t.pdf", (page_of(0, [[(40, "Dear customer,")], [(40, "thank you 12,00")]]),), "application/pdf")
    assert extract_line_items(doc, load_schema("invoice")) == ()


def _doc(text: str) -> Document:
    return Document("t.pdf", (page_of(0, [[(40, line)] for line in text.split("\n")]),), "application/pdf")


def test_document_type_from_words() -> None:
    assert classify(_doc("Rechnung\nRechnungsnummer 4711\nNetto 100,00\nMwSt 19,00"))[0] == DocumentType.INVOICE
    assert classify(_doc("CASH RECEIPT\nCashier: 3\nTOTAL 12.00\nCASH 20.00\nCHANGE 8.00"))[0] == DocumentType.RECEIPT
    dtype, conf = classify(_doc("NON-DISCLOSURE AGREEMENT\nThis Agreement is entered into by and between the parties"))
    assert dtype == DocumentType.CONTRACT and conf > 0.5
    assert classify(_doc("Holiday photos"))[0] == DocumentType.OTHER


def _input(name: str, values: list[str], label_left: list[float], spans: list[int] | None = None) -> FieldInput:
    X = np.zeros((len(values), N_FEATURES))
    X[:, FEATURES.index("lab_left")] = label_left
    X[:, FEATURES.index("lab_left_adjacent")] = label_left
    ids = spans or list(range(len(values)))
    return FieldInput(name, "amount", tuple(values), tuple((0, (i,)) for i in ids), X, (1.0,) * len(values))


def test_decision_prefers_totals_that_add_up_and_never_reads_one_span_twice() -> None:
    inputs = {
        "net_amount": _input("net_amount", ["100.00", "90.00"], [1.0, 1.0], [0, 1]),
        "tax_amount": _input("tax_amount", ["19.00", "5.00"], [1.0, 0.9], [2, 3]),
        "total_amount": _input("total_amount", ["119.00", "100.00"], [0.9, 1.0], [4, 0]),
    }
    out = decide(None, inputs)
    picked = {n: inputs[n].values[d.chosen] for n, d in out.items() if d.chosen is not None}
    assert picked == {"net_amount": "100.00", "tax_amount": "19.00", "total_amount": "119.00"}
    assert all(d.rule == 1.0 for d in out.values())


def test_a_value_two_fields_rank_first_goes_to_the_one_that_scores_it_higher_required_or_not() -> None:
    """ "Date: 15/03" and "Delivery date: 13/03": the label "date" also fits the delivery date's line, and the
    scorer ranks 13/03 first for both fields, higher for the delivery date; the invoice date takes
    its next candidate, and its confidence weighs it against the dates no other field took."""
    from extractors.fields.scorer import CONF_FEATURES

    def dates(name: str, logits: list[float]) -> FieldInput:
        X = np.zeros((3, N_FEATURES))
        X[:, FEATURES.index("lab_left")] = logits  # the prior scorer's logit: 2 x this - 2
        return FieldInput(
            name, "date", ("2024-03-13", "2024-03-15", "2024-05-14"), ((0, (0,)), (0, (1,)), (0, (2,))), X, (1.0,) * 3
        )

    inputs = {
        "invoice_date": dates("invoice_date", [2.0, 1.0, 0.0]),
        "delivery_date": dates("delivery_date", [3.0, 0.0, 0.0]),
    }
    out = decide(None, inputs, frozenset({"invoice_date"}))
    assert (out["delivery_date"].chosen, out["invoice_date"].chosen) == (0, 1)
    # against 14/05 only: 13/03 is the delivery date's
    margin = out["invoice_date"].conf_features[CONF_FEATURES.index("margin")]
    assert margin == pytest.approx(2.0 * (1.0 - 0.0))
    # scored lower for the delivery date: the invoice date keeps its span, the delivery date has no other candidate it
    # would report, so it is missing
    inputs["delivery_date"] = dates("delivery_date", [1.5, -0.5, -0.5])
    out = decide(None, inputs, frozenset({"invoice_date"}))
    assert (out["invoice_date"].chosen, out["delivery_date"].chosen) == (0, None)
    # a required field never goes without a value while it has a candidate
    only = {
        "invoice_date": FieldInput(
            "invoice_date", "date", ("2024-03-13",), ((0, (0,)),), np.zeros((1, N_FEATURES)), (1.0,)
        ),
        "delivery_date": dates("delivery_date", [3.0, 0.0, 0.0]),
    }
    out = decide(None, only, frozenset({"invoice_date"}))
    assert out["invoice_date"].chosen == 0 and out["delivery_date"].chosen != 0


def test_a_date_chosen_by_its_row_label_is_weighed_against_the_labelled_candidates_only() -> None:
    """An account number far right of its label column outscores the invoice number printed right after
    "Invoice Number:"; the row-label rule takes the labelled one, and its confidence then compares it with the
    candidates the rule left in contention, not with the one the rule set aside."""
    from extractors.fields.scorer import CONF_FEATURES, ConfidenceModel, FieldModel, LinearScorer

    X = np.zeros((3, N_FEATURES))
    X[0, FEATURES.index("lab_section")] = 1.0  # top by the scorer, no label on its row
    for j in (1, 2):
        X[j, FEATURES.index("lab_left")] = 1.0
        X[j, FEATURES.index("lab_left_adjacent")] = 1.0
        X[j, FEATURES.index("lab_strength")] = 0.9 if j == 1 else 0.3
    coef = np.zeros(N_FEATURES)
    coef[FEATURES.index("lab_section")] = 6.0
    coef[FEATURES.index("lab_strength")] = 2.0
    scorer = LinearScorer(np.zeros(N_FEATURES), np.ones(N_FEATURES), coef, 0.0)
    model = FieldModel({}, {"identifier": scorer}, ConfidenceModel.identity())
    fi = FieldInput(
        "invoice_number",
        "identifier",
        ("296664039561", "42183017", "2014"),
        ((0, (0,)), (0, (1,)), (0, (2,))),
        X,
        (1.0,) * 3,
    )
    d = decide(model, {"invoice_number": fi}, frozenset({"invoice_number"}))["invoice_number"]
    assert d.chosen == 1
    margin = d.conf_features[CONF_FEATURES.index("margin")]
    share = d.conf_features[CONF_FEATURES.index("share")]
    assert margin == pytest.approx(2.0 * (0.9 - 0.3))  # against "2014", the other labelled candidate
    assert 0.5 < share < 1.0
    # without the rule (the top candidate labelled on its row too) the scorer's order stands
    X[0, FEATURES.index("lab_left")] = 1.0
    d = decide(model, {"invoice_number": replace(fi, features=X)}, frozenset({"invoice_number"}))["invoice_number"]
    assert d.chosen == 0 and d.conf_features[CONF_FEATURES.index("margin")] > 0


def test_a_name_under_a_billing_or_delivery_address_label_is_doubted_as_the_seller() -> None:
    """The seller's block may be an image; the name under "Factuuradres" is then the customer's, and a clerk
    must check it before it is taken for the vendor."""
    from extractors.context import ExtractionContext
    from extractors.pipeline import extract_document

    def vendor_under(label: str) -> tuple[str | None, float]:
        rows = [
            [(40, label)],
            [(40, "Strategic Corp")],
            [(40, "Fakestreet 46")],
            [(40, "3500 MJ Utrecht")],
            [(40, "Factuurnummer"), (200, "VF1005193039")],
            [(40, "Factuurdatum"), (200, "8-9-2022")],
            [(40, "Factuur totaal EUR"), (300, "49,99")],
        ]
        doc = Document("t.pdf", (page_of(0, rows),), "application/pdf")
        ctx = ExtractionContext(use_einvoice=False)
        got = extract_document(doc, ctx, doc_type=DocumentType.INVOICE).fields["vendor_name"]
        return got.value, got.confidence

    from idp_app.services.routing import RoutingPolicy

    review_below = RoutingPolicy.load().threshold("vendor_name")
    plain_value, plain = vendor_under("Kopie")
    assert plain >= review_below  # under a word that labels no one, the name passes as the seller's
    labels = ("Factuuradres", "Afleveradres", "Rechnungsadresse", "Lieferadresse", "Billing address")
    for label in (*labels, "Delivery address"):
        value, doubted = vendor_under(label)
        assert value == plain_value == "Strategic Corp"  # the only name printed
        assert doubted < review_below, label  # a clerk checks it
    # the French labels hold "de", which is also a seller's label ("de: ..."): the doubt is smaller
    for label in ("Adresse de facturation", "Adresse de livraison"):
        value, doubted = vendor_under(label)
        assert value == "Strategic Corp" and doubted < plain, label
