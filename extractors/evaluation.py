"""Evaluation against a benchmark folder (``docs/`` and ``truth.jsonl``): per-field accuracy, line items, document
accuracy, expected calibration error, the risk-coverage table and throughput. The scoring functions are pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from extractors.fields.calibration import expected_calibration_error
from extractors.fields.normalise import name_tokens
from extractors.fields.schema import ValueType, load_schema
from extractors.fields.scorer import same_value

THRESHOLDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


@dataclass(frozen=True, slots=True)
class TruthRecord:
    id: str
    file: Path
    doc_type: str
    fields: dict[str, Any]
    loose_names: bool = False
    """The truth's names are a template's constant rather than the printed text: compare by containment."""
    line_items: tuple[dict[str, Any], ...] = ()
    incomplete: bool = False
    """The record's original values (``fields_raw``) are more than its fields: some value printed on the document
    is missing from the truth (one its conversion could not read), so a field without truth may still be printed."""


@dataclass(frozen=True, slots=True)
class FieldOutcome:
    doc_id: str
    name: str
    truth: Any
    predicted: Any
    confidence: float
    correct: bool
    score: float
    """1.0 / 0.0 for single values; F1 for lists of values (contract parties)."""


def load_truth(dataset_dir: Path) -> list[TruthRecord]:
    """The records of ``truth.jsonl``; a line that is not a JSON object is refused with its number."""
    records = []
    path = Path(dataset_dir) / "truth.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            records.append(
                TruthRecord(
                    str(raw["id"]),
                    Path(dataset_dir) / raw["file"],
                    str(raw.get("type", "invoice")),
                    dict(raw.get("fields", {})),
                    "compare loosely" in str(raw.get("source", "")),
                    tuple(item for item in raw.get("line_items") or () if isinstance(item, dict)),
                    _incomplete(raw),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{n}: not a truth record ({type(exc).__name__}: {exc})") from exc
    return records


def _incomplete(raw: dict[str, Any]) -> bool:
    fields = [k for k, v in dict(raw.get("fields", {})).items() if k != "line_items" and v not in (None, "", [])]
    printed = [k for k, v in dict(raw.get("fields_raw") or {}).items() if str(v or "").strip()]
    return len(printed) > len(fields)


def value_type_of(name: str, doc_type: str) -> str:
    schema = load_schema("contract" if doc_type == "contract" else "invoice")
    try:
        return str(schema.field(name).value_type)
    except KeyError:
        return str(ValueType.TEXT)


def names_match(predicted: str, truth: str, loose: bool = False) -> bool:
    """Names compare by normalised tokens; ``loose`` also accepts one containing the other."""
    p, t = name_tokens(predicted), name_tokens(truth)
    if not p or not t:
        return False
    if p == t:
        return True
    if loose:
        ps, ts = set(p), set(t)
        return ts <= ps or ps <= ts
    return False


def parties_f1(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """F1 of two lists of party names, each compared by normalised tokens."""
    pred = {" ".join(name_tokens(p)) for p in predicted if name_tokens(p)}
    true = {" ".join(name_tokens(t)) for t in truth if name_tokens(t)}
    if not pred and not true:
        return 1.0
    if not pred or not true:
        return 0.0
    hit = len(pred & true)
    if hit == 0:
        return 0.0
    precision, recall = hit / len(pred), hit / len(true)
    return 2 * precision * recall / (precision + recall)


def score_document(record: TruthRecord, result: Mapping[str, Any]) -> list[FieldOutcome]:
    """One outcome per field the truth names (line items aside), from an ``ExtractionResult.to_json()``."""
    outcomes = []
    fields = result.get("fields", {})
    for name, truth in record.fields.items():
        if name == "line_items" or truth in (None, "", []):
            continue
        got = fields.get(name) or {}
        predicted = got.get("value")
        confidence = float(got.get("confidence", 0.0)) if predicted not in (None, "", []) else 0.0
        vtype = value_type_of(name, record.doc_type)
        if isinstance(truth, list):
            pred_list = predicted if isinstance(predicted, list) else ([predicted] if predicted else [])
            f1 = parties_f1([str(p) for p in pred_list], [str(t) for t in truth])
            outcomes.append(FieldOutcome(record.id, name, truth, predicted, confidence, f1 == 1.0, f1))
            continue
        if predicted is None:
            ok = False
        elif vtype in (ValueType.NAME, ValueType.ADDRESS, ValueType.TEXT, ValueType.PERIOD):
            ok = names_match(str(predicted), str(truth), record.loose_names and vtype == ValueType.NAME)
        else:
            ok = same_value(vtype, str(predicted), str(truth))
        outcomes.append(FieldOutcome(record.id, name, truth, predicted, confidence, ok, float(ok)))
    return outcomes


ITEM_COLUMNS = ("description", "quantity", "unit_price", "amount")


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """The line items of one document against its truth."""

    doc_id: str
    truth: int
    predicted: int
    right: int
    """Predicted items that agree with a truth item in every column the truth gives."""
    columns: dict[str, tuple[int, int]]
    """Per column: (right, compared) over the items paired with a truth item."""


def _cell_same(column: str, predicted: Any, truth: Any) -> bool:
    if predicted in (None, ""):
        return False
    if column == "description":
        return bool(name_tokens(str(truth))) and name_tokens(str(predicted)) == name_tokens(str(truth))
    try:
        return Decimal(str(predicted)) == Decimal(str(truth))
    except ArithmeticError:
        return False


def score_line_items(
    doc_id: str, truth: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> ItemOutcome:
    """Pair each truth item, in order, with the unpaired predicted item that agrees with it in the most columns
    (description by normalised tokens, numbers as decimals); a truth item no predicted item agrees with at all
    is missed. An item is right when it agrees in every column its truth gives."""
    unpaired = list(range(len(predicted)))
    right = 0
    columns = {c: [0, 0] for c in ITEM_COLUMNS}
    for item in truth:
        given = [c for c in ITEM_COLUMNS if item.get(c) not in (None, "")]
        if not given or not unpaired:
            continue

        def agreement(j: int, item: Mapping[str, Any] = item, given: list[str] = given) -> int:
            return sum(_cell_same(c, predicted[j].get(c), item[c]) for c in given)

        best = max(unpaired, key=lambda j: (agreement(j), -j))
        agree = agreement(best)
        if agree == 0:
            continue
        unpaired.remove(best)
        right += agree == len(given)
        for c in given:
            columns[c][1] += 1
            columns[c][0] += _cell_same(c, predicted[best].get(c), item[c])
    return ItemOutcome(doc_id, len(truth), len(predicted), right, {c: (v[0], v[1]) for c, v in columns.items() if v[1]})


def summarise_items(items: Sequence[ItemOutcome]) -> dict[str, Any]:
    """Item precision, recall and F1 over the documents whose truth has line items, and per-column accuracy."""
    scored = [o for o in items if o.truth]
    truth = sum(o.truth for o in scored)
    predicted = sum(o.predicted for o in scored)
    right = sum(o.right for o in scored)
    precision = right / predicted if predicted else 0.0
    recall = right / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    columns: dict[str, dict[str, float]] = {}
    for c in ITEM_COLUMNS:
        ok = sum(o.columns[c][0] for o in scored if c in o.columns)
        n = sum(o.columns[c][1] for o in scored if c in o.columns)
        if n:
            columns[c] = {"accuracy": round(ok / n, 4), "n": n}
    return {
        "documents": len(scored),
        "truth": truth,
        "predicted": predicted,
        "right": right,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "columns": columns,
    }


@dataclass(slots=True)
class EvalReport:
    documents: int = 0
    failed: list[str] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    per_field: dict[str, dict[str, float]] = field(default_factory=dict)
    document_accuracy: float = 0.0
    ece: float = 0.0
    risk_coverage: list[dict[str, float]] = field(default_factory=list)
    threshold_1pct: float | None = None
    coverage_1pct: float = 0.0
    fields_total: int = 0
    line_items: dict[str, Any] = field(default_factory=dict)
    """Item precision, recall, F1 and column accuracy (see :func:`summarise_items`); empty without item truth."""

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "failed": self.failed,
            "pages": self.pages,
            "seconds": round(self.seconds, 2),
            "pages_per_second": round(self.pages_per_second, 3),
            "per_field": self.per_field,
            "document_accuracy": round(self.document_accuracy, 4),
            "fields": self.fields_total,
            "ece": round(self.ece, 4),
            "risk_coverage": self.risk_coverage,
            "threshold_for_1pct_error": self.threshold_1pct,
            "coverage_at_1pct_error": round(self.coverage_1pct, 4),
            "line_items": self.line_items,
        }


def risk_coverage(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Iterable[float] = THRESHOLDS
) -> list[dict[str, float]]:
    """For each threshold: the share of fields at or above it and the error rate among them."""
    rows = []
    n = max(len(confidence), 1)
    for t in thresholds:
        mask = confidence >= t
        k = int(mask.sum())
        rows.append(
            {
                "threshold": t,
                "coverage": round(k / n, 4),
                "error_rate": round(float(1.0 - correct[mask].mean()) if k else 0.0, 4),
                "fields": k,
            }
        )
    return rows


def coverage_at_risk(
    confidence: np.ndarray, correct: np.ndarray, max_error: float = 0.01
) -> tuple[float | None, float]:
    """The lowest confidence threshold whose accepted fields are at most ``max_error`` wrong, and their share."""
    if len(confidence) == 0:
        return None, 0.0
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    errors = np.cumsum(1.0 - ok)
    counts = np.arange(1, len(conf) + 1)
    best: tuple[float | None, float] = (None, 0.0)
    for i in range(len(conf)):
        if i + 1 < len(conf) and conf[i + 1] == conf[i]:
            continue  # a threshold accepts every field of equal confidence
        if errors[i] / counts[i] <= max_error:
            best = (float(conf[i]), counts[i] / len(conf))
    return best


def summarise(
    outcomes: Sequence[FieldOutcome],
    *,
    documents: int,
    pages: int,
    seconds: float,
    failed: Sequence[str] = (),
    items: Sequence[ItemOutcome] = (),
) -> EvalReport:
    report = EvalReport(documents=documents, failed=list(failed), pages=pages, seconds=seconds)
    if any(o.truth for o in items):
        report.line_items = summarise_items(items)
    names = sorted({o.name for o in outcomes})
    for name in names:
        rows = [o for o in outcomes if o.name == name]
        report.per_field[name] = {
            "accuracy": round(sum(o.score for o in rows) / len(rows), 4),
            "n": len(rows),
            "mean_confidence": round(sum(o.confidence for o in rows) / len(rows), 4),
        }
    by_doc: dict[str, list[FieldOutcome]] = {}
    for o in outcomes:
        by_doc.setdefault(o.doc_id, []).append(o)
    n_docs = max(documents, len(by_doc))  # a failed document is among ``documents``, its fields among the rows
    report.document_accuracy = sum(all(o.correct for o in rows) for rows in by_doc.values()) / n_docs if n_docs else 0.0
    conf = np.array([o.confidence for o in outcomes], dtype=float)
    ok = np.array([o.correct for o in outcomes], dtype=bool)
    report.fields_total = len(outcomes)
    report.ece = expected_calibration_error(conf, ok)
    report.risk_coverage = risk_coverage(conf, ok)
    report.threshold_1pct, report.coverage_1pct = coverage_at_risk(conf, ok)
    return report


def _extract_one(path: Path, ctx: Any) -> tuple[dict[str, Any] | None, str | None]:
    from extractors.errors import ExtractionError
    from extractors.pipeline import extract

    try:
        return extract(path, ctx).to_json(), None
    except ExtractionError as exc:
        return None, f"{exc.kind}: {exc}"
    except Exception as exc:  # one broken document must not end the benchmark
        return None, f"internal error: {path}: {type(exc).__name__}: {exc}"


def run_dataset(
    dataset_dir: Path,
    ctx: Any,
    *,
    limit: int | None = None,
    workers: int = 1,
    skip_sha256: frozenset[str] = frozenset(),
    progress: Any = None,
) -> tuple[EvalReport, list[FieldOutcome]]:
    """Extract every document of a benchmark folder and score it. ``skip_sha256``: documents left out
    (those a model was trained or calibrated on)."""
    import time
    from concurrent.futures import ProcessPoolExecutor

    from extractors.readers import file_sha256

    records = load_truth(dataset_dir)
    if skip_sha256:
        records = [r for r in records if file_sha256(r.file) not in skip_sha256]
    if limit is not None:
        records = records[:limit]
    t0 = time.perf_counter()
    outcomes: list[FieldOutcome] = []
    items: list[ItemOutcome] = []
    failed: list[str] = []
    pages = 0
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_extract_one, [r.file for r in records], [ctx] * len(records))
            pairs = zip(records, results, strict=True)
            for record, (result, error) in pairs:
                pages += _tally(record, result, error, outcomes, failed, items)
                if progress:
                    progress(record)
    else:
        for record in records:
            result, error = _extract_one(record.file, ctx)
            pages += _tally(record, result, error, outcomes, failed, items)
            if progress:
                progress(record)
    report = summarise(
        outcomes, documents=len(records), pages=pages, seconds=time.perf_counter() - t0, failed=failed, items=items
    )
    return report, outcomes


def _tally(
    record: TruthRecord,
    result: dict[str, Any] | None,
    error: str | None,
    outcomes: list[FieldOutcome],
    failed: list[str],
    items: list[ItemOutcome],
) -> int:
    if result is None:
        failed.append(error or record.id)
        for name, truth in record.fields.items():
            if name != "line_items" and truth not in (None, "", []):
                outcomes.append(FieldOutcome(record.id, name, truth, None, 0.0, False, 0.0))
        items.append(score_line_items(record.id, record.line_items, ()))
        return 0
    outcomes.extend(score_document(record, result))
    items.append(score_line_items(record.id, record.line_items, result.get("line_items") or ()))
    return int(result.get("pages", 0))
