"""How long retraining takes on 10,000 training pairs (target: at most 60 s on 2 cores).

Candidates come from invoices the project generates (read and cached once, as retraining reads them from
the candidate cache); they are repeated with a little feature noise to reach the number of documents asked
for. Timed: loading every document's candidates from the cache, building the training set from the clerks'
training pairs, fitting the scorers and calibrating confidence on out-of-fold decisions, and measuring the new
and the current model on the held-out fifth.

    uv run --frozen --no-sync python benchmarks/bench_retrain.py --pairs 10000
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.context import ExtractionContext  # noqa: E402
from extractors.evaluation import load_truth  # noqa: E402
from extractors.fields.scorer import FieldCandidates  # noqa: E402
from extractors.pipeline import load_model  # noqa: E402
from idp_app.domain import CorrectionKind  # noqa: E402
from idp_app.learning.dataset import CandidateCache, build_training_set, documents_of, scorer_pairs  # noqa: E402
from idp_app.learning.retrain import fit_model, measure  # noqa: E402
from idp_app.services.training import TrainingPair  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=10_000)
    ap.add_argument("--base-documents", type=int, default=40, help="generated invoices to take candidates from")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "idp-bench-retrain")
    args = ap.parse_args()

    corpus = args.work / f"corpus-{args.base_documents}"
    if not (corpus / "truth.jsonl").exists():
        from idp_app.samples.corpus import generate_corpus

        generate_corpus(corpus, args.base_documents, 0, 0.0, 11, overwrite=True)
    ctx = ExtractionContext(use_einvoice=False)
    cache = CandidateCache(args.work / "candidates")
    records = [r for r in load_truth(corpus) if r.doc_type == "invoice"]
    base = []
    for r in records:
        sha = r.id.rjust(64, "0")
        base.append((r, cache.get(sha, "invoice", r.file, ctx)))
    per_doc = np.mean([sum(1 for k in r.fields if k in rows and k != "line_items") for r, rows in base])
    n_docs = math.ceil(args.pairs / per_doc)
    rng = np.random.default_rng(5)
    pairs: list[TrainingPair] = []
    bench_cache = CandidateCache(args.work / f"bench-{n_docs}")
    t_start = datetime(2026, 1, 1, tzinfo=UTC)
    for d in range(n_docs):
        record, rows = base[d % len(base)]
        sha = f"{d:064d}"
        noisy = {
            name: FieldCandidates(fc.name, fc.value_type, fc.values,
                                  fc.features + rng.normal(0, 0.01, fc.features.shape), fc.ocr_confidence, fc.spans)
            for name, fc in rows.items()
        }  # fmt: skip
        bench_cache.put(sha, "invoice", noisy)
        for name, value in record.fields.items():
            if name == "line_items" or name not in rows:
                continue
            pairs.append(
                TrainingPair(
                    d,
                    sha,
                    "invoice",
                    name,
                    None,
                    None,
                    None,
                    None,
                    0.5,
                    str(value) if value else None,
                    0,
                    None,
                    CorrectionKind.CORRECTION,
                    None,
                    "clerk",
                    t_start + timedelta(minutes=d),
                )
            )
    print(f"{len(pairs)} training pairs from {n_docs} documents ({len(base)} distinct invoices)")

    t0 = time.perf_counter()
    fresh = CandidateCache(args.work / f"bench-{n_docs}")  # a new process: every document's candidates from disk
    docs = documents_of(pairs)
    candidates = {d.sha256: fresh.get(d.sha256, "invoice", Path("/nonexistent"), ctx) for d in docs}
    t1 = time.perf_counter()
    n_hold = math.ceil(len(docs) * 0.2)
    train_docs, hold_docs = docs[:-n_hold], docs[-n_hold:]
    dataset = build_training_set([p for p in pairs if p.sha256 in {d.sha256 for d in train_docs}], candidates)
    t2 = time.perf_counter()
    current = load_model(None)
    model = fit_model(scorer_pairs(train_docs, candidates), current)
    t3 = time.perf_counter()
    hold = scorer_pairs(hold_docs, candidates)
    m_new, m_cur = measure(model, hold), measure(current, hold)
    t4 = time.perf_counter()
    print(f"load candidates  {t1 - t0:6.1f} s")
    print(f"training set     {t2 - t1:6.1f} s ({dataset.X.shape[0]} candidate rows)")
    print(f"fit + calibrate  {t3 - t2:6.1f} s")
    print(f"measure          {t4 - t3:6.1f} s (held-out accuracy {m_cur.accuracy:.3f} -> {m_new.accuracy:.3f})")
    total = t4 - t0
    print(f"retraining on {len(pairs)} training pairs: {total:.1f} s ({'within' if total <= 60 else 'OVER'} 60 s)")


if __name__ == "__main__":
    main()
