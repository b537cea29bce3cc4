"""What an invoice says, before it is drawn: parties, dates, line items and totals that add up exactly.

Each line amount is quantity x unit price rounded half up to cents; tax is computed per rate on the
sum of that rate's line amounts and rounded half up; the total is net + tax. The printed styles
(date, amount, currency placement, label variant) are part of the spec so a test can pin them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from idp_app.samples.formatting import DATE_STYLES_BY_LANGUAGE, money
from idp_app.samples.identity import Party, make_party
from idp_app.samples.vocab import COUNTRIES, GOODS

RGB = tuple[float, float, float]

VENDOR_COUNTRIES = ("DE", "DE", "DE", "FR", "FR", "GB", "GB", "US", "US", "CH", "AT", "NL", "BE")
ACCENTS: tuple[RGB, ...] = (
    (0.10, 0.25, 0.55), (0.60, 0.10, 0.15), (0.05, 0.45, 0.35), (0.35, 0.20, 0.55), (0.85, 0.45, 0.05),
    (0.20, 0.20, 0.20), (0.00, 0.50, 0.65), (0.45, 0.35, 0.15),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LineItem:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)


TERMS_ONLY_SHARE = 0.3
"""The share of invoices with a due date that print it as payment terms only."""


@dataclass(frozen=True, slots=True)
class InvoiceSpec:
    """Everything needed to draw one invoice; the same spec always gives the same bytes."""

    layout: str
    language: str
    vendor: Party
    customer: Party
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date | None
    po_number: str | None
    currency: str
    items: tuple[LineItem, ...]
    date_style: str
    amount_style: str
    currency_placement: str
    label_variant: int
    logo_kind: int
    accent: RGB
    customer_number: str | None = None
    """Printed near the invoice number; not a field (a distractor for extraction)."""
    delivery_date: dt.date | None = None
    """Printed near the invoice date; not a field (a distractor for extraction)."""
    terms_only: bool = False
    """The due date is printed as payment terms ("30 days net") below the totals, not as a date."""

    @property
    def rates(self) -> tuple[Decimal, ...]:
        """The tax rates used, highest first."""
        return tuple(sorted({item.tax_rate for item in self.items}, reverse=True))

    def net_for_rate(self, rate: Decimal) -> Decimal:
        return sum((i.amount for i in self.items if i.tax_rate == rate), Decimal("0.00"))

    def tax_for_rate(self, rate: Decimal) -> Decimal:
        return money(self.net_for_rate(rate) * rate / 100)

    @property
    def net_amount(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0.00"))

    @property
    def tax_amount(self) -> Decimal:
        return sum((self.tax_for_rate(r) for r in self.rates), Decimal("0.00"))

    @property
    def total_amount(self) -> Decimal:
        return self.net_amount + self.tax_amount

    @property
    def page_size(self) -> tuple[float, float]:
        """US Letter for American vendors, A4 otherwise."""
        return (612.0, 792.0) if self.vendor.country.code == "US" else (595.28, 841.89)


def _invoice_number(rng: random.Random, year: int, language: str) -> str:
    n = rng.randint(1, 99999)
    forms = (
        f"INV-{year}-{n:05d}",
        f"{year}{n:05d}",
        f"{rng.randint(100000, 999999)}",
        f"{year}/{n:04d}" if n < 10000 else f"{year}/{n}",
        f"{'RE' if language == 'de' else 'FA' if language == 'fr' else 'IN'}{year % 100:02d}-{n:05d}",
    )
    return rng.choice(forms)


def _po_number(rng: random.Random) -> str:
    return rng.choice(
        (f"PO-{rng.randint(10000, 99999)}", f"45{rng.randint(10000000, 99999999)}", f"BST-{rng.randint(1000, 9999)}")
    )


def _items(rng: random.Random, language: str, count: int, rates: tuple[Decimal, ...]) -> tuple[LineItem, ...]:
    goods = GOODS[language]
    out = []
    for i in range(count):
        description = goods[rng.randrange(len(goods))]
        if i >= len(goods) // 2 and rng.random() < 0.5:
            description = f"{description} {rng.choice(('II', 'Plus', 'XL', '2.0', 'Pro'))}"
        cents = int(10 ** rng.uniform(2.2, 5.4))  # 1.58 to 2,511.89, log-uniform
        unit_price = Decimal(cents) / 100 if rng.random() < 0.8 else Decimal(max(1, cents // 100))
        if rng.random() < 0.3:
            quantity = Decimal(rng.randint(1, 16)) / 2
        elif unit_price < 50:
            quantity = Decimal(rng.choice((1, 2, 5, 10, 12, 20, 25, 50, 100)))
        else:
            quantity = Decimal(rng.choice((1, 1, 1, 2, 3, 4, 5)))
        rate = rates[0] if len(rates) == 1 or rng.random() < 0.6 else rates[1]
        out.append(LineItem(description, quantity, unit_price, rate))
    if len(rates) > 1 and all(item.tax_rate == rates[0] for item in out):
        last = out[-1]
        out[-1] = LineItem(last.description, last.quantity, last.unit_price, rates[1])
    return tuple(out)


def item_count(rng: random.Random) -> int:
    """How many line items: mostly a handful, sometimes enough to run onto a second page."""
    roll = rng.random()
    if roll < 0.55:
        return rng.randint(1, 6)
    if roll < 0.85:
        return rng.randint(7, 15)
    return rng.randint(16, 40)


def random_invoice_spec(
    rng: random.Random,
    *,
    layout: str,
    country: str | None = None,
    n_items: int | None = None,
    two_rates: bool | None = None,
) -> InvoiceSpec:
    """A random but plausible invoice drawn with ``layout``; ``country`` is the vendor's (ISO code)."""
    code = country or rng.choice(VENDOR_COUNTRIES)
    if code not in COUNTRIES:
        raise ValueError(f"unknown country {code!r}; known: {', '.join(sorted(COUNTRIES))}")
    vendor_country = COUNTRIES[code]
    customer_code = code if rng.random() < 0.7 else rng.choice(tuple(c for c in COUNTRIES if c != code))
    vendor = make_party(rng, code)
    customer = make_party(rng, customer_code, with_country_line=customer_code != code)
    language = vendor_country.language
    if code == "CH" and rng.random() < 0.3:
        language = "fr"
    currency = vendor_country.currency
    if currency == "EUR" and rng.random() < 0.1:
        currency = "USD"
    if code == "US":
        rates: tuple[Decimal, ...] = (Decimal(rng.choice(("8.88", "7.25", "6.00", "8.50"))),)
    else:
        std, reduced = (Decimal(r) for r in vendor_country.vat_rates)
        use_two = two_rates if two_rates is not None else rng.random() < 0.3
        rates = (std, reduced) if use_two else (std,)
    count = n_items if n_items is not None else item_count(rng)
    if not 1 <= count <= 60:
        raise ValueError(f"an invoice has 1 to 60 line items, not {count}")
    invoice_date = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1460))
    due = invoice_date + dt.timedelta(days=rng.choice((10, 14, 30, 30, 45, 60))) if rng.random() < 0.85 else None
    if code == "US":
        date_style = rng.choice(("mdy_slash", "en_us_long", "iso"))
    else:
        date_style = rng.choice(DATE_STYLES_BY_LANGUAGE[language])
    if code == "CH":
        amount_style = rng.choice(("ch", "de" if language == "de" else "fr"))
    elif language == "de":
        amount_style = "de"
    elif language == "fr":
        amount_style = rng.choice(("fr", "de"))
    elif code == "NL":
        amount_style = rng.choice(("en", "de"))
    else:
        amount_style = "en"
    placement = rng.choice(("symbol_before", "symbol_after", "code_before", "code_after", "none"))
    if amount_style in ("de", "fr") and placement == "symbol_before":
        placement = "symbol_after"
    spec = InvoiceSpec(
        layout=layout,
        language=language,
        vendor=vendor,
        customer=customer,
        invoice_number=_invoice_number(rng, invoice_date.year, language),
        invoice_date=invoice_date,
        due_date=due,
        po_number=_po_number(rng) if rng.random() < 0.4 else None,
        currency=currency,
        items=_items(rng, language, count, rates),
        date_style=date_style,
        amount_style=amount_style,
        currency_placement=placement,
        label_variant=rng.randrange(6),
        logo_kind=rng.randrange(6),
        accent=rng.choice(ACCENTS),
        customer_number=f"{rng.choice(('K', 'C', 'CU-', ''))}{rng.randint(10000, 99999)}"
        if rng.random() < 0.5
        else None,
        delivery_date=invoice_date - dt.timedelta(days=rng.randint(1, 12)) if rng.random() < 0.35 else None,
    )
    # drawn from the invoice number, so that the invoices generated before terms were printed stay as they were
    terms_only = due is not None and random.Random(spec.invoice_number).random() < TERMS_ONLY_SHARE
    return replace(spec, terms_only=terms_only)
