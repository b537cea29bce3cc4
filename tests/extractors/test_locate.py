"""Finding where a known value is printed: dates and amounts in their printed forms, text despite misreads."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext
from extractors.document import Document
from extractors.fields.locate import find_text, locate_value
from extractors.readers import read_document

LINES = [
    (40, 60, "GARDENlA BAKERIES (KL) SDN BHD"),
    (40, 76, "LOT 3, JALAN PELABUR 23/1,"),
    (40, 90, "40300 SHAH ALAM, SELANGOR."),
    (40, 130, "Date: 18-11-18"),
    (40, 150, "Cashier: Ahmad"),
    (300, 300, "TOTAL RM"),
    (420, 300, "1,234.50"),
    (300, 320, "Rounding"),
    (420, 320, "0.00"),
    (40, 400, "MWST-Nr. CHE-118.287.126 MWST"),
    (40, 420, "IBAN DE89 3704 0044 0532 0130 00"),
    (40, 480, "Industriestrasse 237"),
    (300, 480, "Bahnhofstrasse 102"),
    (420, 487, "Date: 01.08.2023"),  # a third column's line between two lines of each address
    (40, 494, "4051 Basel"),
    (300, 494, "80331 Munich"),
    (40, 560, "4051 Basel"),  # far below: not part of the block
    (40, 600, "Order INV-7A"),
    (40, 640, "MYNEWS RETAIL SB[306295-X} FKA BISON STORES SB"),  # a registration number glued to the name
]


@pytest.fixture(scope="module")
def receipt(tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = Path(tmp_path_factory.mktemp("locate")) / "receipt.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    _, h = A4
    c.setFont("Helvetica", 10)
    for x, y, text in LINES:
        c.drawString(x, h - y, text)
    c.save()
    return read_document(path, ExtractionContext(use_einvoice=False))


def printed(doc: Document, page: int, box: object) -> str:
    return " ".join(t.text for t in doc.pages[page].tokens if t.bbox_pt.intersection_area(box) > 0)  # type: ignore[arg-type]


def test_dates_and_amounts_are_found_in_their_printed_forms(receipt: Document) -> None:
    found = locate_value(receipt, "date", "2018-11-18")
    assert found is not None and printed(receipt, *found) == "18-11-18"
    found = locate_value(receipt, "amount", "1234.50")
    assert found is not None and printed(receipt, *found) == "1,234.50"
    assert locate_value(receipt, "amount", "99.99") is None


def test_a_name_misread_by_one_letter_is_found_on_its_line(receipt: Document) -> None:
    found = locate_value(receipt, "name", "GARDENIA BAKERIES (KL) SDN BHD")
    assert found is not None and printed(receipt, *found) == "GARDENlA BAKERIES (KL) SDN BHD"


def test_an_address_is_found_across_its_lines(receipt: Document) -> None:
    span = find_text(receipt, "LOT 3, JALAN PELABUR 23/1, 40300 SHAH ALAM, SELANGOR.")
    assert span is not None
    assert span.n_lines == 2
    assert span.text(receipt) == "LOT 3, JALAN PELABUR 23/1, 40300 SHAH ALAM, SELANGOR."


def test_text_that_is_not_printed_is_not_found(receipt: Document) -> None:
    assert locate_value(receipt, "name", "Brightwater Marine Supply") is None
    assert find_text(receipt, "") is None


def test_codes_are_found_in_groups_and_with_punctuation(receipt: Document) -> None:
    found = locate_value(receipt, "vat_id", "CHE118287126")
    assert found is not None and printed(receipt, *found) == "CHE-118.287.126"
    found = locate_value(receipt, "iban", "DE89370400440532013000")
    assert found is not None and printed(receipt, *found) == "DE89 3704 0044 0532 0130 00"
    assert locate_value(receipt, "vat_id", "CHE118287127") is None


def test_an_address_is_found_in_its_column_beside_another(receipt: Document) -> None:
    span = find_text(receipt, "Industriestrasse 237, 4051 Basel")
    assert span is not None and span.n_lines == 2
    assert span.text(receipt) == "Industriestrasse 237 4051 Basel"
    assert find_text(receipt, "Bahnhofstrasse 102, 80331 Munich") is not None


def test_an_identifier_is_found_only_as_printed(receipt: Document) -> None:
    assert locate_value(receipt, "identifier", "CHE-118.287.126") is not None
    assert locate_value(receipt, "identifier", "CHE-118.287") is None  # part of a printed number
    assert locate_value(receipt, "identifier", "INV-7") is None  # another number that starts the same
    assert locate_value(receipt, "vat_id", "INV7") is None
    assert locate_value(receipt, "vat_id", "CHE118287") is None


def test_a_name_is_found_where_a_bracketed_number_is_glued_to_its_last_word(receipt: Document) -> None:
    span = find_text(receipt, "MYNEWS RETAIL SB")
    assert span is not None and span.similarity > 0.99
    assert span.text(receipt) == "MYNEWS RETAIL SB[306295-X}"
    assert find_text(receipt, "MYNEWS RETAIL SB", 1.0) is None  # as printed only: the bracket is printed
