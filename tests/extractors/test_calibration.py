"""Calibration: isotonic breakpoints fitted on synthetic scores are monotone and calibrated on a holdout."""

from __future__ import annotations

import numpy as np
import pytest

from extractors.fields.calibration import IsotonicCalibrator, expected_calibration_error
from extractors.fields.scorer import CONF_FEATURES, ConfidenceModel


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.uniform(-4, 4, n)
    truth_p = 1 / (1 + np.exp(-1.7 * score + 0.5))  # raw scores are miscalibrated on purpose
    return score, (rng.uniform(size=n) < truth_p).astype(int)


def test_isotonic_calibrator_is_calibrated_on_a_holdout() -> None:
    train_s, train_y = _synthetic(4_000, 1)
    test_s, test_y = _synthetic(4_000, 2)
    raw = 1 / (1 + np.exp(-test_s))
    assert expected_calibration_error(raw, test_y) > 0.05
    cal = IsotonicCalibrator.fit(train_s, train_y)
    assert expected_calibration_error(cal(test_s), test_y) < 0.03


def test_isotonic_calibrator_is_monotone_and_survives_a_round_trip() -> None:
    s, y = _synthetic(5_000, 3)
    cal = IsotonicCalibrator.fit(s, y)
    grid = np.linspace(-6, 6, 500)
    out = cal(grid)
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= 0.0 and out.max() <= 1.0
    again = IsotonicCalibrator.from_dict(cal.to_dict())
    assert np.allclose(again(grid), out)


def test_breakpoints_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="increasing"):
        IsotonicCalibrator.from_dict({"x": [0.0, 2.0, 1.0], "y": [0.1, 0.2, 0.3]})


def test_ece_of_a_perfect_and_a_wrong_forecaster() -> None:
    conf = np.array([0.9] * 10 + [0.2] * 10)
    ok = np.array([1] * 9 + [0] + [1] * 2 + [0] * 8)
    assert expected_calibration_error(conf, ok) == pytest.approx(0.0)
    assert expected_calibration_error(np.ones(10), np.zeros(10)) == pytest.approx(1.0)


def test_confidence_model_ranks_margin_and_stays_calibrated() -> None:
    rng = np.random.default_rng(4)
    n = 3_000
    feats = np.zeros((n, len(CONF_FEATURES)))
    share = rng.uniform(0, 1, n)
    feats[:, CONF_FEATURES.index("share")] = share
    feats[:, CONF_FEATURES.index("found")] = 1.0
    ok = (rng.uniform(size=n) < share**2).astype(int)
    model = ConfidenceModel.fit(feats[: n // 2], ok[: n // 2])
    conf = model(feats[n // 2 :])
    assert expected_calibration_error(conf, ok[n // 2 :]) < 0.03
    low, high = feats[:2].copy(), feats[:2].copy()
    low[:, CONF_FEATURES.index("share")] = 0.1
    high[:, CONF_FEATURES.index("share")] = 0.9
    assert (model(high) > model(low)).all()
    again = ConfidenceModel.from_dict(model.to_dict())
    assert np.allclose(again(feats[:50]), model(feats[:50]))


def test_a_missing_fields_confidence_is_the_share_truly_absent_at_its_best_candidates_score() -> None:
    """Fields the decision left missing: where the best candidate scored low, nearly all documents print none;
    where it scored near the cut, half of them print one the scorer missed."""
    from extractors.fields.scorer import AbsentModel

    rng = np.random.default_rng(7)
    logits = rng.uniform(-10.0, -2.5, 4000)
    truly = rng.random(4000) < np.where(logits < -6.0, 0.97, 0.5)
    names = np.where(rng.random(4000) < 0.5, "po_number", "vendor_vat_id")
    model = AbsentModel.fit(list(names), logits, truly.astype(int))
    assert set(model.per_field) == {"po_number", "vendor_vat_id"}
    assert model("po_number", -9.0) == pytest.approx(0.97, abs=0.03)
    assert model("vendor_vat_id", -3.0) == pytest.approx(0.5, abs=0.06)
    assert model("delivery_date", -9.0) == 0.5  # a field never seen missing: nothing is known
    sparse = AbsentModel.fit(["customer_name"] * 7, np.full(7, -4.0), np.zeros(7, dtype=int))
    assert sparse("customer_name", -9.0) == pytest.approx(1 / 9)  # missed 7 times of 7: (0 + 1) / (7 + 2)
    test = rng.uniform(-10.0, -2.5, 2000)
    test_truly = rng.random(2000) < np.where(test < -6.0, 0.97, 0.5)
    conf = np.array([model("po_number", x) for x in test])
    assert expected_calibration_error(conf, test_truly) < 0.04
    again = AbsentModel.from_dict(model.to_dict())
    assert again("vendor_vat_id", -4.2) == model("vendor_vat_id", -4.2)
    assert model("po_number", -9.0, "receipt") == 0.5  # fitted on invoices: nothing is known of receipts
    bare = model.without_curves({"po_number"})  # its scorer changed: the rate, whatever the score
    assert bare("po_number", -9.0) == bare("po_number", -3.0) == model.rates["po_number"]
    assert bare("vendor_vat_id", -4.2) == model("vendor_vat_id", -4.2)
