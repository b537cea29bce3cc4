"""Word lists for sample documents: company names, places, goods and the label words of each language.

Countries and contract prose live here; names, goods and label words are data files in
``resources/samples/`` (``words.toml``, ``labels.toml``). Every choice among them is made by a seeded
:class:`random.Random`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    language: str
    currency: str
    vat_rates: tuple[str, ...]
    """Standard rate first, then the reduced rate, as plain decimals."""
    legal_forms: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    """(postcode, city) pairs."""
    street_number_first: bool = False
    law_phrase: str = ""
    law_name: str = ""


_RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "samples"


def _load(name: str) -> dict[str, Any]:
    with (_RESOURCES / name).open("rb") as fh:
        return tomllib.load(fh)


_WORDS = _load("words.toml")
NAME_ROOTS: tuple[str, ...] = tuple(_WORDS["name_roots"])
NAME_TRADES: tuple[str, ...] = tuple(_WORDS["name_trades"])
FIRST_NAMES: tuple[str, ...] = tuple(_WORDS["first_names"])
LAST_NAMES: tuple[str, ...] = tuple(_WORDS["last_names"])
JOB_TITLES = ("Managing Director", "Chief Executive Officer", "Head of Procurement", "Director", "General Counsel")

COUNTRIES: dict[str, Country] = {
    "DE": Country(
        "DE",
        "Germany",
        "de",
        "EUR",
        ("19.00", "7.00"),
        ("GmbH", "AG", "GmbH & Co. KG", "KG"),
        (
            "Hauptstraße",
            "Bahnhofstraße",
            "Industriestraße",
            "Lindenallee",
            "Am Markt",
            "Schillerstraße",
            "Gartenweg",
            "Hafenstraße",
        ),
        (
            ("10115", "Berlin"),
            ("20095", "Hamburg"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("70173", "Stuttgart"),
            ("04109", "Leipzig"),
            ("28195", "Bremen"),
            ("60311", "Frankfurt am Main"),
        ),
        law_phrase="German law",
        law_name="Germany",
    ),
    "AT": Country(
        "AT",
        "Austria",
        "de",
        "EUR",
        ("20.00", "10.00"),
        ("GmbH", "AG", "OG"),
        ("Mariahilfer Straße", "Landstraße", "Herrengasse", "Kärntner Straße", "Wiener Straße"),
        (("1010", "Wien"), ("4020", "Linz"), ("5020", "Salzburg"), ("8010", "Graz"), ("6020", "Innsbruck")),
        law_phrase="the laws of Austria",
        law_name="Austria",
    ),
    "CH": Country(
        "CH",
        "Switzerland",
        "de",
        "CHF",
        ("8.10", "2.60"),
        ("AG", "GmbH", "SA"),
        ("Bahnhofstrasse", "Seestrasse", "Marktgasse", "Industriestrasse", "Rue du Rhône"),
        (("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern"), ("1204", "Genève")),
        law_phrase="the laws of Switzerland",
        law_name="Switzerland",
    ),
    "FR": Country(
        "FR",
        "France",
        "fr",
        "EUR",
        ("20.00", "5.50"),
        ("SARL", "SAS", "SA"),
        (
            "rue de la République",
            "avenue Victor Hugo",
            "boulevard Voltaire",
            "rue du Commerce",
            "place Bellecour",
            "rue des Lilas",
        ),
        (
            ("75011", "Paris"),
            ("69002", "Lyon"),
            ("13001", "Marseille"),
            ("31000", "Toulouse"),
            ("33000", "Bordeaux"),
            ("44000", "Nantes"),
        ),
        street_number_first=True,
        law_phrase="French law",
        law_name="France",
    ),
    "BE": Country(
        "BE",
        "Belgium",
        "fr",
        "EUR",
        ("21.00", "6.00"),
        ("SRL", "SA", "BV"),
        ("rue Neuve", "avenue Louise", "chaussée de Wavre", "rue Royale"),
        (("1000", "Bruxelles"), ("4000", "Liège"), ("5000", "Namur"), ("6000", "Charleroi")),
        street_number_first=False,
        law_phrase="the laws of Belgium",
        law_name="Belgium",
    ),
    "NL": Country(
        "NL",
        "Netherlands",
        "en",
        "EUR",
        ("21.00", "9.00"),
        ("B.V.", "N.V."),
        ("Keizersgracht", "Damrak", "Stationsplein", "Coolsingel", "Oudegracht"),
        (("1015 CJ", "Amsterdam"), ("3011 AD", "Rotterdam"), ("3511 LX", "Utrecht"), ("2511 CV", "Den Haag")),
        law_phrase="the laws of the Netherlands",
        law_name="Netherlands",
    ),
    "GB": Country(
        "GB",
        "United Kingdom",
        "en",
        "GBP",
        ("20.00", "5.00"),
        ("Ltd", "Limited", "PLC", "LLP"),
        ("High Street", "Station Road", "Victoria Street", "Church Lane", "King Street", "Mill Road"),
        (
            ("EC1A 1BB", "London"),
            ("M1 1AE", "Manchester"),
            ("B1 1BB", "Birmingham"),
            ("LS1 4AP", "Leeds"),
            ("BS1 4DJ", "Bristol"),
            ("EH1 1YZ", "Edinburgh"),
        ),
        street_number_first=True,
        law_phrase="the laws of England and Wales",
        law_name="England and Wales",
    ),
    "US": Country(
        "US",
        "United States",
        "en",
        "USD",
        ("8.88", "0.00"),
        ("Inc.", "LLC", "Corp."),
        ("Main Street", "Market Street", "Broadway", "Elm Avenue", "Park Avenue", "Commerce Drive"),
        (
            ("NY 10004", "New York"),
            ("CA 94105", "San Francisco"),
            ("IL 60601", "Chicago"),
            ("TX 78701", "Austin"),
            ("MA 02110", "Boston"),
            ("WA 98101", "Seattle"),
        ),
        street_number_first=True,
        law_phrase="the laws of the State of New York",
        law_name="New York",
    ),
}

US_LAWS = (
    ("the laws of the State of New York", "New York"),
    ("the laws of the State of Delaware", "Delaware"),
    ("the laws of the State of California", "California"),
    ("the laws of the State of Texas", "Texas"),
)

GOODS: dict[str, tuple[str, ...]] = {lang: tuple(items) for lang, items in _WORDS["goods"].items()}

# Label words printed next to values, per language; each entry lists variants and a document picks one.
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    lang: {name: tuple(variants) for name, variants in entries.items()}
    for lang, entries in _load("labels.toml").items()
}

CONTRACT_TITLES = (
    "MASTER SERVICES AGREEMENT",
    "SUPPLY AGREEMENT",
    "SOFTWARE LICENSE AGREEMENT",
    "CONSULTING AGREEMENT",
    "MUTUAL NON-DISCLOSURE AGREEMENT",
    "DISTRIBUTION AGREEMENT",
    "MAINTENANCE AND SUPPORT AGREEMENT",
)
ROLE_PAIRS = (
    ("Supplier", "Customer"),
    ("Provider", "Client"),
    ("Licensor", "Licensee"),
    ("Consultant", "Company"),
    ("Distributor", "Manufacturer"),
)
THIRD_ROLES = ("Guarantor", "Parent", "Agent")

FILLER_CLAUSES = (
    "Definitions",
    "Scope of Services",
    "Obligations of the Parties",
    "Intellectual Property",
    "Confidentiality",
    "Warranties",
    "Limitation of Liability",
    "Indemnification",
    "Data Protection",
    "Insurance",
    "Force Majeure",
    "Assignment",
    "Subcontracting",
    "Audit Rights",
    "Non-Solicitation",
    "Notices",
    "Entire Agreement",
    "Severability",
    "Waiver",
    "Counterparts",
    "Amendments",
    "Dispute Resolution",
)

FILLER_SENTENCES = (
    "Each Party shall perform its obligations under this Agreement with reasonable skill, care and diligence and in "
    "accordance with good industry practice.",
    "The {a} shall provide the {b} with such information and assistance as the {b} may reasonably require in "
    "connection with the performance of this Agreement.",
    "Nothing in this Agreement shall be construed as creating a partnership, joint venture or agency relationship "
    "between the Parties.",
    "Any failure or delay by a Party in exercising any right or remedy shall not constitute a waiver of that right "
    "or remedy, nor shall it prevent any further exercise of that or any other right or remedy.",
    "The {b} shall treat as confidential all information obtained from the {a} and shall not disclose such "
    "information to any third party without the prior written consent of the {a}.",
    "The obligations set out in this clause shall survive the termination or expiry of this Agreement for a period "
    "of five years.",
    "Neither Party shall be liable for any indirect, special or consequential loss or damage, including loss of "
    "profits, revenue or goodwill, arising out of or in connection with this Agreement.",
    "If any provision of this Agreement is held to be invalid or unenforceable, the remaining provisions shall "
    "continue in full force and effect.",
    "All notices under this Agreement shall be in writing and shall be delivered by hand, by registered mail or by "
    "e-mail to the addresses set out above or such other address as a Party may notify.",
    "The {a} warrants that the deliverables will conform in all material respects to the specifications agreed "
    "between the Parties in writing.",
    "Each Party shall comply with all applicable laws and regulations, including those relating to anti-bribery, "
    "export control and the protection of personal data.",
    "The {b} shall not assign, transfer or subcontract any of its rights or obligations under this Agreement "
    "without the prior written consent of the {a}, such consent not to be unreasonably withheld.",
    "Neither Party shall be in breach of this Agreement if it is prevented from performing its obligations by "
    "events beyond its reasonable control, provided that it notifies the other Party without undue delay.",
    "This Agreement constitutes the entire agreement between the Parties and supersedes all prior agreements, "
    "understandings and arrangements relating to its subject matter.",
    "The {a} shall maintain adequate insurance cover with a reputable insurer in respect of its potential "
    "liabilities under this Agreement.",
    "Any amendment to this Agreement shall be valid only if made in writing and signed by authorised "
    "representatives of each Party.",
    "The Parties shall attempt in good faith to resolve any dispute arising out of this Agreement through "
    "negotiation between senior representatives before commencing any proceedings.",
    "The {b} shall keep complete and accurate records relating to the performance of this Agreement and shall "
    "permit the {a} to inspect such records on reasonable notice.",
)
