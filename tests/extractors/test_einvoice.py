"""E-invoices: CII (Factur-X / ZUGFeRD 2.x and 1.0) and UBL 2.1 parsing, embedding in a PDF, boxes on the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.context import ExtractionContext
from extractors.document import DocumentType, TokenSource
from extractors.einvoice import find_einvoice_xml, locate_values, parse_einvoice, read_einvoice
from extractors.einvoice.parse import HEADER_FIELDS
from extractors.errors import CorruptFileError, UnsupportedFileError
from extractors.readers import read_document
from tests.extractors.test_readers_docs import text_pdf

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>RE-2024-0815</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20240305</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:SellerAssignedID>CP-A4-500</ram:SellerAssignedID><ram:Name>Copy paper A4</ram:Name>
   </ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>4.2500</ram:ChargeAmount>
   </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="H87">10.0000</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
     <ram:RateApplicablePercent>19.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>42.50</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>ACME Supplies GmbH</ram:Name>
    <ram:PostalTradeAddress><ram:PostcodeCode>80333</ram:PostcodeCode><ram:LineOne>Hauptstraße 5</ram:LineOne>
     <ram:CityName>München</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Kunde AG</ram:Name></ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>PO-77</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE02 1203 0000 0000 2020 51</ram:IBANID>
    </ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
    <udt:DateTimeString format="102">20240404</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>42.50</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount>42.50</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">8.075</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>50.58</ram:GrandTotalAmount>
    <ram:DuePayableAmount>50.58</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

ZUGFERD_1 = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
 <rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>
 </ram:GuidelineSpecifiedDocumentContextParameter></rsm:SpecifiedExchangedDocumentContext>
 <rsm:HeaderExchangedDocument><ram:ID>471102</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
 </rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ram:ApplicableSupplyChainTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Kunden AG Mitte</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableSupplyChainTradeAgreement>
  <ram:ApplicableSupplyChainTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementMonetarySummation>
    <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
    <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
   </ram:SpecifiedTradeSettlementMonetarySummation>
  </ram:ApplicableSupplyChainTradeSettlement>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:SpecifiedSupplyChainTradeAgreement><ram:NetPriceProductTradePrice>
    <ram:ChargeAmount currencyID="EUR">9.9000</ram:ChargeAmount></ram:NetPriceProductTradePrice>
   </ram:SpecifiedSupplyChainTradeAgreement>
   <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity>
   </ram:SpecifiedSupplyChainTradeDelivery>
   <ram:SpecifiedSupplyChainTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent>
    </ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementMonetarySummation>
   </ram:SpecifiedSupplyChainTradeSettlement>
   <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
  </ram:IncludedSupplyChainTradeLineItem>
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""

UBL = """<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
 <cbc:ID>UBL-42</cbc:ID>
 <cbc:IssueDate>2024-01-31</cbc:IssueDate>
 {due}
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>4500012345</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cac:PostalAddress><cbc:StreetName>Rue de la Paix 1</cbc:StreetName><cbc:CityName>Paris</cbc:CityName>
   <cbc:PostalZone>75002</cbc:PostalZone><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>FR40303265045</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
  </cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Fournisseur SARL</cbc:RegistrationName></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Client SA</cbc:Name></cac:PartyName>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
  <cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount>
 </cac:PaymentMeans>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:{root}Line><cbc:ID>1</cbc:ID>
  <cbc:{qty} unitCode="HUR">2.5</cbc:{qty}>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Consulting</cbc:Name>
   <cac:SellersItemIdentification><cbc:ID>SRV-7</cbc:ID></cac:SellersItemIdentification>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">40.00</cbc:PriceAmount></cac:Price>
 </cac:{root}Line>
