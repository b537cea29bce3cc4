"""Learning the contract scorer from approved contracts, without a database: examples, refits, and the model that
carries the learned weights into extraction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from extractors.contracts.learning import (
    ContractExample,
    choose,
    contract_groups,
    fit_scorer,
    groups_from_json,
    groups_to_json,
    is_value_right,
    outcomes,
)
from extractors.contracts.scoring import ContractScorer, FieldWeights, load_scorer
from extractors.fields.scorer import ConfidenceModel, FieldModel
from extractors.pipeline import extract_document
from extractors.readers import read_document
from tests.extractors.test_contracts import CTX, write_pdf

SURVIVES = "The obligations of confidentiality hereunder shall survive for {n} after disclosure."
LABELLED = "2. Term. This Agreement shall remain in effect for a period of {n} from the Effective Date."
WORDS = ["one (1) year", "two (2) years", "three (3) years", "five (5) years", "eighteen (18) months"]
VALUES = ["1 year", "2 years", "3 years", "5 years", "18 months"]


def contract_pages(i: int, sentence: str) -> list[list[str]]:
    return [
        [
            "NON-DISCLOSURE AGREEMENT",
            f"This Agreement is made on March {i % 27 + 1}, 2021 between Alpha Holdings {i} Ltd and Beta Corp.",
            sentence.format(n=WORDS[i % len(WORDS)]),
            "This Agreement shall be governed by the laws of the State of Delaware.",
        ]
    ]


@pytest.fixture(scope="module")
def survival_contracts(tmp_path_factory: pytest.TempPathFactory) -> list[ContractExample]:
    """Contracts whose only term is how long confidentiality survives, with the clerks' truth: that period."""
    folder = tmp_path_factory.mktemp("survival")
    out = []
    for i in range(16):
        doc = read_document(write_pdf(folder / f"c{i}.pdf", contract_pages(i, SURVIVES)), CTX)
        out.append(ContractExample(contract_groups(doc, CTX), {"term": VALUES[i % len(VALUES)]}))
    return out


def test_the_shipped_scorer_leaves_a_survival_period_below_its_threshold(
    survival_contracts: list[ContractExample],
) -> None:
    scorer = load_scorer()
    rows = survival_contracts[0].groups["term"]
    assert [v for v, _ in rows] == ["1 year"]
    assert choose(scorer.fields["term"], rows) is None  # offered as an alternative, reported not found
    assert outcomes(scorer, survival_contracts) == [("term", False)] * 16


def test_a_refit_learns_what_the_clerks_approved_and_keeps_the_other_fields(
    survival_contracts: list[ContractExample],
) -> None:
    base = load_scorer()
    scorer, changed = fit_scorer(base, survival_contracts[:12])
    assert changed == ("term",)
    assert scorer.fields["term"] != base.fields["term"]
    assert {k: v for k, v in scorer.fields.items() if k != "term"} == {
        k: v for k, v in base.fields.items() if k != "term"
    }
    held = survival_contracts[12:]
    assert outcomes(scorer, held) == [("term", True)] * 4
    assert scorer.fields["term"].absent_rate < base.fields["term"].absent_rate  # every contract had a term


def test_a_refit_that_is_not_better_on_contracts_it_was_not_fitted_on_is_not_taken(
    survival_contracts: list[ContractExample],
) -> None:
    base = load_scorer()
    # the same period approved on some contracts and cleared on others, at random: nothing to learn
    noisy = [
        dataclasses.replace(e, truth={"term": None if i % 2 else e.truth["term"]})
        for i, e in enumerate(survival_contracts)
    ]
    scorer, changed = fit_scorer(base, noisy)
    # no other value is chosen, none reported where it was not: only the confidence may say now how often it is
    # right (half the time here)
    assert outcomes(scorer, noisy) == outcomes(base, noisy)
    assert all(choose(scorer.fields["term"], e.groups["term"]) == choose(base.fields["term"], e.groups["term"])
               for e in noisy)  # fmt: skip
    assert {k: v for k, v in scorer.fields.items() if k != "term"} == {
        k: v for k, v in base.fields.items() if k != "term"
    }
    [(_value, feats)] = noisy[0].groups["term"]
    assert abs(scorer.fields["term"].score(feats) - 0.5) < abs(base.fields["term"].score(feats) - 0.5)
    few, changed = fit_scorer(base, survival_contracts[:5])  # too few contracts checked the field
    assert changed == () and few.fields == base.fields


