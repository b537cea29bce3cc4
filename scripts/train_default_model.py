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
import datetime as dt
import hashlib
import json
import random
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
from extractors.fields.schema import SCHEMA_DIR, load_schema  # noqa: E402
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
REQUIRED = frozenset(s.name for s in load_schema("invoice").fields if s.required)


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


def _features(args: tuple[str, str, str]) -> dict[str, Any] | None:
    path, cache_dir, doc_type = Path(args[0]), Path(args[1]), args[2]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    schema_text = (SCHEMA_DIR / f"{doc_type}.toml").read_bytes()
    version = hashlib.sha256(" ".join(FEATURES).encode() + schema_text).hexdigest()[:8]
    cached = cache_dir / f"feat-{version}-{doc_type}-{sha}.json"
    if cached.exists():
        return dict(json.loads(cached.read_text()))
    from extractors.pipeline import field_candidates

    doc = _read_cached(path, cache_dir, sha)
    if doc is None:
        return None
    _, rows = field_candidates(doc, load_schema(doc_type), ExtractionContext(use_einvoice=False))
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


# ---- synthetic receipts ----------------------------------------------------------------------------------------
# Receipts are laid out as tokens directly (narrow, centred header, totals with cash and change below), with
# OCR-like character noise, so that the scorer sees receipt layouts. No real receipt is used for training.

