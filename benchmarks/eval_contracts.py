"""Evaluate contract extraction on Kleister-NDA: per-field precision / recall / F1, ECE, time per document.

    uv run --frozen --no-sync python benchmarks/eval_contracts.py [--half dev|heldout|all] [--limit N]

The "dev" half (ids starting 0-7) is the one whose documents were read while writing the rules;
"heldout" (ids starting 8-f) was not looked at. Kleister-NDA is never used to fit the shipped weights.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.context import ExtractionContext  # noqa: E402
from extractors.contracts import extract_contract_fields  # noqa: E402
from extractors.contracts.evaluation import (  # noqa: E402
    KLEISTER_FIELDS,
    EvaluationReport,
    evaluate,
    expected_calibration_error,
    is_right,
    reliability_table,
)
from extractors.contracts.scoring import DEFAULT_MODEL_PATH, load_scorer, save_scorer  # noqa: E402
from extractors.document import Document, Line, Page, Token  # noqa: E402
from extractors.geometry import BBox  # noqa: E402


def read_with_pdfplumber(path: Path) -> Document:
    """A plain text-layer reader for when extractors.readers is not available."""
    import pdfplumber

    pages = []
    with pdfplumber.open(path) as pdf:
        for n, p in enumerate(pdf.pages):
            words = p.extract_words(use_text_flow=True)
            tokens: list[Token] = []
            lines: list[Line] = []
            current: list[int] = []
            for w in words:
                box = BBox(float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"]))
                if current and abs(tokens[current[-1]].bbox_pt.y0 - box.y0) > 2.0:
                    lines.append(Line(tuple(current), BBox.union_of(tokens[i].bbox_pt for i in current)))
                    current = []
                current.append(len(tokens))
                tokens.append(Token(w["text"], box, n, index=len(tokens)))
            if current:
                lines.append(Line(tuple(current), BBox.union_of(tokens[i].bbox_pt for i in current)))
            pages.append(Page(n, float(p.width), float(p.height), tuple(tokens), tuple(lines)))
    return Document(str(path), tuple(pages), "application/pdf")


def doc_to_json(doc: Document) -> dict[str, object]:
    return {
        "path": doc.path,
        "pages": [
            {
                "index": p.index,
                "size": [p.width_pt, p.height_pt],
                "tokens": [[t.text, *t.bbox_pt.to_list(3)] for t in p.tokens],
                "lines": [list(line.token_ids) for line in p.lines],
            }
            for p in doc.pages
        ],
    }


def doc_from_json(data: dict[str, Any]) -> Document:
    pages = []
    for p in data["pages"]:
        tokens = tuple(
            Token(text, BBox(x0, y0, x1, y1), p["index"], index=i)
            for i, (text, x0, y0, x1, y1) in enumerate(p["tokens"])
        )
        lines = tuple(Line(tuple(ids), BBox.union_of(tokens[i].bbox_pt for i in ids)) for ids in p["lines"] if ids)
        pages.append(Page(p["index"], p["size"][0], p["size"][1], tokens, lines))
    return Document(data["path"], tuple(pages), "application/pdf")


def cached(read: Callable[[Path], Document], cache: Path | None) -> Callable[[Path], Document]:
    """``read`` with the read tokens kept as JSON in ``cache`` (a scratch folder outside the repository)."""
    if cache is None:
        return read

    def wrapper(path: Path) -> Document:
        assert cache is not None
        target = cache / (path.name + ".json")
        if target.is_file():
            return doc_from_json(json.loads(target.read_text(encoding="utf-8")))
        doc = read(path)
        cache.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(doc_to_json(doc)), encoding="utf-8")
        return doc

    return wrapper


def reader(ctx: ExtractionContext, choice: str):  # type: ignore[no-untyped-def]
    if choice != "pdfplumber":
        try:
            from extractors.readers import read_document

            return lambda path: read_document(path, ctx)
        except ImportError:
            if choice == "readers":
                raise
    return read_with_pdfplumber


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "kleister-nda")
    ap.add_argument("--half", choices=("dev", "heldout", "all"), default="all")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--reader", choices=("auto", "readers", "pdfplumber"), default="auto")
    ap.add_argument("--json", type=Path, help="write predictions with confidences here")
    ap.add_argument("--cache", type=Path, help="keep read tokens here (outside the repository) for faster re-runs")
    ap.add_argument(
        "--record-metrics", action="store_true", help="store the figures in the shipped scorer file's metrics"
    )
    args = ap.parse_args()
    truth_file = args.data / "truth.jsonl"
    if not truth_file.is_file():
        print(f"no truth.jsonl in {args.data}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in truth_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.half != "all":
        rows = [r for r in rows if (r["id"][0] in "01234567") == (args.half == "dev")]
    if args.limit:
        rows = rows[: args.limit]
    ctx = ExtractionContext(use_einvoice=False)
    read = cached(reader(ctx, args.reader), args.cache)
    predictions: dict[str, dict[str, object]] = {}
    truth: dict[str, dict[str, object]] = {}
    pairs: dict[str, list[tuple[float, bool]]] = {name: [] for name in KLEISTER_FIELDS}
    read_s = extract_s = 0.0
    dump = []
    for i, row in enumerate(rows, 1):
        t0 = time.perf_counter()
        doc = read(args.data / row["file"])
        t1 = time.perf_counter()
        fields, _ = extract_contract_fields(doc, ctx)
        t2 = time.perf_counter()
        read_s += t1 - t0
        extract_s += t2 - t1
        pred = {k: (list(v.value) if isinstance(v.value, tuple) else v.value) for k, v in fields.items()}
        predictions[row["id"]] = pred
        truth[row["id"]] = row["fields"]
        for name in KLEISTER_FIELDS:
            if fields[name].found:
                pairs[name].append((fields[name].confidence, is_right(pred[name], row["fields"].get(name))))
        dump.append({"id": row["id"], "fields": {k: v.to_json() for k, v in fields.items()}})
        print(f"\r{i}/{len(rows)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    n = max(len(rows), 1)
    report = evaluate(predictions, truth)
    print(f"Kleister-NDA, half={args.half}, {len(rows)} documents")
    print(report.table())
    strict = evaluate(predictions, truth, equivalent_names=False)
    print(
        f"(party names compared strictly as strings: parties F1 {strict.fields['parties'].f1:.3f}, "
        f"overall F1 {strict.overall.f1:.3f})"
    )
    everything = [p for v in pairs.values() for p in v]
    print(f"\nECE (10 bins) over {len(everything)} found fields: {expected_calibration_error(everything):.3f}")
    for name, v in pairs.items():
        print(f"  {name:<16} n={len(v):4d} ECE={expected_calibration_error(v):.3f}")
    print(reliability_table(everything))
    print(f"\ntime per document: read {1000 * read_s / n:.0f} ms, extract {1000 * extract_s / n:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    if args.record_metrics:
        record_metrics(report, everything, args.half, 1000 * extract_s / n)
    return 0


def record_metrics(report: EvaluationReport, pairs: list[tuple[float, bool]], half: str, extract_ms: float) -> None:
    """Write the figures into the metrics of the shipped scorer file (the weights are not touched)."""
    path = DEFAULT_MODEL_PATH
    metrics = json.loads(path.read_text(encoding="utf-8")).get("metrics", {})
    metrics[f"kleister_nda_{half}"] = {
        "documents": report.documents,
        "f1": {name: round(s.f1, 4) for name, s in report.fields.items()},
        "overall": {
            "precision": round(report.overall.precision, 4),
            "recall": round(report.overall.recall, 4),
            "f1": round(report.overall.f1, 4),
        },
        "ece": round(expected_calibration_error(pairs), 4),
        "extract_ms_per_document": round(extract_ms, 1),
    }
    save_scorer(path, load_scorer(path), metrics)
    print(f"metrics recorded in {path}")


if __name__ == "__main__":
    raise SystemExit(main())
