"""Gradient-boosted trees exported as plain arrays: fitted with scikit-learn's HistGradientBoostingClassifier,
stored as JSON (feature, threshold, children, leaf value per node) and evaluated here without scikit-learn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from extractors.fields.features import N_FEATURES


@dataclass(frozen=True, slots=True)
class Tree:
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    missing_left: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "leaf": self.leaf.astype(int).tolist(),
            "value": self.value.tolist(),
            "missing_left": self.missing_left.astype(int).tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Tree:
        tree = cls(
            np.asarray(d["feature"], dtype=np.int64),
            np.asarray(d["threshold"], dtype=float),
            np.asarray(d["left"], dtype=np.int64),
            np.asarray(d["right"], dtype=np.int64),
            np.asarray(d["leaf"], dtype=bool),
            np.asarray(d["value"], dtype=float),
            np.asarray(d["missing_left"], dtype=bool),
        )
        n = len(tree.feature)
        arrays = (tree.threshold, tree.left, tree.right, tree.leaf, tree.value, tree.missing_left)
        if n == 0 or any(len(a) != n for a in arrays):
            raise ValueError("tree arrays must be non-empty and of one length")
        inner = ~tree.leaf
        if (
            np.any(tree.feature[inner] < 0)
            or np.any(tree.feature[inner] >= N_FEATURES)
            or np.any(tree.left[inner] >= n)
            or np.any(tree.right[inner] >= n)
            or np.any(tree.left[inner] <= 0)
            or np.any(tree.right[inner] <= 0)
        ):
            raise ValueError("tree refers to a feature or node that does not exist")
        return tree


@dataclass(frozen=True, slots=True)
class Forest:
    """All trees' nodes in one set of arrays (children as global indices), walked together row by row."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    missing_left: np.ndarray
    steps: int
    """The most nodes any tree has: no path is longer."""

    @classmethod
    def of(cls, trees: Sequence[Tree]) -> Forest:
        sizes = [len(t.feature) for t in trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if trees else np.zeros(0, np.int64)

        def cat(name: str, shift: bool = False) -> np.ndarray:
            parts = [getattr(t, name) + (o if shift else 0) for t, o in zip(trees, offsets, strict=True)]
            return np.concatenate(parts) if parts else np.zeros(0)

        return cls(
            offsets,
            cat("feature"),
            cat("threshold"),
            cat("left", shift=True),
            cat("right", shift=True),
            cat("leaf").astype(bool),
            cat("value"),
            cat("missing_left").astype(bool),
            max(sizes, default=0),
        )

    def predict_sum(self, X: np.ndarray) -> np.ndarray:
        """The sum over trees of each row's leaf value."""
        if len(self.roots) == 0:
            return np.zeros(len(X))
        idx = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        rows = np.arange(len(X))[:, None]
        for _ in range(self.steps):
            is_leaf = self.leaf[idx]
            if is_leaf.all():
                break
            x = X[rows, self.feature[idx]]
            go_left = np.where(np.isnan(x), self.missing_left[idx], x <= self.threshold[idx])
            idx = np.where(is_leaf, idx, np.where(go_left, self.left[idx], self.right[idx]))
        return np.asarray(self.value[idx].sum(axis=1), dtype=float)


@dataclass(frozen=True, slots=True)
class TreeScorer:
    """A sum of trees plus a baseline: the logit that a candidate is the field's value."""

    baseline: float
    trees: tuple[Tree, ...]
    forest: Forest = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "forest", Forest.of(self.trees))

    def logits(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        return self.baseline + self.forest.predict_sum(np.asarray(X, dtype=float))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "trees", "baseline": self.baseline, "trees": [t.to_dict() for t in self.trees]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TreeScorer:
        return cls(float(d["baseline"]), tuple(Tree.from_dict(t) for t in d["trees"]))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, max_iter: int = 150, seed: int = 0) -> TreeScorer:
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Positives are up-weighted by repeating them (frequency semantics, as scikit-learn defines sample
        # weights): passing the weights instead makes the binning of every feature some hundred times slower.
        pos = max(int(y.sum()), 1)
        repeat = np.where(y == 1, max(1, round(min((len(y) - pos) / pos, 20.0))), 1)
        X, y = np.repeat(X, repeat, axis=0), np.repeat(y, repeat)
        clf = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=0.08,
            max_depth=4,
            min_samples_leaf=10,
            l2_regularization=1.0,
            random_state=seed,
        )
        clf.fit(X, y)
        trees = []
        for (predictor,) in clf._predictors:
            nodes = predictor.nodes
            trees.append(
                Tree(
                    nodes["feature_idx"].astype(np.int64),
                    nodes["num_threshold"].astype(float),
                    nodes["left"].astype(np.int64),
                    nodes["right"].astype(np.int64),
                    nodes["is_leaf"].astype(bool),
                    nodes["value"].astype(float),
                    nodes["missing_go_to_left"].astype(bool),
                )
            )
        return cls(float(np.asarray(clf._baseline_prediction).ravel()[0]), tuple(trees))
