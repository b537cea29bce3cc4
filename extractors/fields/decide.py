"""From ranked candidates to one value per field: logits, no token span used twice for one value type,
``net + tax = total`` agreement, and the features the confidence is calibrated on."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from extractors.fields.features import FEATURES, N_FEATURES
from extractors.fields.scorer import CONF_FEATURES, FieldModel, LinearScorer

NOT_FOUND_LOGIT = -2.5
"""Below this logit the best candidate is not taken: the field is reported missing."""


def _label_prior() -> LinearScorer:
    """Weights for a field nobody has trained: labels on the left or above, close and specific."""
    coef = np.zeros(N_FEATURES)
    for name, w in {
        "lab_left": 2.0,
        "lab_left_adjacent": 1.5,
        "lab_above": 1.2,
        "lab_strength": 1.0,
        "lab_left_gap": -0.5,
        "other_left_closer": -1.5,
        "valid": 0.5,
        "label_in_value": -2.0,
    }.items():
        coef[FEATURES.index(name)] = w
    return LinearScorer(np.zeros(N_FEATURES), np.ones(N_FEATURES), coef, -2.0)


LABEL_PRIOR = _label_prior()


@dataclass(frozen=True, slots=True)
class FieldInput:
    """One field's candidates as the decision sees them."""

    name: str
    value_type: str
    values: tuple[str, ...]
    spans: tuple[tuple[int, tuple[int, ...]], ...]
    """(page, token ids) of each candidate, so that one span is not read as two fields."""
    features: np.ndarray
    ocr_confidence: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    name: str
    chosen: int | None
    order: tuple[int, ...]
    """Candidate indices best first."""
    logits: np.ndarray
    conf_features: np.ndarray
    rule: float
    """1.0 the field takes part in a rule that holds, 0.0 in one that fails, 0.5 no rule applies."""


def _softmax_share(logits: np.ndarray, values: Sequence[str], chosen: int) -> float:
    """Probability mass of the chosen value (all candidates that carry it) under a softmax of the logits."""
    z = np.exp(logits - logits.max())
    same = np.array([v == values[chosen] for v in values])
    return float(z[same].sum() / z.sum())


def decide(
    model: FieldModel | None, inputs: Mapping[str, FieldInput], required: frozenset[str] = frozenset()
) -> dict[str, Decision]:
    """Each field's value among its candidates. A required field takes its best candidate however weak (its
    confidence says how weak); another field is reported missing below :data:`NOT_FOUND_LOGIT`, unless it is
    the tax that makes net and total add up."""
    logits: dict[str, np.ndarray] = {}
    for name, fi in inputs.items():
        scorer = model.scorer_for(name, fi.value_type) if model is not None else None
        logits[name] = (scorer or LABEL_PRIOR).logits(fi.features) if len(fi.values) else np.zeros(0)
    orders = {n: tuple(int(i) for i in np.argsort(-lg, kind="stable")) for n, lg in logits.items()}
    chosen: dict[str, int | None] = {n: (o[0] if o else None) for n, o in orders.items()}
    row_labelled: set[str] = set()  # fields whose choice the row-label rule made
    for name, fi in inputs.items():
        top = chosen[name]
        if fi.value_type in ROW_LABEL_TYPES and top is not None:
            chosen[name] = _row_labelled(fi.features, orders[name], top, fi.value_type)
            if chosen[name] != top:
                row_labelled.add(name)
    _distinct_spans(inputs, logits, orders, chosen, required, row_labelled)
    rules = _sum_rule(inputs, logits, orders, chosen)
    free = _spans_of_others(inputs, chosen)
    out = {}
    for name, fi in inputs.items():
        lg, idx = logits[name], chosen[name]
        if idx is None or (lg[idx] < NOT_FOUND_LOGIT and name not in required and rules.get(name) != 1.0):
            feats = np.array([float(lg.max()) if len(lg) else -10.0, 0.0, 0.0, 1.0, 0.5, math.log1p(len(lg)), 0.0])
            out[name] = Decision(name, None, orders[name], lg, feats, 0.5)
            continue
        # the choice is weighed against the candidates still in contention: not those another field of its
        # type took, nor, when the row-label rule chose, those without a label on their row
        keep = free.get(name, np.ones(len(lg), dtype=bool)).copy()
        if name in row_labelled:
            keep &= fi.features[:, _LAB_LEFT] > 0
        keep[idx] = True  # net and total may share a span after the sum rule: the choice is always in contention
        others = [lg[j] for j in range(len(lg)) if keep[j] and fi.values[j] != fi.values[idx]]
        margin = float(lg[idx] - max(others)) if others else 10.0
        rule = rules.get(name, 0.5)
        feats = np.array(
            [
                float(lg[idx]),
                _softmax_share(lg[keep], [v for v, k in zip(fi.values, keep, strict=True) if k], int(keep[:idx].sum())),
                min(margin, 10.0),
                fi.ocr_confidence[idx] if fi.ocr_confidence else 1.0,
                rule,
                math.log1p(len(lg)),
                1.0,
            ]
        )
        assert feats.shape == (len(CONF_FEATURES),)
        out[name] = Decision(name, idx, orders[name], lg, feats, rule)
    return out


