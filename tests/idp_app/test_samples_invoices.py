"""Sample invoices: the printed text, the truth boxes, the arithmetic, the identifiers and the layouts."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from schwifty import IBAN
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from idp_app.samples import LAYOUT_IDS, SampleTruth, make_invoice, random_invoice_spec, render_invoice
from idp_app.samples.formatting import format_amount, format_day, format_number

SEEDS = range(24)


def _invoice(tmp_path: Path, seed: int, **kwargs: Any) -> tuple[Path, SampleTruth]:
    path = tmp_path / f"inv-{seed}.pdf"
    layout = LAYOUT_IDS[seed % len(LAYOUT_IDS)]
    truth = make_invoice(path, seed=seed, layout=kwargs.pop("layout", layout), **kwargs)
    return path, truth


def _words_in(words: list[dict[str, Any]], bbox: list[float], tol: float = 0.5) -> list[str]:
    """Words of a page whose centre lies in ``bbox`` (top-left origin, points), in reading order."""
    x0, y0, x1, y1 = bbox
    inside = [
        w
        for w in words
        if x0 - tol <= (w["x0"] + w["x1"]) / 2 <= x1 + tol and y0 - tol <= (w["top"] + w["bottom"]) / 2 <= y1 + tol
    ]
    inside.sort(key=lambda w: (round(w["top"]), w["x0"]))
    return [w["text"] for w in inside]


def _entries(boxes: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name, entry in boxes.items():
        if name == "line_items":
            for i, row in enumerate(entry):
                out.extend((f"line_items.{i}.{col}", cell) for col, cell in row.items())
        elif isinstance(entry, list):
            out.extend((f"{name}.{i}", e) for i, e in enumerate(entry))
        else:
            out.append((name, entry))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_every_value_is_printed_and_its_box_holds_exactly_its_words(tmp_path: Path, seed: int) -> None:
    path, truth = _invoice(tmp_path, seed)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == truth.pages
        words = [page.extract_words() for page in pdf.pages]
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    squashed = " ".join(text.split())
    for name, raw in truth.fields_raw.items():
        for line in str(raw).split("\n"):
            assert " ".join(line.split()) in squashed, f"{name} {line!r} not in the text"
    entries = _entries(truth.boxes)
    assert {name for name, _ in entries if "." not in name} == set(truth.fields_raw)
    for name, entry in entries:
        found = _words_in(words[entry["page"]], entry["bbox_pt"])
        assert " ".join(found) == " ".join(entry["text"].split()), f"{name}: box holds {found}"


@pytest.mark.parametrize("seed", SEEDS)
def test_net_plus_tax_is_total_and_lines_add_up(tmp_path: Path, seed: int) -> None:
    spec = random_invoice_spec(random.Random(seed), layout=LAYOUT_IDS[0])
    _, truth = render_invoice(spec, doc_id="x", file="x.pdf")
    f = truth.fields
    assert Decimal(f["net_amount"]) + Decimal(f["tax_amount"]) == Decimal(f["total_amount"])
    assert sum(Decimal(i["amount"]) for i in truth.line_items) == Decimal(f["net_amount"])
    for item in truth.line_items:
        exact = Decimal(item["quantity"]) * Decimal(item["unit_price"])
        assert abs(Decimal(item["amount"]) - exact) <= Decimal("0.005")
    tax_by_rate: dict[str, Decimal] = {}
    for item in truth.line_items:
        tax_by_rate[item["tax_rate"]] = tax_by_rate.get(item["tax_rate"], Decimal(0)) + Decimal(item["amount"])
    expected_tax = sum(
        ((net * Decimal(rate) / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for rate, net in
         tax_by_rate.items()),
        Decimal(0),
    )  # fmt: skip
    assert Decimal(f["tax_amount"]) == expected_tax


@pytest.mark.parametrize("seed", SEEDS)
def test_iban_and_vat_id_pass_their_checksums(seed: int) -> None:
    spec = random_invoice_spec(random.Random(seed), layout=LAYOUT_IDS[0], country=("DE", "FR", "GB", "CH", "AT",
                               "NL", "BE")[seed % 7])  # fmt: skip
    _, truth = render_invoice(spec, doc_id="x", file="x.pdf")
    iban = truth.fields["vendor_iban"]
    assert IBAN(iban, validate_bban=True).compact == iban
    vat_id = truth.fields["vendor_vat_id"]
    if vat_id.startswith("GB"):
        assert gb_vat.is_valid(vat_id)
    elif vat_id.startswith("CHE"):
        assert ch_vat.is_valid(truth.fields_raw["vendor_vat_id"])
    else:
        assert eu_vat.is_valid(vat_id)


def test_a_broken_checksum_is_noticed() -> None:
    """The checks used above do fail on a wrong digit (guards against a validator that accepts anything)."""
    spec = random_invoice_spec(random.Random(3), layout=LAYOUT_IDS[0], country="DE")
    iban = spec.vendor.iban
    assert iban is not None
    broken = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    with pytest.raises(ValueError):
        IBAN(broken)
    vat_id = spec.vendor.vat_id
    assert vat_id is not None
    assert not eu_vat.is_valid(vat_id[:-1] + str((int(vat_id[-1]) + 1) % 10))


@pytest.mark.parametrize(("layout", "seed"), [("inv-01", 5), ("inv-06", 6), ("inv-08", 7)])
def test_many_line_items_continue_on_a_second_page_under_a_repeated_header(
    tmp_path: Path, layout: str, seed: int
) -> None:
    path, truth = _invoice(tmp_path, seed, layout=layout, n_items=40)
    assert truth.pages >= 2
    pages_of_rows = [row["amount"]["page"] for row in truth.boxes["line_items"]]
    assert pages_of_rows == sorted(pages_of_rows)
    assert pages_of_rows[0] == 0 and pages_of_rows[-1] >= 1
    first_cell = truth.boxes["line_items"][0]["description"]
    with pdfplumber.open(path) as pdf:
        first, second = ((p.extract_text() or "").splitlines() for p in pdf.pages[:2])
    row = next(i for i, line in enumerate(first) if first_cell["text"] in line)
    header_line = first[row - 1].strip()  # the table's header row is the line above its first row
    assert header_line in [line.strip() for line in second]


def test_thirty_consecutive_invoices_show_at_least_ten_layouts(tmp_path: Path) -> None:
    from idp_app.samples import generate_corpus

    truths = generate_corpus(tmp_path / "c", 30, 0, 0.0, seed=11)
    assert len({t.layout for t in truths}) >= 10


def test_languages_date_and_amount_styles_vary_across_invoices() -> None:
    specs = [random_invoice_spec(random.Random(s), layout=LAYOUT_IDS[s % 12]) for s in range(60)]
    assert {s.language for s in specs} == {"en", "de", "fr"}
    assert len({s.date_style for s in specs}) >= 6
    assert {s.amount_style for s in specs} >= {"en", "de"}
    assert len({s.currency for s in specs}) >= 3
    assert any(len(s.rates) == 2 for s in specs) and any(len(s.rates) == 1 for s in specs)


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [("1234.56", "en", "1,234.56"), ("1234.56", "de", "1.234,56"), ("1234567.5", "fr", "1 234 567,50"),
     ("1234.56", "ch", "1'234.56"), ("0.05", "de", "0,05")],
)  # fmt: skip
def test_amount_styles(value: str, style: str, expected: str) -> None:
    assert format_number(Decimal(value), style) == expected


def test_currency_placement_and_date_styles() -> None:
    import datetime as dt

    assert format_amount(Decimal("1234.5"), "de", "EUR", "symbol_after") == "1.234,50 €"
    assert format_amount(Decimal("99"), "en", "GBP", "symbol_before") == "£99.00"
    assert format_amount(Decimal("99"), "en", "CHF", "code_before") == "CHF 99.00"
    day = dt.date(2024, 3, 5)
    printed = {style: format_day(day, style) for style in ("dmy_slash", "dmy_dot", "iso", "en_long", "de_long",
                                                            "fr_long", "en_us_long")}  # fmt: skip
    assert printed == {"dmy_slash": "05/03/2024", "dmy_dot": "05.03.2024", "iso": "2024-03-05",
                       "en_long": "5 March 2024", "de_long": "5. März 2024", "fr_long": "5 mars 2024",
                       "en_us_long": "March 5, 2024"}  # fmt: skip


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, _ = _invoice(tmp_path / "a", 7)
    b, _ = _invoice(tmp_path / "b", 7)
    c = tmp_path / "c.pdf"
    make_invoice(c, seed=8, layout=LAYOUT_IDS[7])
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_truth_values_are_normalised(tmp_path: Path) -> None:
    for seed in range(12):
        _, truth = _invoice(tmp_path, seed)
        f = truth.fields
        for name in ("invoice_date", "due_date"):
            if name in f:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f[name])
        for name in ("net_amount", "tax_amount", "total_amount"):
            assert re.fullmatch(r"\d+\.\d{2}", f[name])
        assert re.fullmatch(r"[A-Z]{3}", f["currency"])
        for item in truth.line_items:
            assert re.fullmatch(r"\d+\.\d{4}", item["quantity"])
            assert all(re.fullmatch(r"\d+\.\d{2}", item[k]) for k in ("unit_price", "amount", "tax_rate"))


def test_unknown_layout_or_country_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="inv-99"):
        render_invoice(random_invoice_spec(random.Random(0), layout="inv-99"), doc_id="x", file="x.pdf")
    with pytest.raises(ValueError, match="XX"):
        random_invoice_spec(random.Random(0), layout="inv-01", country="XX")