</{root}>
"""


def _ubl(credit: bool = False) -> bytes:
    if credit:
        return UBL.format(root="CreditNote", due="", qty="CreditedQuantity").encode()
    return UBL.format(root="Invoice", due="<cbc:DueDate>2024-02-29</cbc:DueDate>", qty="InvoicedQuantity").encode()


def test_cii_fields_and_line_items() -> None:
    data = parse_einvoice(CII.encode())
    assert (data.syntax, data.document_kind, data.profile) == ("CII", "invoice", "urn:cen.eu:en16931:2017")
    expected = {
        "invoice_number": "RE-2024-0815",
        "invoice_date": "2024-03-05",
        "due_date": "2024-04-04",
        "vendor_name": "ACME Supplies GmbH",
        "vendor_address": "Hauptstraße 5, 80333 München, DE",
        "vendor_vat_id": "DE123456789",
        "vendor_iban": "DE02120300000000202051",
        "customer_name": "Kunde AG",
        "po_number": "PO-77",
        "currency": "EUR",
        "net_amount": "42.50",
        "tax_amount": "8.08",
        "total_amount": "50.58",
    }
    assert {k: data.value(k) for k in expected} == expected
    fv = data.fields["invoice_date"]
    assert fv.text == "20240305" and fv.confidence == 1.0 and fv.source == TokenSource.EINVOICE
    assert data.fields["vendor_iban"].text == "DE02 1203 0000 0000 2020 51"
    (item,) = data.line_items
    columns = ("article_number", "description", "quantity", "unit_price", "amount", "tax_rate")
    assert {k: item.value(k) for k in columns} == {
        "article_number": "CP-A4-500",
        "description": "Copy paper A4",
        "quantity": "10",
        "unit_price": "4.25",
        "amount": "42.50",
        "tax_rate": "19",
    }


def test_zugferd_1_namespace() -> None:
    data = parse_einvoice(ZUGFERD_1.encode())
    assert data.profile.endswith("comfort")
    assert (data.value("invoice_number"), data.value("invoice_date"), data.value("total_amount")) == (
        "471102",
        "2013-03-05",
        "235.62",
    )
    assert data.value("vendor_vat_id") == "DE123456789" and data.value("tax_amount") == "37.62"
    (item,) = data.line_items
    assert (item.value("description"), item.value("unit_price"), item.value("amount"), item.value("tax_rate")) == (
        "Trennblätter A4",
        "9.90",
        "198.00",
        "19",
    )


@pytest.mark.parametrize("credit", [False, True])
def test_ubl_invoice_and_credit_note(credit: bool) -> None:
    data = parse_einvoice(_ubl(credit))
    assert data.syntax == "UBL" and data.document_kind == ("credit_note" if credit else "invoice")
    assert data.value("invoice_number") == "UBL-42" and data.value("invoice_date") == "2024-01-31"
    assert data.value("due_date") == (None if credit else "2024-02-29")
    assert data.value("vendor_name") == "Fournisseur SARL" and data.value("customer_name") == "Client SA"
    assert data.value("vendor_address") == "Rue de la Paix 1, 75002 Paris, FR"
    assert data.value("vendor_vat_id") == "FR40303265045" and data.value("vendor_iban") == "FR7630006000011234567890189"
    assert (data.value("net_amount"), data.value("tax_amount"), data.value("total_amount")) == (
        "100.00",
        "20.00",
        "120.00",
    )
    assert data.value("po_number") == "4500012345" and data.value("currency") == "EUR"
    (item,) = data.line_items
    assert item.value("article_number") == "SRV-7"
    assert (item.value("quantity"), item.value("unit_price"), item.value("amount"), item.value("tax_rate")) == (
        "2.5",
        "40.00",
        "100.00",
        "20",
    )


def test_bad_xml() -> None:
    with pytest.raises(CorruptFileError):
        parse_einvoice(b"<rsm:CrossIndustryInvoice unclosed")
    with pytest.raises(UnsupportedFileError):
        parse_einvoice(b"<html><body>not an invoice</body></html>")


def test_bare_xml_files_are_documents_without_pages(tmp_path: Path) -> None:
    for name, xml in (("cii.xml", CII.encode()), ("ubl.dat", _ubl())):
        path = tmp_path / name
        path.write_bytes(xml)
        doc = read_document(path, ExtractionContext())
        assert doc.pages == () and doc.einvoice_xml == xml and doc.mime_type == "application/xml"
        assert find_einvoice_xml(path) == xml and doc.warnings == ()
        # read for its page alone, it says why nothing came of it (all fields empty, and no word why)
        off = read_document(path, ExtractionContext(use_einvoice=False))
        assert [w for w in off.warnings if "no page to read" in w] == [off.warnings[0]]
    for codec in ("utf-16", "utf-16-le"):  # with its byte-order mark, and without
        path = tmp_path / f"{codec}.xml"
        path.write_bytes(_ubl().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(codec))
        doc = read_document(path, ExtractionContext())
        assert doc.mime_type == "application/xml" and parse_einvoice(doc.einvoice_xml or b"").value("invoice_number")
    mentions = tmp_path / "mentions.xml"  # "%PDF-" in a comment near the top: still the XML it is
    mentions.write_bytes(CII.encode().replace(b"<rsm:", b"<!-- original sent as %PDF-1.7 attachment --><rsm:", 1))
    assert read_document(mentions, ExtractionContext()).mime_type == "application/xml"
    other = tmp_path / "feed.xml"
    other.write_text('<?xml version="1.0"?><rss><channel/></rss>')
    with pytest.raises(UnsupportedFileError):
        read_document(other, ExtractionContext())


def test_a_bare_e_invoice_is_an_invoice_and_lacks_what_its_xml_lacks(tmp_path: Path) -> None:
    from extractors.pipeline import extract

    path = tmp_path / "ubl.xml"
    path.write_bytes(_ubl())
    result = extract(path, ExtractionContext())
    assert (result.doc_type, result.type_confidence) == (DocumentType.INVOICE, 1.0)
    found = {n: f for n, f in result.fields.items() if f.found}
    assert found and all(f.confidence == 1.0 and f.source == TokenSource.EINVOICE for f in found.values())
    absent = [f for n, f in result.fields.items() if not f.found and n in HEADER_FIELDS]
    assert absent and all(f.confidence == 1.0 and f.source == TokenSource.EINVOICE for f in absent)
    unread = [f for n, f in result.fields.items() if not f.found and n not in HEADER_FIELDS]  # the delivery date
    assert unread and all(f.confidence < 1.0 for f in unread)  # not looked for in the XML: not known absent


def test_values_an_e_invoice_states_in_a_form_they_cannot_have_are_reported_not_taken(tmp_path: Path) -> None:
    from extractors.pipeline import extract

    xml = (
        _ubl()
        .replace(b"<cbc:IssueDate>2024-01-31<", b"<cbc:IssueDate>31.01.2024<")
        .replace(b"<cbc:DocumentCurrencyCode>EUR<", b"<cbc:DocumentCurrencyCode>euro<")
        .replace(
            b'<cbc:TaxInclusiveAmount currencyID="EUR">120.00<', b'<cbc:TaxInclusiveAmount currencyID="EUR">1,20.00<'
        )
    )
    data = parse_einvoice(xml)
    assert {"invoice_date", "currency", "total_amount"}.isdisjoint(data.fields)
    assert dict(data.unread) == {"invoice_date": "31.01.2024", "currency": "euro", "total_amount": "1,20.00"}
    path = tmp_path / "odd.xml"
    path.write_bytes(xml)
    result = extract(path, ExtractionContext())
    assert sum("in a form it cannot have" in w for w in result.warnings) == 3, result.warnings
    date = result.fields["invoice_date"]
    assert (date.value, date.text, date.confidence) == (None, "31.01.2024", 0.0)  # stated: a clerk sets it
    # a number no invoice holds, in a total or a line: that value reported, the rest of the XML kept (the whole
    # XML was dropped, the document read as "other" with every field empty)
    for odd in ("1e400", "1E+30", "NaN", "sNaN", "Infinity", "1" * 40, "1000000000000000.00"):
        stated = (
            _ubl()
            .replace(
                b'<cbc:TaxInclusiveAmount currencyID="EUR">120.00<',
                f'<cbc:TaxInclusiveAmount currencyID="EUR">{odd}<'.encode(),
            )
            .replace(b'unitCode="HUR">2.5<', f'unitCode="HUR">{odd}<'.encode())
        )
        path.write_bytes(stated)
        result = extract(path, ExtractionContext())
        assert result.doc_type == "invoice" and result.fields["invoice_number"].value, odd
        total = result.fields["total_amount"]
        assert (total.value, total.text, total.confidence) == (None, odd, 0.0), odd
        assert not any("not read" in w for w in result.warnings), (odd, result.warnings)
        [line] = result.line_items  # kept, without the quantity no line holds
        assert line.cells["amount"].value and getattr(line.cells.get("quantity"), "value", None) is None, odd


def test_a_damaged_factur_x_attachment_is_reported_and_the_page_still_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    from extractors.pipeline import extract

    plain = text_pdf(tmp_path / "plain.pdf", pages=(PRINTED,))
    writer = PdfWriter()
    writer.append(PdfReader(str(plain)))
    writer.add_attachment("factur-x.xml", CII.encode()[:200])  # cut off in the middle of an element
    path = tmp_path / "damaged.pdf"
    writer.write(str(path))
    result = extract(path, ExtractionContext())
    assert any(w.startswith("embedded e-invoice not read: ") for w in result.warnings), result.warnings
    assert result.fields["invoice_number"].value == "RE-2024-0815"  # read from the page
    assert result.fields["invoice_number"].source == TokenSource.TEXT_LAYER


def test_an_attachment_that_unpacks_to_more_than_an_e_invoice_can_is_passed_over_not_unpacked_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2 MB Factur-X PDF whose attachment unpacked to 2 GiB took 4.3 GB of memory to read."""
    import zlib

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    from extractors.einvoice import embedded
    from extractors.pipeline import extract

    monkeypatch.setattr(embedded, "MAX_EINVOICE_BYTES", 100_000)  # the same, at a test's size
    plain = text_pdf(tmp_path / "plain.pdf", pages=(PRINTED,))
    for name, xml, read in (
        ("padded.pdf", CII.encode().replace(b"<rsm:", b"<!--" + b" " * 200_000 + b"--><rsm:", 1), False),
        ("fits.pdf", CII.encode().replace(b"<rsm:", b"<!--" + b" " * 50_000 + b"--><rsm:", 1), True),
    ):
        writer = PdfWriter()
        writer.append(PdfReader(str(plain)))
        stream = writer.add_attachment("factur-x.xml", xml).pdf_object["/EF"]["/F"].get_object()
        stream._data = zlib.compress(xml)  # deflated, as Factur-X writers store it: a few hundred bytes
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        path = tmp_path / name
        writer.write(str(path))
        assert path.stat().st_size < 20_000
        result = extract(path, ExtractionContext())
        assert (result.fields["invoice_number"].source == TokenSource.EINVOICE) is read, name
        passed = [w for w in result.warnings if "'factur-x.xml' not read: it unpacks to more than" in w]
        assert bool(passed) is not read, result.warnings
        assert result.fields["invoice_number"].value == "RE-2024-0815"  # from the XML, or the page


