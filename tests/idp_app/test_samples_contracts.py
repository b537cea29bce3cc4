"""Sample contracts: length, printed values, boxes, normalised truth and determinism."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader

from idp_app.samples import make_contract, random_contract_spec, render_contract

SEEDS = range(6)


def _words_in(words: list[dict[str, Any]], bbox: list[float], tol: float = 0.5) -> str:
    x0, y0, x1, y1 = bbox
    inside = [
        w
        for w in words
        if x0 - tol <= (w["x0"] + w["x1"]) / 2 <= x1 + tol and y0 - tol <= (w["top"] + w["bottom"]) / 2 <= y1 + tol
    ]
    inside.sort(key=lambda w: (round(w["top"]), w["x0"]))
    return " ".join(w["text"] for w in inside)


@pytest.mark.parametrize("seed", SEEDS)
def test_contract_prints_its_values_inside_their_boxes(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "c.pdf"
    truth = make_contract(path, seed=seed)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == truth.pages
        assert 2 <= truth.pages <= 8
        words = [page.extract_words() for page in pdf.pages]
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    for name, raw in truth.fields_raw.items():
        for value in raw if isinstance(raw, list) else [raw]:
            assert value in text, f"{name}: {value!r} not printed"
    assert len(truth.boxes["parties"]) == len(truth.fields["parties"])
    for name, entry in truth.boxes.items():
        for item in entry if isinstance(entry, list) else [entry]:
            found = _words_in(words[item["page"]], item["bbox_pt"])
            # a value may be followed by punctuation in the same word ("2025-03-04.")
            assert found.startswith(item["text"]), f"{name}: box holds {found!r}"
            assert len(found) <= len(item["text"]) + 1


@pytest.mark.parametrize("pages", [2, 3, 5, 8])
def test_contract_has_the_page_count_asked_for(pages: int) -> None:
    spec = random_contract_spec(random.Random(pages), pages=pages)
    pdf, truth = render_contract(spec, doc_id="c", file="c.pdf")
    assert truth.pages == pages
    assert len(PdfReader(io.BytesIO(pdf)).pages) == pages


def test_page_count_outside_two_to_eight_is_refused() -> None:
    with pytest.raises(ValueError, match="2 to 8"):
        random_contract_spec(random.Random(0), pages=9)


def test_contract_truth_is_normalised() -> None:
    seen_laws = set()
    seen_party_counts = set()
    for seed in range(30):
        spec = random_contract_spec(random.Random(seed), pages=2)
        _, truth = render_contract(spec, doc_id="c", file="c.pdf")
        f = truth.fields
        seen_laws.add(f["governing_law"])
        seen_party_counts.add(len(f["parties"]))
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f["effective_date"])
        assert re.fullmatch(r"\d+ (years?|months?)", f["term"])
        assert re.fullmatch(r"\d+ days", f["notice_period"])
        assert re.fullmatch(r"\d+\.\d{2}", f["contract_value"])
        if "renewal_term" in f:
            assert re.fullmatch(r"\d+ (years?|months?)", f["renewal_term"])
        start = dt.date.fromisoformat(f["effective_date"])
        end = dt.date.fromisoformat(f["expiration_date"])
        count, unit = f["term"].split()
        months = int(count) * (12 if unit.startswith("year") else 1)
        assert 28 * months <= (end - start).days + 1 <= 31 * months
        assert "the laws of" not in f["governing_law"]
        adjectives = {"German law": "Germany", "French law": "France"}
        law_raw = truth.fields_raw["governing_law"]
        assert f["governing_law"] in law_raw or adjectives[law_raw] == f["governing_law"]
    assert seen_party_counts == {2, 3}
    assert len(seen_laws) >= 4


def test_periods_are_printed_in_words_and_normalised_to_figures() -> None:
    from idp_app.samples.formatting import period_text, period_value

    assert period_text(3, "years", True) == "three (3) years"
    assert period_text(90, "days", True) == "ninety (90) days"
    assert period_text(24, "months", False) == "24 months"
    assert period_text(1, "years", True) == "one (1) year"
    assert period_value(1, "years") == "1 year"
    assert period_value(90, "days") == "90 days"


def test_same_seed_same_contract_bytes(tmp_path: Path) -> None:
    a = tmp_path / "a.pdf"
    b = tmp_path / "b.pdf"
    c = tmp_path / "c.pdf"
    make_contract(a, seed=4)
    make_contract(b, seed=4)
    make_contract(c, seed=5)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
