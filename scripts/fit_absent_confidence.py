"""Fit the confidence of fields the shipped model reports missing, on generated invoices it was not trained on.

A field reported missing carries the probability that the document truly prints none. This script generates
invoices (text layer and scans) with a seed of its own, extracts them with the model in ``resources/models`` and,
over the fields extraction leaves missing, fits that probability from the score of the field's best candidate
(the generated truth names every field a document prints, so a field it leaves out is truly absent). The model
file is rewritten with the calibration and its figures (``metrics["absent_calibration"]``); the scorer, the
confidence of found values and the version are unchanged. Run it after ``train_default_model.py``. ``--check``
measures the shipped model on other samples (``idp samples DIR --seed 3`` gives ones it was not fitted on).

    uv run --frozen --no-sync python scripts/fit_absent_confidence.py
    uv run --frozen --no-sync python scripts/fit_absent_confidence.py --check /tmp/samples-seed3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.context import ExtractionContext  # noqa: E402
from extractors.evaluation import load_truth  # noqa: E402
from extractors.fields.calibration import expected_calibration_error  # noqa: E402
from extractors.fields.scorer import CONF_FEATURES, AbsentModel, FieldModel  # noqa: E402
from extractors.pipeline import DEFAULT_MODEL_PATH, decide_rows, extract_document, field_candidates  # noqa: E402

CTX = ExtractionContext(use_einvoice=False)


def missing_fields(args: tuple[str, str, dict[str, Any]]) -> list[tuple[str, list[float], bool]]:
    """(field, its decision's confidence features, truly absent) for each field extraction leaves missing."""
    from extractors.fields.schema import load_schema
    from extractors.readers import read_document

    path, model_path, truth = Path(args[0]), Path(args[1]), args[2]
    model = FieldModel.load(model_path)
    model.absent = None
    doc = read_document(path, CTX)
    result = extract_document(doc, CTX, model=model)
    schema = load_schema(str(result.doc_type) if str(result.doc_type) == "receipt" else "invoice")
    _, rows = field_candidates(doc, schema, CTX)
    decisions = decide_rows(model, rows, frozenset(s.name for s in schema.fields if s.required))
    out = []
    if str(result.doc_type) != "invoice":
        return out
    for name, fv in result.fields.items():  # missing as the decision left it (not as a later rule set it)
        if fv.value is None and name in decisions and decisions[name].chosen is None:
            out.append((name, decisions[name].conf_features.tolist(), truth.get(name) in (None, "", [])))
    return out


def missing_as_extracted(args: tuple[str, dict[str, Any]]) -> list[tuple[str, float, bool]]:
    """(field, its confidence, truly absent) for each field the shipped model's extraction leaves missing."""
    from extractors.pipeline import extract

    path, truth = Path(args[0]), args[1]
    result = extract(path, CTX)
    return [(n, fv.confidence, truth.get(n) in (None, "", [])) for n, fv in result.fields.items() if fv.value is None]


def check(folder: Path, workers: int) -> None:
    """Print how the missing fields' confidence compares with how often they are truly absent on ``folder``."""
    records = [r for r in load_truth(folder) if r.doc_type == "invoice"]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [(str(r.file), dict(r.fields)) for r in records]
        rows = [row for found in pool.map(missing_as_extracted, jobs, chunksize=2) for row in found]
    conf = np.array([c for _, c, _ in rows])
    truly = np.array([a for _, _, a in rows], dtype=int)
    for name in sorted({n for n, _, _ in rows}):
        mask = np.array([n == name for n, _, _ in rows])
        share, mean = truly[mask].mean(), conf[mask].mean()
        print(f"{name:16} missing {mask.sum():4}  truly absent {share:.3f}  confidence {mean:.3f}")
    ece = expected_calibration_error(conf, truly)
    print(f"{len(rows)} fields left missing on {len(records)} documents of {folder}; ECE of their confidence {ece:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=240)
    ap.add_argument("--scanned-share", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=20251107)
    ap.add_argument("--work", type=Path, default=Path("/tmp/idp-absent"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--check", type=Path, help="only measure the shipped model on this folder of samples and truth")
    args = ap.parse_args()
    if args.check is not None:
        check(args.check, args.workers)
        return

    folder = args.work / f"generated-{args.seed}-{args.invoices}"
    if not (folder / "truth.jsonl").exists():
        from idp_app.samples.corpus import generate_corpus

        generate_corpus(folder, args.invoices, 0, args.scanned_share, args.seed, overwrite=True)
    records = [r for r in load_truth(folder) if r.doc_type in ("invoice", "receipt")]
    model_sha = hashlib.sha256(args.model.read_bytes()).hexdigest()[:12]
    kept = folder / f"missing-{model_sha}.json"  # the decisions of this model on these documents
    if kept.exists():
        found_at = len(CONF_FEATURES) - 1  # the "found" feature: 0 where the decision chose nothing
        rows = [(n, f, bool(a)) for n, f, a in json.loads(kept.read_text()) if f[found_at] == 0.0]
    else:
        jobs = [(str(r.file), str(args.model), dict(r.fields)) for r in records]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            rows = [row for found in pool.map(missing_fields, jobs, chunksize=2) for row in found]

    names = [n for n, _, _ in rows]
    feats = np.array([f for _, f, _ in rows], dtype=float)
    logits = feats[:, 0]
    absent = np.array([a for _, _, a in rows], dtype=int)
    model = FieldModel.load(args.model)
    before = _old_confidence(model, feats)
    model.absent = AbsentModel.fit(names, logits, absent)
    model.metrics = {**model.metrics, "absent_calibration": _figures(model, names, feats, absent, before)}
    model.metrics["absent_calibration"].update(documents=len(records), seed=args.seed)
    model.save(args.model)
    kept.with_name(f"missing-{hashlib.sha256(args.model.read_bytes()).hexdigest()[:12]}.json").write_text(
        json.dumps(rows)
    )
    for name, f in model.metrics["absent_calibration"]["per_field"].items():
        truly, conf = f["truly_absent"], f["mean_confidence"]
        print(f"{name:16} missing {f['missing']:4}  truly absent {truly:.3f}  confidence {conf:.3f}")
    figures = model.metrics["absent_calibration"]
    print(
        f"{len(rows)} fields left missing on {len(records)} documents; ECE of their confidence "
        f"{figures['ece_before']:.3f} before, {figures['ece_fitted']:.3f} fitted (in-sample); written {args.model}"
    )


def _figures(
    model: FieldModel, names: list[str], feats: np.ndarray, absent: np.ndarray, before: np.ndarray
) -> dict[str, Any]:
    assert model.absent is not None
    logits = feats[:, 0]
    after = np.array([model.absent(n, x) for n, x in zip(names, logits, strict=True)])
    per_field = {}
    for name in sorted(set(names)):
        mask = np.array([n == name for n in names])
        per_field[name] = {
            "missing": int(mask.sum()),
            "truly_absent": round(float(absent[mask].mean()), 4),
            "mean_confidence": round(float(after[mask].mean()), 4),
        }
    return {
        "missing_fields": len(names),
        "truly_absent": round(float(absent.mean()), 4),
        "ece_before": round(expected_calibration_error(before, absent), 4),
        "ece_fitted": round(expected_calibration_error(after, absent), 4),
        "per_field": per_field,
    }


def _old_confidence(model: FieldModel, feats: np.ndarray) -> np.ndarray:
    """What a missing field's confidence was before this calibration (the figure it is compared with): one minus
    the found-value calibrator's output for the decision that found nothing, 0 where there was no candidate."""
    some = feats[:, CONF_FEATURES.index("n_candidates")] > 0
    return np.where(some, np.clip(1.0 - model.confidence(feats), 0.0, 1.0), 0.0)


if __name__ == "__main__":
    main()
