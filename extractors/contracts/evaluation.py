"""Scoring extraction against truth the way Kleister-NDA does: F1 over upper-cased values, several per field.

Everything here is pure: predictions and truth in, figures out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Values = str | Sequence[str] | None
"""One field of one document: a value, several values (parties), or None for none."""

KLEISTER_FIELDS = ("parties", "effective_date", "governing_law", "term")


_LEGAL_FORMS = {
    "INCORPORATED": "INC.", "INC": "INC.", "LIMITED": "LTD.", "LTD": "LTD.", "CORP": "CORP.", "L.L.C.": "LLC",
    "L.P.": "LP", "L.L.P.": "LLP", "P.L.C.": "PLC", "&": "AND", "CO": "CO.",
}  # fmt: skip


def name_key(name: str) -> str:
    """A party name reduced to what two spellings of it share: upper case, no commas, straight quotes,
    "&" read as "and", legal forms spelled one way ("Limited" = "Ltd.", "L.L.C." = "LLC")."""
    s = name.upper().replace("’", "'").replace("‘", "'").replace(",", " ")
    s = s.replace("&", " & ")
    return " ".join(_LEGAL_FORMS.get(w, w) for w in s.split())


def _norm(values: Values, names: bool = False) -> Counter[str]:
    if values is None:
        return Counter()
    items = [values] if isinstance(values, str) else list(values)
    key = name_key if names else (lambda v: " ".join(v.upper().split()))
    return Counter(key(v) for v in items if v and v.strip())


@dataclass(frozen=True, slots=True)
class FieldScore:
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    fields: dict[str, FieldScore]
    overall: FieldScore
    documents: int

    def table(self) -> str:
        """A plain-text table: one row per field and the overall micro average."""
        rows = [f"{'field':<16} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'pred':>5} {'gold':>5}"]
        for name, s in [*self.fields.items(), ("overall", self.overall)]:
            rows.append(
                f"{name:<16} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.true_positives:5d} "
                f"{s.predicted:5d} {s.expected:5d}"
            )
        return "\n".join(rows)


def evaluate(
    predictions: Mapping[str, Mapping[str, Values]],
    truth: Mapping[str, Mapping[str, Values]],
    fields: Iterable[str] = KLEISTER_FIELDS,
    *,
    equivalent_names: bool = True,
) -> EvaluationReport:
    """Micro precision, recall and F1 per field and overall, over the documents in ``truth``.

    Values are compared upper-cased with runs of whitespace collapsed; a value matches at most once
    (a party printed twice must be predicted twice). A document missing from ``predictions`` predicts nothing.
    With ``equivalent_names`` party names are compared by :func:`name_key` (Kleister's truth writes
    "Nike Inc." for "NIKE, INC." and "and" for "&"); without it, strictly as strings.
    """
    names = tuple(fields)
    counts = {name: [0, 0, 0] for name in names}
    for doc_id, gold_fields in truth.items():
        pred_fields = predictions.get(doc_id, {})
        for name in names:
            by_key = equivalent_names and name == "parties"
            gold = _norm(gold_fields.get(name), by_key)
            pred = _norm(pred_fields.get(name), by_key)
            c = counts[name]
            c[0] += sum((gold & pred).values())
            c[1] += sum(pred.values())
            c[2] += sum(gold.values())
    scores = {name: FieldScore(*c) for name, c in counts.items()}
    overall = FieldScore(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return EvaluationReport(scores, overall, len(truth))


def is_right(predicted: Values, expected: Values, *, names: bool = False) -> bool:
    """Whether a predicted field equals the truth as a whole (for lists: the same names, none extra);
    ``names`` compares by :func:`name_key`."""
    return _norm(predicted, names) == _norm(expected, names)


def expected_calibration_error(pairs: Iterable[tuple[float, bool]], bins: int = 10) -> float:
    """ECE: the size-weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    items = list(pairs)
    if not items:
        return 0.0
    sums: dict[int, list[float]] = {}
    for conf, ok in items:
        b = min(int(conf * bins), bins - 1)
        s = sums.setdefault(b, [0.0, 0.0, 0.0])
        s[0] += conf
        s[1] += float(ok)
        s[2] += 1
    return sum(abs(s[0] - s[1]) / len(items) for s in sums.values())


def reliability_table(pairs: Iterable[tuple[float, bool]], bins: int = 5) -> str:
    """Confidence bins with their count, mean confidence and share right, as text."""
    items = list(pairs)
    rows = [f"{'bin':<11} {'n':>5} {'conf':>6} {'right':>6}"]
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, ok) for c, ok in items if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if sel:
            conf = sum(c for c, _ in sel) / len(sel)
            right = sum(ok for _, ok in sel) / len(sel)
            rows.append(f"{lo:.1f}-{hi:.1f}    {len(sel):5d} {conf:6.3f} {right:6.3f}")
    return "\n".join(rows)
