"""Routing: whether a document passes straight through or needs review, and every reason why.

Everything here is pure: the policy is data read from TOML, facts about the vendor are looked up by the
caller, and the functions only compute. The window uses :func:`field_review` for its colours and hints.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from extractors.fields.payment_terms import agrees_with_terms
from extractors.results import FieldValue
from idp_app.domain import ReviewState, review_state
from idp_app.errors import ConfigError
from idp_app.services.values import PARTY_SEPARATOR, schema_types, wrong_code

REOPENED = "reopened"
"""The reason a supervisor gives when sending an approved document back to review; re-extraction keeps it."""
TYPE_SET = "type_set"
"""The reason a document whose type a clerk set goes back to review (its fields read again as that type are checked
by a person, not approved unseen); re-extraction keeps it."""
KEPT_REASONS = (REOPENED, TYPE_SET)
"""Reasons a person gave, which re-extraction keeps."""

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent.parent / "resources" / "routing.toml"

# Risk of each reason: the queue shows the riskiest documents first.
CENT = Decimal("0.01")

RISK = {
    "iban_changed": 100,
    "vat_changed": 90,
    "invalid_code": 90,
    "duplicate_invoice": 80,
    "arithmetic": 50,
    "line_items_sum": 45,
    "line_amount": 45,
    "line_tax": 45,
    "tax_rate": 45,
    "total_above_limit": 40,
    "value_above_limit": 40,
    "unknown_vendor": 30,
    "date_order": 30,
    "date_range": 35,
    "terms_date": 35,
    "probably_missed": 15,
    "reopened": 60,
    "type_set": 20,
    "missing_field": 20,
    "unknown_type": 20,
    "low_confidence": 10,
    "qa_sample": 1,
}
BLOCKING = frozenset(
    {
        "iban_changed",
        "vat_changed",
        "invalid_code",
        "duplicate_invoice",
        "arithmetic",
        "line_tax",
        "tax_rate",
        "date_order",
    }
)
"""Rules that refuse approval until fixed or overridden by a supervisor. ``line_tax``: the tax amount is not what
the line items' own VAT rates give; an e-invoice states both, so one of them is wrong. Line items that do not sum to
the net (``line_items_sum``) send the document to a clerk and mark the net and the items, but do not block: a
discount or a charge on the whole invoice (EN 16931 BT-107, BT-108: "Abschläge", "Zuschläge", a deposit) is printed
below the item table and lies between the items' sum and a right net; the totals a booking takes are checked by
``arithmetic``."""
NOT_FIELD_ERRORS = frozenset({"unknown_vendor", "total_above_limit", "value_above_limit"})
"""Rules that send a document to a clerk without any field being wrong (the fields stay OK / CHECK)."""
VENDOR_DOC_TYPES = frozenset({"invoice", "receipt"})
"""Document types that have a vendor to check against the register (unknown vendor, IBAN change, duplicate)."""


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    default_threshold: float = 0.9
    field_thresholds: Mapping[str, float] = field(default_factory=dict)
    max_total: Mapping[str, Decimal | None] = field(default_factory=lambda: {ANY_CURRENCY: Decimal("10000.00")})
    """The amount limit per currency (ISO code), or for every currency not listed (``ANY_CURRENCY``); None: none."""
    max_contract_value: Mapping[str, Decimal | None] = field(
        default_factory=lambda: {ANY_CURRENCY: Decimal("10000.00")}
    )
    unknown_vendor: bool = True
    iban_changed: bool = True
    vat_changed: bool = True
    duplicate_invoice: bool = True
    arithmetic: bool = True
    date_order: bool = True
    terms_date: bool = True
    date_ahead_days: int | None = 1
    """An invoice dated more than this many days after the day it was received is sent to a person; None: never."""
    date_age_days: int | None = None
    """An invoice dated more than this many days before the day it was received is sent to a person; None: never."""
    probably_missed: bool = True
    invalid_code: bool = True
    tolerance: Decimal = Decimal("0.01")
    qa_sample_rate: float = 0.05
    names: Mapping[str, str] = field(default_factory=dict)
    """Rule role -> schema field name (``total_amount`` -> ``total_amount``)."""

    def limit(self, limits: Mapping[str, Decimal | None], currency: str | None) -> tuple[Decimal, str] | None:
        """The limit for an amount in ``currency`` and how to name it ("10000.00 EUR"); None if there is none.
        Where the currency was not read, the smallest of the limits applies."""
        code = (currency or "").upper()
        if code and code in limits:
            value = limits[code]
            return (value, f"{value} {code}") if value is not None else None  # disabled for that currency
        if ANY_CURRENCY in limits:
            value = limits[ANY_CURRENCY]
            return (value, str(value)) if value is not None else None
        if not code:
            listed = [(v, c) for c, v in limits.items() if v is not None]
            if listed:
                value, unit = min(listed)
                return value, f"{value} {unit} (the currency was not read)"
        return None

    def threshold(self, field_name: str) -> float:
        return self.field_thresholds.get(field_name, self.default_threshold)

    def name(self, role: str) -> str:
        return self.names.get(role, role)

    @classmethod
    def load(cls, path: Path | None = None, team: Mapping[str, Any] | None = None) -> RoutingPolicy:
        """The default policy, with ``path`` (a desk's file) overriding any key it gives, and ``team`` (the team's
        policy, kept in the database) any key of either."""
        return cls.from_dict(policy_data(path, team))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingPolicy:
        try:
            thresholds = dict(data.get("thresholds", {}))
            per_field = {str(k): float(v) for k, v in dict(thresholds.get("fields", {})).items()}
            rules = dict(data.get("rules", {}))
            policy = cls(
                default_threshold=float(thresholds.get("default", 0.9)),
                field_thresholds=per_field,
                max_total=_limit(rules.get("max_total")),
                max_contract_value=_limit(rules.get("max_contract_value", rules.get("max_total"))),
                unknown_vendor=bool(rules.get("unknown_vendor", True)),
                iban_changed=bool(rules.get("iban_changed", True)),
                vat_changed=bool(rules.get("vat_changed", True)),
                duplicate_invoice=bool(rules.get("duplicate_invoice", True)),
                arithmetic=bool(rules.get("arithmetic", True)),
                date_order=bool(rules.get("date_order", True)),
                terms_date=bool(rules.get("terms_date", True)),
                date_ahead_days=_days(rules.get("date_ahead_days", 1), "date_ahead_days", zero_is_off=False),
                date_age_days=_days(rules.get("date_age_days", 0), "date_age_days", zero_is_off=True),
                probably_missed=bool(rules.get("probably_missed", True)),
                invalid_code=bool(rules.get("invalid_code", True)),
                tolerance=tolerance_of(rules.get("tolerance", "0.01")),
                qa_sample_rate=float(rules.get("qa_sample_rate", 0.05)),
                names={str(k): str(v) for k, v in dict(data.get("fields", {})).items()},
            )
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise ConfigError(f"routing policy: {exc}") from None
        for name, t in [("default", policy.default_threshold), *policy.field_thresholds.items()]:
            if not 0.0 <= t <= 1.0:
                raise ConfigError(f"routing policy: threshold {name} = {t} is outside 0..1")
        if not 0.0 <= policy.qa_sample_rate <= 1.0:
            raise ConfigError(f"routing policy: qa_sample_rate {policy.qa_sample_rate} is outside 0..1")
        return policy


def tolerance_of(value: Any) -> Decimal:
    """The arithmetic rule's tolerance: an amount of none or more ("NaN" or "-1" would stop or fail every check)."""
    amount = Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ValueError(f'tolerance is an amount of 0 or more ("0.01"), not {value!r}')
    return amount


