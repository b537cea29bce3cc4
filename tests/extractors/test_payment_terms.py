"""Payment terms: read by their wording in three languages, and the due date they imply where none is printed."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from extractors.context import ExtractionContext
from extractors.fields.payment_terms import FROM_TERMS, find_terms
from extractors.fields.receipt_rules import RuleLine
from extractors.pipeline import extract

samples = pytest.importorskip("idp_app.samples.corpus")
from idp_app.samples.invoice_layouts import LAYOUT_IDS  # noqa: E402
from idp_app.samples.invoice_spec import InvoiceSpec, random_invoice_spec  # noqa: E402


def with_due_date(seed: str, country: str) -> InvoiceSpec:
    """The first generated invoice of ``seed`` that has a due date."""
    for k in range(50):
        spec = random_invoice_spec(
            random.Random(f"{seed}/{k}"), layout=LAYOUT_IDS[k % len(LAYOUT_IDS)], country=country
        )
        if spec.due_date is not None:
            return spec
    raise AssertionError("no invoice with a due date")


def terms_of(*lines: str) -> tuple[int | None, str | None] | None:
    found = find_terms([RuleLine(text, 0, (k,), 1.0) for k, text in enumerate(lines)])
    return None if found is None else (found.net_days, found.due_date("2024-03-05"))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Payment terms: 30 days net"], (30, "2024-04-04")),
        (["Terms: Net 15"], (15, "2024-03-20")),
        (["Please pay within 21 days of the invoice date."], (21, "2024-03-26")),
        (["Terms: 2% 10 days, net 30 days"], (30, "2024-04-04")),  # the discount's 10 days are not the net period
        (["Zahlbar innerhalb von 14 Tagen ohne Abzug."], (14, "2024-03-19")),
        (["Zahibar innerhalb von 14 Tagen ohne Abzug."], (14, "2024-03-19")),  # a scan's "l" read "i"
        (["Zah1bar innerhalb 14 Tagen netto"], (14, "2024-03-19")),
        (["Zahlbar sofort rein netto"], (0, "2024-03-05")),
        # the date the terms name wins over a count of days; the discount's own date is not the due date
        (
            ["Zahlbar innerhalb 30 Tagen netto bis 06.04.2024, 3% Skonto innerhalb 10 Tagen bis 15.03.2024"],
            (30, "2024-04-06"),
        ),
        (
            ["Zahlbar innerhalb 30 Tagen netto bis 06.04.2024, 3%", "Skonto innerhalb 10 Tagen bis 15.03.2024"],
            (30, "2024-04-06"),
        ),
        (["Zahlbarinnerhalb30Tagennettobis06.04.2024,3%Skontoinnerhalb10Tagenbis"], (30, "2024-04-06")),
        (["Paiement à 30 jours fin de mois"], (30, "2024-04-30")),  # the French reading: 30 days, then month end
        (["Payment terms: net 30 days from end of month"], (30, "2024-04-30")),  # month end, then 30 days
        (["Zahlbar 30 Tage nach Monatsende"], (30, "2024-04-30")),
        (["Payment terms: thirty (30) days net."], (30, "2024-04-04")),
        (["Payment terms: thirty days net"], (30, "2024-04-04")),  # spelled out
        (["Zahlbar innerhalb von vierzehn Tagen"], (14, "2024-03-19")),
        (["Fällig innerhalb 30 Tagen"], (30, "2024-04-04")),
        (["Paiement dès réception de la facture"], (0, "2024-03-05")),
        (["Betaling binnen 30 dagen of binnen 8 dagen met 2% korting"], (30, "2024-04-04")),
        (["Zahlbar innerhalb 14 Tagen an: Parentes GmbH"], (14, "2024-03-19")),
        (["Zahlbar innerhalb 30 Tagen netto. Bei Zahlungsverzug berechnen wir Verzugszinsen"], (30, "2024-04-04")),
        (["30 dagen na einde van de maand te betalen"], (30, "2024-04-30")),
        # a date the period counts from (delivery) is neither the due date nor a start the invoice states
        (["Zahlbar innerhalb 30 Tagen nach Lieferung am 05.03.2024"], (30, None)),
        (["Paiement à trente jours fin de mois"], (30, "2024-04-30")),
        (["Zahlbar innerhalb von 2 Wochen"], (14, "2024-03-19")),
        (["Gelieve het bedrag binnen 30 dagen over te maken"], (30, "2024-04-04")),
        (["Zahlungsbedingungen:", "14 Tage netto"], (14, "2024-03-19")),
        # a period counted from a day the invoice does not state gives no due date
        (["Payment due 30 days after receipt of goods"], (30, None)),
        (["Zahlbar innerhalb 14 Tagen nach Rechnungserhalt"], (14, None)),
        (["Conditions de paiement : 45 jours net"], (45, "2024-04-19")),
        (["Betaling binnen 14 dagen na factuurdatum"], (14, "2024-03-19")),
        (["Payment terms: 30 days net", "2% discount within 10 days"], (30, "2024-04-04")),
        (["Zahlbar innerhalb 10 Tagen mit 2% Skonto oder 30 Tage netto"], (30, "2024-04-04")),
        (["Zahlbar innerhalb 30 Tagen netto (Verzugszinsen 9 % über dem Basiszins)"], (30, "2024-04-04")),
        # a date the period counts from is not the due date
        (["Zahlbar innerhalb 30 Tagen ab Rechnungsdatum 05.03.2024"], (30, "2024-04-04")),
        (["Te betalen binnen 14 dagen"], (14, "2024-03-19")),
        (["Due upon receipt"], (0, "2024-03-05")),
        # the line that names itself terms wins over an earlier mention of paying
        (
            ["Zahlung per Überweisung innerhalb 3 Tagen erbeten", "Zahlungsbedingungen: 14 Tage netto"],
            (14, "2024-03-19"),
        ),
        # terms that give only a discount's period name no due date
        (["Bei Zahlung innerhalb 14 Tagen gewähren wir 2,0% Skonto."], (None, None)),
        # not terms at all
        (["Returns accepted within 30 days"], None),
        (["Returns accepted within 30 days of payment"], None),
        (["Warranty: 365 days from payment"], None),
        (["Payment by direct debit"], None),
        (["Late payment interest of 8% applies to invoices unpaid after 60 days"], None),
        (["Delivery within 5 days, payment by transfer"], None),
        (["Due date: 12.04.2024"], None),
        (["Fällig am 12.04.2024, zahlbar per Überweisung"], None),
        (["Consulting, 30 days", "Total 3,000.00"], None),
    ],
)
def test_terms_are_read_by_their_wording(lines: list[str], expected: tuple[int | None, str | None] | None) -> None:
    assert terms_of(*lines) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Payment for 3 months of hosting",
        "Payment by bank transfer. Contract term: 12 months.",
        "Zahlung per Lastschrift. Kündigungsfrist 3 Monate.",
        "Betaling via automatische incasso, looptijd 12 maanden",
        "Paiement par prélèvement, abonnement de 12 mois",
        "Payment every 3 months in advance",
        "Thank you for your payment. Your plan renews in 12 months.",
        "Payment is collected once a month by direct debit",
        "Die Miete ist zahlbar jeweils zum 3. Werktag eines Monats",
    ],
)
def test_months_in_another_sense_beside_a_payment_word_are_no_terms(text: str) -> None:
    assert find_terms([RuleLine(text, 0, (0,), 1.0)]) is None


@pytest.mark.parametrize(
    ("text", "issued", "due"),
    [
        ("Payable within one month of the invoice date", "2024-03-05", "2024-04-05"),
        ("Zahlbar innerhalb eines Monats ohne Abzug", "2025-01-31", "2025-02-28"),  # to February's last day
        ("Zahlbar innerhalb von 2 Monaten netto", "2024-11-15", "2025-01-15"),
        ("Paiement à 1 mois fin de mois", "2024-03-05", "2024-04-30"),
        ("Betaling binnen één maand", "2024-02-29", "2024-03-29"),
        ("Payment within 2 months after delivery", "2024-03-05", None),  # counted from a day not printed
        ("Zahlbar innerhalb 14 Tagen, 2 % Skonto innerhalb 1 Monat", "2024-03-05", "2024-03-19"),
        ("Zahlungsziel: netto 2 Monate", "2024-03-05", "2024-05-05"),  # not 2 days
        ("Zahlungsziel: netto 2 Wochen", "2024-03-05", "2024-03-19"),
        ("10 Tage 2 % Skonto, 2 Monate netto", "2024-03-05", "2024-05-05"),  # the net period, not the discount's
        ("Zahlbar sofort, spätestens innerhalb eines Monats", "2024-03-05", "2024-04-05"),
        ("Zahlbar innerhalb 1 Monat nach Monatsende", "2024-02-10", "2024-03-31"),  # from a month's end to one
    ],
)
def test_a_period_in_calendar_months_gives_the_same_day_that_many_months_later(
    text: str, issued: str, due: str | None
) -> None:
    found = find_terms([RuleLine(text, 0, (0,), 1.0)])
    assert found is not None and found.due_date(issued) == due


@pytest.mark.parametrize("country", ["DE", "FR", "GB"])
def test_an_invoice_that_prints_terms_instead_of_a_due_date_gets_the_due_date_they_imply(
    country: str, tmp_path: Path
) -> None:
    spec = replace(with_due_date(f"terms/{country}", country), terms_only=True)
    truth = samples.make_invoice(tmp_path / "terms.pdf", spec=spec)
    result = extract(tmp_path / "terms.pdf", ExtractionContext(use_einvoice=False))
    terms = result.fields["payment_terms"].value
    assert isinstance(terms, str) and truth.fields["payment_terms"] in terms
    due = result.fields["due_date"]
    assert spec.due_date is not None
    assert due.value == truth.fields["due_date"] == spec.due_date.isoformat()
    assert due.evidence and due.evidence[0].startswith(FROM_TERMS)
    assert due.bbox_pt == result.fields["payment_terms"].bbox_pt  # shown where the terms are printed
    assert 0.5 < due.confidence < 1.0


def test_a_printed_due_date_is_kept_whatever_the_terms_say(tmp_path: Path) -> None:
    spec = replace(with_due_date("terms/printed", "DE"), terms_only=False)
    truth = samples.make_invoice(tmp_path / "printed.pdf", spec=spec)
    result = extract(tmp_path / "printed.pdf", ExtractionContext(use_einvoice=False))
    assert result.fields["due_date"].value == truth.fields["due_date"]
    assert not any(e.startswith(FROM_TERMS) for e in result.fields["due_date"].evidence)
    assert result.fields["payment_terms"].value is None


def test_a_pick_that_states_no_period_is_no_payment_terms() -> None:
    """Where the wording rule finds no terms, the scorer's (or memory's) pick stands only if it states a period."""
    from extractors.document import Document, Page, Token
    from extractors.fields.payment_terms import merge_payment_terms
    from extractors.geometry import BBox
    from extractors.results import FieldValue

    words = ["Vielen", "Dank", "für", "Ihren", "Auftrag."]
    tokens = tuple(Token(w, BBox(10 + 40 * i, 20, 45 + 40 * i, 28), 0, 1.0, index=i) for i, w in enumerate(words))
    doc = Document("x.pdf", (Page(0, 595.0, 842.0, tokens),), "application/pdf")
    thanks = FieldValue("payment_terms", "Vielen Dank für Ihren Auftrag.", "Vielen Dank für Ihren Auftrag.", 0.7)
    assert merge_payment_terms(doc, {"payment_terms": thanks})["payment_terms"].value is None
    under_label = FieldValue("payment_terms", "14 Tage netto", "14 Tage netto", 0.7)
    assert merge_payment_terms(doc, {"payment_terms": under_label})["payment_terms"].value == "14 Tage netto"
