"""An approved invoice as a Factur-X / ZUGFeRD 2 XML (UN/CEFACT CII, profile EN 16931).

Built from what was approved and nothing else: a value the page did not give is left out, never made up. Where
EN 16931 needs something the page cannot give (the seller's country, a VAT breakdown), :class:`NotExportable`
says what is missing, and :mod:`idp_app.export.validate` checks the result against the published XSD and the
EN 16931 schematron before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from idp_app.errors import InvalidValueError
from idp_app.export.record import ExportLine, ExportRecord, decimal_or_none
from idp_app.services.values import normalise

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
INVOICE, CREDIT_NOTE = "380", "381"
"""UNTDID 1001 document type codes (EN 16931 BT-3): a commercial invoice, a credit note."""

CENT = Decimal("0.01")
RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "export"
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold (a control character a text layer carried along)."""


class NotExportable(Exception):
    """The approved values cannot make a valid EN 16931 invoice; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class TaxGroup:
    rate: Decimal
    basis: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class CiiLine:
    number: int
    name: str
    seller_id: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True)
class CiiInvoice:
    """What the XML says, checked for what EN 16931 requires; ``notes`` tell the clerk what was assumed."""

    record: ExportRecord
    seller_country: str
    buyer_country: str
    lines: tuple[CiiLine, ...]
    groups: tuple[TaxGroup, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    """The amount due as printed: net + tax + ``rounding``."""
    notes: tuple[str, ...]
    rounding: Decimal = Decimal(0)
    """What the printed total rounds net + tax by (EN 16931 BT-114)."""
    type_code: str = INVOICE
    """EN 16931 BT-3: 380 an invoice, 381 a credit note (whose amounts, printed below zero, are stated above it)."""

    @property
    def credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE

    @property
    def with_vat(self) -> Decimal:
        """The invoice total with VAT (EN 16931 BT-112): net + tax."""
        return self.net + self.tax


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@cache
def vat_rates() -> dict[str, frozenset[Decimal]]:
    """Country -> the VAT rates it has had since 2020 (``resources/export/vat_rates.toml``)."""
    data = tomllib.loads((RESOURCES / "vat_rates.toml").read_text(encoding="utf-8"))
    return {code: frozenset(Decimal(r) for r in rates) for code, rates in data.items()}


def compact_vat(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


def country_of(record: ExportRecord) -> str | None:
    """The seller's country from its VAT id's prefix ("EL" is Greece, "XI" Northern Ireland)."""
    vat = compact_vat(record.text("vendor_vat_id"))
    if not re.match(r"^[A-Z]{2}", vat):
        return None
    return {"EL": "GR", "XI": "GB"}.get(vat[:2], vat[:2])


def _rate_for(net: Decimal, tax: Decimal, allowed: set[Decimal]) -> Decimal | None:
    """The one rate among ``allowed`` (those the lines name, or the seller's country's) that gives ``tax`` on
    ``net`` to the cent; None when none does (several rates, or no VAT)."""
    if net <= 0:
        return None
    fits = [r for r in allowed if r > 0 and abs(cents(net * r / 100) - tax) <= CENT]
    return min(fits, key=lambda r: abs(net * r / 100 - tax)) if fits else None


def _line_amounts(lines: tuple[ExportLine, ...], net: Decimal) -> list[Decimal] | None:
    """Each line's amount to the cent, if every line has one and they add up to the net amount."""
    amounts = [ln.decimal("amount") for ln in lines]
    if not lines or any(a is None for a in amounts):
        return None
    rounded = [cents(a) for a in amounts if a is not None]
    return rounded if sum(rounded) == net else None


def _groups(lines: list[CiiLine], tax: Decimal) -> tuple[TaxGroup, ...]:
    """One VAT group per rate. An invoice that rounded its tax once rather than per rate may differ by a cent
    per group; the difference is spread a cent at a time over the largest groups, and more is refused."""
    basis: dict[Decimal, Decimal] = {}
    for ln in lines:
        basis[ln.rate] = basis.get(ln.rate, Decimal(0)) + ln.amount
    groups = [TaxGroup(rate, amount, cents(amount * rate / 100)) for rate, amount in sorted(basis.items())]
    gap = tax - sum(g.tax for g in groups)
    steps = int(abs(gap) / CENT)
    if steps > len(groups) or abs(gap) != steps * CENT:
        shown = ", ".join(f"{g.rate} % on {g.basis}" for g in groups)
        raise NotExportable(f"the tax amount {tax} does not match the line items' rates ({shown})")
    step = CENT if gap > 0 else -CENT
    for k in sorted(range(len(groups)), key=lambda i: -groups[i].basis)[:steps]:
        g = groups[k]
        groups[k] = TaxGroup(g.rate, g.basis, g.tax + step)
    return tuple(groups)


