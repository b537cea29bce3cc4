"""Learning the contract scorer from approved contracts: each contract's value groups beside the clerks' truth.

Pure apart from :func:`contract_groups`, which reads a document's candidates: examples in, a scorer and what
it got right out, no database and no files.

A refit starts from the scorer in use. Its score of a group enters the new logistic model as one feature
beside the group's own features, so that a few dozen contracts adjust the weights a little instead of
replacing them; the result is folded back into plain weights of the same form. Each field's threshold (below
it the field is reported not found) is then set where the training contracts are most often right, and how
often contracts lack the field is updated. A field keeps its old weights unless the refit is right more often
on contracts it was not fitted on (cross-fitting).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extractors.context import ExtractionContext
from extractors.contracts.evaluation import is_right
from extractors.contracts.extract import CONTRACT_FIELDS, contract_candidates
from extractors.contracts.scoring import ContractScorer, FieldWeights, fit_field, group_candidates
from extractors.contracts.text import DocText
from extractors.document import Document

SCORED_FIELDS = tuple(n for n in CONTRACT_FIELDS if n != "currency")
"""The fields the contract scorer ranks (the currency is read with the contract value)."""

Value = str | tuple[str, ...]
GroupRow = tuple[Value, dict[str, float]]
"""One value group of one field: its value and its features (:func:`extractors.contracts.scoring.group_candidates`)."""

PRIOR = "prior"
"""The feature that carries the current scorer's judgement into a refit."""
THRESHOLDS = (*(round(0.05 * i, 2) for i in range(2, 20)), 1.0)
"""The thresholds a refit chooses from: 0.10 to 0.95, and 1.0 for a field the clerks cleared wherever it was
found (no confidence reaches it)."""
ABSENT_PRIOR_WEIGHT = 5.0
"""How many contracts the current rate of a field's absence counts as when it is updated from the clerks'."""


@dataclass(frozen=True, slots=True)
class ContractExample:
    """One approved contract: its value groups per field, in text order, and the approved value per field.

    ``truth`` names the fields that were checked; ``None`` says the contract has none. A party list is the
    names joined by ";".
    """

    groups: Mapping[str, Sequence[GroupRow]]
    truth: Mapping[str, str | None]


def contract_groups(doc: Document, ctx: ExtractionContext) -> dict[str, list[GroupRow]]:
    """The value groups of every scored field of ``doc``, in text order."""
    candidates = contract_candidates(DocText(doc), ctx)
    return {name: [(g.value, g.features) for g in group_candidates(name, candidates)] for name in SCORED_FIELDS}


def groups_to_json(groups: Mapping[str, Sequence[GroupRow]]) -> dict[str, Any]:
    return {
        name: [[list(v) if isinstance(v, tuple) else v, {k: round(x, 6) for k, x in f.items()}] for v, f in rows]
        for name, rows in groups.items()
    }


def groups_from_json(data: Mapping[str, Any]) -> dict[str, list[GroupRow]]:
    return {
        str(name): [
            (tuple(str(x) for x in v) if isinstance(v, list) else str(v), {str(k): float(x) for k, x in f.items()})
            for v, f in rows
        ]
        for name, rows in data.items()
    }


def choose(weights: FieldWeights | None, rows: Sequence[GroupRow]) -> Value | None:
    """The value extraction gives with ``weights``: the most confident group (the first on a tie) if it reaches
    the field's threshold, else none."""
    if not rows:
        return None
    if weights is None:
        return rows[0][0]  # unweighted: every group at 0.5, which the default threshold takes
    scores = [weights.score(f) for _, f in rows]
    best = max(range(len(rows)), key=lambda i: (scores[i], -i))
    return rows[best][0] if scores[best] >= weights.min_confidence else None


def is_value_right(name: str, value: Value | None, truth: str | None) -> bool:
    """Whether ``value`` is the approved ``truth`` (None for none); party lists compare as lists of names."""
    if name == "parties":
        names = [p.strip() for p in (truth or "").split(";") if p.strip()]
        predicted = list(value) if isinstance(value, tuple) else ([value] if value else [])
        return is_right(predicted, names, names=True)
    if isinstance(value, tuple):
        value = "; ".join(value)
    return is_right(value, truth)


def outcomes(scorer: ContractScorer, examples: Sequence[ContractExample]) -> list[tuple[str, bool]]:
    """(field, right) for every checked field of every example, in order."""
    out = []
    for e in examples:
        for name in SCORED_FIELDS:
            if name in e.truth:
                right = is_value_right(name, choose(scorer.fields.get(name), e.groups.get(name, ())), e.truth[name])
                out.append((name, right))
    return out


