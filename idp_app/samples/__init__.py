"""Realistic sample documents with their truth: invoices, contracts and scanned variants.

Used by the demo, by tests and by evaluation. The main entry points:

- :func:`generate_corpus` writes a corpus directory (``docs/`` and ``truth.jsonl``);
- :func:`make_invoice`, :func:`make_contract` and :func:`make_scan` write one document each;
- :func:`random_invoice_spec` / :func:`render_invoice` (and the contract pair) work in memory.
"""

from __future__ import annotations

from idp_app.samples.contract import ContractSpec, random_contract_spec, render_contract
from idp_app.samples.corpus import (
    DOCS_DIR,
    TRUTH_FILE,
    SampleError,
    check_corpus_arguments,
    generate_corpus,
    make_contract,
    make_invoice,
    make_scan,
)
from idp_app.samples.invoice_layouts import LAYOUT_IDS
from idp_app.samples.invoice_pdf import render_invoice
from idp_app.samples.invoice_spec import InvoiceSpec, LineItem, random_invoice_spec
from idp_app.samples.scan import ScanParams, random_scan_params, scan_document, scan_pdf
from idp_app.samples.truth import SampleTruth, read_truth, write_truth

__all__ = [
    "DOCS_DIR",
    "LAYOUT_IDS",
    "TRUTH_FILE",
    "ContractSpec",
    "InvoiceSpec",
    "LineItem",
    "SampleError",
    "SampleTruth",
    "ScanParams",
    "check_corpus_arguments",
    "generate_corpus",
    "make_contract",
    "make_invoice",
    "make_scan",
    "random_contract_spec",
    "random_invoice_spec",
    "random_scan_params",
    "read_truth",
    "render_contract",
    "render_invoice",
    "scan_document",
    "scan_pdf",
    "write_truth",
]