def _check_header(
    record: ExportRecord, rounding_limit: Decimal, derived: list[str]
) -> tuple[Decimal, Decimal, Decimal]:
    """Net, tax and total, after checking the fields every EN 16931 invoice needs; a net or tax amount worked out
    from the total is noted in ``derived``."""
    if not record.text("invoice_number"):
        raise NotExportable("the invoice number is empty")
    if record.date("invoice_date") is None:
        raise NotExportable("the invoice date is empty")
    if record.date("due_date") is None and not record.text("payment_terms"):
        # EN 16931 BR-CO-25: a due date or payment terms when an amount is due
        raise NotExportable("the due date and the payment terms are empty: EN 16931 needs one when an amount is due")
    if not re.fullmatch(r"[A-Z]{3}", record.text("currency")):
        raise NotExportable("the currency is empty")
    if not record.text("customer_name"):
        raise NotExportable("the customer name is empty (EN 16931 BR-07)")
    net, tax, total = record.decimal("net_amount"), record.decimal("tax_amount"), record.decimal("total_amount")
    if total is None:
        raise NotExportable("the total amount is empty")
    if net is None and tax is not None:
        net = total - tax
        derived.append(worked_out("net", net, total, tax))
    if tax is None and net is not None:
        tax = total - net
        derived.append(worked_out("tax", tax, total, net))
    if net is None or tax is None:
        raise NotExportable("the net and tax amounts are empty: EN 16931 needs the VAT breakdown")
    if abs(net + tax - total) > rounding_limit:
        raise NotExportable(f"net {net} + tax {tax} is not the total {total}")
    if tax == 0:
        raise NotExportable("no VAT: whether exempt, zero-rated or reverse charge is not read from the page")
    if cents(total) != total or cents(tax) != tax or cents(net) != net:
        raise NotExportable("the net, tax or total amount has more than two decimals")
    for name, value_type in (("vendor_iban", "iban"), ("vendor_vat_id", "vat_id")):
        if record.text(name):
            try:
                normalise(value_type, record.text(name))
            except InvalidValueError as exc:
                raise NotExportable(f"{name}: {exc}") from None
    return net, tax, total


def _lines(record: ExportRecord, net: Decimal, tax: Decimal, seller: str | None, notes: list[str]) -> list[CiiLine]:
    """The invoice's lines, each with its VAT rate: the line items as approved where each has its rate or one
    rate fits them all (among those the lines print, or the seller's country's), else one line carrying the net
    amount. What was assumed is added to ``notes``."""
    line_rates = [r for ln in record.lines if (r := ln.decimal("tax_rate")) is not None]
    if any(r <= 0 or r >= 100 for r in line_rates):
        raise NotExportable("a line item's VAT rate is 0 or out of range: its VAT category is not read from the page")
    single = _rate_for(net, tax, set(line_rates) or set(vat_rates().get(seller or "", ())))
    if single is not None and len(line_rates) < len(record.lines or [None]):
        # an assumption the accountant must see: tax 130.00 on 1000.00 is 13 % or 20 % and 10 % on two lines
        among = "the rates other lines print" if line_rates else f"{seller}'s VAT rates"
        notes.append(
            f"VAT rate {single} % worked out from tax {tax} on net {net} ({among}): "
            f"{'no line item prints its rate' if not line_rates else 'some line items print no rate'}"
        )
    amounts = _line_amounts(record.lines, net)
    lines: list[CiiLine] = []
    if amounts is not None and (len(line_rates) == len(record.lines) or single):
        for ln, amount in zip(record.lines, amounts, strict=True):
            qty, price = ln.decimal("quantity"), ln.decimal("unit_price")
            implied = amount / price if not qty and price else None
            if price and implied is not None and implied >= 1 and implied == implied.to_integral_value():
                qty = implied.normalize()  # 1080.55 at 216.11: 5, as printed; the unit price is kept
                notes.append(f"line {ln.number}: no quantity; written as {qty:f}, its amount over its unit price")
            elif not qty:
                qty, price = Decimal(1), amount
                notes.append(f"line {ln.number}: no quantity; written as 1 at its amount")
            elif price is None:
                price = amount / qty
            elif Decimal(price_text(price)) != price:
                notes.append(f"line {ln.number}: unit price {price} written as {price_text(price)} (four decimals)")
            if price < 0:  # a discount line: EN 16931 wants the price positive and the quantity negative
                qty, price = -qty, -price
            rate = ln.decimal("tax_rate") or single
            assert rate is not None
            desc = ln.text("description")
            if not desc:
                desc = f"Line {ln.number}"
                notes.append(f"line {ln.number}: no description; written as {desc!r}")
            lines.append(CiiLine(ln.number, desc, ln.text("article_number"), qty, price, amount, rate))
    else:
        if single is None:
            rates = f"one of {seller}'s VAT rates" if seller else "a rate the lines print (no VAT id names a country)"
            raise NotExportable(
                f"tax {tax} on net {net} is not {rates}, and the line items do not give each line's rate "
                "(several rates?)"
            )
        if record.lines:
            notes.append("the line items do not add up to the net amount: one line carries the net amount")
        else:
            notes.append("no line items were read: one line carries the net amount")
        name = f"Invoice {record.text('invoice_number')}"
        lines.append(CiiLine(1, name, "", Decimal(1), net, net, single))
    return lines


