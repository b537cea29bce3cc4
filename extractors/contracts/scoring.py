"""Scoring contract candidates: a small logistic model per field, kept as JSON weights.

Candidates that propose the same value are pooled into one group; the group's features are the pattern
kinds that proposed it (multi-hot), how often it recurs and where it first appears. ``sigmoid(bias + w . x)``
is the group's confidence. The weights live in ``resources/models/contract/contract_scorer.json`` with a
format version and a checksum; :func:`fit_field` refits them from labelled groups (scikit-learn's
logistic regression, exported as plain numbers, never pickled).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.contracts.candidates import Candidate
from extractors.errors import ModelFileError
from extractors.model_file import read_model, write_model

MODEL_FORMAT = "idp-desk-contract-scorer"
MODEL_FORMAT_VERSION = 1
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "resources" / "models" / "contract" / "contract_scorer.json"


WEAK_KINDS = frozenset({"any_date", "date_label", "laws_of", "courts_of"})
"""Pattern kinds that only say "a value of the right type", not "the value of this field"."""


@dataclass(slots=True)
class ValueGroup:
    """All candidates of one field that propose the same value; after ranking, the strongest first."""

    name: str
    value: str | tuple[str, ...]
    candidates: list[Candidate]
    features: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.0


def group_candidates(name: str, candidates: Sequence[Candidate]) -> list[ValueGroup]:
    """Pool ``candidates`` of field ``name`` by value and compute each group's features."""
    own = sorted((c for c in candidates if c.name == name), key=lambda c: c.start)
    groups: dict[str, ValueGroup] = {}
    for c in own:
        key = "|".join(c.value).upper() if isinstance(c.value, tuple) else c.value.upper()
        groups.setdefault(key, ValueGroup(name, c.value, [])).candidates.append(c)
    total = max(len(own), 1)
    first_strong = next((c for c in own if c.kind not in WEAK_KINDS), None)
    for g in groups.values():
        feats: dict[str, float] = {f"kind={c.kind}": 1.0 for c in g.candidates}
        feats["log_count"] = math.log1p(len(g.candidates))
        feats["share"] = len(g.candidates) / total
        feats["is_first"] = float(first_strong is not None and first_strong in g.candidates)
        feats["no_strong"] = float(first_strong is None)
        for c in g.candidates:
            for k, v in c.features.items():
                if k in ("offset", "rank", "order"):
                    feats[f"min_{k}"] = min(feats.get(f"min_{k}", v), v)
                else:
                    feats[k] = max(feats.get(k, v), v)
        g.features = feats
    return list(groups.values())


@dataclass(frozen=True, slots=True)
class FieldWeights:
    """A logistic model for one field, and what the field's not-found answer should say."""

    bias: float
    weights: dict[str, float]
    min_confidence: float = 0.5
    """Below this, the best group is offered as an alternative but the field is reported not found."""
    absent_rate: float = 0.2
    """How often contracts lack this field; the not-found confidence is built from it."""

    def score(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "bias": self.bias,
            "weights": dict(sorted(self.weights.items())),
            "min_confidence": self.min_confidence,
            "absent_rate": self.absent_rate,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldWeights:
        return cls(
            float(data["bias"]),
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data.get("min_confidence", 0.5)),
            float(data.get("absent_rate", 0.2)),
        )


@dataclass(frozen=True, slots=True)
class ContractScorer:
    fields: dict[str, FieldWeights]
    version: str = ""

    def rank(self, name: str, candidates: Sequence[Candidate]) -> list[ValueGroup]:
        """The value groups of ``name``, most confident first, each with its confidence set."""
        weights = self.fields.get(name)
        groups = group_candidates(name, candidates)
        for g in groups:
            g.confidence = weights.score(g.features) if weights else 0.5
            if weights:
                # the box shown is the first candidate's: the one from the strongest pattern
                g.candidates.sort(key=lambda c: (-weights.weights.get(f"kind={c.kind}", 0.0), c.start))
        return sorted(groups, key=lambda g: (-g.confidence, g.candidates[0].start))

    def to_payload(self) -> dict[str, Any]:
        return {"version": self.version, "fields": {k: w.to_dict() for k, w in sorted(self.fields.items())}}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], version: str | None = None) -> ContractScorer:
        """The scorer of ``payload``; ``version`` names it instead of the version written there."""
        fields = {str(name): FieldWeights.from_dict(w) for name, w in payload["fields"].items()}
        return cls(fields, str(payload.get("version", "")) if version is None else version)


def save_scorer(path: str | os.PathLike[str], scorer: ContractScorer, metrics: dict[str, Any]) -> Path:
    """Write the scorer as a model file (format, version, checksum, metrics), atomically."""
    return write_model(path, scorer.to_payload(), metrics, kind=MODEL_FORMAT, version=MODEL_FORMAT_VERSION)


_CACHE: dict[str, ContractScorer] = {}


def load_scorer(path: str | os.PathLike[str] | None = None) -> ContractScorer:
    """The scorer at ``path`` (default: the one shipped in resources/); :class:`ModelFileError` if unusable."""
    source = Path(path) if path is not None else DEFAULT_MODEL_PATH
    key = str(source.resolve())
    if key in _CACHE:
        return _CACHE[key]
    payload, _metrics = read_model(source, kind=MODEL_FORMAT, version=MODEL_FORMAT_VERSION)
    try:
        scorer = ContractScorer.from_payload(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"contract scorer is malformed: {exc}", path=str(source)) from exc
    _CACHE[key] = scorer
    return scorer


def scorer_for(learned: Mapping[str, Any] | None, version: str) -> ContractScorer:
    """The contract scorer a field model carries (``learned``: its contract weights, learned from approved
    contracts, under the model's ``version``), else the one shipped."""
    if learned is None:
        return load_scorer()
    try:
        return ContractScorer.from_payload(learned, version)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"the model's contract weights are malformed: {exc}") from exc


def fit_field(
    groups: Iterable[tuple[dict[str, float], bool]], *, c: float = 1.0, base: FieldWeights | None = None
) -> FieldWeights:
    """Fit one field's logistic model on (group features, value is right) pairs; plain numbers out."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = list(groups)
    labels = [int(ok) for _, ok in rows]
    if len(set(labels)) < 2:
        raise ValueError("fitting needs both right and wrong candidates")
    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform([f for f, _ in rows])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, labels)
    weights = {name: float(w) for name, w in zip(vec.get_feature_names_out(), model.coef_[0], strict=True)}
    keep = base or FieldWeights(0.0, {})
    return FieldWeights(float(model.intercept_[0]), weights, keep.min_confidence, keep.absent_rate)
