"""A scanned PDF invoice: its item table is read by OCR, quantities and all."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.context import ExtractionContext
from extractors.pipeline import extract_document
from extractors.readers import read_document
from idp_app.samples import ScanParams, make_invoice, make_scan

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")


def test_the_quantities_of_a_scanned_pdfs_item_table_are_read(tmp_path: Path) -> None:
    # a long ruled table whose quantity column holds short numbers standing alone ("4", "100", "6"), scanned
    # askew, blurred and noisy: Tesseract's automatic page segmentation loses that column on such a page
    truth = make_invoice(tmp_path / "inv.pdf", seed=1, layout="inv-07", n_items=20)
    params = ScanParams(
        dpi=300, rotation_deg=2.6, noise_sigma=5.6, blur_px=5, light=0.05, jpeg_quality=65, output="pdf", seed=2
    )
    make_scan(tmp_path / "inv.pdf", truth, tmp_path / "scan.pdf", params=params)
    ctx = ExtractionContext(use_einvoice=False, second_look=False)
    items = extract_document(read_document(tmp_path / "scan.pdf", ctx), ctx).line_items
    wanted = [Decimal(str(i["quantity"])) for i in truth.line_items]
    read = [Decimal(str(i.value("quantity"))) for i in items if i.value("quantity") is not None]
    assert len(wanted) == 20
    hits = sum((Counter(wanted) & Counter(read)).values())  # each quantity read as often as it is printed
    assert hits >= 15, (wanted, read)