def vat_breakdown(record: ExportRecord, notes: list[str] | None = None) -> tuple[TaxGroup, ...]:
    """An invoice's or receipt's VAT by rate (taxable amount and tax), worked out as its e-invoice's breakdown is
    but without what only EN 16931 asks for (the buyer, a due date, the seller's VAT id: then the rates come from
    the lines alone). A credit note's amounts come out below zero; no VAT at all is one group at 0 %. Raises
    :class:`NotExportable` with why when the approved values do not give one. What was assumed (a rate worked out
    from the totals, a net or tax amount worked out from the total) is added to ``notes``."""
    net, tax, total = record.decimal("net_amount"), record.decimal("tax_amount"), record.decimal("total_amount")
    assumed: list[str] = []
    if net is None and tax is not None and total is not None:
        net = total - tax
        assumed.append(worked_out("net", net, total, tax))
    if tax is None and net is not None and total is not None:
        tax = total - net
        assumed.append(worked_out("tax", tax, total, net))
    if net is None or tax is None:
        raise NotExportable("the net and tax amounts are empty")
    if tax == 0:
        if notes is not None:
            notes += assumed
        return (TaxGroup(Decimal(0), net, tax),)
    if net < 0 and tax < 0:  # a credit note: worked out on its amounts above zero, told with its own
        flipped: list[str] = []
        groups = tuple(TaxGroup(g.rate, -g.basis, -g.tax) for g in vat_breakdown(_negated(record), flipped))
        # its own rate note, in its own signs (an amount worked out is noted above already)
        assumed += [_own_signs(n, net, tax) for n in flipped if n.startswith("VAT rate")]
    else:
        groups = _groups(_lines(record, net, tax, country_of(record), assumed), tax)
    if notes is not None:  # the rate worked out, not what only the XML's lines assume (a quantity of 1, say)
        notes += [n for n in assumed if n.startswith(("VAT rate", "no net amount", "no tax amount"))]
    return groups


def _own_signs(note: str, net: Decimal, tax: Decimal) -> str:
    """A note worked out on a credit note's amounts above zero, told with its own ``net`` and ``tax``."""
    return note.replace(f"tax {-tax} on net {-net}", f"tax {tax} on net {net}")


def worked_out(name: str, value: Decimal, total: Decimal, other: Decimal) -> str:
    """The note for a net or tax amount left empty at approval and worked out from the total."""
    other_name = "tax" if name == "net" else "net"
    return f"no {name} amount approved: taken as total {total} - {other_name} {other} = {value}"


def _negated(record: ExportRecord) -> ExportRecord:
    """A credit note's amounts above zero. Its lines are turned too where they were printed below zero (their sum
    is); many credit notes print their lines as the invoice did and only the totals below zero."""

    def flip(text: str) -> str:
        value = decimal_or_none(text)
        return str(-value) if value is not None else text

    fields = {**record.fields, **{n: flip(record.text(n)) for n in ("net_amount", "tax_amount", "total_amount")}}
    amounts = [a for ln in record.lines if (a := ln.decimal("amount")) is not None]
    if sum(amounts, Decimal(0)) >= 0:
        return dataclasses.replace(record, fields=fields)
    lines = tuple(
        ExportLine(ln.number, {**ln.cells, **{c: flip(ln.text(c)) for c in ("amount", "unit_price")}})
        for ln in record.lines
    )
    return dataclasses.replace(record, fields=fields, lines=lines)


