"""Calibrated confidence: isotonic regression kept as breakpoints, Platt scaling, expected calibration error."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class IsotonicCalibrator:
    """A monotone map from a score to a probability, stored as breakpoints and applied by interpolation."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    @classmethod
    def fit(
        cls, scores: np.ndarray, correct: np.ndarray, *, floor: float = 0.01, ceiling: float = 0.995
    ) -> IsotonicCalibrator:
        from sklearn.isotonic import IsotonicRegression

        if len(scores) == 0:
            return cls((0.0, 1.0), (floor, ceiling))
        iso = IsotonicRegression(y_min=floor, y_max=ceiling, out_of_bounds="clip", increasing=True)
        iso.fit(np.asarray(scores, dtype=float), np.asarray(correct, dtype=float))
        xs = np.asarray(iso.X_thresholds_, dtype=float)
        ys = np.asarray(iso.y_thresholds_, dtype=float)
        if len(xs) == 1:
            xs, ys = np.array([xs[0], xs[0] + 1e-9]), np.array([ys[0], ys[0]])
        return cls(tuple(float(v) for v in xs), tuple(float(v) for v in ys))

    def __call__(self, scores: np.ndarray | float) -> np.ndarray:
        out: np.ndarray = np.interp(np.asarray(scores, dtype=float), np.asarray(self.x), np.asarray(self.y))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IsotonicCalibrator:
        x, y = tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"])
        if len(x) != len(y) or len(x) < 2 or any(b < a for a, b in itertools.pairwise(x)):
            raise ValueError("isotonic breakpoints must be two increasing sequences of equal length")
        return cls(x, y)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width bins, weighted by bin size."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if len(conf) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() / len(conf) * abs(conf[mask].mean() - ok[mask].mean())
    return float(total)
