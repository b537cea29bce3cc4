"""The learning loop on generated invoices from a few repeating vendors, each always in its own layout.

Writes the invoices (same seed, same documents), replays them in order through a temporary workspace as
``idp simulate`` does (extract, correct against the truth, approve, retrain every K), and prints the corrections
per document per window, the first and last halves, and each retraining's decision.

    uv run --frozen --no-sync python benchmarks/replay_vendors.py --vendors 6 --documents 60 --retrain-every 15
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.evaluation import load_truth  # noqa: E402
from idp_app.learning.simulate import Replay  # noqa: E402
from idp_app.samples.corpus import make_invoice  # noqa: E402
from idp_app.samples.invoice_layouts import LAYOUT_IDS  # noqa: E402
from idp_app.samples.invoice_spec import random_invoice_spec  # noqa: E402
from idp_app.samples.truth import write_truth  # noqa: E402

KEEP = ("vendor", "language", "label_variant", "date_style", "amount_style", "currency_placement", "currency")
"""What stays the same across one vendor's invoices."""


def write_corpus(folder: Path, vendors: int, documents: int, seed: int) -> None:
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    bases = [
        random_invoice_spec(random.Random(f"vendor{seed}-{v}"), layout=LAYOUT_IDS[v % len(LAYOUT_IDS)])
        for v in range(vendors)
    ]
    truths = []
    for i in range(documents):
        base = bases[rng.randrange(vendors)]
        spec = random_invoice_spec(random.Random(f"doc{seed}-{i}"), layout=base.layout)
        spec = dataclasses.replace(spec, **{k: getattr(base, k) for k in KEEP})
        truth = make_invoice(folder / "docs" / f"{i:03d}.pdf", spec=spec)
        truths.append(dataclasses.replace(truth, file=f"docs/{i:03d}.pdf"))
    write_truth(folder / "truth.jsonl", truths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vendors", type=int, default=6)
    ap.add_argument("--documents", type=int, default=60)
    ap.add_argument("--retrain-every", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="idp-replay-vendors-") as tmp:
        folder = Path(tmp) / "corpus"
        write_corpus(folder, args.vendors, args.documents, args.seed)
        replay = Replay(folder, retrain_every=args.retrain_every)
        try:
            report = replay.run(load_truth(folder))
        finally:
            replay.close()
    half = len(report.outcomes) // 2
    summary = report.summary(edge=half)
    windows = ", ".join(f"{w['corrections_per_document']:.2f}" for w in report.curve(args.retrain_every))
    print(f"{len(report.outcomes)} invoices of {args.vendors} vendors; corrections per document by window: {windows}")
    first, last = summary["first"], summary["last"]
    print(
        f"first {half}: {first['corrections_per_document']:.2f} (accuracy {first['field_accuracy']:.3f}); "
        f"last {half}: {last['corrections_per_document']:.2f} (accuracy {last['field_accuracy']:.3f}); "
        f"corrected over the last {half}: {last['corrected_fields']}"
    )
    for after, r in report.retrains:
        print(f"retrained after {after}: {r.status} ({'; '.join(r.reasons)})")


if __name__ == "__main__":
    main()