_SHOP_WORDS = [
    "GOLDEN",
    "MOTOR",
    "HARDWARE",
    "BOOK",
    "STATIONERY",
    "TRADING",
    "RESTAURANT",
    "BAKERY",
    "PHARMACY",
    "MART",
    "FRESH",
    "GARDEN",
    "CITY",
    "SUN",
    "STAR",
    "LUCKY",
    "UNITED",
    "HOME",
    "DECO",
    "GIFT",
    "KEDAI",
    "MAKAN",
    "SYARIKAT",
    "PERNIAGAAN",
    "EVERGREEN",
    "PREMIUM",
    "ASIA",
    "PACIFIC",
    "ORIENTAL",
]
_FORMS = ("SDN BHD", "SDN. BHD.", "(M) SDN BHD", "ENTERPRISE", "TRADING", "", "BHD", "& CO", "RESOURCES")
_STREETS = ("JALAN", "JLN", "LORONG", "PERSIARAN")
_AREAS = ("TAMAN", "BANDAR", "KAWASAN PERINDUSTRIAN", "DESA")
_PLACES = ("MELATI", "SERI KEMBANGAN", "JOHOR BAHRU", "KUALA LUMPUR", "PUCHONG", "SHAH ALAM", "KLANG", "CHERAS")
_STATES = ("SELANGOR", "JOHOR", "W.P. KUALA LUMPUR", "PERAK", "PAHANG")
_ITEMS = ("NASI LEMAK", "TEH TARIK", "PAPER A4", "PEN BLUE", "LAMP LED", "CABLE TIE", "MILO ICE", "BREAD", "SOAP")
_NOISE = {"O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "D": "O", "B": "8", "5": "S", ".": ",", "M": "H"}


def _noisy(rng: random.Random, word: str, rate: float) -> str:
    return "".join(_NOISE.get(c, c) if rng.random() < rate else c for c in word)


def synthetic_receipt(rng: random.Random, index: int) -> tuple[Document, dict[str, str]]:
    """One receipt as tokens with its truth (vendor name and address, date, total)."""
    width, size = 226.0, rng.choice((6.5, 7.0, 8.0))
    lines: list[tuple[str, str]] = []  # (alignment, text)
    name = " ".join([*rng.sample(_SHOP_WORDS, rng.randint(1, 3)), rng.choice(_FORMS)]).strip()
    if rng.random() < 0.3:
        lines.append(("centre", rng.choice(("tan chay yee", "Welcome", "*** COPY ***", "SOUVENIR"))))
    lines.append(("centre", name))
    if rng.random() < 0.5:
        lines.append(("centre", f"(CO. REG : {rng.randint(10000, 999999)}-{rng.choice('AXTVPKMW')})"))
    addr = [
        f"NO {rng.randint(1, 300)}, {rng.choice(_STREETS)} {rng.choice(_PLACES)} "
        f"{rng.randint(1, 30)}/{rng.randint(1, 9)},",
        f"{rng.choice(_AREAS)} {rng.choice(_PLACES)},",
        f"{rng.randint(10000, 99999)} {rng.choice(_PLACES)}, {rng.choice(_STATES)}.",
    ][: rng.randint(2, 3)]
    lines += [("centre", a) for a in addr]
    if rng.random() < 0.7:
        lines.append(("centre", f"TEL: 0{rng.randint(3, 9)}-{rng.randint(1000000, 9999999)}"))
    if rng.random() < 0.5:
        lines.append(("centre", f"GST ID : {rng.randint(10**11, 10**12 - 1)}"))
    lines.append(("centre", rng.choice(("TAX INVOICE", "RECEIPT", "CASH BILL", "SIMPLIFIED TAX INVOICE", "INVOICE"))))
    day = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 1100))
    fmt = rng.choice(("%d/%m/%Y", "%d-%m-%Y", "%d-%m-%y", "%d/%m/%y", "%d %b %Y", "%Y-%m-%d", "%d.%m.%Y"))
    date_text = day.strftime(fmt).upper()
    label = rng.choice(("Date:", "DATE", "Date :", "", "Tarikh:", "DATE/TIME:"))
    time_text = f"{rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}" + (":00" if rng.random() < 0.5 else "")
    lines.append(("left", f"{label} {date_text} {time_text}".strip()))
    lines.append(
        ("left", f"{rng.choice(('Invoice No:', 'Receipt #', 'Bill No:', 'Doc No :'))} {rng.randint(1000, 99999)}")
    )
    if rng.random() < 0.5:
        lines.append(("left", f"Cashier: {rng.choice(('CN', 'ADMIN', 'SITI', '01'))}"))
    lines.append(("cols", "ITEM|QTY|PRICE|AMOUNT"))
    total_c = 0
    for _ in range(rng.randint(1, 6)):
        qty, price = rng.randint(1, 4), rng.randint(50, 5000)
        total_c += qty * price
        lines.append(("cols", f"{rng.choice(_ITEMS)}|{qty}|{price / 100:.2f}|{qty * price / 100:.2f}"))
    gst = round(total_c * 0.06) if rng.random() < 0.5 else 0
    rounding = rng.choice((0, 0, -1, -2, 1, 2))
    grand = total_c + gst + rounding
    if gst:
        lines.append(("pair", f"SUBTOTAL|{total_c / 100:.2f}"))
        lines.append(("pair", f"GST 6%|{gst / 100:.2f}"))
    if rounding:
        lines.append(("pair", f"ROUNDING ADJ|{rounding / 100:.2f}"))
    total_label = rng.choice(
        ("TOTAL", "TOTAL:", "TOTAL (RM)", "ROUNDED TOTAL (RM):", "GRAND TOTAL", "NETT TOTAL", "Total Amount")
    )
    lines.append(("pair", f"{total_label}|{'RM ' if rng.random() < 0.3 else ''}{grand / 100:.2f}"))
    cash = max(grand, (grand // 1000 + 1) * 1000 if rng.random() < 0.8 else grand)
    lines.append(("pair", f"{rng.choice(('CASH', 'Cash', 'PAID', 'VISA'))}|{cash / 100:.2f}"))
    lines.append(("pair", f"{rng.choice(('CHANGE', 'Change', 'CHANGE DUE'))}|{(cash - grand) / 100:.2f}"))
    lines.append(
        ("centre", rng.choice(("THANK YOU. PLEASE COME AGAIN.", "Goods sold are not returnable", "THANK YOU")))
    )

    rate = rng.choice((0.0, 0.01, 0.03))
    tokens: list[Token] = []
    y = 20.0
    step = size * 1.5
    for align, text in lines:
        parts: list[tuple[float, str]]
        if align == "centre":
            w = len(text) * size * 0.55
            parts = [(max(4.0, (width - w) / 2), text)]
        elif align == "left":
            parts = [(10.0, text)]
        elif align == "pair":
            a, b = text.split("|")
            parts = [(10.0, a), (width - 10.0 - len(b) * size * 0.55, b)]
        else:
            cells = text.split("|")
            xs = (10.0, 110.0, 140.0, 180.0)
            parts = [(x, c) for x, c in zip(xs, cells, strict=True)]
        for x0, part in parts:
            x = x0
            for word in part.split():
                w = len(word) * size * 0.55
                conf = 1.0 - rng.random() * 0.4 if rate else 0.95
                tokens.append(
                    Token(
                        _noisy(rng, word, rate),
                        BBox(x, y, x + w, y + size),
                        0,
                        conf,
                        TokenSource.OCR,
                        size,
                        False,
                        len(tokens),
                    )
                )
                x += w + size * 0.35
        y += step
    page = Page(0, width, y + 20.0, tuple(tokens), source=TokenSource.OCR)
    truth = {
        "vendor_name": name,
        "vendor_address": " ".join(addr),
        "invoice_date": day.isoformat(),
        "total_amount": f"{grand / 100:.2f}",
    }
    return Document(f"synthetic-receipt-{index}", (page,), "image/png"), truth


def receipt_pairs(n: int, seed: int) -> list[tuple[str, TrainingPair]]:
    from extractors.pipeline import field_candidates

    schema = load_schema("receipt")
    out = []
    for i in range(n):
        doc, truth = synthetic_receipt(random.Random(f"{seed}/receipt/{i}"), i)
        _, rows = field_candidates(doc, schema, ExtractionContext(use_einvoice=False))
        out.append((f"r:{i}", TrainingPair(f"receipts/{i}", rows, truth)))
    return out


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
        decisions = decide_rows(model, pair.candidates, REQUIRED)
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
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--receipts", type=int, default=150, help="synthetic receipts to train on")
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
        datas = list(pool.map(_features, [(str(r.file), str(cache), r.doc_type) for _, r in items], chunksize=2))

    pairs: dict[str, list[tuple[str, TrainingPair, str]]] = {"train": [], "test": []}
    for (corpus, record), data in zip(items, datas, strict=True):
        if data is None:
            continue
        group = _group(corpus, record)
        split = "test" if _bucket(group, 4) == 0 else "train"
        pairs[split].append((group, _pair(f"{corpus}/{record.id}", data, record.fields), data["sha256"]))
    for group, pair in receipt_pairs(args.receipts, args.seed):
        split = "test" if _bucket(group, 4) == 0 else "train"
        pairs[split].append((group, pair, ""))
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
    model.training_documents = tuple(sorted(sha for _, _, sha in pairs["train"] if sha))
    model.save(args.out)
    print(json.dumps(metrics, indent=1))
    print(f"written {args.out} ({model.version})")


if __name__ == "__main__":
    main()
