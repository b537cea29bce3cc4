"""Model files: version and checksum checked, written atomically, weights as JSON (never a pickle)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extractors.errors import ModelFileError
from extractors.fields.features import N_FEATURES
from extractors.fields.scorer import (
    FieldCandidates,
    FieldModel,
    TrainingPair,
    build_dataset,
    train,
)
from extractors.model_file import FORMAT_VERSION, read_model, write_model


def _pairs(n: int, seed: int = 0) -> list[TrainingPair]:
    """Documents whose true total is the candidate with feature 0 set (a label on its left)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for d in range(n):
        k = 6
        X = rng.normal(size=(k, N_FEATURES)) * 0.3
        true_i = int(rng.integers(k))
        X[:, 0] = 0.0
        X[true_i, 0] = 1.0
        values = tuple(f"{10 * (i + 1)}.00" for i in range(k))
        fc = FieldCandidates("total_amount", "amount", values, X)
        pairs.append(TrainingPair(f"doc{d}", {"total_amount": fc}, {"total_amount": values[true_i]}))
    return pairs


def test_build_dataset_is_pure_and_labels_matching_values() -> None:
    pairs = _pairs(3)
    a, b = build_dataset(pairs), build_dataset(pairs)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert a.X.shape == (18, N_FEATURES)
    assert a.y.sum() == 3
    assert set(a.groups.tolist()) == {"doc0", "doc1", "doc2"}
    assert np.array_equal(a.X[a.y == 1][:, 0], np.ones(3))


def test_trained_model_survives_save_and_load(tmp_path: Path) -> None:
    model = train(build_dataset(_pairs(40)), version="t1")
    model.metrics = {"accuracy": 0.9}
    path = tmp_path / "m" / "model.json"
    model.save(path)
    again = FieldModel.load(path)
    X = _pairs(1, seed=9)[0].candidates["total_amount"].features
    scorer, scorer2 = model.scorer_for("total_amount", "amount"), again.scorer_for("total_amount", "amount")
    assert scorer is not None and scorer2 is not None
    assert np.allclose(scorer.logits(X), scorer2.logits(X))
    assert int(np.argmax(scorer.logits(X))) == int(np.argmax(X[:, 0]))
    assert again.metrics == {"accuracy": 0.9}
    assert again.version == "t1"
    assert b"pickle" not in path.read_bytes() and path.read_bytes().lstrip().startswith(b"{")


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.json", {"w": [1.0, 2.0]}, {})
    doc = json.loads(path.read_text())
    doc["payload"]["w"][0] = 1.5
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="checksum"):
        read_model(path)


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.json", {"w": [1.0]}, {})
    doc = json.loads(path.read_text())
    doc["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="version"):
        read_model(path)


def test_missing_and_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        read_model(tmp_path / "none.json")
    (tmp_path / "x.json").write_bytes(b"\x80\x04K\x01.")  # a pickle stream
    with pytest.raises(ModelFileError):
        read_model(tmp_path / "x.json")


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_model(tmp_path / "m.json", {"w": [1.0]}, {"v": 1})
    before = path.read_bytes()

    def broken_dump(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("extractors.model_file.json.dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        write_model(path, {"w": [2.0]}, {"v": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_exported_trees_score_exactly_like_the_fitted_classifier(tmp_path: Path) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from extractors.fields.trees import TreeScorer

    rng = np.random.default_rng(5)
    X = rng.uniform(size=(3000, N_FEATURES))
    y = ((X[:, 0] > 0.5) & (X[:, 1] < 0.3) | (X[:, 2] > 0.9)).astype(int)
    scorer = TreeScorer.fit(X, y, max_iter=30)
    reference = HistGradientBoostingClassifier(
        max_iter=30, learning_rate=0.08, max_depth=4, min_samples_leaf=10, l2_regularization=1.0, random_state=0
    )
    pos = int(y.sum())
    repeat = np.where(y == 1, round(min((len(y) - pos) / pos, 20.0)), 1)
    reference.fit(np.repeat(X, repeat, axis=0), np.repeat(y, repeat))
    test = rng.uniform(size=(500, N_FEATURES))
    test[::7, 0] = np.nan  # a missing feature takes the side the classifier learned for it
    assert np.allclose(scorer.logits(test), reference.decision_function(test))
    again = TreeScorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    assert np.allclose(again.logits(test), scorer.logits(test))


def test_a_tree_pointing_outside_itself_is_refused() -> None:
    from extractors.fields.trees import Tree

    bad = {"feature": [0, 0], "threshold": [0.5, 0.0], "left": [5, 0], "right": [1, 0], "leaf": [0, 1]}
    with pytest.raises(ValueError, match="does not exist"):
        Tree.from_dict({**bad, "value": [0.0, 1.0], "missing_left": [1, 1]})


def test_the_missing_field_calibration_is_saved_with_the_model_and_older_files_load_without_it(
    tmp_path: Path,
) -> None:
    from extractors.fields.scorer import AbsentModel

    model = train(build_dataset(_pairs(20)), version="t2")
    model.save(tmp_path / "old.json")
    assert FieldModel.load(tmp_path / "old.json").absent is None
    logits = np.linspace(-10.0, -3.0, 60)
    model.absent = AbsentModel.fit(["po_number"] * 60, logits, (logits < -6.0).astype(int))
    model.save(tmp_path / "new.json")
    again = FieldModel.load(tmp_path / "new.json")
    assert again.absent is not None
    assert again.absent("po_number", -9.0) == model.absent("po_number", -9.0) > 0.9
    assert again.absent("po_number", -3.5) < 0.1
