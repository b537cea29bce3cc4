"""Speed of the document readers: text layer, scanned pages against bare Tesseract, and parallel OCR.

    uv run --frozen --no-sync python benchmarks/bench_ocr.py [--scans 12] [--lang eng] [--pdf-docs 0]

1. Text-layer PDFs (../shared/data/zugferd): pages per second of reading only (no OCR, no e-invoice lookup),
   with PDFium (the reader used) and pdfplumber (the cross-check) on one core.
2. Scanned receipts (../shared/data/sroie): ``read_document`` (decode, clean-up, OCR, boxes, layout) against a
   bare ``pytesseract.image_to_data`` on the same decoded image, time and how many truth values (vendor name,
   total, date as printed) each one's text contains.
3. The same scans as one image-only PDF, read with one and with two workers.

Prints the figures; asserts nothing. Without the shared corpora, generated pages stand in.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract runs as a child): steady under load."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def bench_text_layer(limit: int) -> None:
    from extractors.context import ExtractionContext
    from extractors.readers import read_document
    from extractors.readers.core import read_pdf_text_pdfplumber

    files = sorted((DATA / "zugferd" / "docs").glob("*.pdf"))
    if not files:
        print("text layer: zugferd corpus not present, skipped")
        return
    if limit:
        files = files[:limit]
    ctx = ExtractionContext(use_einvoice=False)
    read_document(files[0], ctx)  # imports and PDFium start-up are not page reading
    pages = 0
    read_ms = cpu_s = 0.0
    for f in files:
        cpu = _cpu()
        doc = read_document(f, ctx)
        if "ocr_ms" in doc.timing_ms:
            continue  # a blank or image page: OCR is measured below
        cpu_s += _cpu() - cpu
        pages += doc.page_count
        read_ms += doc.timing_ms["read_ms"]
    print(
        f"text layer (PDFium): {pages} pages, {pages / (read_ms / 1000):.1f} pages/s wall (reading),"
        f" {pages / cpu_s:.1f} pages/s of CPU (whole read_document)"
    )
    sample = files[:: max(1, len(files) // 15)]
    start, cpu = time.perf_counter(), _cpu()
    plumber_pages = sum(len(read_pdf_text_pdfplumber(f)) for f in sample)
    elapsed, cpu_s = time.perf_counter() - start, _cpu() - cpu
    print(
        f"text layer (pdfplumber cross-check): {plumber_pages} pages, {plumber_pages / elapsed:.1f} pages/s wall,"
        f" {plumber_pages / cpu_s:.1f} pages/s of CPU"
    )


def _scan_files(count: int, tmp: Path) -> list[tuple[Path, list[str]]]:
    """SROIE receipts with the values printed on them, or generated scans."""
    truth = DATA / "sroie" / "truth.jsonl"
    if truth.is_file():
        out = []
        for line in truth.read_text().splitlines()[:count]:
            row = json.loads(line)
            raw = row.get("fields_raw", {})
            values = [v for k, v in raw.items() if k in ("company", "total", "date") and v]
            out.append((DATA / "sroie" / row["file"], values))
        return out
    from PIL import Image

    from tests.extractors.test_readers_docs import INVOICE_LINES, draw_scan

    print("scans: sroie corpus not present, using generated pages")
    out = []
    for i in range(count):
        path = tmp / f"gen{i}.png"
        Image.fromarray(draw_scan(dpi=150, size_pt=10)).save(path, dpi=(150, 150))
        out.append((path, [t for t, _, _ in INVOICE_LINES]))
    return out


def bench_scans(count: int, lang: str, tmp: Path) -> list[Path]:
    import pytesseract
    from PIL import Image

    from extractors.context import ExtractionContext
    from extractors.readers import read_document
    from extractors.readers.render import image_frame

    scans = _scan_files(count, tmp)
    ctx = ExtractionContext(ocr_languages=lang, workers=1)
    read_document(scans[0][0], ctx)  # warm-up: imports, language data in the page cache
    bare_s = ours_s = bare_cpu = ours_cpu = 0.0
    bare_hits = ours_hits = values = 0
    for path, truth in scans:
        pixels = image_frame(path, 0).pixels
        start, cpu = time.perf_counter(), _cpu()
        data = pytesseract.image_to_data(Image.fromarray(pixels), lang=lang, output_type=pytesseract.Output.DICT)
        bare_s += time.perf_counter() - start
        bare_cpu += _cpu() - cpu
        bare_text = _squash(" ".join(str(t) for t in data["text"]))
        start, cpu = time.perf_counter(), _cpu()
        doc = read_document(path, ctx)
        ours_s += time.perf_counter() - start
        ours_cpu += _cpu() - cpu
        ours_text = _squash(doc.text())
        for value in truth:
            values += 1
            bare_hits += _squash(value) in bare_text
            ours_hits += _squash(value) in ours_text
    n = len(scans)
    print(f"scans: {n} pages, bare image_to_data {bare_s / n:.2f} s/page, read_document {ours_s / n:.2f} s/page")
    print(f"scans: read_document / bare = {ours_s / bare_s:.2f} x wall, {ours_cpu / bare_cpu:.2f} x CPU")
    print(f"scans: truth values found in the text: bare {bare_hits}/{values}, read_document {ours_hits}/{values}")
    return [p for p, _ in scans]


def bench_workers(paths: list[Path], lang: str, tmp: Path) -> None:
    from PIL import Image

    from extractors.context import ExtractionContext
    from extractors.readers import read_document
    from extractors.readers.ocr_pages import shutdown_pools

    images = [Image.open(p).convert("L") for p in paths]
    pdf = tmp / "scans.pdf"
    images[0].save(pdf, "PDF", resolution=150.0, save_all=True, append_images=images[1:])
    warm = tmp / "warm.pdf"
    images[0].save(warm, "PDF", resolution=150.0, save_all=True, append_images=images[1:2])
    base = ExtractionContext(ocr_languages=lang, ocr_dpi=200)
    times = {}
    for workers in (1, 2):
        ctx = replace(base, workers=workers)
        read_document(warm, ctx)  # starts the worker processes, which are kept
        start = time.perf_counter()
        doc = read_document(pdf, ctx)
        times[workers] = time.perf_counter() - start
        print(f"workers={workers}: {doc.page_count} OCR pages in {times[workers]:.1f} s")
    print(f"workers: two / one speed-up = {times[1] / times[2]:.2f} x ({_load()})")
    shutdown_pools()
    _machine_control(paths[0], lang)


def _machine_control(image: Path, lang: str) -> None:
    """Two bare Tesseract runs at once against one after the other: what parallelism the machine gives now."""
    import subprocess

    cmd = ["tesseract", str(image), "-", "-l", lang]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    for _ in range(2):
        subprocess.run(cmd, capture_output=True, env=env, check=False)
    one_by_one = time.perf_counter() - start
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for _ in range(2)]
    for p in procs:
        p.wait()
    together = time.perf_counter() - start
    print(f"machine control: two bare Tesseract runs at once are {one_by_one / together:.2f} x faster than in turn")


def _load() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=12, help="scanned pages to OCR")
    parser.add_argument("--lang", default="eng", help="Tesseract languages for the scans")
    parser.add_argument("--pdf-docs", type=int, default=0, help="text-layer PDFs to read (0: all)")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: text,scans,workers")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    print(_load())
    if "text" not in skip:
        bench_text_layer(args.pdf_docs)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        paths = bench_scans(args.scans, args.lang, tmp) if "scans" not in skip else []
        if "workers" not in skip:
            bench_workers(paths or [p for p, _ in _scan_files(args.scans, tmp)], args.lang, tmp)


if __name__ == "__main__":
    main()