def test_a_value_right_on_every_contract_is_no_longer_given_a_confidence_of_one_half(tmp_path: Path) -> None:
    pages = [
        [
            "SERVICES AGREEMENT",
            f"This Agreement is made on March {i + 1}, 2021 between Alpha Holdings {i} Ltd and Beta Corp.",
            f"The total value of this Agreement is EUR {10 + i},000.00.",
            "This Agreement shall be governed by the laws of the State of Delaware.",
        ]
        for i in range(15)
    ]
    examples = []
    for i, page in enumerate(pages):
        doc = read_document(write_pdf(tmp_path / f"v{i}.pdf", [page]), CTX)
        examples.append(ContractExample(contract_groups(doc, CTX), {"contract_value": f"{10 + i}000.00"}))
    shipped = load_scorer()  # a desk whose weights for the value were set by hand, and give one half
    base = ContractScorer({**shipped.fields, "contract_value": FieldWeights(-1.0, {"kind=value_label": 1.0})})
    [(_value, feats)] = examples[0].groups["contract_value"]
    assert base.fields["contract_value"].score(feats) == pytest.approx(0.5)
    scorer, changed = fit_scorer(base, examples)
    assert changed == ("contract_value",)
    assert scorer.fields["contract_value"].score(feats) > 0.85  # right on 15 of 15
    assert outcomes(scorer, examples) == outcomes(base, examples) == [("contract_value", True)] * 15


def test_a_field_the_clerks_clear_on_every_contract_is_no_longer_proposed(tmp_path: Path) -> None:
    base = load_scorer()
    examples = []
    for i in range(15):
        doc = read_document(write_pdf(tmp_path / f"c{i}.pdf", contract_pages(i, LABELLED)), CTX)
        examples.append(ContractExample(contract_groups(doc, CTX), {"term": None}))  # this desk records no term
    assert choose(base.fields["term"], examples[0].groups["term"]) == "1 year"
    scorer, changed = fit_scorer(base, examples)
    assert changed == ("term",)
    assert all(choose(scorer.fields["term"], e.groups["term"]) is None for e in examples)


def test_party_lists_and_values_compare_as_the_clerk_approved_them() -> None:
    assert is_value_right("parties", ("ACME WIDGETS, INC.", "Globex Ltd"), "Acme Widgets Inc.; Globex Limited")
    assert not is_value_right("parties", ("Acme Widgets Inc.",), "Acme Widgets Inc.; Globex Ltd")
    assert is_value_right("parties", None, None) and is_value_right("term", None, None)
    assert not is_value_right("term", "2 years", None)
    assert is_value_right("governing_law", "new york", "New York")


def test_value_groups_survive_their_cache_form(survival_contracts: list[ContractExample]) -> None:
    groups = survival_contracts[3].groups
    back = groups_from_json(groups_to_json(groups))
    values = {k: [v for v, _ in rows] for k, rows in groups.items()}
    assert {k: [v for v, _ in rows] for k, rows in back.items()} == values
    assert isinstance(back["parties"][0][0], tuple)
    assert back["term"][0][1] == pytest.approx(groups["term"][0][1], abs=1e-6)


def test_extraction_uses_the_contract_weights_a_model_carries(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "c.pdf", contract_pages(3, SURVIVES))
    doc = read_document(path, CTX)
    shipped = FieldModel({}, {}, ConfidenceModel.identity(), version="v0001-test")
    result = extract_document(doc, CTX, model=shipped)
    assert result.fields["term"].value is None
    assert result.model_version == load_scorer().version
    base = load_scorer()
    learned = ContractScorer({**base.fields, "term": FieldWeights(2.0, {}, 0.5, 0.1)}, base.version)
    model = dataclasses.replace(shipped, version="v0002-test", contract=learned.to_payload())
    saved = tmp_path / "model.json"
    model.save(saved)
    loaded = FieldModel.load(saved)
    assert loaded.contract == model.contract
    result = extract_document(doc, CTX, model=loaded)
    assert result.fields["term"].value == "5 years"
    assert result.fields["term"].confidence == pytest.approx(1 / (1 + 2.718281828459045**-2.0), abs=1e-6)
    assert result.model_version == "v0002-test"  # the contract fields are credited to the model that ranked them
