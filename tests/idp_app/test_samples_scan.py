"""Scanned variants: they decode, they are skewed as recorded, and their truth boxes moved with the page."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pdfplumber
import pypdfium2 as pdfium
import pytest

from extractors.geometry import BBox
from idp_app.samples import SampleTruth, ScanParams, make_contract, make_invoice, make_scan, scan_document
from idp_app.samples.canvas import RecordingCanvas
from idp_app.samples.scan import transform_box

CLEAN = ScanParams(dpi=150, rotation_deg=0.0, noise_sigma=0.0, blur_px=0, light=0.0, jpeg_quality=0, output="png")


def _squares_document() -> tuple[bytes, SampleTruth]:
    """A page with three black squares whose boxes are the truth."""
    rc = RecordingCanvas(595.0, 842.0)
    squares = {"a": BBox(60, 80, 160, 130), "b": BBox(400, 300, 520, 330), "c": BBox(250, 700, 300, 790)}
    for key, box in squares.items():
        rc.rect(box.x0, box.y0, box.width, box.height, fill=(0, 0, 0))
        rc.record(key, box)
    pdf = rc.finish()
    boxes = {k: {"page": 0, "bbox_pt": b.to_list(), "text": k} for k, b in squares.items()}
    truth = SampleTruth(
        id="squares", file="squares.pdf", type="invoice", fields={}, fields_raw={}, line_items=[], boxes=boxes,
        layout="test", language="en", pages=1, page_size_pt=(595.0, 842.0),
    )  # fmt: skip
    return pdf, truth


def _ink_boxes_px(gray: npt.NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1) of the dark blobs of a page, largest first."""
    mask = (gray < 128).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    blobs = [tuple(int(v) for v in stats[i][:4]) for i in range(1, count) if stats[i][4] > 200]
    return [(x, y, x + w, y + h) for x, y, w, h in blobs]


@pytest.mark.parametrize("angle", [-2.7, 0.0, 1.9])
@pytest.mark.parametrize("output", ["png", "pdf"])
def test_truth_boxes_follow_the_rotated_page(angle: float, output: str) -> None:
    pdf, truth = _squares_document()
    params = dataclasses.replace(CLEAN, rotation_deg=angle, output=output)
    data, scanned = scan_document(pdf, truth, params, file=f"s.{output}")
    if output == "png":
        gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    else:
        doc = pdfium.PdfDocument(data)
        gray = np.asarray(doc[0].render(scale=params.dpi / 72).to_pil().convert("L"))
    assert gray is not None
    k = params.dpi / 72.0
    ink = _ink_boxes_px(gray)
    assert len(ink) == 3
    for key in ("a", "b", "c"):
        x0, y0, x1, y1 = (v * k for v in scanned.boxes[key]["bbox_pt"])
        best = min(ink, key=lambda b: abs(b[0] - x0) + abs(b[1] - y0))
        assert best == pytest.approx((x0, y0, x1, y1), abs=3.0), key
    if angle:  # the moved box is larger than the original: the hull of a rotated rectangle
        original = BBox.from_list(truth.boxes["a"]["bbox_pt"])
        moved = BBox.from_list(scanned.boxes["a"]["bbox_pt"])
        assert moved.area > original.area * 1.02


def test_transform_box_is_identity_without_rotation() -> None:
    box = BBox(10, 20, 110, 40)
    assert transform_box(box, CLEAN, (595.0, 842.0), (1240, 1754)).to_list() == pytest.approx(box.to_list(), abs=0.6)


def _measured_skew(gray: npt.NDArray[np.uint8]) -> float:
    """The rotation (counter-clockwise, degrees) that best explains the page: the angle whose
    undoing makes the rows of ink sharpest (projection profile)."""
    small = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
    ink = (small < 140).astype(np.float32)
    h, w = ink.shape

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
        rows = cv2.warpAffine(ink, m, (w, h)).sum(axis=1)
        return float(np.var(rows))

    coarse = max(np.arange(-4.0, 4.01, 0.25), key=sharpness)
    return float(max(np.arange(coarse - 0.25, coarse + 0.26, 0.05), key=sharpness))


