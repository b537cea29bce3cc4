"""The field scorer: learned linear weights per field (and per value type for fields without data), and the
decision that picks each field's value from its ranked candidates, with the features confidence is calibrated on.

Training is pure: :func:`build_dataset` turns training pairs (a document's candidates with their features and
the true value of each field) into arrays; :func:`train` fits the weights. No database, no pickles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from extractors.fields.calibration import IsotonicCalibrator
from extractors.fields.features import FEATURES, N_FEATURES
from extractors.fields.normalise import name_tokens, normalise_date
from extractors.fields.schema import ValueType
from extractors.fields.trees import TreeScorer

CONF_FEATURES = ("top_logit", "share", "margin", "ocr_conf", "rule", "n_candidates", "found")


def same_value(value_type: str, predicted: str | None, truth: str | None) -> bool:
    """Whether a predicted value equals the truth after normalisation for its type."""
    if predicted is None or truth is None:
        return predicted is None and truth is None
    if value_type == ValueType.AMOUNT:
        try:
            return Decimal(predicted) == Decimal(truth)
        except ArithmeticError:
            return False
    if value_type == ValueType.DATE:
        return predicted == (normalise_date(truth) or truth)
    if value_type in (ValueType.IBAN, ValueType.VAT_ID, ValueType.IDENTIFIER, ValueType.CURRENCY):
        return "".join(predicted.split()).upper().strip(".#:") == "".join(truth.split()).upper().strip(".#:")
    return name_tokens(predicted) == name_tokens(truth) and bool(name_tokens(truth))


MAX_LINEAR_ROWS = 30_000
"""Rows a linear scorer is fitted on at most."""


def stratified_rows(X: np.ndarray, y: np.ndarray, max_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_rows`` rows of ``(X, y)``: up to half of them positives, the rest negatives, drawn at random."""
    if len(y) <= max_rows:
        return X, y
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
    n_pos = min(len(pos), max_rows // 2)
    n_neg = min(len(neg), max_rows - n_pos)
    rows = np.sort(np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)]))
    return X[rows], y[rows]