def _days(value: Any, key: str, *, zero_is_off: bool) -> int | None:
    """A number of days from the policy; "" (or 0 where ``zero_is_off``) disables its rule."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f'{key}: a whole number of days (0 or more), or "" to disable the rule, not {value!r}')
    return None if zero_is_off and value == 0 else value


ANY_CURRENCY = "*"
"""The key of a limit for every currency the policy does not list."""


def _limit(value: Any) -> dict[str, Decimal | None]:
    """Amount limits from the policy: one amount for every currency, or a table of them by ISO currency code
    (``{ EUR = "10000.00", JPY = "1500000", "*" = "10000.00" }``, ``"*"`` for the currencies not listed). ``""``,
    0 or absent disables the rule (for that currency)."""
    table = dict(value) if isinstance(value, Mapping) else {ANY_CURRENCY: value}
    out: dict[str, Decimal | None] = {}
    for code, amount in table.items():
        text = str(amount or "").strip()
        key = str(code).strip().upper()
        if text and not re.fullmatch(r"\d+(?:\.\d+)?", text):
            raise ValueError(f'limit for {code!r}: {text!r} is not an amount as "10000.00" writes it')
        if key != ANY_CURRENCY and not re.fullmatch(r"[A-Z]{3}", key):
            raise ValueError(f'limit for {code!r}: not a currency code (EUR) or "*"')
        out[key] = Decimal(text) if text and Decimal(text) > 0 else None  # None: no limit for it
    return out


def policy_data(path: Path | None = None, team: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The policy's tables as ``resources/routing.toml`` gives them, overridden key by key by the desk's file
    ``path`` and then by the team's policy ``team``."""
    data = _read(DEFAULT_POLICY_PATH)
    if path is not None:
        _merge(data, _read(path))
    if team:
        _merge(data, team)
    return data