ROW_LABEL_STRENGTH = 0.6
"""How specific a label must be (``lab_strength``) for the row-label rule to take the value printed right after it:
a plain "No." or "Date:" names too many things ("Print Date:" on a till receipt)."""
ROW_LABEL_STRENGTH_OVER_ANOTHER = {"date": 0.2}
"""The same where the top-ranked value is printed as another field's ("Delivery date:" on its row, or above it): a
date's own label may then be as plain as "Date:" or "Datum:". On 150 generated invoices, all scanned (``idp samples``
seed 11), the delivery date printed below "Date: 22 December 2024" was the invoice date in 3 of them, at 0.91, where
no due date was printed (the scorer ranks an invoice's earliest date first)."""
ROW_LABEL_TYPES = frozenset({"date", "identifier"})
_LAB_LEFT, _LAB_ADJ, _LAB_STRENGTH, _OTHER_LEFT, _LAB_IN_VALUE, _LAB_ABOVE, _OTHER_ABOVE, _LABELLED_OTHER = (
    FEATURES.index(f)
    for f in (
        "lab_left",
        "lab_left_adjacent",
        "lab_strength",
        "other_left_closer",
        "label_in_value",
        "lab_above",
        "other_above_closer",
        "value_labelled_other",
    )
)


def _row_labelled(X: np.ndarray, order: Sequence[int], best: int, value_type: str = "") -> int:
    """A date or number printed right after its own specific label on the same row wins over a top-ranked
    candidate that no label on its row names (a value column far right of its label column)."""
    if X[best, _LAB_LEFT] > 0:
        return best
    another = X[best, _OTHER_LEFT] > 0 or X[best, _OTHER_ABOVE] > 0 or X[best, _LABELLED_OTHER] > 0
    least = ROW_LABEL_STRENGTH_OVER_ANOTHER.get(value_type, ROW_LABEL_STRENGTH) if another else ROW_LABEL_STRENGTH
    for j in order:
        row = X[j]
        if (
            row[_LAB_LEFT] > 0
            and row[_LAB_ADJ] > 0
            and row[_LAB_STRENGTH] >= least
            and row[_OTHER_LEFT] == 0
            and row[_LAB_IN_VALUE] == 0
        ):
            return int(j)
    return best


def _distinct_spans(
    inputs: Mapping[str, FieldInput],
    logits: Mapping[str, np.ndarray],
    orders: Mapping[str, tuple[int, ...]],
    chosen: dict[str, int | None],
    required: frozenset[str] = frozenset(),
    row_labelled: Collection[str] = (),
) -> None:
    """Two fields of one value type may not take the same printed span. Fields take their spans in the order
    of their best score, highest first, and a field whose span is taken takes its next candidate: "Delivery
    date: 13/03", which both date fields rank first and the delivery date higher, goes to the delivery date
    though the invoice date is required. A required field left without any value goes first. A field that
    will be reported missing takes no span."""
    for name in inputs:
        idx = chosen[name]
        if idx is not None and name not in required and logits[name][idx] < NOT_FOUND_LOGIT:
            chosen[name] = None
    first = dict(chosen)
    orders = {
        n: tuple(
            j
            for j in o
            if (n in required or logits[n][j] >= NOT_FOUND_LOGIT)  # a field reported missing takes no span
            and (n not in row_labelled or inputs[n].features[j, _LAB_LEFT] > 0)
        )  # the row-label rule set the candidates without a row label aside
        for n, o in orders.items()
    }
    # a field's strength is its best logit (a choice the row-label rule made counts as the field's best)
    strength = {n: float(logits[n].max()) if len(logits[n]) else 0.0 for n in inputs}
    go_first: set[str] = set()
    for _ in range(4):
        chosen.update(first)
        ahead = frozenset(go_first)
        _share_out(inputs, orders, chosen, {n: (n not in ahead, -strength[n]) for n in inputs})
        left_out = {n for n in required if first.get(n) is not None and chosen[n] is None} - go_first
        if not left_out:
            return
        go_first |= left_out