@dataclass(frozen=True, slots=True)
class LinearScorer:
    """Standardise, then a linear logit: what a logistic regression exports without pickling."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        return np.asarray(((X - self.mean) / self.scale) @ self.coef + self.intercept, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "linear",
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": float(self.intercept),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearScorer:
        arrays = [np.asarray(data[k], dtype=float) for k in ("mean", "scale", "coef")]
        if any(a.shape != (N_FEATURES,) for a in arrays):
            raise ValueError(f"scorer weights must have {N_FEATURES} features")
        return cls(arrays[0], arrays[1], arrays[2], float(data["intercept"]))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, C: float = 0.5, max_rows: int = MAX_LINEAR_ROWS) -> LinearScorer:
        """Logistic regression with balanced class weights, on at most ``max_rows`` rows (a stratified sample:
        the weights are balanced anyway, and more rows of a linear model only cost time)."""
        from sklearn.linear_model import LogisticRegression

        X, y = stratified_rows(X, y, max_rows)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-6] = 1.0
        if len(set(y.tolist())) < 2:
            return cls(mean, scale, np.zeros(X.shape[1]), -3.0 if not y.any() else 3.0)
        lr = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
        lr.fit((X - mean) / scale, y)
        return cls(mean, scale, lr.coef_[0].astype(float), float(lr.intercept_[0]))


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Multi-feature Platt scaling followed by isotonic calibration, fitted on held-out decisions."""

    coef: np.ndarray
    intercept: float
    isotonic: IsotonicCalibrator

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(feats) @ self.coef + self.intercept
        return np.asarray(self.isotonic(1.0 / (1.0 + np.exp(-z))), dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"coef": self.coef.tolist(), "intercept": self.intercept, "isotonic": self.isotonic.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConfidenceModel:
        coef = np.asarray(data["coef"], dtype=float)
        if coef.shape != (len(CONF_FEATURES),):
            raise ValueError("confidence weights do not match the confidence features")
        return cls(coef, float(data["intercept"]), IsotonicCalibrator.from_dict(data["isotonic"]))

    @classmethod
    def fit(cls, feats: np.ndarray, correct: np.ndarray) -> ConfidenceModel:
        from sklearn.linear_model import LogisticRegression

        if len(set(correct.tolist())) < 2:
            coef = np.zeros(len(CONF_FEATURES))
            p = float(correct.mean()) if len(correct) else 0.5
            return cls(coef, 0.0, IsotonicCalibrator((0.0, 1.0), (p, p)))
        lr = LogisticRegression(C=1.0, max_iter=2000)
        lr.fit(feats, correct)
        raw = lr.predict_proba(feats)[:, 1]
        return cls(lr.coef_[0].astype(float), float(lr.intercept_[0]), IsotonicCalibrator.fit(raw, correct))

    @classmethod
    def identity(cls) -> ConfidenceModel:
        coef = np.zeros(len(CONF_FEATURES))
        coef[CONF_FEATURES.index("share")] = 4.0
        return cls(coef, -2.0, IsotonicCalibrator((0.0, 1.0), (0.0, 1.0)))


ABSENT_MIN_FIELD = 40
"""The fewest held-out "missing" decisions of a field that give it its own absent calibration."""


@dataclass(frozen=True, slots=True)
class AbsentModel:
    """How likely a field the decision reports missing is truly absent from the document, from the score of its
    best candidate (a weak best candidate: most likely nothing is printed). Isotonic per field where held-out
    documents gave enough such decisions, kept within the field's Laplace bounds (1 / (n + 2) and (n + 1) / (n +
    2)); a field seen missing less often has its rate, (absent + 1) / (missing + 2), whatever the score; a field
    never seen missing, or a document of a type it was not fitted on, has 0.5 (nothing is known). Fitted on
    documents whose truth names every field they print (generated invoices), since a missing truth there means a
    missing field."""

    per_field: dict[str, IsotonicCalibrator]
    rates: dict[str, float] = field(default_factory=dict)
    doc_types: tuple[str, ...] = ("invoice",)

    def __call__(self, name: str, top_logit: float, doc_type: str = "invoice") -> float:
        if doc_type not in self.doc_types:
            return 0.5
        cal = self.per_field.get(name)
        if cal is None:
            return self.rates.get(name, 0.5)
        return float(np.clip(cal(_sigmoid(-top_logit)), 0.0, 1.0))

    def without_curves(self, names: Collection[str]) -> AbsentModel:
        """A copy in which ``names`` have their rate alone (their scorer changed: the old curve was of its scores)."""
        curves = {k: v for k, v in self.per_field.items() if k not in names}
        return AbsentModel(curves, dict(self.rates), self.doc_types)

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_field": {k: v.to_dict() for k, v in self.per_field.items()},
            "rates": dict(self.rates),
            "doc_types": list(self.doc_types),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AbsentModel:
        rates = {str(k): float(v) for k, v in data.get("rates", {}).items()}
        if any(not 0.0 <= v <= 1.0 for v in rates.values()):
            raise ValueError("absent rates must lie in [0, 1]")
        curves = {k: IsotonicCalibrator.from_dict(v) for k, v in data["per_field"].items()}
        return cls(curves, rates, tuple(str(t) for t in data.get("doc_types", ("invoice",))))

    @classmethod
    def fit(
        cls,
        names: Sequence[str],
        top_logits: np.ndarray,
        absent: np.ndarray,
        min_per_field: int = ABSENT_MIN_FIELD,
        doc_types: tuple[str, ...] = ("invoice",),
    ) -> AbsentModel:
        names_a = np.asarray(names)
        scores = _sigmoid(-np.asarray(top_logits, dtype=float))  # rises as the best candidate weakens
        truly = np.asarray(absent, dtype=float)
        per_field, rates = {}, {}
        for name in sorted(set(names_a.tolist())):
            mask = names_a == name
            n = int(mask.sum())
            rates[name] = float((truly[mask].sum() + 1.0) / (n + 2.0))
            if n >= min_per_field:
                per_field[name] = IsotonicCalibrator.fit(
                    scores[mask], truly[mask], floor=1.0 / (n + 2.0), ceiling=(n + 1.0) / (n + 2.0)
                )
        return cls(per_field, rates, doc_types)


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


Scorer = LinearScorer | TreeScorer


def scorer_from_dict(data: Mapping[str, Any]) -> Scorer:
    if data.get("kind") == "trees":
        return TreeScorer.from_dict(data)
    return LinearScorer.from_dict(data)


@dataclass(slots=True)
class FieldModel:
    """Scorer weights per field and per value type, the confidence calibrator, and the model's own record."""

    per_field: dict[str, Scorer]
    per_type: dict[str, Scorer]
    confidence: ConfidenceModel
    version: str = "untrained"
    metrics: dict[str, Any] = field(default_factory=dict)
    training_documents: tuple[str, ...] = ()
    """SHA-256 of the documents the model was trained or calibrated on, so evaluation can leave them out."""
    absent: AbsentModel | None = None
    """The confidence of a field reported missing (None: a model from before it was kept)."""
    contract: dict[str, Any] | None = None
    """The contract scorer's weights learned from approved contracts
    (:meth:`extractors.contracts.scoring.ContractScorer.to_payload`); None: the shipped contract scorer."""

    def scorer_for(self, name: str, value_type: str) -> Scorer | None:
        return self.per_field.get(name) or self.per_type.get(value_type)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "conf_features": list(CONF_FEATURES),
            "per_field": {k: v.to_dict() for k, v in self.per_field.items()},
            "per_type": {k: v.to_dict() for k, v in self.per_type.items()},
            "confidence": self.confidence.to_dict(),
            "version": self.version,
            "training_documents": list(self.training_documents),
            **({"absent": self.absent.to_dict()} if self.absent is not None else {}),
            **({"contract": self.contract} if self.contract is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], metrics: Mapping[str, Any] | None = None) -> FieldModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("the model was trained on other features than this version computes")
        return cls(
            {k: scorer_from_dict(v) for k, v in data["per_field"].items()},
            {k: scorer_from_dict(v) for k, v in data["per_type"].items()},
            ConfidenceModel.from_dict(data["confidence"]),
            str(data.get("version", "")),
            dict(metrics or {}),
            tuple(data.get("training_documents", ())),
            AbsentModel.from_dict(data["absent"]) if "absent" in data else None,
            dict(data["contract"]) if data.get("contract") is not None else None,
        )

    def save(self, path: Any) -> None:
        from extractors.model_file import write_model

        write_model(path, self.to_dict(), self.metrics)

    @classmethod
    def load(cls, path: Any) -> FieldModel:
        from extractors.errors import ModelFileError
        from extractors.model_file import read_model

        payload, metrics = read_model(path)
        try:
            return cls.from_dict(payload, metrics)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"model does not fit this version: {exc}", path=str(path)) from exc


