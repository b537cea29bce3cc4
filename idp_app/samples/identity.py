"""Fictitious companies with addresses, VAT ids and IBANs whose check digits are right.

IBANs are checked with schwifty and VAT ids with python-stdnum before they are used, so every
identifier a sample prints passes the same validation the extractor's rules apply.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import ModuleType

from schwifty import IBAN
from stdnum.at import uid as at_uid
from stdnum.be import vat as be_vat
from stdnum.ch import vat as ch_vat
from stdnum.de import vat as de_vat
from stdnum.fr import tva as fr_tva
from stdnum.gb import vat as gb_vat
from stdnum.nl import btw as nl_btw

from idp_app.samples.vocab import COUNTRIES, FIRST_NAMES, LAST_NAMES, NAME_ROOTS, NAME_TRADES, Country

_MAX_TRIES = 20_000


@dataclass(frozen=True, slots=True)
class Party:
    """A company as printed on a document."""

    name: str
    address_lines: tuple[str, ...]
    country: Country
    vat_id: str | None
    iban: str | None
    bank_name: str
    contact: str
    email: str
    phone: str

    @property
    def address(self) -> str:
        """The address as one line, the lines joined by commas (the shared truth format)."""
        return ", ".join(self.address_lines)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


_VAT_RULES: dict[str, tuple[ModuleType, str]] = {
    # country: (stdnum module, template; "9" is a random digit, "1" a random non-zero digit)
    "DE": (de_vat, "DE199999999"),
    "AT": (at_uid, "ATU99999999"),
    "CH": (ch_vat, "CHE-199.999.999 MWST"),
    "FR": (fr_tva, "FR99199999999"),
    "BE": (be_vat, "BE0199999999"),
    "NL": (nl_btw, "NL199999999B01"),
    "GB": (gb_vat, "GB199999999"),
}


def _fill(rng: random.Random, template: str) -> str:
    out = []
    for ch in template:
        if ch == "9":
            out.append(rng.choice("0123456789"))
        elif ch == "1":
            out.append(rng.choice("123456789"))
        else:
            out.append(ch)
    return "".join(out)


def make_vat_id(rng: random.Random, country_code: str) -> str | None:
    """A VAT id of ``country_code`` that python-stdnum accepts, or None where the country has none (US)."""
    rule = _VAT_RULES.get(country_code)
    if rule is None:
        return None
    module, template = rule
    for _ in range(_MAX_TRIES):
        candidate = _fill(rng, template)
        if module.is_valid(candidate):
            if country_code == "GB":
                compact = candidate[2:]
                return f"GB {compact[:3]} {compact[3:7]} {compact[7:]}"
            return candidate
    raise RuntimeError(f"no valid VAT id found for {country_code}")  # pragma: no cover - probability ~0


_IBAN_BBAN: dict[str, tuple[str, ...]] = {
    # templates of the national account number; letters are fixed bank codes
    "DE": ("999999999999999999",),
    "AT": ("9999999999999999",),
    "CH": ("99999999999999999",),
    "FR": ("99999999999999999999999",),
    "BE": ("999999999999",),
    "NL": ("ABNA9999999999", "RABO9999999999", "INGB9999999999"),
    "GB": ("NWBK99999999999999", "BARC99999999999999", "LOYD99999999999999"),
}
BANK_NAMES = {
    "DE": ("Sparkasse", "Volksbank", "Commerzbank", "Deutsche Bank"),
    "AT": ("Erste Bank", "Raiffeisenbank", "Bank Austria"),
    "CH": ("UBS Switzerland AG", "Zürcher Kantonalbank", "PostFinance"),
    "FR": ("BNP Paribas", "Crédit Agricole", "Société Générale"),
    "BE": ("Belfius", "KBC Bank", "ING Belgique"),
    "NL": ("ABN AMRO", "Rabobank", "ING Bank"),
    "GB": ("NatWest", "Barclays", "Lloyds Bank"),
    "US": ("First National Bank", "Bank of the Pacific", "Hudson Valley Bank"),
}


def _with_check_digits(country_code: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country_code + "00")
    return f"{country_code}{98 - int(numeric) % 97:02d}{bban}"


def make_iban(rng: random.Random, country_code: str) -> str | None:
    """An IBAN of ``country_code`` that schwifty validates (checksum and national format), or None (US)."""
    templates = _IBAN_BBAN.get(country_code)
    if templates is None:
        return None
    template = rng.choice(templates)
    for _ in range(_MAX_TRIES):
        candidate = _with_check_digits(country_code, _fill(rng, template))
        try:
            IBAN(candidate, validate_bban=True)
        except ValueError:
            continue
        return candidate
    raise RuntimeError(f"no valid IBAN found for {country_code}")  # pragma: no cover - probability ~0


def compact_vat(country_code: str, vat_id: str) -> str:
    """The VAT id without spaces and punctuation, as the shared truth writes it (``GB123456789``).

    Swiss ids keep their ``CHE`` prefix and lose the ``MWST``/``TVA`` suffix: ``CHE116281710``.
    """
    module, _ = _VAT_RULES[country_code]
    compact = str(module.compact(vat_id))
    if country_code == "CH":
        return compact[:12]
    return compact if compact.startswith(country_code) else f"{country_code}{compact}"


def format_iban(iban: str) -> str:
    """The IBAN in groups of four, as printed on paper."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def company_name(rng: random.Random, country: Country) -> str:
    root = rng.choice(NAME_ROOTS)
    style = rng.random()
    if style < 0.6:
        base = f"{root} {rng.choice(NAME_TRADES)}"
    elif style < 0.8:
        base = f"{root} & {rng.choice(LAST_NAMES)}"
    else:
        base = f"{root}{rng.choice(('tec', 'soft', 'data', 'werk', 'line'))}"
    return f"{base} {rng.choice(country.legal_forms)}"


def address_lines(rng: random.Random, country: Country) -> tuple[str, ...]:
    street = rng.choice(country.streets)
    number = str(rng.randint(1, 240))
    postcode, city = rng.choice(country.cities)
    street_line = f"{number} {street}" if country.street_number_first else f"{street} {number}"
    if country.code == "US":
        state, zip_code = postcode.split(" ")
        city_line = f"{city}, {state} {zip_code}"
    elif country.code == "GB":
        city_line = f"{city} {postcode}"
    else:
        city_line = f"{postcode} {city}"
    return (street_line, city_line)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def make_party(rng: random.Random, country_code: str, *, with_country_line: bool = False) -> Party:
    """A company in ``country_code`` with a VAT id and an IBAN (both None for the United States)."""
    country = COUNTRIES[country_code]
    name = company_name(rng, country)
    lines = address_lines(rng, country)
    if with_country_line:
        lines = (*lines, country.name)
    slug = "".join(ch for ch in name.split(" ")[0].lower() if ch.isalpha()) or "mail"
    return Party(
        name=name,
        address_lines=lines,
        country=country,
        vat_id=make_vat_id(rng, country_code),
        iban=make_iban(rng, country_code),
        bank_name=rng.choice(BANK_NAMES[country_code]),
        contact=person_name(rng),
        email=f"{rng.choice(('info', 'billing', 'accounts', 'office'))}@{slug}.example",
        phone=f"+{rng.choice(('49', '33', '44', '41', '1', '31'))} {_digits(rng, 3)} {_digits(rng, 6)}",
    )
