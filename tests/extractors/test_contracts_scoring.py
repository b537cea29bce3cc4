"""The contract evaluation (Kleister-style F1, ECE) and the scorer file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.contracts.evaluation import evaluate, expected_calibration_error, is_right, name_key
from extractors.contracts.parties import clean_party_name
from extractors.contracts.scoring import (
    DEFAULT_MODEL_PATH,
    ContractScorer,
    FieldWeights,
    fit_field,
    load_scorer,
    save_scorer,
)
from extractors.errors import ModelFileError


def test_evaluate_counts_each_value_once_upper_cased() -> None:
    truth = {
        "a": {"parties": ["Nike Inc.", "Eric Sprunk"], "governing_law": "Oregon", "term": "2 years"},
        "b": {"parties": ["Acme LLC"], "effective_date": "2020-01-31", "governing_law": "Delaware"},
    }
    predictions = {
        "a": {"parties": ["NIKE INC.", "Someone Else"], "governing_law": "oregon", "term": None},
        "b": {"parties": ["Acme LLC", "Acme LLC"], "effective_date": "2020-01-30", "governing_law": "Delaware"},
    }
    report = evaluate(predictions, truth)
    parties = report.fields["parties"]
    assert (parties.true_positives, parties.predicted, parties.expected) == (2, 4, 3)
    assert parties.precision == pytest.approx(0.5)
    assert parties.recall == pytest.approx(2 / 3)
    assert parties.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert report.fields["governing_law"].f1 == pytest.approx(1.0)
    assert report.fields["effective_date"].f1 == 0.0
    term = report.fields["term"]
    assert (term.true_positives, term.predicted, term.expected) == (0, 0, 1)
    assert (report.overall.true_positives, report.overall.predicted, report.overall.expected) == (4, 7, 7)
    assert "overall" in report.table()


def test_a_document_without_predictions_counts_as_missed() -> None:
    report = evaluate({}, {"a": {"governing_law": "Texas"}})
    assert report.overall.expected == 1
    assert report.overall.f1 == 0.0


def test_name_equivalence_is_optional() -> None:
    truth = {"a": {"parties": ["Leonard Green and Partners LP"]}}
    predictions = {"a": {"parties": ["Leonard Green & Partners, L.P."]}}
    assert evaluate(predictions, truth).fields["parties"].f1 == 1.0
    assert evaluate(predictions, truth, equivalent_names=False).fields["parties"].f1 == 0.0
    assert name_key("Coupa Software Incorporated") == name_key("COUPA SOFTWARE INC.")
    assert name_key("Colt’s Manufacturing") == name_key("Colt's Manufacturing")
    assert name_key("Alpha Ltd.") != name_key("Alpha Inc.")


def test_is_right_needs_the_whole_list() -> None:
    assert is_right(["B", "A"], ["a", "b"])
    assert not is_right(["A"], ["A", "B"])
    assert not is_right(["A", "B", "C"], ["A", "B"])
    assert is_right(None, None)
    assert not is_right("2 years", None)


def test_expected_calibration_error() -> None:
    assert expected_calibration_error([]) == 0.0
    assert expected_calibration_error([(1.0, True), (0.0, False)]) == pytest.approx(0.0)
    # ten fields at 0.9 of which five are right: a gap of 0.4
    assert expected_calibration_error([(0.9, i < 5) for i in range(10)]) == pytest.approx(0.4)
    # two bins, each perfectly calibrated
    pairs = [(0.25, i < 1) for i in range(4)] + [(0.75, i < 3) for i in range(4)]
    assert expected_calibration_error(pairs) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("NIKE, Inc.", "Nike Inc."),
        ("Kite Pharma,\nInc.", "Kite Pharma Inc."),
        ("Maher Albitar, M.D.", "Maher Albitar"),
        ("Wexford Media N.V.", "Wexford Media N.V."),
        ("Tannery & Lambert B.V.", "Tannery & Lambert B.V."),
        ("the Company", None),
        ("Employee", None),
        ("ABC-MART, INC.", "Abc-Mart Inc."),
        ("Intel Corporation.", "Intel Corporation"),
    ],
)
def test_clean_party_name(raw: str, name: str | None) -> None:
    assert clean_party_name(raw) == name


def test_the_shipped_scorer_loads_and_covers_every_field() -> None:
    scorer = load_scorer(DEFAULT_MODEL_PATH)
    assert {"parties", "effective_date", "governing_law", "term"} <= set(scorer.fields)


def test_scorer_round_trip_and_checksum(tmp_path: Path) -> None:
    scorer = ContractScorer({"term": FieldWeights(-1.0, {"kind=period_of": 2.0}, 0.4, 0.6)}, "t1")
    path = save_scorer(tmp_path / "s.json", scorer, {"f1": 0.5})
    loaded = load_scorer(path)
    assert loaded.fields["term"] == scorer.fields["term"]
    document = json.loads(path.read_text())
    document["payload"]["fields"]["term"]["bias"] = 5.0
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="checksum"):
        load_scorer(altered)
    with pytest.raises(ModelFileError, match="not found"):
        load_scorer(tmp_path / "missing.json")
    (tmp_path / "foreign.json").write_text('{"format": "something-else"}')
    with pytest.raises(ModelFileError):
        load_scorer(tmp_path / "foreign.json")


def test_fit_field_ranks_the_right_kind_higher() -> None:
    rows = [({"kind=governed_by": 1.0, "log_count": 0.7}, True)] * 20
    rows += [({"kind=courts_of": 1.0, "log_count": 0.7}, False)] * 20
    rows += [({"kind=governed_by": 1.0, "log_count": 0.7}, False)] * 2
    weights = fit_field(rows)
    assert weights.score({"kind=governed_by": 1.0, "log_count": 0.7}) > 0.8
    assert weights.score({"kind=courts_of": 1.0, "log_count": 0.7}) < 0.2
    with pytest.raises(ValueError, match="both"):
        fit_field([({"a": 1.0}, True)])
