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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.context import ExtractionContext  # noqa: E402
from extractors.contracts import extract_contract_fields  # noqa: E402
from extractors.contracts.evaluation import (  # noqa: E402
    KLEISTER_FIELDS,
    evaluate,
    expected_calibration_error,
    is_right,
    reliability_table,
)
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
    read = reader(ctx, args.reader)
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
    everything = [p for v in pairs.values() for p in v]
    print(f"\nECE (10 bins) over {len(everything)} found fields: {expected_calibration_error(everything):.3f}")
    for name, v in pairs.items():
        print(f"  {name:<16} n={len(v):4d} ECE={expected_calibration_error(v):.3f}")
    print(reliability_table(everything))
    print(f"\ntime per document: read {1000 * read_s / n:.0f} ms, extract {1000 * extract_s / n:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