def prepare(record: ExportRecord, buyer_country: str | None = None, rounding_limit: Decimal = Decimal(0)) -> CiiInvoice:
    """Check ``record`` against what EN 16931 needs and work out its lines and VAT breakdown. A printed total
    that differs from net + tax by at most ``rounding_limit`` is written as a rounding amount (BT-114)."""
    notes: list[str] = []
    net, tax, total = _check_header(record, rounding_limit, notes)
    rounding = total - (net + tax)
    if rounding:
        notes.append(f"the total {total} is net + tax {net + tax} rounded by {rounding} (EN 16931 BT-114)")
    credit = total < 0
    if credit and (net > 0 or tax > 0):
        raise NotExportable(f"net {net} and tax {tax} are not both below zero as the total {total} is")
    seller = country_of(record)
    if seller is None:
        raise NotExportable("the seller's VAT id is empty: EN 16931 needs it on an invoice with VAT (BR-S-02)")
    if not buyer_country:
        raise NotExportable(
            "the buyer's country is not set: give the country of the company these invoices are addressed to, "
            "for every desk with `idp policy set export.buyer_country '\"DE\"'` (supervisors)"
        )

    if credit:
        # EN 16931 states a credit note's amounts above zero, its type (381) saying they are owed back; the notes
        # keep the document's own signs, as its VAT breakdown's do
        record, net, tax, total, rounding = _negated(record), -net, -tax, -total, -rounding
        stated: list[str] = []
        lines = _lines(record, net, tax, seller, stated)
        notes += [_own_signs(n, -net, -tax) for n in stated]
        notes.append(f"a credit note: written as one (type {CREDIT_NOTE}), its amounts above zero as EN 16931 has it")
    else:
        lines = _lines(record, net, tax, seller, notes)
    groups = _groups(lines, tax)
    return CiiInvoice(
        record,
        seller,
        buyer_country,
        tuple(lines),
        groups,
        net,
        tax,
        total,
        tuple(notes),
        rounding,
        CREDIT_NOTE if credit else INVOICE,
    )


def sub_element(
    parent: etree._Element, namespaces: Mapping[str, str], tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    """A child element named ``prefix:name`` (its namespace from ``namespaces``), with text XML may hold."""
    prefix, name = tag.split(":")
    el = etree.SubElement(parent, f"{{{namespaces[prefix]}}}{name}", attrs)
    if text is not None:
        el.text = XML_UNSAFE.sub(" ", text)
    return el


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    return sub_element(parent, NSMAP, tag, text, **attrs)


def amount_text(value: Decimal) -> str:
    return f"{cents(value):f}"


def quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def price_text(value: Decimal) -> str:
    """A unit price with two to four decimals: 0.125 stays 0.125, 12.5 becomes 12.50."""
    q = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
    return f"{q.quantize(CENT) if -int(q.as_tuple().exponent) < 2 else q:f}"


def _date(parent: etree._Element, tag: str, iso: str) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", iso.replace("-", ""), format="102")


@cache
def _country_names() -> frozenset[str]:
    """Country names in the languages the schemas read (babel's territory names), case-folded."""
    from babel import Locale

    return frozenset(
        name.casefold()
        for lang in ("en", "de", "fr", "nl")
        for code, name in Locale(lang).territories.items()
        if len(code) == 2 and code.isalpha()
    )


POSTCODE_CITY = re.compile(r"(?:^|\s)(?:[A-Z]{1,2}-)?(\d{4,5})\s+(\D+)$")
"""A postcode and city ending an address line: "10115 Berlin", "F-75001 Paris"."""
POSTCODE_CITY_NL = re.compile(r"(?:^|\s)(\d{4} ?[A-Z]{2})\s+(\D+)$")
"""A Dutch one: "1012 AB Amsterdam"."""


@dataclass(frozen=True, slots=True)
class AddressParts:
    lines: tuple[str, ...]
    """At most three: lines beyond the third are joined into it."""
    postcode: str | None
    city: str | None


def address_parts(text: str, country: str) -> AddressParts:
    """The address lines, the postcode and city from its last line when they end it; a country name is left to
    the country code."""
    lines = [ln.strip(" ,") for ln in re.split(r"\n|, ", text) if ln.strip(" ,")]
    if lines and lines[-1].casefold() in _country_names():
        lines.pop()
    postcode = city = None
    pattern = POSTCODE_CITY_NL if country == "NL" else POSTCODE_CITY
    if lines and (m := pattern.search(lines[-1])):
        postcode, city = m.group(1), m.group(2).strip()
        rest = lines[-1][: m.start()].strip(" ,")
        lines = [*lines[:-1], rest] if rest else lines[:-1]
    if len(lines) > 3:
        lines = [*lines[:2], ", ".join(lines[2:])]
    return AddressParts(tuple(lines), postcode, city)


def _address(parent: etree._Element, text: str, country: str) -> None:
    addr = _el(parent, "ram:PostalTradeAddress")
    parts = address_parts(text, country)
    if parts.postcode:
        _el(addr, "ram:PostcodeCode", parts.postcode)
    for tag, line in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), parts.lines, strict=False):
        _el(addr, tag, line)
    if parts.city:
        _el(addr, "ram:CityName", parts.city)
    _el(addr, "ram:CountryID", country)