def _right(name: str, weights: FieldWeights, e: ContractExample) -> bool:
    return is_value_right(name, choose(weights, e.groups.get(name, ())), e.truth[name])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _fit_one(name: str, base: FieldWeights, examples: Sequence[ContractExample], c: float) -> FieldWeights:
    """``base`` refit on ``examples``: weights (where both right and wrong groups were seen), threshold, absence."""
    rows = [
        ({**f, PRIOR: _logit(base.score(f))}, is_value_right(name, v, e.truth[name]))
        for e in examples
        for v, f in e.groups.get(name, ())
    ]
    weights = base
    if len({ok for _, ok in rows}) == 2:
        fitted = fit_field(rows, c=c, base=base)
        a = fitted.weights.pop(PRIOR, 0.0)  # bias + a * (b0 + w0 . x) + w1 . x, folded into one weight vector
        merged = {k: a * v for k, v in base.weights.items()}
        for k, v in fitted.weights.items():
            merged[k] = merged.get(k, 0.0) + v
        weights = FieldWeights(fitted.bias + a * base.bias, merged, base.min_confidence, base.absent_rate)
    best = max(
        THRESHOLDS,
        key=lambda t: (
            sum(_right(name, dataclasses.replace(weights, min_confidence=t), e) for e in examples),
            -abs(t - base.min_confidence),
        ),
    )
    none = sum(e.truth[name] is None for e in examples)
    absent = (none + ABSENT_PRIOR_WEIGHT * base.absent_rate) / (len(examples) + ABSENT_PRIOR_WEIGHT)
    return dataclasses.replace(weights, min_confidence=best, absent_rate=absent)


def _top(name: str, weights: FieldWeights, e: ContractExample) -> tuple[float, bool] | None:
    """The logit of the most confident group of ``e`` and whether its value is the approved one; None where the
    field had no candidate (no confidence was given)."""
    rows = e.groups.get(name, ())
    if not rows:
        return None
    scores = [weights.score(f) for _, f in rows]
    best = max(range(len(rows)), key=lambda i: (scores[i], -i))
    return _logit(scores[best]), is_value_right(name, rows[best][0], e.truth[name])


def _log_loss(points: Sequence[tuple[float, bool]], shift: float = 0.0) -> float:
    total = 0.0
    for z, ok in points:
        p = 1.0 / (1.0 + math.exp(-(z + shift)))
        p = min(max(p, 1e-9), 1.0 - 1e-9)
        total -= math.log(p if ok else 1.0 - p)
    return total


def calibrated(name: str, weights: FieldWeights, examples: Sequence[ContractExample]) -> FieldWeights:
    """``weights`` with its confidences moved to how often its best value is right on ``examples`` (one shift of
    the bias, with one right and one wrong example more as a prior), and its threshold moved with them: the same
    values are chosen and reported, with a confidence that says how often they are right."""
    points = [t for e in examples if (t := _top(name, weights, e)) is not None]
    if not points:
        return weights
    mean = sum(z for z, _ in points) / len(points)
    prior = [*points, (mean, True), (mean, False)]
    from scipy.optimize import minimize_scalar

    shift = float(minimize_scalar(lambda d: _log_loss(prior, d), bounds=(-8.0, 8.0), method="bounded").x)
    threshold = weights.min_confidence
    if 0.0 < threshold < 1.0:
        threshold = 1.0 / (1.0 + math.exp(-(_logit(threshold) + shift)))
    return dataclasses.replace(weights, bias=weights.bias + shift, min_confidence=threshold)


CALIBRATION_GAIN = 0.05
"""The least share by which a recalibration must lower the log-loss on contracts it was not fitted on."""


def fit_scorer(
    base: ContractScorer,
    examples: Sequence[ContractExample],
    *,
    c: float = 0.1,
    folds: int = 3,
    min_documents: int = 10,
) -> tuple[ContractScorer, tuple[str, ...]]:
    """``base`` refit on ``examples``, and the fields whose weights changed.

    A field is refit only where at least ``min_documents`` examples checked it, and kept only if the refit is
    right more often than ``base`` on the examples left out of each of ``folds`` fits. Where it is not, the
    field's confidences alone may be recalibrated (:func:`calibrated`: the same values chosen), if that lowers
    the log-loss on the examples left out by :data:`CALIBRATION_GAIN` at least: a value the clerks approve on
    every contract no longer stays at a confidence of one half.
    """
    fields = dict(base.fields)
    changed = []
    for name, old in base.fields.items():
        checked = [e for e in examples if name in e.truth]
        if len(checked) < max(min_documents, folds):
            continue
        new_hits = old_hits = 0
        old_loss = cal_loss = 0.0
        for k in range(folds):
            held = checked[k::folds]
            rest = [e for i, e in enumerate(checked) if i % folds != k]
            fold = _fit_one(name, old, rest, c)
            new_hits += sum(_right(name, fold, e) for e in held)
            old_hits += sum(_right(name, old, e) for e in held)
            cal = calibrated(name, old, rest)
            old_loss += _log_loss([t for e in held if (t := _top(name, old, e)) is not None])
            cal_loss += _log_loss([t for e in held if (t := _top(name, cal, e)) is not None])
        if new_hits > old_hits:
            fields[name] = calibrated(name, _fit_one(name, old, checked, c), checked)
            changed.append(name)
        elif cal_loss < (1.0 - CALIBRATION_GAIN) * old_loss:
            fields[name] = calibrated(name, old, checked)
            changed.append(name)
    return ContractScorer(fields, base.version), tuple(changed)
