"""Train the default field model shipped in resources/models/field_model.json.

Training data: documents the project generates itself (idp_app.samples) and the MIT / Apache-2.0 corpora of
../shared/data (invoice2data, zugferd). SROIE and Kleister-NDA are never used here: they are for evaluation only.

Honest hold-out: documents are grouped by distinct invoice (the zugferd corpus renders one invoice through several
generators; an invoice2data PDF and its PNG rendering are one invoice). A quarter of the groups is held out for
testing and never touched; on the rest, grouped K-fold cross-fitting gives out-of-fold decisions on which the
confidence is calibrated; the final scorer is trained on all of the rest. The model records the SHA-256 of the
documents it was trained or calibrated on, so ``idp eval --held-out`` leaves them out.

    uv run --frozen --no-sync python scripts/train_default_model.py --generated 160 --workers 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.context import ExtractionContext  # noqa: E402
from extractors.document import Document, Page, Token, TokenSource  # noqa: E402
from extractors.evaluation import load_truth  # noqa: E402
from extractors.fields.calibration import expected_calibration_error  # noqa: E402
from extractors.fields.features import FEATURES, N_FEATURES  # noqa: E402
from extractors.fields.schema import load_schema  # noqa: E402
from extractors.fields.scorer import (  # noqa: E402
    ConfidenceModel,
    FieldCandidates,
    FieldModel,
    TrainingPair,
    build_dataset,
    same_value,
    train,
)
from extractors.geometry import BBox  # noqa: E402
from extractors.pipeline import DEFAULT_MODEL_PATH, decide_rows  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
TRAIN_CORPORA = ("zugferd", "invoice2data")


def _doc_json(doc: Document) -> dict[str, Any]:
    pages = []
    for p in doc.pages:
        tokens = [
            [t.text, *t.bbox_pt.to_list(3), t.confidence, str(t.source), t.font_size_pt, t.bold] for t in p.tokens
        ]
        pages.append({"index": p.index, "width": p.width_pt, "height": p.height_pt, "tokens": tokens})
    return {"path": doc.path, "mime": doc.mime_type, "pages": pages}


def _doc_from_json(data: dict[str, Any]) -> Document:
    pages = []
    for p in data["pages"]:
        tokens = tuple(
            Token(t[0], BBox(t[1], t[2], t[3], t[4]), p["index"], t[5], TokenSource(t[6]), t[7], bool(t[8]), i)
            for i, t in enumerate(p["tokens"])
        )
        pages.append(Page(p["index"], p["width"], p["height"], tokens))
    return Document(data["path"], tuple(pages), data["mime"])


def _read_cached(path: Path, cache_dir: Path, sha: str) -> Document | None:
    """The document as read once (OCR is slow), kept as JSON tokens in the work folder."""
    from extractors.readers import read_document

    cached = cache_dir / f"doc-{sha}.json"
    if cached.exists():
        return _doc_from_json(json.loads(cached.read_text()))
    try:
        doc = read_document(path, ExtractionContext(use_einvoice=False))
    except Exception as exc:
        print(f"skip {path}: {exc}", file=sys.stderr)
        return None
    cached.write_text(json.dumps(_doc_json(doc)))
    return doc


def _features(args: tuple[str, str]) -> dict[str, Any] | None:
    path, cache_dir = Path(args[0]), Path(args[1])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    version = hashlib.sha256(" ".join(FEATURES).encode()).hexdigest()[:8]
    cached = cache_dir / f"feat-{version}-{sha}.json"
    if cached.exists():
        return dict(json.loads(cached.read_text()))
    from extractors.pipeline import field_candidates

    doc = _read_cached(path, cache_dir, sha)
    if doc is None:
        return None
    _, rows = field_candidates(doc, load_schema("invoice"), ExtractionContext(use_einvoice=False))
    data = {
        "sha256": sha,
        "fields": {
            name: {
                "type": fc.value_type,
                "values": list(fc.values),
                "features": fc.features.tolist(),
                "ocr": list(fc.ocr_confidence),
                "spans": [[p, list(t)] for p, t in fc.spans],
            }
            for name, fc in rows.items()
        },
    }
    cached.write_text(json.dumps(data))
    return data


def _pair(doc_id: str, data: dict[str, Any], truth: dict[str, Any]) -> TrainingPair:
    cands = {
        name: FieldCandidates(
            name,
            f["type"],
            tuple(f["values"]),
            np.asarray(f["features"], dtype=float).reshape(len(f["values"]), N_FEATURES),
            tuple(f["ocr"]),
            tuple((int(p), tuple(t)) for p, t in f["spans"]),
        )
        for name, f in data["fields"].items()
    }
    clean = {k: (str(v) if v not in (None, "") else None) for k, v in truth.items() if k != "line_items"}
    return TrainingPair(doc_id, cands, clean)


def _group(corpus: str, record: Any) -> str:
    f = record.fields
    if corpus == "zugferd":
        return f"z:{f.get('invoice_number')}:{f.get('total_amount')}"
    if corpus == "invoice2data":
        return f"i:{Path(record.file).stem}"
    return f"{corpus}:{record.id}"


def _bucket(group: str, k: int) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % k


def decisions_for(model: FieldModel, pairs: list[TrainingPair]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Confidence features and correctness of each decided field with a truth."""
    feats, ok, names = [], [], []
    for pair in pairs:
        decisions = decide_rows(model, pair.candidates)
        for name, d in decisions.items():
            truth = pair.truth.get(name)
            if truth is None:
                continue
            fc = pair.candidates[name]
            predicted = fc.values[d.chosen] if d.chosen is not None else None
            feats.append(d.conf_features)
            ok.append(predicted is not None and same_value(fc.value_type, predicted, truth))
            names.append(name)
    return np.vstack(feats), np.asarray(ok, dtype=int), names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generated", type=int, default=160, help="generated invoices to train on")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--work", type=Path, default=Path("/tmp/idp-train"), help="generated documents and feature cache")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()

    cache = args.work / "features"
    cache.mkdir(parents=True, exist_ok=True)
    sources: list[tuple[str, Path]] = []
    if args.generated:
        gen = args.work / f"generated-{args.seed}-{args.generated}"
        if not (gen / "truth.jsonl").exists():
            from idp_app.samples.corpus import generate_corpus

            generate_corpus(gen, args.generated, 0, 0.15, args.seed, overwrite=True)
        sources.append(("generated", gen))
    for corpus in TRAIN_CORPORA:
        if (SHARED / corpus / "truth.jsonl").exists():
            sources.append((corpus, SHARED / corpus))

    items = []
    for corpus, folder in sources:
        for record in load_truth(folder):
            if record.doc_type in ("invoice", "receipt"):
                items.append((corpus, record))
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        datas = list(pool.map(_features, [(str(r.file), str(cache)) for _, r in items], chunksize=2))

    pairs: dict[str, list[tuple[str, TrainingPair, str]]] = {"train": [], "test": []}
    for (corpus, record), data in zip(items, datas, strict=True):
        if data is None:
            continue
        group = _group(corpus, record)
        split = "test" if _bucket(group, 4) == 0 else "train"
        pairs[split].append((group, _pair(f"{corpus}/{record.id}", data, record.fields), data["sha256"]))
    train_pairs = [p for _, p, _ in pairs["train"]]
    test_pairs = [p for _, p, _ in pairs["test"]]
    print(f"documents: train+calibration {len(train_pairs)}, held-out test {len(test_pairs)}")

    # out-of-fold decisions for calibration
    oof_feats, oof_ok = [], []
    for fold in range(args.folds):
        fit = [p for g, p, _ in pairs["train"] if _bucket(g + "/fold", args.folds) != fold]
        held = [p for g, p, _ in pairs["train"] if _bucket(g + "/fold", args.folds) == fold]
        if not held:
            continue
        fold_model = train(build_dataset(fit))
        f, ok, _ = decisions_for(fold_model, held)
        oof_feats.append(f)
        oof_ok.append(ok)
    conf_x, conf_y = np.vstack(oof_feats), np.concatenate(oof_ok)
    model = train(build_dataset(train_pairs), version="")
    model.confidence = ConfidenceModel.fit(conf_x, conf_y)

    metrics: dict[str, Any] = {"train_documents": len(train_pairs), "test_documents": len(test_pairs)}
    oof_conf = model.confidence(conf_x)
    metrics["calibration_oof"] = {
        "fields": len(conf_y),
        "accuracy": round(float(conf_y.mean()), 4),
        "ece": round(expected_calibration_error(oof_conf, conf_y), 4),
    }
    if test_pairs:
        tf, tok, tnames = decisions_for(model, test_pairs)
        tconf = model.confidence(tf)
        per_field = {}
        for name in sorted(set(tnames)):
            mask = np.array([n == name for n in tnames])
            per_field[name] = round(float(tok[mask].mean()), 4)
        metrics["held_out_test"] = {
            "fields": len(tok),
            "accuracy": round(float(tok.mean()), 4),
            "ece": round(expected_calibration_error(tconf, tok), 4),
            "per_field": per_field,
        }
    payload_digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()[:12]
    model.version = f"fields-{payload_digest}"
    model.metrics = metrics
    model.training_documents = tuple(sorted(sha for _, _, sha in pairs["train"]))
    model.save(args.out)
    print(json.dumps(metrics, indent=1))
    print(f"written {args.out} ({model.version})")


if __name__ == "__main__":
    main()