# ---- training ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldCandidates:
    """The candidates of one field in one document: their normalised values and feature rows."""

    name: str
    value_type: str
    values: tuple[str, ...]
    features: np.ndarray
    ocr_confidence: tuple[float, ...] = ()
    spans: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """(page, token ids) of each candidate; empty when unknown (each candidate is then its own span)."""


@dataclass(frozen=True, slots=True)
class TrainingPair:
    """A document's candidates for each field and the true value of each field (None: the document has none)."""

    doc_id: str
    candidates: Mapping[str, FieldCandidates]
    truth: Mapping[str, str | None]
    fixed: Mapping[str, str] = field(default_factory=dict)
    """Values extraction takes whatever the scorer ranks first: a receipt's layout rules' answers (see
    ``extractors.pipeline.merge_receipt_rules``). They decide what a clerk sees, so a model is measured with
    them; the scorer still learns from the candidates."""


class Dataset(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    """The document each row comes from (for grouped splits)."""
    fields: np.ndarray
    types: np.ndarray


def build_dataset(pairs: Sequence[TrainingPair]) -> Dataset:
    """Rows of candidate features labelled 1 where the candidate's value equals the truth. Pure."""
    xs, ys, gs, fs, ts = [], [], [], [], []
    for pair in pairs:
        for name, fc in pair.candidates.items():
            truth = pair.truth.get(name)
            if truth is None or len(fc.values) == 0:
                continue
            labels = [same_value(fc.value_type, v, truth) for v in fc.values]
            xs.append(fc.features)
            ys.extend(labels)
            gs.extend([pair.doc_id] * len(labels))
            fs.extend([name] * len(labels))
            ts.extend([fc.value_type] * len(labels))
    X = np.vstack(xs) if xs else np.zeros((0, N_FEATURES))
    return Dataset(X, np.asarray(ys, dtype=int), np.asarray(gs), np.asarray(fs), np.asarray(ts))


def subsample_negatives(dataset: Dataset, max_negatives: int | None, seed: int = 0) -> Dataset:
    """Every positive row and at most ``max_negatives`` negatives per (document, field), drawn reproducibly."""
    if max_negatives is None:
        return dataset
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(dataset.y), dtype=bool)
    keys = np.char.add(np.char.add(dataset.groups.astype(str), "\x00"), dataset.fields.astype(str))
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        neg = rows[dataset.y[rows] == 0]
        keep[rows[dataset.y[rows] == 1]] = True
        keep[neg if len(neg) <= max_negatives else rng.choice(neg, max_negatives, replace=False)] = True
    return Dataset(*(a[keep] for a in dataset))


def train(
    dataset: Dataset,
    *,
    min_positive: int = 8,
    min_trees: int = 30,
    version: str = "trained",
    trees: bool = True,
    max_negatives: int | None = 60,
) -> FieldModel:
    """Fit one scorer per field with enough positives and one per value type (for every other field).

    Fields with at least ``min_trees`` positive candidates get gradient-boosted trees, others a logistic
    regression; the per-type scorers are linear, so that a field added to a schema gets a smooth scorer.
    """
    per_field: dict[str, Scorer] = {}
    per_type: dict[str, Scorer] = {}
    dataset = subsample_negatives(dataset, max_negatives)
    X, y = dataset.X, dataset.y
    for name in sorted(set(dataset.fields.tolist())):
        mask = dataset.fields == name
        positives = int(y[mask].sum())
        if trees and positives >= min_trees:
            per_field[name] = TreeScorer.fit(X[mask], y[mask])
        elif positives >= min_positive:
            per_field[name] = LinearScorer.fit(X[mask], y[mask])
    for vtype in sorted(set(dataset.types.tolist())):
        mask = dataset.types == vtype
        if y[mask].sum() >= 1:
            per_type[vtype] = LinearScorer.fit(X[mask], y[mask])
    return FieldModel(per_field, per_type, ConfidenceModel.identity(), version=version)
