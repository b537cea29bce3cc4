"""Vendor and layout memory: one approved document of an unseen layout pays off on the vendor's next one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext
from extractors.document import Document, TokenSource
from extractors.fields.candidates import DEFAULT_SOURCES
from extractors.fields.locate import find_text
from extractors.fields.scorer import same_value
from extractors.geometry import BBox
from extractors.memory import (
    ConfirmedField,
    MemorySource,
    VendorMemory,
    candidate_type,
    layout_fingerprint,
    with_memory_weight,
)
from extractors.pipeline import extract_document, load_model
from extractors.readers import read_document

CTX = ExtractionContext(use_einvoice=False)
FIELDS = ("invoice_number", "invoice_date", "net_amount", "tax_amount", "total_amount", "vendor_name")


def odd_invoice(
    path: Path,
    vendor: str,
    values: dict[str, str],
    items: list[tuple[str, str]],
    footer: str = "",
    header: tuple[str, str] | None = None,
) -> Path:
    """A layout no model has seen: labels the schema does not know, values below or far right of them."""
    c = canvas.Canvas(str(path), pagesize=A4)
    _, h = A4
    c.setFont("Helvetica", 9)
    if footer:
        c.drawString(40, 60, footer)
    if header:  # a label and a value under the title
        c.drawString(40, h - 95, header[0])
        c.drawString(120, h - 95, header[1])
    c.setFont("Helvetica-Bold", 15)
    c.drawString(330, h - 60, vendor)
    c.setFont("Helvetica", 9)
    c.drawString(40, h - 60, "Kiosk slip")
    c.drawString(40, h - 130, "Slip tag")
    c.drawString(40, h - 145, values["number"])
    c.drawString(200, h - 130, "Stamped")
    c.drawString(200, h - 145, values["date"])
    y = h - 200
    for desc, amount in items:
        c.drawString(60, y, desc)
        c.drawRightString(520, y, amount)
        y -= 16
    y -= 20
    for label, key in (("Sans levy", "net"), ("Levy part", "tax"), ("Owed now", "total")):
        c.drawString(300, y, label)
        c.drawRightString(520, y, values[key])
        y -= 16
    c.save()
    return path


FIRST = {"number": "KS-50817", "date": "14.03.2024", "net": "310.00", "tax": "58.90", "total": "368.90"}
SECOND = {"number": "KS-51230", "date": "02.05.2024", "net": "95.50", "tax": "18.15", "total": "113.65"}
TRUTH_KEYS = {
    "invoice_number": "number",
    "invoice_date": "date",
    "net_amount": "net",
    "tax_amount": "tax",
    "total_amount": "total",
}
VENDOR = "Quillfeather Outfitters Ltd"


def truth_of(values: dict[str, str]) -> dict[str, str]:
    iso = "-".join(reversed(values["date"].split(".")))
    out = {k: values[v] for k, v in TRUTH_KEYS.items()}
    out["invoice_date"] = iso
    out["vendor_name"] = VENDOR
    return out


def box_of(doc: Document, text: str) -> tuple[int, BBox]:
    """Where ``text`` is printed (what a clerk's click on the value gives)."""
    words = text.split()
    for page in doc.pages:
        toks = page.tokens
        for i in range(len(toks) - len(words) + 1):
            if [t.text for t in toks[i : i + len(words)]] == words:
                return page.index, BBox.union_of(t.bbox_pt for t in toks[i : i + len(words)])
    raise AssertionError(f"{text!r} is not on the page")


@pytest.fixture
def docs(tmp_path: Path) -> tuple[Document, Document]:
    a = odd_invoice(tmp_path / "a.pdf", VENDOR, FIRST, [("Canvas tent", "250.00"), ("Rope 20 m", "60.00")])
    b = odd_invoice(tmp_path / "b.pdf", VENDOR, SECOND, [("Lantern", "45.50"), ("Flask", "30.00"), ("Map", "20.00")])
    return read_document(a, CTX), read_document(b, CTX)


def accuracy(doc: Document, truth: dict[str, str], memory: VendorMemory | None) -> float:
    model = with_memory_weight(load_model(None))
    sources = [*DEFAULT_SOURCES, MemorySource(memory)] if memory is not None else None
    result = extract_document(doc, CTX, model=model, sources=sources)
    hits = 0
    for name in FIELDS:
        fv = result.fields[name]
        vtype = "name" if name == "vendor_name" else ("date" if "date" in name else "amount")
        vtype = "identifier" if name == "invoice_number" else vtype
        hits += same_value(vtype, fv.value if isinstance(fv.value, str) else None, truth[name])
    return hits / len(FIELDS)


def test_one_approved_document_teaches_the_vendors_layout(docs: tuple[Document, Document]) -> None:
    first, second = docs
    truth_a, truth_b = truth_of(FIRST), truth_of(SECOND)
    before = accuracy(second, truth_b, None)
    memory = VendorMemory()
    printed = {**{k: FIRST[v] for k, v in TRUTH_KEYS.items()}, "vendor_name": VENDOR}
    confirmed = []
    for name in FIELDS:
        page, box = box_of(first, printed[name])
        ctype = candidate_type("invoice", name)
        assert ctype is not None
        confirmed.append(ConfirmedField(name, truth_a[name], page, box, ctype))
    memory.learn("sha-a", first.pages, confirmed, VENDOR)
    after = accuracy(second, truth_b, memory)
    assert after >= 0.95, f"accuracy on the second document {after:.2f} (before memory {before:.2f})"
    assert before < after


def test_other_layouts_do_not_match(docs: tuple[Document, Document], tmp_path: Path) -> None:
    first, second = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, [], VENDOR)
    assert memory.match(layout_fingerprint(second.pages))[0] is not None
    c = canvas.Canvas(str(tmp_path / "other.pdf"), pagesize=A4)
    for i, word in enumerate(["Invoice", "Billing", "address", "Payment", "terms", "Delivery", "note", "Customer"]):
        c.drawString(60 + 40 * (i % 3), 700 - 30 * i, word)
    c.save()
    other = read_document(tmp_path / "other.pdf", CTX)
    entry, similarity = memory.match(layout_fingerprint(other.pages))
    assert entry is None and similarity < memory.threshold