def _read(path: Path) -> dict[str, Any]:
    return read_policy_file(path)


def read_policy_file(path: Path) -> dict[str, Any]:
    """The tables of a policy file; a byte-order mark before its first line (an editor's on Windows) is passed
    over. Raises :class:`ConfigError` naming the file when it cannot be read, is not UTF-8 or not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read routing policy {path}: byte {exc.start + 1} is not UTF-8 text (save the file as UTF-8)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read routing policy {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read routing policy {path}: {exc}") from None


WHOLE_VALUES = frozenset({"max_total", "max_contract_value"})
"""Keys whose table is one value (limits per currency): a layer that gives it replaces it whole, so that a team's
``{ EUR = "5000" }`` is the limit at every desk, not merged into a desk's own ``{ USD = "1" }``."""


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict) and key not in WHOLE_VALUES:
            _merge(base[key], value)
        else:
            base[key] = value


@dataclass(frozen=True, slots=True)
class VendorFacts:
    """What the vendor register and earlier documents say about this document's vendor (looked up by the caller)."""

    known: bool = False
    vendor_name: str | None = None
    iban_on_file: str | None = None
    duplicate_of: int | None = None
    """Id of another document of the same vendor with the same invoice number."""
    lookalike_name: str | None = None
    lookalike_vat: str | None = None
    """A vendor on file under the document's vendor name with another VAT id than the document's (the document's
    vendor itself, matched by name and account, or another company of the name)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The single edit that would make a rule pass."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    fields: tuple[str, ...] = ()
    suggestion: Suggestion | None = None

    @property
    def risk(self) -> int:
        return RISK.get(self.code, 0)

    @property
    def blocks_approval(self) -> bool:
        return self.code in BLOCKING


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    needs_review: bool
    reasons: tuple[Reason, ...]
    qa_sample: bool = False

    @property
    def risk(self) -> int:
        return sum(r.risk for r in self.reasons)


@dataclass(frozen=True, slots=True)
class FieldReview:
    """What the window needs to colour fields: each field's state and the failed rules with their fix."""

    states: dict[str, ReviewState]
    failed_rules: tuple[Reason, ...]


def amount(fields: Mapping[str, FieldValue], name: str) -> Decimal | None:
    fv = fields.get(name)
    if fv is None or not fv.found or not isinstance(fv.value, str):
        return None
    try:
        value = Decimal(fv.value)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _text(fields: Mapping[str, FieldValue], name: str) -> str | None:
    fv = fields.get(name)
    if fv is None or not fv.found:
        return None
    return fv.value if isinstance(fv.value, str) else PARTY_SEPARATOR.join(fv.value or ())


def normal_iban(iban: str | None) -> str | None:
    return "".join(iban.split()).upper() if iban else None


def applies_vendor_rules(doc_type: str | None) -> bool:
    """Invoices and receipts have a vendor to check; contracts and unrecognised documents do not.

    A document without a type is read with the invoice schema, as everywhere else.
    """
    return (doc_type or "invoice") in VENDOR_DOC_TYPES


def check_rules(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    facts: VendorFacts,
    policy: RoutingPolicy,
    doc_type: str | None = None,
    line_rates: Sequence[Decimal | None] = (),
    line_products: Sequence[tuple[Decimal | None, Decimal | None]] = (),
    received: date | None = None,
) -> list[Reason]:
    """The rules that fail for these values (confidence aside), for a document of ``doc_type``; ``line_rates``
    are the line items' VAT rates in percent, ``line_products`` their quantities and unit prices, in the order of
    ``line_amounts``; ``received`` the day the document came in (its invoice date is checked against it)."""
    kind = doc_type or "invoice"
    if kind == "contract":
        return _contract_rules(fields, policy) + _date_order(fields, policy, "effective_date", "expiration_date")
    out: list[Reason] = []
    n = policy.name
    out.extend(_invalid_codes(fields, policy, kind))
    out.extend(_date_order(fields, policy, "invoice_date", "due_date"))
    out.extend(_terms_date(fields, policy))
    out.extend(_date_range(fields, policy, received))
    if kind == "invoice":
        out.extend(_probably_missed(fields, policy))
    total = amount(fields, n("total_amount"))
    currency = (_text(fields, n("currency")) or "").upper() or None
    limit = policy.limit(policy.max_total, currency)
    if limit is not None and total is not None and total > limit[0]:
        shown = f"{total} {currency}" if currency else str(total)
        out.append(Reason("total_above_limit", f"total {shown} is above the limit {limit[1]}", (n("total_amount"),)))
    if kind in VENDOR_DOC_TYPES:
        out.extend(_vendor_rules(fields, facts, policy))
    if policy.arithmetic:
        out.extend(_arithmetic(fields, line_amounts, policy, _lines_tax(fields, line_amounts, line_rates, policy)))
        out.extend(_line_amounts(line_amounts, line_products, policy))
        out.extend(_line_tax(fields, line_amounts, line_rates, policy))
        out.extend(_tax_rate(fields, policy))
    return out