def to_xml(inv: CiiInvoice) -> bytes:
    """The CII XML of a prepared invoice (UTF-8, with declaration)."""
    r = inv.record
    currency = r.text("currency")
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    ctx = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(ctx, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)
    doc = _el(root, "rsm:ExchangedDocument")
    _el(doc, "ram:ID", r.text("invoice_number"))
    _el(doc, "ram:TypeCode", inv.type_code)
    _date(doc, "ram:IssueDateTime", r.text("invoice_date"))
    trade = _el(root, "rsm:SupplyChainTradeTransaction")
    for ln in inv.lines:
        item = _el(trade, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(ln.number))
        product = _el(item, "ram:SpecifiedTradeProduct")
        if ln.seller_id:
            _el(product, "ram:SellerAssignedID", ln.seller_id)
        _el(product, "ram:Name", ln.name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", price_text(ln.price))
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            quantity_text(ln.quantity),
            unitCode="C62",
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", "S")
        _el(tax, "ram:RateApplicablePercent", quantity_text(ln.rate))
        summary = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summary, "ram:LineTotalAmount", amount_text(ln.amount))

    agreement = _el(trade, "ram:ApplicableHeaderTradeAgreement")
    seller = _el(agreement, "ram:SellerTradeParty")
    _el(seller, "ram:Name", r.text("vendor_name") or "")
    _address(seller, r.text("vendor_address"), inv.seller_country)
    if r.text("vendor_vat_id"):
        _el(_el(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", compact_vat(r.text("vendor_vat_id")), schemeID="VA")
    buyer = _el(agreement, "ram:BuyerTradeParty")
    _el(buyer, "ram:Name", r.text("customer_name"))
    _el(_el(buyer, "ram:PostalTradeAddress"), "ram:CountryID", inv.buyer_country)
    if r.text("po_number"):
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", r.text("po_number"))
    delivery = _el(trade, "ram:ApplicableHeaderTradeDelivery")
    if r.date("delivery_date") is not None:  # BT-72, the actual delivery date
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", r.text("delivery_date"))

    settle = _el(trade, "ram:ApplicableHeaderTradeSettlement")
    _el(settle, "ram:InvoiceCurrencyCode", currency)
    if r.text("vendor_iban"):
        means = _el(settle, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58" if currency == "EUR" else "30")  # SEPA credit transfer, or a transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", r.text("vendor_iban"))
    for g in inv.groups:
        tax = _el(settle, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", amount_text(g.tax))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", amount_text(g.basis))
        _el(tax, "ram:CategoryCode", "S")
        _el(tax, "ram:RateApplicablePercent", quantity_text(g.rate))
    if r.text("payment_terms") or r.date("due_date") is not None:
        terms = _el(settle, "ram:SpecifiedTradePaymentTerms")
        if r.text("payment_terms"):  # BT-20
            _el(terms, "ram:Description", r.text("payment_terms"))
        if r.date("due_date") is not None:  # BT-9
            _date(terms, "ram:DueDateDateTime", r.text("due_date"))
    sums = _el(settle, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(sums, "ram:LineTotalAmount", amount_text(sum((ln.amount for ln in inv.lines), Decimal(0))))
    _el(sums, "ram:TaxBasisTotalAmount", amount_text(inv.net))
    _el(sums, "ram:TaxTotalAmount", amount_text(inv.tax), currencyID=currency)
    if inv.rounding:
        _el(sums, "ram:RoundingAmount", amount_text(inv.rounding))
    _el(sums, "ram:GrandTotalAmount", amount_text(inv.with_vat))
    _el(sums, "ram:DuePayableAmount", amount_text(inv.total))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
