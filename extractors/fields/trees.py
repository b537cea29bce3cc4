"""Gradient-boosted trees exported as plain arrays: fitted with scikit-learn's HistGradientBoostingClassifier,
stored as JSON (feature, threshold, children, leaf value per node) and evaluated here without scikit-learn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

    def predict(self, X: np.ndarray) -> np.ndarray:
        idx = np.zeros(len(X), dtype=np.int64)
        rows = np.arange(len(X))
        for _ in range(len(self.feature)):
            is_leaf = self.leaf[idx]
            if is_leaf.all():
                break
            x = X[rows, self.feature[idx]]
            go_left = np.where(np.isnan(x), self.missing_left[idx], x <= self.threshold[idx])
            idx = np.where(is_leaf, idx, np.where(go_left, self.left[idx], self.right[idx]))
        return np.asarray(self.value[idx], dtype=float)

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
class TreeScorer:
    """A sum of trees plus a baseline: the logit that a candidate is the field's value."""

    baseline: float
    trees: tuple[Tree, ...]

    def logits(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        out = np.full(len(X), self.baseline, dtype=float)
        for tree in self.trees:
            out += tree.predict(X)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "trees", "baseline": self.baseline, "trees": [t.to_dict() for t in self.trees]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TreeScorer:
        return cls(float(d["baseline"]), tuple(Tree.from_dict(t) for t in d["trees"]))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, max_iter: int = 150, seed: int = 0) -> TreeScorer:
        from sklearn.ensemble import HistGradientBoostingClassifier

        pos = max(int(y.sum()), 1)
        weight = np.where(y == 1, min((len(y) - pos) / pos, 20.0), 1.0)
        clf = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=0.08,
            max_depth=4,
            min_samples_leaf=10,
            l2_regularization=1.0,
            random_state=seed,
        )
        clf.fit(X, y, sample_weight=weight)
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