def _share_out(
    inputs: Mapping[str, FieldInput],
    orders: Mapping[str, tuple[int, ...]],
    chosen: dict[str, int | None],
    rank: Mapping[str, tuple[bool, float]],
) -> None:
    for _ in range(4):
        taken: set[tuple[str, int, tuple[int, ...]]] = set()
        changed = False
        for name in sorted((n for n in inputs if chosen[n] is not None), key=rank.__getitem__):
            fi, idx = inputs[name], chosen[name]
            assert idx is not None
            key = (fi.value_type, *fi.spans[idx])
            if key in taken:
                nxt = [j for j in orders[name] if (fi.value_type, *fi.spans[j]) not in taken]
                chosen[name] = nxt[0] if nxt else None
                changed = True
                if nxt:
                    taken.add((fi.value_type, *fi.spans[nxt[0]]))
            else:
                taken.add(key)
        if not changed:
            return


def _spans_of_others(inputs: Mapping[str, FieldInput], chosen: Mapping[str, int | None]) -> dict[str, np.ndarray]:
    """For each field, which of its candidates no other field of its type has taken: the rest are out of
    contention, and its confidence weighs its choice against those left. (After the sum rule two amount
    fields may share a span, net = total; the caller keeps each field's own choice in contention.)"""
    taken: dict[tuple[str, tuple[int, tuple[int, ...]]], str] = {}
    for name, fi in inputs.items():
        idx = chosen.get(name)
        if idx is not None:
            taken[(fi.value_type, fi.spans[idx])] = name
    out = {}
    for name, fi in inputs.items():
        keep = np.array([taken.get((fi.value_type, sp), name) == name for sp in fi.spans], dtype=bool)
        if len(keep) and not keep.all():
            out[name] = keep
    return out


def _sum_rule(
    inputs: Mapping[str, FieldInput],
    logits: Mapping[str, np.ndarray],
    orders: Mapping[str, tuple[int, ...]],
    chosen: dict[str, int | None],
    top: int = 5,
    slack: float = 6.0,
) -> dict[str, float]:
    """Prefer the net, tax and total among the top candidates that add up, when they cost little score."""
    names = ("net_amount", "tax_amount", "total_amount")
    if not all(n in inputs and chosen[n] is not None for n in ("net_amount", "total_amount")):
        return {}

    def val(n: str, i: int) -> Decimal:
        return Decimal(inputs[n].values[i])

    best: tuple[float, int, int | None, int] | None = None
    current = sum(float(logits[n][chosen[n]]) for n in names if chosen.get(n) is not None)
    tax_opts: list[int | None] = list(orders["tax_amount"][:top]) if "tax_amount" in inputs else []
    tax_top = chosen.get("tax_amount")
    if tax_top is None or float(logits["tax_amount"][tax_top]) < NOT_FOUND_LOGIT:
        tax_opts.append(None)  # no tax printed: net = total
    for i in orders["net_amount"][:top]:
        for k in orders["total_amount"][:top]:
            if inputs["net_amount"].spans[i] == inputs["total_amount"].spans[k]:
                continue
            for j in tax_opts:
                tax = val("tax_amount", j) if j is not None else Decimal(0)
                net, total = val("net_amount", i), val("total_amount", k)
                if net + tax != total or total == 0 or (net < 0) != (total < 0):
                    continue  # (an invoice correction's amounts are all negative)
                score = float(logits["net_amount"][i] + logits["total_amount"][k])
                if j is not None:
                    score += float(logits["tax_amount"][j])
                elif "tax_amount" in inputs and chosen.get("tax_amount") is not None:
                    score += float(logits["tax_amount"][chosen["tax_amount"]])
                if best is None or score > best[0]:
                    best = (score, i, j, k)
    if best is None:
        return {n: 0.0 for n in names if n in inputs}
    if best[0] < current - slack:
        return {n: 0.0 for n in names if n in inputs}
    chosen["net_amount"], chosen["total_amount"] = best[1], best[3]
    if best[2] is not None:
        chosen["tax_amount"] = best[2]
    return {n: 1.0 for n in names if n in inputs}
