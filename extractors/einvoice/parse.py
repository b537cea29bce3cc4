"""Canonical fields and line items from CII (Factur-X, ZUGFeRD 1.0 / 2.x, XRechnung CII) and UBL 2.1 XML.

Elements are found by local name, so that the CII versions (whose namespaces and some element names differ)
share one set of paths. Values are normalised as every field is: dates ISO ``YYYY-MM-DD``, amounts decimal
strings with two places, currency ISO 4217; ``text`` keeps the value as the XML wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from extractors.document import TokenSource
from extractors.errors import CorruptFileError, UnsupportedFileError
from extractors.results import FieldValue, LineItem

CII_NAMESPACES = (
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "urn:ferd:CrossIndustryDocument:invoice:1p0",
)
UBL_NAMESPACES = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "credit_note",
}
HEADER_FIELDS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "payment_terms",
    "vendor_name",
    "vendor_address",
    "vendor_vat_id",
    "vendor_iban",
    "customer_name",
    "po_number",
    "currency",
    "net_amount",
    "tax_amount",
    "total_amount",
)
AMOUNT_FIELDS = frozenset({"net_amount", "tax_amount", "total_amount", "unit_price", "amount"})
DATE_FIELDS = frozenset({"invoice_date", "due_date"})
CREDIT_NOTE_TYPE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})

Element = etree._Element


@dataclass(frozen=True, slots=True)
class EInvoiceData:
    """What an e-invoice states: header fields and line items, each a FieldValue from the e-invoice source."""

    syntax: str
    """``CII`` or ``UBL``."""
    document_kind: str
    """``invoice`` or ``credit_note``."""
    profile: str
    """The guideline / customization id (Factur-X profile, XRechnung version), if stated."""
    fields: dict[str, FieldValue] = field(default_factory=dict)
    line_items: tuple[LineItem, ...] = ()
    unread: tuple[tuple[str, str], ...] = ()
    """Header fields the XML states in a form they cannot have, (name, text): left out of ``fields``."""

    def value(self, name: str) -> str | None:
        fv = self.fields.get(name)
        return fv.value if fv is not None and isinstance(fv.value, str) else None


def _xp(path: str) -> str:
    """``A/B|C`` (local names, ``|`` for alternatives) as a namespace-agnostic relative XPath."""
    steps = []
    for step in path.split("/"):
        if step == "..":
            steps.append("..")
            continue
        names = " or ".join(f"local-name()='{n}'" for n in step.split("|"))
        steps.append(f"*[{names}]")
    return "./" + "/".join(steps)


def _all(el: Element | None, path: str) -> list[Element]:
    if el is None:
        return []
    found = el.xpath(_xp(path))
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


def _one(el: Element | None, path: str) -> Element | None:
    found = _all(el, path)
    return found[0] if found else None


def _text(el: Element | None, path: str | None = None) -> str | None:
    node = _one(el, path) if path else el
    if node is None or node.text is None:
        return None
    text = node.text.strip()
    return text or None


PLAUSIBLE_AMOUNT = Decimal("1e15")
"""An amount of a thousand million million or more is no invoice's (a clerk cannot type one either)."""


def normalise_amount(text: str | None) -> str | None:
    """An amount as a decimal string with two places (half up), or None if it is not a plausible number ("NaN",
    "Infinity", "1e400", forty digits)."""
    value = _plausible(text)
    return None if value is None else str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _plausible(text: str | None) -> Decimal | None:
    """The number ``text`` states, if it is one an invoice can hold: finite and under :data:`PLAUSIBLE_AMOUNT`."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < PLAUSIBLE_AMOUNT else None


def normalise_quantity(text: str | None) -> str | None:
    """A quantity as a plain decimal without trailing zeros ("20.0000" -> "20"), as read from a page."""
    value = _plausible(text)
    return None if value is None else format(value.normalize(), "f")


def cii_date(node: Element | None) -> tuple[str | None, str | None]:
    """A CII date (``udt:DateTimeString`` with its format code) as (ISO date, text)."""
    if node is None:
        return None, None
    text = (node.text or "").strip()
    fmt = node.get("format", "102")
    try:
        if fmt == "102" or re.fullmatch(r"\d{8}", text):
            return dt.datetime.strptime(text[:8], "%Y%m%d").date().isoformat(), text
        if fmt == "610":
            return dt.datetime.strptime(text[:6] + "01", "%Y%m%d").date().isoformat(), text
        return dt.date.fromisoformat(text[:10]).isoformat(), text
    except ValueError:
        return None, text or None


def iso_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None


def _terms(text: str | None) -> str | None:
    """Payment terms on one line (the XML's may break lines)."""
    return " ".join(text.split()) or None if text else None


UNREADABLE = "stated in the e-invoice XML in a form it cannot have"


def _fv(name: str, value: str | None, text: str | None = None) -> FieldValue | None:
    """The field as the XML states it; where its text is not of the form the standard prescribes ("15.03.2024" for
    a date, "1,190.00" for an amount, "euro" for a currency), a field without a value that keeps the text."""
    if value is None:
        if text is None or not text.strip():
            return None
        return FieldValue(name, None, text=text.strip(), source=TokenSource.EINVOICE, evidence=(UNREADABLE,))
    return FieldValue(
        name=name,
        value=value,
        text=text if text is not None else value,
        confidence=1.0,
        source=TokenSource.EINVOICE,
        evidence=("stated in the e-invoice XML",),
    )


def _currency(text: str | None) -> str | None:
    """An ISO 4217 code as the standard writes it ("EUR"); None for anything else ("euro", "€")."""
    from babel.numbers import list_currencies

    code = (text or "").strip()
    return code if re.fullmatch(r"[A-Z]{3}", code) and code in list_currencies() else None


def _unread(found: dict[str, FieldValue | None]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v.text) for k, v in found.items() if v is not None and not v.found)