CHECKED_CODES = frozenset({"iban", "vat_id"})
"""Value types with check digits: a value that fails them was misread (or misprinted) and must not be paid to."""


def _invalid_codes(fields: Mapping[str, FieldValue], policy: RoutingPolicy, doc_type: str) -> list[Reason]:
    """An IBAN, or a European VAT id, that is wrong for its country (:func:`wrong_code`): read from a page it may
    still score high, since sample invoices print made-up IBANs that are right as printed. Codes of other
    countries and schemes are left to the field's confidence."""
    if not policy.invalid_code:
        return []
    out: list[Reason] = []
    for name, (value_type, _required) in schema_types(doc_type).items():
        value = _text(fields, name)
        if value_type in CHECKED_CODES and value and (why := wrong_code(value_type, value)):
            out.append(Reason("invalid_code", why, (name,)))
    return out


def _date_order(fields: Mapping[str, FieldValue], policy: RoutingPolicy, first: str, then: str) -> list[Reason]:
    """A date that must not come before another (a due date before the invoice date, a contract that expires
    before it takes effect): one of the two is wrong, usually a misread digit."""
    if not policy.date_order:
        return []
    a, b = _text(fields, policy.name(first)), _text(fields, policy.name(then))
    try:
        wrong = a is not None and b is not None and date.fromisoformat(b) < date.fromisoformat(a)
    except ValueError:
        return []
    if not wrong:
        return []
    return [Reason("date_order", f"{then} {b} is before {first} {a}", (policy.name(first), policy.name(then)))]