PRINTED = (
    ("ACME Supplies GmbH", 72, 80),
    ("Hauptstraße 5", 72, 95),
    ("80333 München", 72, 110),
    ("Rechnung Nr. RE-2024-0815", 72, 160),
    ("Datum: 05.03.2024", 350, 160),
    ("Copy paper A4 10 4,25 42,50", 72, 220),
    ("Gesamt EUR 50,58", 350, 300),
)


def test_factur_x_pdf_round_trip_and_value_boxes(tmp_path: Path) -> None:
    from facturx import generate_from_binary

    plain = text_pdf(tmp_path / "plain.pdf", pages=(PRINTED,))
    pdf_bytes = generate_from_binary(
        plain.read_bytes(), CII.encode(), flavor="factur-x", level="en16931", check_xsd=False
    )
    path = tmp_path / "facturx.pdf"
    path.write_bytes(pdf_bytes)

    xml = find_einvoice_xml(path)
    assert xml is not None and b"RE-2024-0815" in xml
    assert find_einvoice_xml(plain) is None

    doc = read_document(path, ExtractionContext())
    assert doc.einvoice_xml == xml and doc.page_count == 1
    assert read_document(path, ExtractionContext(use_einvoice=False)).einvoice_xml is None

    data = locate_values(parse_einvoice(xml), doc)
    assert read_einvoice(doc) == data
    assert read_einvoice(read_document(plain, ExtractionContext())) is None
    page = doc.pages[0]

    def printed(name: str) -> str:
        fv = data.fields[name]
        assert fv.page == 0 and fv.bbox_pt is not None, name
        return " ".join(page.tokens[i].text for i in fv.token_ids)

    assert printed("invoice_number") == "RE-2024-0815"
    assert printed("invoice_date") == "05.03.2024"
    assert printed("total_amount") == "50,58"
    assert printed("vendor_name") == "ACME Supplies GmbH"
    assert printed("vendor_address") == "Hauptstraße 5 80333 München"
    assert printed("currency") == "EUR"
    # The box of the total sits on its words: x from 350 pt, baseline 300 pt from the top.
    box = data.fields["total_amount"].bbox_pt
    assert box is not None and box.x0 > 350 and 288 < box.y1 < 303
    assert data.fields["vendor_iban"].bbox_pt is None  # not printed on this page
    (item,) = data.line_items
    assert [
        " ".join(page.tokens[i].text for i in item.cells[c].token_ids) for c in ("quantity", "unit_price", "amount")
    ] == [
        "10",
        "4,25",
        "42,50",
    ]
    assert item.bbox_pt is not None and item.page == 0