def test_memory_round_trips_through_json(docs: tuple[Document, Document]) -> None:
    first, _ = docs
    page, box = box_of(first, FIRST["total"])
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, [ConfirmedField("total_amount", "368.90", page, box, "amount")], VENDOR)
    again = VendorMemory.from_json(memory.to_json())
    assert again.to_json() == memory.to_json()
    assert again.entries[0].fields["total_amount"].anchor == ("owed", "now")
    again.forget("sha-a")
    assert again.entries == []


def scanned(path: Path) -> Document:
    """The document at ``path`` as if OCR had read it: what memory mends are misreads, which a text layer has not."""
    doc = read_document(path, CTX)
    pages = tuple(
        replace(
            p,
            source=TokenSource.OCR,
            tokens=tuple(replace(t, source=TokenSource.OCR, confidence=0.9) for t in p.tokens),
        )
        for p in doc.pages
    )
    return replace(doc, pages=pages)


def confirmed_vendor(doc: Document) -> list[ConfirmedField]:
    page, box = box_of(doc, VENDOR)
    return [ConfirmedField("vendor_name", VENDOR, page, box, "name")]


def vendor_of(doc: Document, memory: VendorMemory) -> tuple[object, str]:
    model = with_memory_weight(load_model(None))
    result = extract_document(doc, CTX, model=model, sources=[*DEFAULT_SOURCES, MemorySource(memory)])
    fv = result.fields["vendor_name"]
    return fv.value, fv.text


