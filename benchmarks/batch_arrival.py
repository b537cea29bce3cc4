"""Invoices that all arrive before the first is reviewed: what reading the waiting ones again after each approval saves.

Writes invoices of three vendors in one layout no model has seen (the vendor-memory tests' layout: labels no schema
knows, so the shipped model misses net and tax), ingests them all, then a clerk takes the queue in order, corrects
each field against the truth and approves. Prints the fields corrected, with and without reading the layout's
waiting documents again after each approval (what ``idp approve`` and the window do).

    uv run --frozen --no-sync python benchmarks/batch_arrival.py --documents 24
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from idp_app.config import AppConfig  # noqa: E402
from idp_app.db.models import Document  # noqa: E402
from idp_app.learning.extract import read_again_in_layout  # noqa: E402
from idp_app.services import Workspace  # noqa: E402
from tests.extractors.test_memory import odd_invoice  # noqa: E402

VENDORS = ("Quillfeather Outfitters Ltd", "Brannock Lantern Works GmbH", "Okafor Field Supplies BV")
TITLE = ("Invoice", "Tax invoice for goods delivered, payable to our bank account")


def write(inbox: Path, documents: int, seed: int) -> dict[str, dict[str, str]]:
    rng = random.Random(seed)
    truth = {}
    for i in range(documents):
        net = rng.randrange(2000, 90000) / 100
        tax = round(net * 0.19, 2)
        day, month = rng.randrange(1, 28), rng.randrange(1, 12)
        values = {
            "number": f"KS-{rng.randrange(10000, 99999)}",
            "date": f"{day:02d}.{month:02d}.2024",
            "net": f"{net:.2f}",
            "tax": f"{tax:.2f}",
            "total": f"{net + tax:.2f}",
        }
        vendor = VENDORS[i % len(VENDORS)]
        odd_invoice(inbox / f"{i:03d}.pdf", vendor, values, [("Goods", values["net"])], header=TITLE)
        truth[f"{i:03d}.pdf"] = {
            "vendor_name": vendor,
            "invoice_number": values["number"],
            "invoice_date": f"2024-{month:02d}-{day:02d}",
            "net_amount": values["net"],
            "tax_amount": values["tax"],
            "total_amount": values["total"],
        }
    return truth


def review(folder: Path, documents: int, seed: int, read_again: bool) -> str:
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    truth = write(inbox, documents, seed)
    ws = Workspace.open(AppConfig.for_directory(folder / "home", f"sqlite:///{folder}/home/idp.db"), upgrade=True)
    try:
        ws.users.add("boss", "boss-pw", "admin")
        ws.users.add("sup", "sup-pw", "supervisor", by="boss")
        ws.ingest.ingest([inbox], workers=0)
        with ws.db.read() as s:
            names = {d.id: Path(d.filename).name for d in s.execute(select(Document)).scalars()}
        corrected, reviewed, seconds = 0, 0, 0.0
        while (claim := ws.queue.claim_next("sup")) is not None:
            fields = ws.documents.get(claim.document_id).fields
            for name, value in truth[names[claim.document_id]].items():
                if name not in fields or fields[name].value != value:
                    corrected += 1
                    ws.review.correct(claim.document_id, name, value, "sup")
            ws.review.approve(claim.document_id, "sup", override_reason="benchmark")
            reviewed += 1
            if read_again:
                t0 = time.perf_counter()
                read_again_in_layout(ws, claim.document_id)
                seconds += time.perf_counter() - t0
    finally:
        ws.close()
    return (
        f"{'reading again' if read_again else 'without'}: {reviewed} of {len(names)} reviewed, {corrected} fields "
        f"corrected ({corrected / len(names):.2f} per invoice), {seconds:.1f} s reading again"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=24)
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    for read_again in (False, True):
        with tempfile.TemporaryDirectory(prefix="idp-batch-") as tmp:
            print(review(Path(tmp), args.documents, args.seed, read_again))


if __name__ == "__main__":
    main()
