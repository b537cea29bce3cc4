"""Whole sample corpora and single sample documents, written to disk with their truth.

A corpus directory holds ``docs/`` and ``truth.jsonl`` in the format of the shared benchmark corpora.
Every document draws from its own random stream (``seed/kind/index``), so one document can be
regenerated alone and the same seed always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

from idp_app.samples.contract import ContractSpec, random_contract_spec, render_contract
from idp_app.samples.invoice_layouts import LAYOUT_IDS
from idp_app.samples.invoice_pdf import render_invoice
from idp_app.samples.invoice_spec import InvoiceSpec, random_invoice_spec
from idp_app.samples.scan import ScanParams, random_scan_params, scan_document
from idp_app.samples.truth import SampleTruth, write_truth

TRUTH_FILE = "truth.jsonl"
DOCS_DIR = "docs"
MAX_DOCUMENTS = 100_000


class SampleError(Exception):
    """Bad input to the sample generator: the message says what to change. Nothing has been written."""

    exit_code = 32  # the command line's "bad input", as InputError's


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def invoice_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}/invoice/{index}")


def contract_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}/contract/{index}")


def make_invoice(
    out_path: Path,
    *,
    seed: int = 0,
    layout: str | None = None,
    n_items: int | None = None,
    country: str | None = None,
    two_rates: bool | None = None,
    spec: InvoiceSpec | None = None,
) -> SampleTruth:
    """Write one invoice PDF to ``out_path`` and return its truth (``file`` is the file's name)."""
    if spec is None:
        rng = random.Random(f"{seed}/single-invoice")
        chosen = layout or rng.choice(LAYOUT_IDS)
        spec = random_invoice_spec(rng, layout=chosen, country=country, n_items=n_items, two_rates=two_rates)
    pdf, truth = render_invoice(spec, doc_id=out_path.stem, file=out_path.name, seed=seed)
    _write(out_path, pdf)
    return truth


def make_contract(
    out_path: Path, *, seed: int = 0, pages: int | None = None, spec: ContractSpec | None = None
) -> SampleTruth:
    """Write one contract PDF (2 to 8 pages) to ``out_path`` and return its truth."""
    if spec is None:
        spec = random_contract_spec(random.Random(f"{seed}/single-contract"), pages=pages)
    pdf, truth = render_contract(spec, doc_id=out_path.stem, file=out_path.name, seed=seed)
    _write(out_path, pdf)
    return truth


def make_scan(
    pdf_path: Path, truth: SampleTruth, out_path: Path, *, params: ScanParams | None = None, seed: int = 0
) -> SampleTruth:
    """Write the scanned variant of the PDF at ``pdf_path`` (as ``out_path``'s suffix says) and return its truth."""
    if params is None:
        params = random_scan_params(random.Random(f"{seed}/single-scan"), pages=truth.pages)
    wanted = out_path.suffix.lower().lstrip(".").replace("jpeg", "jpg")
    if wanted != params.output:
        params = dataclasses.replace(params, output=wanted)
    data, scanned = scan_document(pdf_path.read_bytes(), truth, params, file=out_path.name)
    _write(out_path, data)
    return scanned


def check_corpus_arguments(
    out_dir: Path, invoices: int, contracts: int, scanned_share: float, overwrite: bool = False
) -> None:
    """Raise :class:`SampleError` for arguments :func:`generate_corpus` would refuse."""
    if invoices < 0 or contracts < 0:
        raise SampleError("the numbers of invoices and contracts cannot be negative")
    if invoices + contracts == 0:
        raise SampleError("nothing to generate: ask for at least one invoice or contract")
    if invoices + contracts > MAX_DOCUMENTS:
        raise SampleError(f"at most {MAX_DOCUMENTS} documents per corpus")
    if not 0.0 <= scanned_share <= 1.0:
        raise SampleError(f"the scanned share must be between 0 and 1, not {scanned_share}")
    if out_dir.exists() and not out_dir.is_dir():
        raise SampleError(f"{out_dir} exists and is not a directory")
    if not overwrite and (out_dir / TRUTH_FILE).exists():
        raise SampleError(
            f"{out_dir} already holds a corpus ({TRUTH_FILE}); choose another directory or replace it (--overwrite)"
        )


def generate_corpus(
    out_dir: Path,
    invoices: int,
    contracts: int,
    scanned_share: float,
    seed: int,
    *,
    overwrite: bool = False,
    progress: Callable[[SampleTruth], None] | None = None,
) -> list[SampleTruth]:
    """Write ``invoices`` invoices and ``contracts`` contracts to ``out_dir/docs`` and their truth to
    ``out_dir/truth.jsonl``; about ``scanned_share`` of them are delivered as scans.

    Invoice layouts are dealt in turn from a seed-dependent start, so any 12 consecutive invoices
    show all layouts. Raises :class:`SampleError` for bad arguments before anything is written.
    """
    check_corpus_arguments(out_dir, invoices, contracts, scanned_share, overwrite)
    total = invoices + contracts
    scanned = set(random.Random(f"{seed}/scanned").sample(range(total), round(scanned_share * total)))
    offset = random.Random(f"{seed}/layouts").randrange(len(LAYOUT_IDS))
    truths: list[SampleTruth] = []
    for index in range(total):
        if index < invoices:
            doc_id = f"inv-{index + 1:04d}"
            rng = invoice_rng(seed, index)
            spec = random_invoice_spec(rng, layout=LAYOUT_IDS[(offset + index) % len(LAYOUT_IDS)])
            pdf, truth = render_invoice(spec, doc_id=doc_id, file=f"{DOCS_DIR}/{doc_id}.pdf", seed=seed)
        else:
            doc_id = f"con-{index - invoices + 1:04d}"
            contract = random_contract_spec(contract_rng(seed, index - invoices))
            pdf, truth = render_contract(contract, doc_id=doc_id, file=f"{DOCS_DIR}/{doc_id}.pdf", seed=seed)
        if index in scanned:
            params = random_scan_params(random.Random(f"{seed}/scan/{index}"), pages=truth.pages)
            name = f"{doc_id}{params.suffix}"
            pdf, truth = scan_document(pdf, truth, params, file=f"{DOCS_DIR}/{name}")
        _write(out_dir / truth.file, pdf)
        truths.append(truth)
        if progress is not None:
            progress(truth)
    stale = _listed_files(out_dir) - {t.file for t in truths}
    tmp = out_dir / f".{TRUTH_FILE}.part"
    write_truth(tmp, truths)
    os.replace(tmp, out_dir / TRUTH_FILE)
    for name in stale:  # documents of the replaced corpus that this one does not write again
        (out_dir / name).unlink(missing_ok=True)
    return truths


def _listed_files(out_dir: Path) -> set[str]:
    """The documents named by the corpus already in ``out_dir`` (none when there is none)."""
    path = out_dir / TRUTH_FILE
    if not path.is_file():
        return set()
    files = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            name = json.loads(line).get("file", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(name, str) and name.startswith(f"{DOCS_DIR}/") and ".." not in name:
            files.add(name)
    return files