def test_a_vendor_name_printed_with_a_misread_letter_gets_the_confirmed_name(
    docs: tuple[Document, Document], tmp_path: Path
) -> None:
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    misread = "Quil1feather Outfiters Ltd"
    path = odd_invoice(tmp_path / "c.pdf", misread, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")])
    value, printed = vendor_of(scanned(path), memory)
    assert value == VENDOR
    assert printed == misread  # the box is where the name is printed, as printed
    # a text layer has no misreads: the name it prints is the document's, even if a clerk once typed it otherwise
    assert vendor_of(read_document(path, CTX), memory)[0] == misread


IBAN = "DE89 3704 0044 0532 0130 00"


def with_account(tmp_path: Path, name: str, vendor: str, values: dict[str, str]) -> Document:
    path = odd_invoice(tmp_path / name, vendor, values, [("Lantern", "45.50")], header=("Konto", IBAN))
    return read_document(path, CTX)


def confirmed(doc: Document, name: str, printed: str, iban: bool = True) -> list[ConfirmedField]:
    out = [ConfirmedField("vendor_name", name, *box_of(doc, printed), "name")]
    if iban:
        out.append(ConfirmedField("vendor_iban", IBAN.replace(" ", ""), *box_of(doc, IBAN), "iban"))
    return out


def test_a_name_confirmed_with_a_slip_is_replaced_by_its_correction(tmp_path: Path) -> None:
    first, second = with_account(tmp_path, "a.pdf", VENDOR, FIRST), with_account(tmp_path, "b.pdf", VENDOR, SECOND)
    slip = "Quillfeather Outfitter Ltd"
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed(first, slip, VENDOR), slip)
    path = odd_invoice(
        tmp_path / "c.pdf", "Quil1feather Outfiters Ltd", SECOND, [("Lantern", "45.50")], header=("Konto", IBAN)
    )
    assert vendor_of(scanned(path), memory)[0] == slip  # what was confirmed, until corrected
    memory.learn("sha-b", second.pages, confirmed(second, VENDOR, VENDOR), VENDOR)  # the same account: a slip
    [entry] = memory.entries
    name = entry.fields["vendor_name"]
    assert (entry.vendor, name.value, name.constant, name.seen) == (VENDOR, VENDOR, True, 1)
    assert vendor_of(scanned(path), memory)[0] == VENDOR


def test_a_like_name_without_an_account_in_common_is_another_vendor(tmp_path: Path) -> None:
    schmidt, schmitt = "Schmidt Elektro Ltd", "Schmitt Elektro Ltd"  # 0.95 alike, two companies
    first = with_account(tmp_path, "a.pdf", schmidt, FIRST)
    other = read_document(odd_invoice(tmp_path / "b.pdf", schmitt, SECOND, [("Lantern", "45.50")]), CTX)
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed(first, schmidt, schmidt), schmidt)
    memory.learn("sha-b", other.pages, confirmed(other, schmitt, schmitt, iban=False), schmitt)
    assert sorted(e.vendor or "" for e in memory.entries) == [schmidt, schmitt]
    path = odd_invoice(tmp_path / "c.pdf", schmidt, SECOND, [("Lantern", "45.50")], header=("Konto", IBAN))
    assert vendor_of(scanned(path), memory)[0] == schmidt