def test_zugferd_corpus_agrees_with_truth(shared_data: Path) -> None:
    import json

    root = shared_data / "zugferd"
    if not (root / "truth.jsonl").is_file():
        pytest.skip("zugferd corpus not present")
    rows = [json.loads(line) for line in (root / "truth.jsonl").read_text().splitlines() if line.strip()]
    total = agree = 0
    for row in rows[::4]:
        xml = find_einvoice_xml(root / row["file"])
        assert xml is not None, row["file"]
        data = parse_einvoice(xml)
        for name, want in row["fields"].items():
            got = data.value(name)
            total += 1
            agree += (got or "").replace(" ", "") == want.replace(" ", "")
    assert agree == total


def test_a_line_before_the_pdf_header_hides_no_attached_e_invoice(shared_data: Path, tmp_path: Path) -> None:
    """A gateway's line before "%PDF-" shifts every offset in the file; PDFium counts them from the header, and
    the attachment must be read the same way (hybrid files, whose catalogue sits in an object stream, were lost)."""
    root = shared_data / "zugferd" / "docs"
    if not root.is_dir():
        pytest.skip("zugferd corpus not present")
    lost = []
    for path in sorted(root.glob("*.pdf")):
        shifted = tmp_path / path.name
        shifted.write_bytes(b"Received: from scanner.example.com by mail.example.com\r\n" + path.read_bytes())
        if find_einvoice_xml(shifted) != find_einvoice_xml(path):
            lost.append(path.name)
        shifted.unlink()
    assert lost == []


def test_bare_xml_with_a_long_leading_comment(tmp_path: Path) -> None:
    licence = "<!--" + "Nutzungsrechte und Lizenz. " * 400 + "-->\n"
    xml = CII.replace("<rsm:CrossIndustryInvoice", licence + "<rsm:CrossIndustryInvoice", 1).encode()
    path = tmp_path / "long.xml"
    path.write_bytes(xml)
    doc = read_document(path, ExtractionContext())
    assert doc.einvoice_xml == xml and parse_einvoice(xml).value("invoice_number") == "RE-2024-0815"
