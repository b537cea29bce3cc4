"""What vendor memory learns from an approved document: values with the clerk's box, and typed values
looked for where they are printed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext
from extractors.geometry import BBox
from extractors.readers import read_document
from idp_app.learning.memory_store import confirmed_fields
from idp_app.services.views import PageView


def pages_of(tmp_path: Path) -> list[PageView]:
    path = tmp_path / "inv.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    _, h = A4
    for y, text in ((60, "Harbour Lantern Supplies GmbH"), (100, "Invoice no. HL-2291"), (120, "Total 1.234,50")):
        c.drawString(40, h - y, text)
    c.save()
    doc = read_document(path, ExtractionContext(use_einvoice=False))
    return [PageView(p.index, p.width_pt, p.height_pt, p.tokens) for p in doc.pages]


def field(value: str | None, box: BBox | None = None) -> SimpleNamespace:
    return SimpleNamespace(value=value, bbox_pt=box, page=0 if box is not None else None)


def test_a_typed_value_is_learned_where_it_is_printed(tmp_path: Path) -> None:
    pages = pages_of(tmp_path)
    drawn = BBox(40, 700, 200, 712)
    view = SimpleNamespace(
        doc_type="invoice",
        fields={
            "vendor_name": field("Harbour Lantern Suppliers GmbH"),  # typed, one letter off the print
            "invoice_number": field("HL-2291"),  # typed, exactly as printed
            "total_amount": field("1234.50"),  # typed, printed in the other decimal convention
            "tax_amount": field("99.00"),  # typed, printed nowhere: not learned
            "net_amount": field("1037.39", drawn),  # the clerk's box is kept as drawn
            "po_number": field(None),
            "vendor_address": field("7 Quay Road, 20457 Hamburg"),  # typed, printed nowhere: kept by its text
        },
    )
    learned = {f.name: f for f in confirmed_fields(view, pages)}
    assert set(learned) == {"vendor_name", "invoice_number", "total_amount", "net_amount", "vendor_address"}
    assert learned["vendor_address"].bbox_pt is None
    tokens = pages[0].tokens

    def printed(name: str) -> str:
        box = learned[name].bbox_pt
        return " ".join(t.text for t in tokens if t.bbox_pt.intersection_area(box) > 0)

    assert printed("vendor_name") == "Harbour Lantern Supplies GmbH"
    assert printed("invoice_number") == "HL-2291"
    assert printed("total_amount") == "1.234,50"
    assert learned["net_amount"].bbox_pt == drawn


def test_an_identifier_one_character_off_is_not_placed_on_the_print(tmp_path: Path) -> None:
    view = SimpleNamespace(doc_type="invoice", fields={"invoice_number": field("HL-2292")})
    assert confirmed_fields(view, pages_of(tmp_path)) == []
    assert confirmed_fields(view) == []