def test_another_vendor_in_the_same_layout_keeps_its_own_name(docs: tuple[Document, Document], tmp_path: Path) -> None:
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    other = "Brightwater Marine Supply"
    path = odd_invoice(tmp_path / "d.pdf", other, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")])
    doc = read_document(path, CTX)
    assert memory.match(layout_fingerprint(doc.pages))[0] is not None
    value, _ = vendor_of(doc, memory)
    assert value == other


def test_another_branch_of_the_vendor_keeps_its_own_name(docs: tuple[Document, Document], tmp_path: Path) -> None:
    """A word the confirmed name has nothing like is another name, however alike the rest reads."""
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    branch = "Quillfeather Outfitters Harbourside Ltd"  # similarity 0.82 to the remembered name
    path = odd_invoice(tmp_path / "e.pdf", branch, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")])
    value, printed = vendor_of(read_document(path, CTX), memory)
    assert value == branch
    assert printed == branch


def test_another_branch_keeps_its_name_though_the_footer_prints_the_confirmed_one(
    docs: tuple[Document, Document], tmp_path: Path
) -> None:
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    branch = "Quillfeather Outfitters Harbourside Ltd"
    footer = f"Part of {VENDOR}"
    path = odd_invoice(tmp_path / "b2.pdf", branch, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")], footer)
    assert vendor_of(read_document(path, CTX), memory)[0] == branch


def test_a_shorter_name_printed_where_a_longer_one_was_confirmed_is_not_taken_for_it(
    docs: tuple[Document, Document],
) -> None:
    """Two words of the confirmed value with nothing like them printed: another value (a chain's other branch)."""
    first, second = docs
    longer = "Quillfeather Outfitters Kelp Dock Ltd"  # similarity 0.84 to the name printed
    memory = VendorMemory()
    memory.learn("sha-l", first.pages, [ConfirmedField("vendor_name", longer, 0, None, "name")], longer)
    assert memory.match(layout_fingerprint(second.pages))[0] is not None
    assert vendor_of(second, memory)[0] == VENDOR


def test_a_name_typed_over_a_garbled_print_is_remembered_by_its_text(
    docs: tuple[Document, Document], tmp_path: Path
) -> None:
    garbled = "Qu1l feathr 0utf1ters"
    first = read_document(odd_invoice(tmp_path / "g.pdf", garbled, FIRST, [("Canvas tent", "250.00")]), CTX)
    memory = VendorMemory()
    # the clerk typed the name: it is not found printed, so it has no box
    memory.learn("sha-g", first.pages, [ConfirmedField("vendor_name", VENDOR, 0, None, "name")], VENDOR)
    again = VendorMemory.from_json(memory.to_json())
    assert again.to_json() == memory.to_json()
    assert again.entries[0].fields["vendor_name"].box is None
    misread = "Quil1feathr Outfiters Ltd"
    path = odd_invoice(tmp_path / "h.pdf", misread, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")])
    value, printed = vendor_of(scanned(path), again)
    assert value == VENDOR
    assert printed == misread
    # another vendor's name in that layout is not taken for it
    path = odd_invoice(tmp_path / "i.pdf", "Brightwater Marine Supply", SECOND, [("Lantern", "45.50")])
    assert vendor_of(scanned(path), again)[0] != VENDOR


def test_a_confirmed_name_is_found_where_it_was_printed_before_rather_than_in_a_footer(
    docs: tuple[Document, Document], tmp_path: Path
) -> None:
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    header = "Ou1l1feathe Outfi11ers"  # badly misread in the header (similarity 0.69), nearly right in the footer
    footer = "Thank you for shopping at Quillfeather Outfitters"
    path = odd_invoice(tmp_path / "f.pdf", header, SECOND, [("Lantern", "45.50"), ("Flask", "30.00")], footer)
    value, printed = vendor_of(scanned(path), memory)
    assert value == VENDOR
    assert printed == header


def test_a_value_typed_over_a_garbled_print_keeps_where_the_field_was(docs: tuple[Document, Document]) -> None:
    first, _ = docs
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, confirmed_vendor(first), VENDOR)
    before = memory.entries[0].fields["vendor_name"]
    memory.learn("sha-b", first.pages, [ConfirmedField("vendor_name", "Quillfeather Outfitters AG", 0, None, "name")])
    after = memory.entries[0].fields["vendor_name"]
    assert after.box == before.box and after.anchor == before.anchor
    assert after.value == "Quillfeather Outfitters AG" and not after.constant and after.seen == 2


def dated_invoice(path: Path, rows: list[tuple[str, str]]) -> Path:
    """A plain invoice whose header rows are ``(label, value)`` pairs, one under the other."""
    c = canvas.Canvas(str(path), pagesize=A4)
    _, h = A4
    c.setFont("Helvetica-Bold", 15)
    c.drawString(40, h - 60, "Brightwater Supplies GmbH")
    c.setFont("Helvetica", 10)
    y = h - 120
    for label, value in rows:
        c.drawString(320, y, label)
        c.drawString(430, y, value)
        y -= 14
    c.drawString(300, h - 300, "Total")
    c.drawRightString(520, h - 300, "EUR 1,190.00")
    c.save()
    return path


def test_a_date_labelled_as_another_field_is_not_taken_for_where_a_field_was(tmp_path: Path) -> None:
    """The vendor's first invoice printed a delivery date ("Date de livraison") in its third row; its next prints
    its due date ("Échéance") there and no delivery date. The due date stays the due date."""
    first = read_document(
        dated_invoice(
            tmp_path / "a.pdf",
            [("Facture n° :", "RE-1001"), ("Date :", "03.02.2025"), ("Date de livraison :", "30.01.2025")],
        ),
        CTX,
    )
    second = read_document(
        dated_invoice(
            tmp_path / "b.pdf",
            [("Facture n° :", "RE-1002"), ("Date :", "10.03.2025"), ("Échéance :", "24.03.2025")],
        ),
        CTX,
    )
    memory = VendorMemory()
    confirmed = []
    for name, text, value in (
        ("invoice_number", "RE-1001", "RE-1001"),
        ("invoice_date", "03.02.2025", "2025-02-03"),
        ("delivery_date", "30.01.2025", "2025-01-30"),
    ):
        page, box = box_of(first, text)
        ctype = candidate_type("invoice", name)
        assert ctype is not None
        confirmed.append(ConfirmedField(name, value, page, box, ctype))
    memory.learn("sha-a", first.pages, confirmed, "Brightwater Supplies GmbH")
    assert memory.match(layout_fingerprint(second.pages))[0] is not None
    model = with_memory_weight(load_model(None))
    result = extract_document(second, CTX, model=model, sources=[*DEFAULT_SOURCES, MemorySource(memory)])
    assert result.fields["invoice_date"].value == "2025-03-10"
    assert result.fields["due_date"].value == "2025-03-24"
    assert result.fields["delivery_date"].value is None


def test_a_date_under_an_unknown_label_is_still_found_where_it_was_confirmed(
    docs: tuple[Document, Document], tmp_path: Path
) -> None:
    """What stands left of the value on its row need not be a label ("KS-50817"): memory still proposes the
    place, over a date printed elsewhere under the schema's own label."""
    first, _ = docs
    second = read_document(
        odd_invoice(tmp_path / "c.pdf", VENDOR, SECOND, [("Lantern", "45.50")], header=("Date", "16.05.2024")), CTX
    )
    memory = VendorMemory()
    page, box = box_of(first, FIRST["date"])
    memory.learn("sha-a", first.pages, [ConfirmedField("invoice_date", "2024-03-14", page, box, "date")], VENDOR)
    model = with_memory_weight(load_model(None))
    assert extract_document(second, CTX, model=model).fields["invoice_date"].value == "2024-05-16"
    result = extract_document(second, CTX, model=model, sources=[*DEFAULT_SOURCES, MemorySource(memory)])
    assert result.fields["invoice_date"].value == "2024-05-02"


def test_a_confirmed_name_printed_low_on_a_receipt_outweighs_the_greeting_at_its_top() -> None:
    """The seller's registered name printed under its branch and address, a greeting at the top: once a clerk
    confirmed the name, the next receipt of the chain's layout gives it, whatever the scorer's generic features
    say of a name that far down."""
    from extractors.document import DocumentType, Page, Token, TokenSource

    def shop(branch: str, total: str) -> Document:
        lines = ["TQ FOR SHOPPING WITH myNEWS.com", branch, "LOUNGE 2, GROUND FLOOR,", "NO 2, JALAN PJU 1A/7A,"]
        lines += ["47301 PETALING JAYA, SELANGOR", "myNEWScareline : 1800 88 1231"]
        lines += ["MYNEWS RETAIL SB[306295-X} FKA BISON STORES SB", "TAX REG ID CBP 000709361664"]
        lines += ["Date: 05/03/2018 14:22", "BALL PEN 1 1.90", f"TOTAL RM {total}", "CASH RM 20.00"]
        tokens: list[Token] = []
        for r, text in enumerate(lines):  # a till receipt as OCR reads it: one row of words per line
            x, y = 10.0, 20.0 + 12.0 * r
            for word in text.split():
                box = BBox(x, y, x + 5.0 * len(word), y + 8.0)
                tokens.append(Token(word, box, 0, 0.95, TokenSource.OCR, index=len(tokens)))
                x += 5.0 * len(word) + 4.0
        page = Page(0, 220.0, 20.0 + 12.0 * len(lines), tuple(tokens), source=TokenSource.OCR)
        return Document("receipt.png", (page,), "image/png")

    first, second = shop("OASIS VILLAGE", "1.90"), shop("PUSAT DAGANGAN", "3.80")
    span = find_text(first, "MYNEWS RETAIL SB")  # where the clerk's typed value is printed
    assert span is not None
    memory = VendorMemory()
    memory.learn("sha-a", first.pages, [ConfirmedField("vendor_name", "MYNEWS RETAIL SB", 0, span.bbox_pt, "name")])
    model = with_memory_weight(load_model(None))
    before = extract_document(second, CTX, model=model, doc_type=DocumentType.RECEIPT)
    assert before.fields["vendor_name"].value != "MYNEWS RETAIL SB"
    sources = [*DEFAULT_SOURCES, MemorySource(memory)]
    after = extract_document(second, CTX, model=model, sources=sources, doc_type=DocumentType.RECEIPT)
    assert after.fields["vendor_name"].value == "MYNEWS RETAIL SB"


def _page_of(rows: list[tuple[float, float, str]]) -> Document:
    """An A4 page of words at ``(x, y, text)`` rows (as a text layer gives them)."""
    from extractors.document import Page, Token

    placed = []
    for x, y, text in rows:
        for word in text.split():
            placed.append((y, x, word))
            x += 5.5 * len(word) + 4.0
    tokens = tuple(
        Token(w, BBox(x, y, x + 5.5 * len(w), y + 9.0), 0, 1.0, index=i) for i, (y, x, w) in enumerate(sorted(placed))
    )
    return Document("x.pdf", (Page(0, 595.0, 842.0, tokens),), "application/pdf")


def _billed(vendor: str, address: str, customer: str, customer_address: str, number: str) -> Document:
    rows = [(40, 40, vendor), (40, 54, address), (400, 40, "INVOICE"), (40, 120, "Bill to:"), (40, 134, customer)]
    rows += [(40, 148, customer_address), (350, 120, "Invoice No:"), (440, 120, number), (350, 134, "Invoice date:")]
    rows += [(440, 134, "12.03.2024"), (350, 300, "Net amount"), (450, 300, "100.00"), (350, 314, "VAT 19%")]
    rows += [(450, 314, "19.00"), (350, 328, "Total EUR"), (450, 328, "119.00")]
    return _page_of(rows)


def test_a_former_vendor_printed_as_the_customer_of_another_is_not_taken_for_the_seller() -> None:
    """Two sellers use the same invoice template; the second bills the first. The first's confirmed name is
    printed on the second's invoice under "Bill to:", a label of another field."""
    first = _billed("Alpha Trading GmbH", "Hauptstrasse 1, 10115 Berlin", "Beta Consulting AG", "Ring 5, Munich", "A-1")
    second = _billed(
        "Gamma Software GmbH", "Parkweg 9, 50667 Koeln", "Alpha Trading GmbH", "Hauptstrasse 1, 10115 Berlin", "G-7"
    )
    memory = VendorMemory()
    confirmed = []
    for name, value, ctype in (
        ("vendor_name", "Alpha Trading GmbH", "name"),
        ("vendor_address", "Hauptstrasse 1, 10115 Berlin", "address"),
    ):
        span = find_text(first, value)
        assert span is not None
        confirmed.append(ConfirmedField(name, value, 0, span.bbox_pt, ctype))
    memory.learn("sha-a", first.pages, confirmed)
    assert memory.match(layout_fingerprint(second.pages))[0] is not None
    model = with_memory_weight(load_model(None))
    result = extract_document(second, CTX, model=model, sources=[*DEFAULT_SOURCES, MemorySource(memory)])
    assert result.fields["vendor_name"].value == "Gamma Software GmbH"
    assert result.fields["customer_name"].value == "Alpha Trading GmbH"