@pytest.mark.parametrize("angle", [-2.5, 1.4, 2.9])
def test_scanned_invoice_decodes_and_is_skewed_as_recorded(tmp_path: Path, angle: float) -> None:
    pdf_path = tmp_path / "inv.pdf"
    truth = make_invoice(pdf_path, seed=3, layout="inv-01", n_items=6)
    params = ScanParams(dpi=150, rotation_deg=angle, noise_sigma=8, blur_px=3, light=0.25, jpeg_quality=60,
                        output="jpg", seed=1)  # fmt: skip
    scanned = make_scan(pdf_path, truth, tmp_path / "inv.jpg", params=params)
    image = cv2.imread(str(tmp_path / "inv.jpg"), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    expected = (truth.page_size_pt[1] * 150 / 72, truth.page_size_pt[0] * 150 / 72)
    assert image.shape == pytest.approx(expected, abs=1.0)
    assert scanned.scan and scanned.scan_params is not None
    assert scanned.scan_params["rotation_deg"] == angle and scanned.scan_params["dpi"] == 150
    assert abs(_measured_skew(image) - angle) <= 0.5


def test_image_only_pdf_has_no_text_layer_and_keeps_the_page_size(tmp_path: Path) -> None:
    pdf_path = tmp_path / "c.pdf"
    truth = make_contract(pdf_path, seed=2, pages=2)
    out = tmp_path / "c-scan.pdf"
    params = ScanParams(dpi=150, rotation_deg=1.0, output="pdf", seed=3)
    scanned = make_scan(pdf_path, truth, out, params=params)
    with pdfplumber.open(out) as pdf:
        assert len(pdf.pages) == 2
        assert all(not (p.extract_text() or "").strip() for p in pdf.pages)
        assert all(len(p.images) == 1 for p in pdf.pages)
        assert (float(pdf.pages[0].width), float(pdf.pages[0].height)) == pytest.approx(truth.page_size_pt, abs=0.01)
    assert scanned.file == "c-scan.pdf" and scanned.pages == 2


def test_multi_page_document_cannot_become_one_image(tmp_path: Path) -> None:
    pdf_path = tmp_path / "c.pdf"
    truth = make_contract(pdf_path, seed=2, pages=2)
    with pytest.raises(ValueError, match="one-page"):
        scan_document(pdf_path.read_bytes(), truth, dataclasses.replace(CLEAN, output="png"), file="c.png")


def test_png_scan_records_its_dpi_and_same_params_give_same_bytes(tmp_path: Path) -> None:
    from PIL import Image

    pdf_path = tmp_path / "inv.pdf"
    truth = make_invoice(pdf_path, seed=1, layout="inv-04", n_items=3)
    params = ScanParams(dpi=200, rotation_deg=-1.2, output="png", seed=9)
    a = make_scan(pdf_path, truth, tmp_path / "a.png", params=params)
    make_scan(pdf_path, truth, tmp_path / "b.png", params=params)
    make_scan(pdf_path, truth, tmp_path / "c.png", params=dataclasses.replace(params, seed=10))
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "c.png").read_bytes()
    with Image.open(tmp_path / "a.png") as im:
        assert tuple(round(v) for v in im.info["dpi"]) == (200, 200)
    width_pt, height_pt = a.page_size_pt
    for entry in a.boxes.values():
        if isinstance(entry, dict):
            x0, y0, x1, y1 = entry["bbox_pt"]
            assert 0 <= x0 <= x1 <= width_pt and 0 <= y0 <= y1 <= height_pt


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_ocr_reads_the_value_inside_a_moved_box(tmp_path: Path) -> None:
    import pytesseract

    pdf_path = tmp_path / "inv.pdf"
    truth = make_invoice(pdf_path, seed=12, layout="inv-02", n_items=4)
    params = ScanParams(dpi=200, rotation_deg=2.6, noise_sigma=4, blur_px=0, light=0.1, jpeg_quality=85,
                        output="png", seed=2)  # fmt: skip
    scanned = make_scan(pdf_path, truth, tmp_path / "inv.png", params=params)
    image = cv2.imread(str(tmp_path / "inv.png"), cv2.IMREAD_GRAYSCALE)
    k = params.dpi / 72.0
    for name in ("invoice_number", "total_amount"):
        x0, y0, x1, y1 = (round(v * k) for v in scanned.boxes[name]["bbox_pt"])
        crop = image[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4]
        read = pytesseract.image_to_string(crop, config="--psm 6")
        digits = re.sub(r"\D", "", truth.fields_raw[name])
        assert digits in re.sub(r"\D", "", read), f"{name}: OCR read {read!r}"


def test_scan_params_are_validated() -> None:
    with pytest.raises(ValueError, match="dpi"):
        ScanParams(dpi=20)
    with pytest.raises(ValueError, match="odd"):
        ScanParams(blur_px=4)
    with pytest.raises(ValueError, match="output"):
        ScanParams(output="tiff")


def test_any_pdf_can_be_scanned_keeping_each_page_size() -> None:
    from pypdf import PdfReader

    from idp_app.samples import scan_pdf

    rc = RecordingCanvas(595.0, 842.0)
    rc.text(72, 100, "First page", "Helvetica", 24)
    rc.new_page()
    rc.canvas.setPageSize((842.0, 595.0))
    rc.text(72, 100, "Second page, landscape", "Helvetica", 24)
    data, sizes_px = scan_pdf(rc.finish(), ScanParams(dpi=100, rotation_deg=1.0, output="pdf", seed=1))
    reader = PdfReader(io.BytesIO(data))
    assert [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages] == [(595.0, 842.0),
                                                                                        (842.0, 595.0)]  # fmt: skip
    assert sizes_px[0][0] < sizes_px[0][1] and sizes_px[1][0] > sizes_px[1][1]
