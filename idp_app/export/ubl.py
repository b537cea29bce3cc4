"""An approved invoice as UBL 2.1 (EN 16931), the syntax of Peppol and of many accounting systems' e-invoice import.

The invoice is prepared once (:func:`idp_app.export.cii.prepare`: what EN 16931 needs, the lines and the VAT
breakdown); this module only writes it in the other syntax, and :mod:`idp_app.export.validate` checks it against
the UBL 2.1 XML Schema and the EN 16931 schematron for UBL.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from idp_app.export.cii import (
    CiiInvoice,
    address_parts,
    amount_text,
    compact_vat,
    price_text,
    quantity_text,
    sub_element,
)

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIX = {"cac": CAC, "cbc": CBC}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    return sub_element(parent, PREFIX, tag, text, **attrs)


def _money(parent: etree._Element, tag: str, value: Decimal, currency: str) -> None:
    _el(parent, tag, amount_text(value), currencyID=currency)


def _vat_category(parent: etree._Element, tag: str, rate: Decimal) -> None:
    cat = _el(parent, tag)
    _el(cat, "cbc:ID", "S")
    _el(cat, "cbc:Percent", quantity_text(rate))
    _el(_el(cat, "cac:TaxScheme"), "cbc:ID", "VAT")


def _party(parent: etree._Element, name: str, address: str, country: str, vat_id: str) -> None:
    party = _el(parent, "cac:Party")
    postal = _el(party, "cac:PostalAddress")
    parts = address_parts(address, country)
    for tag, line in zip(("cbc:StreetName", "cbc:AdditionalStreetName"), parts.lines[:2], strict=False):
        _el(postal, tag, line)
    if parts.city:
        _el(postal, "cbc:CityName", parts.city)
    if parts.postcode:
        _el(postal, "cbc:PostalZone", parts.postcode)
    if len(parts.lines) > 2:
        _el(_el(postal, "cac:AddressLine"), "cbc:Line", parts.lines[2])
    _el(_el(postal, "cac:Country"), "cbc:IdentificationCode", country)
    if vat_id:
        scheme = _el(party, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", compact_vat(vat_id))
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    _el(_el(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", name)


def to_xml(inv: CiiInvoice) -> bytes:
    """The UBL 2.1 invoice (or credit note, UBL's own document) of a prepared invoice (UTF-8, with declaration)."""
    r = inv.record
    cur = r.text("currency")
    kind, namespace = ("CreditNote", CREDIT_NOTE) if inv.credit_note else ("Invoice", INVOICE)
    nsmap = {None: namespace, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{namespace}}}{kind}", nsmap=nsmap)  # type: ignore[arg-type]
    _el(root, "cbc:CustomizationID", "urn:cen.eu:en16931:2017")
    _el(root, "cbc:ID", r.text("invoice_number"))
    _el(root, "cbc:IssueDate", r.text("invoice_date"))
    due = r.text("due_date") if r.date("due_date") is not None else ""
    if due and not inv.credit_note:
        _el(root, "cbc:DueDate", due)
    _el(root, f"cbc:{kind}TypeCode", inv.type_code)
    _el(root, "cbc:DocumentCurrencyCode", cur)
    if r.text("po_number"):
        _el(_el(root, "cac:OrderReference"), "cbc:ID", r.text("po_number"))
    _party(
        _el(root, "cac:AccountingSupplierParty"),
        r.text("vendor_name"),
        r.text("vendor_address"),
        inv.seller_country,
        r.text("vendor_vat_id"),
    )
    _party(_el(root, "cac:AccountingCustomerParty"), r.text("customer_name"), "", inv.buyer_country, "")
    if r.date("delivery_date") is not None:
        _el(_el(root, "cac:Delivery"), "cbc:ActualDeliveryDate", r.text("delivery_date"))
    if r.text("vendor_iban") or (due and inv.credit_note):
        means = _el(root, "cac:PaymentMeans")
        # SEPA credit transfer, a credit transfer, or (a credit note's due date without an account) "not defined"
        _el(means, "cbc:PaymentMeansCode", ("58" if cur == "EUR" else "30") if r.text("vendor_iban") else "1")
        if due and inv.credit_note:  # a UBL credit note has no DueDate of its own (EN 16931 BT-9)
            _el(means, "cbc:PaymentDueDate", due)
        if r.text("vendor_iban"):
            _el(_el(means, "cac:PayeeFinancialAccount"), "cbc:ID", r.text("vendor_iban"))
    if r.text("payment_terms"):  # BT-20
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", r.text("payment_terms"))
    total_tax = _el(root, "cac:TaxTotal")
    _money(total_tax, "cbc:TaxAmount", inv.tax, cur)
    for g in inv.groups:
        sub = _el(total_tax, "cac:TaxSubtotal")
        _money(sub, "cbc:TaxableAmount", g.basis, cur)
        _money(sub, "cbc:TaxAmount", g.tax, cur)
        _vat_category(sub, "cac:TaxCategory", g.rate)
    sums = _el(root, "cac:LegalMonetaryTotal")
    _money(sums, "cbc:LineExtensionAmount", sum((ln.amount for ln in inv.lines), Decimal(0)), cur)
    _money(sums, "cbc:TaxExclusiveAmount", inv.net, cur)
    _money(sums, "cbc:TaxInclusiveAmount", inv.with_vat, cur)
    if inv.rounding:
        _money(sums, "cbc:PayableRoundingAmount", inv.rounding, cur)
    _money(sums, "cbc:PayableAmount", inv.total, cur)
    for ln in inv.lines:
        line = _el(root, f"cac:{kind}Line")
        _el(line, "cbc:ID", str(ln.number))
        quantity = "cbc:CreditedQuantity" if inv.credit_note else "cbc:InvoicedQuantity"
        _el(line, quantity, quantity_text(ln.quantity), unitCode="C62")
        _money(line, "cbc:LineExtensionAmount", ln.amount, cur)
        item = _el(line, "cac:Item")
        _el(item, "cbc:Name", ln.name)
        if ln.seller_id:
            _el(_el(item, "cac:SellersItemIdentification"), "cbc:ID", ln.seller_id)
        _vat_category(item, "cac:ClassifiedTaxCategory", ln.rate)
        _el(_el(line, "cac:Price"), "cbc:PriceAmount", price_text(ln.price), currencyID=cur)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