def _terms_date(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> list[Reason]:
    """A due date that is not the one the payment terms give for the invoice date ("30 days net" beside a date
    20 days on): one of the three is wrong, or the invoice date was corrected after the due date was worked out."""
    if not policy.terms_date:
        return []
    n = policy.name
    due, terms = _text(fields, n("due_date")), _text(fields, n("payment_terms"))
    if due is None or terms is None:
        return []
    implied = agrees_with_terms(terms, _text(fields, n("invoice_date")), due)
    if implied is None:
        return []
    why = f"{n('due_date')} {due} is not the {implied} the payment terms give"
    return [Reason("terms_date", why, (n("due_date"), n("payment_terms")))]


def _date_range(fields: Mapping[str, FieldValue], policy: RoutingPolicy, received: date | None) -> list[Reason]:
    """An invoice date after the day the document came in (a misread year: "2028" for "2026"), or, where the
    policy asks, long before it (a year read as "2016"): a person looks. Not blocking, as an invoice may be
    dated ahead or come as a late reminder."""
    name = policy.name("invoice_date")
    text = _text(fields, name)
    if received is None or text is None:
        return []
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return []
    ahead, age = (day - received).days, (received - day).days
    if policy.date_ahead_days is not None and ahead > policy.date_ahead_days:
        why = f"{name} {text} is {ahead} days after the document was received ({received.isoformat()})"
        return [Reason("date_range", why, (name,))]
    if policy.date_age_days is not None and age > policy.date_age_days:
        why = f"{name} {text} is {age} days before the document was received ({received.isoformat()})"
        return [Reason("date_range", why, (name,))]
    return []


PROBABLY_PRINTED_BELOW = 0.5
"""A field reported missing whose confidence (the chance that the document prints none) is below this is more
likely printed and missed than absent."""


def _probably_missed(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> list[Reason]:
    """Fields reported missing that the invoice more likely prints than not (a VAT id the reading missed): a
    person looks. Invoices only, where that confidence is fitted; a required field missing is a reason anyway."""
    if not policy.probably_missed:
        return []
    required = {name for name, (_, needed) in schema_types("invoice").items() if needed}
    return [
        Reason(
            "probably_missed",
            f"{name} was not found, though probably printed ({fv.confidence:.0%} that none is)",
            (name,),
        )
        for name, fv in sorted(fields.items())
        if not fv.found and fv.confidence < PROBABLY_PRINTED_BELOW and name not in required
    ]


def _contract_rules(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> list[Reason]:
    name = policy.name("contract_value")
    value = amount(fields, name)
    currency = (_text(fields, policy.name("currency")) or "").upper() or None
    limit = policy.limit(policy.max_contract_value, currency)
    if limit is not None and value is not None and value > limit[0]:
        shown = f"{value} {currency}" if currency else str(value)
        return [Reason("value_above_limit", f"contract value {shown} is above the limit {limit[1]}", (name,))]
    return []


def _vendor_rules(fields: Mapping[str, FieldValue], facts: VendorFacts, policy: RoutingPolicy) -> list[Reason]:
    """Unknown vendor, changed IBAN, duplicate invoice number: invoices and receipts only."""
    out: list[Reason] = []
    n = policy.name
    vendor = _text(fields, n("vendor_name"))
    if policy.unknown_vendor and not facts.known:
        message = (
            f"vendor {vendor} is not in the register"
            if vendor
            else "vendor name not found, so the vendor cannot be checked against the register"
        )
        out.append(Reason("unknown_vendor", message, (n("vendor_name"),)))
    iban = normal_iban(_text(fields, n("vendor_iban")))
    if policy.iban_changed and facts.known and facts.iban_on_file and iban and iban != normal_iban(facts.iban_on_file):
        out.append(
            Reason(
                "iban_changed",
                f"possible payment fraud: IBAN {iban} differs from {facts.iban_on_file} on file for "
                f"{facts.vendor_name or vendor}",
                (n("vendor_iban"),),
            )
        )
    if policy.vat_changed and facts.lookalike_name:
        vat = _text(fields, n("vendor_vat_id"))
        out.append(
            Reason(
                "vat_changed",
                f"{facts.lookalike_name} is on file with VAT id {facts.lookalike_vat}, this invoice prints {vat}: "
                "another company of the same name, a changed VAT id, or someone using the name",
                (n("vendor_name"), n("vendor_vat_id")),
            )
        )
    if policy.duplicate_invoice and facts.duplicate_of is not None:
        number = _text(fields, n("invoice_number"))
        out.append(
            Reason(
                "duplicate_invoice",
                f"possible duplicate: invoice number {number} already seen for this vendor "
                f"(document {facts.duplicate_of})",
                (n("invoice_number"),),
            )
        )
    return out


def _arithmetic(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    policy: RoutingPolicy,
    lines_tax: tuple[Decimal, dict[Decimal, Decimal]] | None = None,
) -> list[Reason]:
    n = policy.name
    net_f, tax_f, total_f = n("net_amount"), n("tax_amount"), n("total_amount")
    net, tax, total = amount(fields, net_f), amount(fields, tax_f), amount(fields, total_f)
    tol = policy.tolerance
    known_lines = [a for a in line_amounts if a is not None]
    lines_sum = sum(known_lines, Decimal(0)) if known_lines and len(known_lines) == len(line_amounts) else None
    out: list[Reason] = []
    if net is not None and tax is not None and total is not None and abs(net + tax - total) > tol:
        out.append(
            Reason(
                "arithmetic",
                f"net {net} + tax {tax} = {net + tax}, not the total {total}",
                (net_f, tax_f, total_f),
                _totals_fix(
                    fields,
                    net,
                    tax,
                    total,
                    lines_sum,
                    tol,
                    (net_f, tax_f, total_f),
                    _country_rates(fields, policy),
                    lines_tax is not None and abs(lines_tax[0] - tax) <= CENT * len(lines_tax[1]),
                ),
            )
        )
    rates = _country_rates(fields, policy)
    if net is not None and tax is None and total is not None and abs(total - net) > tol and rates is not None:
        # no tax read, or the clerk cleared it, where the total is the net plus one of the seller's VAT rates' tax
        # to the cent: the tax is missing. A gap no single rate gives (a rounding, a service charge, shipping on a
        # VAT-free invoice) is no sign of one.
        gap = total - net
        if gap > 0 and rate_fits(net, gap, rates[1]) == "rate":
            out.append(
                Reason(
                    "arithmetic",
                    f"net {net} and total {total} differ by {gap}, one of {rates[0]}'s VAT rates' tax, but no tax "
                    "is given",
                    (net_f, tax_f, total_f),
                    Suggestion(tax_f, f"{gap:.2f}"),
                )
            )
    if lines_sum is not None and net is not None and abs(lines_sum - net) > tol:
        fix = None
        if tax is not None and total is not None and abs(lines_sum + tax - total) <= tol:
            fix = Suggestion(net_f, f"{lines_sum:.2f}")
        out.append(
            Reason(
                "line_items_sum",
                f"the line items sum to {lines_sum}, not the net {net}: check the items, or a discount or charge on "
                "the whole invoice",
                (net_f, "line_items"),
                fix,
            )
        )
    return out


VAT_RATES_PATH = DEFAULT_POLICY_PATH.parent / "export" / "vat_rates.toml"


@cache
def vat_rates_by_country() -> dict[str, frozenset[Decimal]]:
    """The VAT rates of each country in ``resources/export/vat_rates.toml``."""
    data = tomllib.loads(VAT_RATES_PATH.read_text(encoding="utf-8"))
    return {code: frozenset(Decimal(r).normalize() for r in rates) for code, rates in data.items()}


def known_vat_rates(country: str | None = None) -> frozenset[Decimal]:
    """The rates of ``country`` where it is listed, else every listed country's: a number under a tax column that
    is none of them (a tax code "1", a rate written 0.19, a line's tax amount) is no rate to check the tax with."""
    by_country = vat_rates_by_country()
    if country and country in by_country:
        return by_country[country]
    return frozenset(r for rates in by_country.values() for r in rates)


def seller_country(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> str | None:
    """The seller's country as its VAT id names it ("DE" of DE123456789; GR for Greece's EL, GB for XI)."""
    vat_id = (_text(fields, policy.name("vendor_vat_id")) or "").replace(" ", "").upper()
    return {"EL": "GR", "XI": "GB"}.get(vat_id[:2], vat_id[:2]) if re.match(r"^[A-Z]{2}", vat_id) else None


def _country_rates(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> tuple[str, frozenset[Decimal]] | None:
    """The seller's country and its VAT rates, where its VAT id names a country ``vat_rates.toml`` lists."""
    country = seller_country(fields, policy)
    rates = vat_rates_by_country().get(country or "")
    return (country, rates) if country and rates else None


def rate_fits(net: Decimal, tax: Decimal, rates: frozenset[Decimal]) -> str:
    """How a tax amount fits a net amount and a country's VAT rates: ``"rate"`` where it is one rate's tax, to the
    cent; ``"mix"`` where it lies between none and the highest rate's (several rates on one invoice);
    ``"impossible"`` where it is negative against the net or above the highest rate's tax."""
    if net == 0:
        return "rate" if tax == 0 else "impossible"
    if tax * net < 0:
        return "impossible"
    if any(abs((abs(net) * r / 100).quantize(CENT, ROUND_HALF_UP) - abs(tax)) <= CENT for r in rates | {Decimal(0)}):
        return "rate"
    return "mix" if abs(tax) <= abs(net) * max(rates) / 100 + CENT else "impossible"


def _tax_rate(fields: Mapping[str, FieldValue], policy: RoutingPolicy) -> list[Reason]:
    """A tax amount no VAT rate gives on the net (1100 % of it: a total mistyped and the tax made to fit it, or a
    misread digit). Checked where the seller's VAT id names a listed country, against the highest rate of any
    listed country (a seller may charge a buyer's country's VAT: EU one-stop-shop sales); several rates on one
    invoice, and tax rounded line by line, give a tax between none and the highest rate's, which passes."""
    n = policy.name
    net_f, tax_f = n("net_amount"), n("tax_amount")
    net, tax = amount(fields, net_f), amount(fields, tax_f)
    if net is None or tax is None or _country_rates(fields, policy) is None:
        return []
    rates = known_vat_rates()
    if rate_fits(net, tax, rates) != "impossible":
        return []
    share = f"{tax / net * 100:.1f} % of" if net else "tax on"
    return [
        Reason(
            "tax_rate",
            f"tax {tax} is {share} the net {net}: no VAT rate gives it (the highest listed is {max(rates):f} %)",
            (tax_f, net_f),
        )
    ]


def _line_amounts(
    line_amounts: Sequence[Decimal | None],
    line_products: Sequence[tuple[Decimal | None, Decimal | None]],
    policy: RoutingPolicy,
) -> list[Reason]:
    """Line items whose quantity times unit price, to the cent, is not their amount (a quantity misread, or typed
    wrong: 3 x 987.97 is not 987.97). Lines are numbered from 1, as the export numbers them."""
    wrong = []
    for number, (amount_, (quantity, price)) in enumerate(zip(line_amounts, line_products, strict=False), start=1):
        if amount_ is None or quantity is None or price is None or amount_ < 0:
            continue  # a discount line prints its sign, or its percentage, where a quantity would be
        product = (quantity * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if abs(product - amount_) > policy.tolerance:
            wrong.append(f"line {number}: {quantity:f} x {price:f} = {product}, not its amount {amount_}")
    if not wrong:
        return []
    shown = "; ".join(wrong[:3]) + (f"; and {len(wrong) - 3} more" if len(wrong) > 3 else "")
    return [Reason("line_amount", f"{shown}: check the quantity, the unit price or the amount", ("line_items",))]


def _lines_tax(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    line_rates: Sequence[Decimal | None],
    policy: RoutingPolicy,
) -> tuple[Decimal, dict[Decimal, Decimal]] | None:
    """The tax each line's VAT rate gives on its amount, summed per rate (EN 16931 BR-CO-17), as the e-invoice
    export works it out, with the net per rate: known only where every line has an amount and a known VAT rate and
    the lines, to the cent, make up the net amount (otherwise ``line_items_sum`` speaks)."""
    n = policy.name
    net, tax = amount(fields, n("net_amount")), amount(fields, n("tax_amount"))
    if tax is None or net is None or not line_amounts or len(line_rates) != len(line_amounts):
        return None
    pairs = [(a, r) for a, r in zip(line_amounts, line_rates, strict=True) if a is not None and r is not None]
    rates = known_vat_rates(seller_country(fields, policy))
    if len(pairs) != len(line_amounts) or any(r <= 0 or r.normalize() not in rates for _a, r in pairs):
        return None
    if net and all(abs(a * tax / net - r) <= CENT for a, r in pairs):
        return None  # the column holds each line's tax (7.00 on 35.00 at 20 %), not its rate
    amounts = [a.quantize(CENT, ROUND_HALF_UP) for a, _r in pairs]
    if sum(amounts, Decimal(0)) != net:
        return None
    basis: dict[Decimal, Decimal] = {}
    for a, (_raw, r) in zip(amounts, pairs, strict=True):
        basis[r.normalize()] = basis.get(r.normalize(), Decimal(0)) + a
    return sum(((b * r / 100).quantize(CENT, ROUND_HALF_UP) for r, b in basis.items()), Decimal(0)), basis


def _line_tax(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    line_rates: Sequence[Decimal | None],
    policy: RoutingPolicy,
) -> list[Reason]:
    """The tax amount against what the line items' VAT rates give (:func:`_lines_tax`); an invoice that rounded
    its tax once rather than per rate may be a cent off per rate."""
    n = policy.name
    tax_f = n("tax_amount")
    net, tax, total = amount(fields, n("net_amount")), amount(fields, tax_f), amount(fields, n("total_amount"))
    found = _lines_tax(fields, line_amounts, line_rates, policy)
    if found is None or net is None or tax is None:
        return []
    expected, basis = found
    if abs(expected - tax) <= CENT * len(basis):
        return []
    shown = ", ".join(f"{r:f} % on {b:.2f}" for r, b in sorted(basis.items()))
    fix = None
    if total is not None and abs(net + expected - total) <= policy.tolerance:
        fix = Suggestion(tax_f, f"{expected:.2f}")
    return [
        Reason(
            "line_tax",
            f"the line items' VAT rates give tax {expected:.2f} ({shown}), not the tax {tax}: check the rates or "
            "the tax",
            (tax_f, "line_items"),
            fix,
        )
    ]


def _totals_fix(
    fields: Mapping[str, FieldValue],
    net: Decimal,
    tax: Decimal,
    total: Decimal,
    lines_sum: Decimal | None,
    tol: Decimal,
    names: tuple[str, str, str],
    country_rates: tuple[str, frozenset[Decimal]] | None = None,
    tax_by_lines: bool = False,
) -> Suggestion | None:
    """The one edit that makes net + tax = total: the one the line items agree with, else the least sure field;
    where net and tax as read are one of the seller's VAT rates' (``country_rates``), of the edits keeping one
    rate's tax first. An edit that leaves a tax no rate gives (1100 % of the net, to fit a mistyped total) is not
    offered; None where no edit is left. ``tax_by_lines``: the tax is what the line items' VAT rates give, so it
    is not the one to change (a transposed total is)."""
    net_f, tax_f, total_f = names
    if lines_sum is not None:
        if abs(lines_sum - net) <= tol:
            # net is confirmed by the lines: fix whichever of tax / total is less sure
            pass
        elif abs(lines_sum + tax - total) <= tol:
            return Suggestion(net_f, f"{lines_sum:.2f}")
    candidates = {net_f: total - tax, tax_f: total - net, total_f: net + tax}
    if lines_sum is not None and abs(lines_sum - net) <= tol:
        del candidates[net_f]
    if tax_by_lines:
        del candidates[tax_f]

    def conf(name: str) -> float:
        fv = fields.get(name)
        return fv.confidence if fv is not None else 0.0

    fits = {name: "rate" for name in candidates}
    single_rate = False
    if country_rates is not None:
        after = {net_f: (candidates.get(net_f), tax), tax_f: (net, candidates.get(tax_f)), total_f: (net, tax)}
        everywhere = known_vat_rates()
        for name in candidates:
            new_net, new_tax = after[name]
            assert new_net is not None and new_tax is not None
            fits[name] = (
                "impossible"
                if rate_fits(new_net, new_tax, everywhere) == "impossible"
                else rate_fits(new_net, new_tax, country_rates[1])
            )
        candidates = {name: v for name, v in candidates.items() if fits[name] != "impossible"}
        if not candidates:
            return None
        # net and tax as read are one rate's: an edit keeping one rate's tax is the likelier; on an invoice of
        # several rates (7 % and 19 %), the least sure field as ever
        single_rate = rate_fits(net, tax, country_rates[1]) == "rate"
    target = min(candidates, key=lambda name: (single_rate and fits[name] != "rate", conf(name), name != total_f))
    return Suggestion(target, f"{candidates[target]:.2f}")


def qa_sampled(sha256: str, rate: float) -> bool:
    """Deterministic by document hash: the same document is always (or never) sampled at a given rate."""
    return int(sha256[:8], 16) / 0x1_0000_0000 < rate


def low_confidence(
    fields: Mapping[str, FieldValue], policy: RoutingPolicy, required: Mapping[str, bool]
) -> list[Reason]:
    out: list[Reason] = []
    for name in sorted(set(fields) | {k for k, req in required.items() if req}):
        fv = fields.get(name)
        state = review_state(fv, policy.threshold(name), required=required.get(name, False))
        if state is ReviewState.MISSING:
            out.append(Reason("missing_field", f"{name} was not found", (name,)))
        elif state is ReviewState.CHECK and fv is not None:
            out.append(
                Reason(
                    "low_confidence",
                    f"{name} confidence {fv.confidence:.2f} is below {policy.threshold(name):.2f}",
                    (name,),
                )
            )
    return out


def route(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    facts: VendorFacts,
    policy: RoutingPolicy,
    sha256: str,
    required: Mapping[str, bool],
    doc_type: str | None = None,
    *,
    line_rates: Sequence[Decimal | None] = (),
    line_products: Sequence[tuple[Decimal | None, Decimal | None]] = (),
    received: date | None = None,
) -> RoutingDecision:
    """Auto-approve, or send to review with every reason (confidence, rules, QA sample)."""
    reasons = [
        *low_confidence(fields, policy, required),
        *check_rules(fields, line_amounts, facts, policy, doc_type, line_rates, line_products, received),
    ]
    if doc_type == "other":
        reasons.insert(
            0,
            Reason(
                "unknown_type",
                "the document type was not recognised: say what it is (Ctrl+Shift+T, idp set-type), or reject it",
            ),
        )
    if reasons:
        return RoutingDecision(True, tuple(reasons))
    if qa_sampled(sha256, policy.qa_sample_rate):
        sample = Reason(
            "qa_sample", f"random quality sample ({policy.qa_sample_rate:.0%} of straight-through documents)"
        )
        return RoutingDecision(True, (sample,), qa_sample=True)
    return RoutingDecision(False, ())


def field_review(
    fields: Mapping[str, FieldValue],
    line_amounts: Sequence[Decimal | None],
    facts: VendorFacts,
    policy: RoutingPolicy,
    required: Mapping[str, bool],
    doc_type: str | None = None,
    *,
    line_rates: Sequence[Decimal | None] = (),
    line_products: Sequence[tuple[Decimal | None, Decimal | None]] = (),
    received: date | None = None,
) -> FieldReview:
    """Per-field review state and the failed rules (with the fields involved and a fix where one edit does it)."""
    failed = tuple(check_rules(fields, line_amounts, facts, policy, doc_type, line_rates, line_products, received))
    in_error = {f for r in failed if r.code not in NOT_FIELD_ERRORS for f in r.fields}
    names = set(fields) | {k for k, req in required.items() if req}
    states = {
        name: review_state(
            fields.get(name), policy.threshold(name), rule_failed=name in in_error, required=required.get(name, False)
        )
        for name in sorted(names)
    }
    return FieldReview(states, failed)