def _amount_fv(name: str, text: str | None) -> FieldValue | None:
    return _fv(name, normalise_amount(text), text)


def _join_address(parts: list[str | None]) -> str | None:
    items = [p.strip() for p in parts if p and p.strip()]
    return ", ".join(items) if items else None


def _cii_address(party: Element | None) -> str | None:
    addr = _one(party, "PostalTradeAddress")
    if addr is None:
        return None
    postcode_city = " ".join(p for p in (_text(addr, "PostcodeCode"), _text(addr, "CityName")) if p)
    return _join_address(
        [
            _text(addr, "LineOne"),
            _text(addr, "LineTwo"),
            _text(addr, "LineThree"),
            postcode_city,
            _text(addr, "CountryID"),
        ]
    )


def _tax_amount(candidates: list[Element], currency: str | None) -> str | None:
    """The tax total in the invoice currency (an invoice may state it again in the accounting currency)."""
    for node in candidates:
        if currency is None or node.get("currencyID") in (None, currency):
            return _text(node)
    return _text(candidates[0]) if candidates else None


def _parse_cii(root: Element) -> EInvoiceData:
    header = _one(root, "ExchangedDocument|HeaderExchangedDocument")
    context = _one(root, "ExchangedDocumentContext|SpecifiedExchangedDocumentContext")
    trade = _one(root, "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction")
    agreement = _one(trade, "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement")
    settlement = _one(trade, "ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement")
    summation = _one(
        settlement, "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
    )
    seller = _one(agreement, "SellerTradeParty")
    buyer = _one(agreement, "BuyerTradeParty")
    currency = _text(settlement, "InvoiceCurrencyCode")

    issue, issue_text = cii_date(_one(header, "IssueDateTime/DateTimeString"))
    due, due_text = cii_date(_one(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"))
    vat_ids = [
        e for e in _all(seller, "SpecifiedTaxRegistration/ID") if (e.get("schemeID") or "").upper() in ("VA", "")
    ]
    iban = _text(settlement, "SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID")
    po = _text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID") or _text(
        agreement, "BuyerOrderReferencedDocument/ID"
    )
    found = {
        "invoice_number": _fv("invoice_number", _text(header, "ID")),
        "invoice_date": _fv("invoice_date", issue, issue_text),
        "due_date": _fv("due_date", due, due_text),
        "payment_terms": _fv("payment_terms", _terms(_text(settlement, "SpecifiedTradePaymentTerms/Description"))),
        "vendor_name": _fv("vendor_name", _text(seller, "Name")),
        "vendor_address": _fv("vendor_address", _cii_address(seller)),
        "vendor_vat_id": _fv("vendor_vat_id", _text(vat_ids[0]) if vat_ids else None),
        "vendor_iban": _fv("vendor_iban", iban.replace(" ", "") if iban else None, iban),
        "customer_name": _fv("customer_name", _text(buyer, "Name")),
        "po_number": _fv("po_number", po),
        "currency": _fv("currency", _currency(currency), currency),
        "net_amount": _amount_fv("net_amount", _text(summation, "TaxBasisTotalAmount")),
        "tax_amount": _amount_fv("tax_amount", _tax_amount(_all(summation, "TaxTotalAmount"), currency)),
        "total_amount": _amount_fv("total_amount", _text(summation, "GrandTotalAmount")),
    }
    items = []
    for line in _all(trade, "IncludedSupplyChainTradeLineItem"):
        line_agreement = _one(line, "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement")
        line_delivery = _one(line, "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery")
        line_settlement = _one(line, "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement")
        line_sum = _one(
            line_settlement,
            "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation",
        )
        rate = _text(line_settlement, "ApplicableTradeTax/RateApplicablePercent|ApplicablePercent")
        qty = _text(line_delivery, "BilledQuantity")
        cells = {
            "article_number": _fv("article_number", _text(line, "SpecifiedTradeProduct/SellerAssignedID")),
            "description": _fv("description", _text(line, "SpecifiedTradeProduct/Name")),
            "quantity": _fv("quantity", normalise_quantity(qty), qty),
            "unit_price": _amount_fv("unit_price", _text(line_agreement, "NetPriceProductTradePrice/ChargeAmount")),
            "amount": _amount_fv("amount", _text(line_sum, "LineTotalAmount")),
            "tax_rate": _fv("tax_rate", _percent(rate), rate),
        }
        items.append(LineItem(cells={k: v for k, v in cells.items() if v is not None and v.found}))
    type_code = _text(header, "TypeCode") or "380"
    return EInvoiceData(
        syntax="CII",
        document_kind="credit_note" if type_code in CREDIT_NOTE_TYPE_CODES else "invoice",
        profile=_text(context, "GuidelineSpecifiedDocumentContextParameter/ID") or "",
        fields={k: v for k, v in found.items() if v is not None and v.found},
        line_items=tuple(items),
        unread=_unread(found),
    )


def _percent(text: str | None) -> str | None:
    value = _plausible(text)
    return None if value is None else format(value.normalize(), "f")


def _ubl_party_name(party: Element | None) -> str | None:
    return _text(party, "PartyName/Name") or _text(party, "PartyLegalEntity/RegistrationName")


def _ubl_address(party: Element | None) -> str | None:
    addr = _one(party, "PostalAddress")
    if addr is None:
        return None
    postcode_city = " ".join(p for p in (_text(addr, "PostalZone"), _text(addr, "CityName")) if p)
    return _join_address(
        [
            _text(addr, "StreetName"),
            _text(addr, "AdditionalStreetName"),
            _text(addr, "AddressLine/Line"),
            postcode_city,
            _text(addr, "Country/IdentificationCode"),
        ]
    )


def _ubl_vat_id(party: Element | None) -> str | None:
    for scheme in _all(party, "PartyTaxScheme"):
        if (_text(scheme, "TaxScheme/ID") or "VAT").upper() == "VAT":
            return _text(scheme, "CompanyID")
    return None


def _parse_ubl(root: Element, kind: str) -> EInvoiceData:
    seller = _one(root, "AccountingSupplierParty/Party")
    buyer = _one(root, "AccountingCustomerParty/Party")
    totals = _one(root, "LegalMonetaryTotal")
    currency = _text(root, "DocumentCurrencyCode")
    issue_text = _text(root, "IssueDate")
    due_text = _text(root, "DueDate") or _text(root, "PaymentMeans/PaymentDueDate")
    iban = _text(root, "PaymentMeans/PayeeFinancialAccount/ID")
    found = {
        "invoice_number": _fv("invoice_number", _text(root, "ID")),
        "invoice_date": _fv("invoice_date", iso_date(issue_text), issue_text),
        "due_date": _fv("due_date", iso_date(due_text), due_text),
        "payment_terms": _fv("payment_terms", _terms(_text(root, "PaymentTerms/Note"))),
        "vendor_name": _fv("vendor_name", _ubl_party_name(seller)),
        "vendor_address": _fv("vendor_address", _ubl_address(seller)),
        "vendor_vat_id": _fv("vendor_vat_id", _ubl_vat_id(seller)),
        "vendor_iban": _fv("vendor_iban", iban.replace(" ", "") if iban else None, iban),
        "customer_name": _fv("customer_name", _ubl_party_name(buyer)),
        "po_number": _fv("po_number", _text(root, "OrderReference/ID")),
        "currency": _fv("currency", _currency(currency), currency),
        "net_amount": _amount_fv("net_amount", _text(totals, "TaxExclusiveAmount")),
        "tax_amount": _amount_fv("tax_amount", _tax_amount(_all(root, "TaxTotal/TaxAmount"), currency)),
        "total_amount": _amount_fv("total_amount", _text(totals, "TaxInclusiveAmount")),
    }
    items = []
    for line in _all(root, "InvoiceLine|CreditNoteLine"):
        rate = _text(line, "Item/ClassifiedTaxCategory/Percent")
        qty = _text(line, "InvoicedQuantity|CreditedQuantity")
        cells = {
            "article_number": _fv("article_number", _text(line, "Item/SellersItemIdentification/ID")),
            "description": _fv("description", _text(line, "Item/Name") or _text(line, "Item/Description")),
            "quantity": _fv("quantity", normalise_quantity(qty), qty),
            "unit_price": _amount_fv("unit_price", _text(line, "Price/PriceAmount")),
            "amount": _amount_fv("amount", _text(line, "LineExtensionAmount")),
            "tax_rate": _fv("tax_rate", _percent(rate), rate),
        }
        items.append(LineItem(cells={k: v for k, v in cells.items() if v is not None and v.found}))
    return EInvoiceData(
        syntax="UBL",
        document_kind=kind,
        profile=_text(root, "CustomizationID") or "",
        fields={k: v for k, v in found.items() if v is not None and v.found},
        line_items=tuple(items),
        unread=_unread(found),
    )


def parse_einvoice(xml: bytes) -> EInvoiceData:
    """The fields and line items of a CII or UBL e-invoice; typed errors for XML that is broken or of another kind."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(f"the e-invoice XML does not parse: {exc}") from exc
    ns = etree.QName(root).namespace or ""
    if ns in CII_NAMESPACES:
        return _parse_cii(root)
    if ns in UBL_NAMESPACES:
        return _parse_ubl(root, UBL_NAMESPACES[ns])
    raise UnsupportedFileError(f"XML root {etree.QName(root).localname!r} is not a CII or UBL invoice")
