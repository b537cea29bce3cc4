"""Scanned variants of sample documents: rasterised, skewed, unevenly lit, noisy, blurred, JPEG-compressed.

The page is rendered with pypdfium2 at ``dpi``, rotated about its centre by ``rotation_deg``
(counter-clockwise as seen, OpenCV's convention) on a canvas of the same size, then degraded with
OpenCV and numpy (seeded). The result is saved as an image-only PDF (pages the size of the original)
or, for one-page documents, as PNG or JPEG carrying its dpi. Every truth box is carried along: its
corners are rotated like the page and the new box is their axis-aligned hull, in PDF points of the
output page (``pixels * 72 / dpi`` for images).
"""

from __future__ import annotations

import dataclasses
import io
import math
import random
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium
from PIL import Image
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from extractors.geometry import BBox
from extractors.readers.render import PDFIUM_LOCK
from idp_app.samples.truth import SampleTruth

Pixels = npt.NDArray[np.uint8]
OUTPUTS = ("pdf", "png", "jpg")


@dataclass(frozen=True, slots=True)
class ScanParams:
    """How one document is scanned; recorded in the truth as ``scan_params``."""

    dpi: int = 200
    rotation_deg: float = 0.0
    """Counter-clockwise as seen on the page, at most 3 degrees either way."""
    noise_sigma: float = 6.0
    blur_px: int = 0
    """Gaussian kernel size in pixels (0 or an odd number)."""
    light: float = 0.15
    """Strength of the uneven lighting: 0 flat, 0.35 a strong shadow to one side."""
    jpeg_quality: int = 80
    grayscale: bool = True
    output: str = "pdf"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 600:
            raise ValueError(f"scan dpi must be 72 to 600, not {self.dpi}")
        if abs(self.rotation_deg) > 10:
            raise ValueError(f"scan rotation must be within 10 degrees, not {self.rotation_deg}")
        if self.blur_px < 0 or (self.blur_px and self.blur_px % 2 == 0):
            raise ValueError(f"blur kernel must be 0 or odd, not {self.blur_px}")
        if self.output not in OUTPUTS:
            raise ValueError(f"scan output must be one of {', '.join(OUTPUTS)}, not {self.output!r}")

    @property
    def suffix(self) -> str:
        return f".{self.output}"

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["rotation_deg"] = round(self.rotation_deg, 3)
        out["rotation_direction"] = "counter-clockwise"
        return out


def random_scan_params(rng: random.Random, *, pages: int = 1) -> ScanParams:
    """Plausible office-scanner settings; images (PNG/JPEG) only for one-page documents."""
    output = rng.choice(("pdf", "pdf", "png", "jpg")) if pages == 1 else "pdf"
    dpi = rng.choice((150, 200, 200, 300))
    if output == "png" and dpi > 200:  # a noisy 300 dpi PNG is some 10 MB; scanners write JPEG there
        output = "jpg"
    return ScanParams(
        dpi=dpi,
        rotation_deg=round(rng.uniform(-3.0, 3.0), 2),
        noise_sigma=round(rng.uniform(2.0, 10.0), 1),
        blur_px=rng.choice((0, 0, 3, 3, 5)),
        light=round(rng.uniform(0.0, 0.3), 2),
        jpeg_quality=rng.choice((55, 65, 75, 85)),
        grayscale=rng.random() < 0.7,
        output=output,
        seed=rng.randrange(2**31),
    )


def rasterise(pdf: bytes, dpi: int, *, grayscale: bool) -> list[Pixels]:
    """Each page of ``pdf`` as pixels (grey, or RGB) at ``dpi``."""
    return [pixels for pixels, _ in _rasterise(pdf, dpi, grayscale=grayscale)]


def _rasterise(pdf: bytes, dpi: int, *, grayscale: bool) -> list[tuple[Pixels, tuple[float, float]]]:
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            pages = []
            for page in doc:
                bitmap = page.render(scale=dpi / 72.0, grayscale=grayscale)
                image = bitmap.to_pil().convert("L" if grayscale else "RGB")
                bitmap.close()
                size_pt = (float(page.get_width()), float(page.get_height()))
                pages.append((np.asarray(image, dtype=np.uint8), size_pt))
                page.close()
            return pages
        finally:
            doc.close()


def _rotation(width_px: int, height_px: int, angle_deg: float) -> npt.NDArray[np.float64]:
    return np.asarray(cv2.getRotationMatrix2D((width_px / 2.0, height_px / 2.0), angle_deg, 1.0), dtype=np.float64)


def degrade(pixels: Pixels, params: ScanParams, rng: np.random.Generator) -> Pixels:
    """One scanned page: rotated, lit unevenly, blurred, noisy and JPEG-compressed as ``params`` say."""
    h, w = pixels.shape[:2]
    paper = 246 if pixels.ndim == 2 else (246, 244, 238)
    rotated = cv2.warpAffine(
        pixels, _rotation(w, h, params.rotation_deg), (w, h), flags=cv2.INTER_LINEAR, borderValue=paper
    )
    if params.blur_px:
        rotated = cv2.GaussianBlur(rotated, (params.blur_px, params.blur_px), 0)
    out = rotated.astype(np.float32)
    if params.light > 0:  # a smooth shadow, computed coarse and scaled up
        angle = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:64, 0:64].astype(np.float32) / 63.0
        ramp = (xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle) + 0.5
        small = (1.0 - params.light * np.clip(ramp, 0, 1) ** 2).astype(np.float32)
        shade = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        out = np.asarray(cv2.multiply(out, shade if out.ndim == 2 else cv2.merge([shade] * out.shape[2])), np.float32)
    if params.noise_sigma > 0:  # sensor grain of two by two pixels
        grain_shape = ((h + 1) // 2, (w + 1) // 2, *out.shape[2:])
        grain = rng.standard_normal(size=grain_shape, dtype=np.float32)
        noise = cv2.resize(grain, (w, h), interpolation=cv2.INTER_NEAREST)
        out = np.asarray(cv2.scaleAdd(noise.reshape(out.shape), float(params.noise_sigma), out), np.float32)
    result = np.clip(out, 0, 255).astype(np.uint8)
    if params.jpeg_quality:
        ok, encoded = cv2.imencode(".jpg", result, [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality])
        if ok:
            decoded = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
            result = np.asarray(decoded, dtype=np.uint8)
    return result


def transform_box(
    bbox_pt: BBox, params: ScanParams, page_size_pt: tuple[float, float], image_size_px: tuple[int, int]
) -> BBox:
    """Where a box of the original page lies on the scanned page: the hull of its rotated corners (points)."""
    width_px, height_px = image_size_px
    width_pt, height_pt = page_size_pt
    sx, sy = width_px / width_pt, height_px / height_pt
    corners = np.array(
        [
            [bbox_pt.x0 * sx, bbox_pt.y0 * sy, 1.0],
            [bbox_pt.x1 * sx, bbox_pt.y0 * sy, 1.0],
            [bbox_pt.x0 * sx, bbox_pt.y1 * sy, 1.0],
            [bbox_pt.x1 * sx, bbox_pt.y1 * sy, 1.0],
        ]
    )
    moved = corners @ _rotation(width_px, height_px, params.rotation_deg).T
    x0, y0 = moved.min(axis=0)
    x1, y1 = moved.max(axis=0)
    return BBox(
        float(np.clip(x0 / sx, 0, width_pt)),
        float(np.clip(y0 / sy, 0, height_pt)),
        float(np.clip(x1 / sx, 0, width_pt)),
        float(np.clip(y1 / sy, 0, height_pt)),
    )


def _move_boxes(node: Any, params: ScanParams, page_size_pt: tuple[float, float], size_px: tuple[int, int]) -> Any:
    if isinstance(node, dict):
        if "bbox_pt" in node:
            moved = transform_box(BBox.from_list(node["bbox_pt"]), params, page_size_pt, size_px)
            return {**node, "bbox_pt": moved.to_list()}
        return {k: _move_boxes(v, params, page_size_pt, size_px) for k, v in node.items()}
    if isinstance(node, list):
        return [_move_boxes(v, params, page_size_pt, size_px) for v in node]
    return node


def _image_pdf(pages: list[tuple[Pixels, tuple[float, float]]], quality: int) -> bytes:
    # JPEG streams go in as binary: reportlab's ASCII85 wrapping is pure Python and slower than the rest together
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        return _image_pdf_bytes(pages, quality)
    finally:
        rl_config.useA85 = saved


def _image_pdf_bytes(pages: list[tuple[Pixels, tuple[float, float]]], quality: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pages[0][1], invariant=1, pageCompression=1)
    canvas.setCreator("IDP Desk samples")
    canvas.setProducer("IDP Desk samples")
    for pixels, (width_pt, height_pt) in pages:
        canvas.setPageSize((width_pt, height_pt))
        jpeg = io.BytesIO()
        Image.fromarray(pixels).save(jpeg, format="JPEG", quality=max(quality, 60))
        jpeg.seek(0)
        canvas.drawImage(ImageReader(jpeg), 0, 0, width=width_pt, height=height_pt)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _image_bytes(pixels: Pixels, params: ScanParams) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if params.output == "png":
        image.save(buffer, format="PNG", dpi=(params.dpi, params.dpi), compress_level=3)
    else:
        image.save(buffer, format="JPEG", quality=params.jpeg_quality or 85, dpi=(params.dpi, params.dpi))
    return buffer.getvalue()


def scan_pdf(pdf: bytes, params: ScanParams) -> tuple[bytes, list[tuple[int, int]]]:
    """The scanned variant of any PDF, in ``params.output`` format, and each page's size in pixels.

    Image-only PDFs keep each page's size in points; PNG and JPEG hold one page and carry the dpi.
    """
    rendered = _rasterise(pdf, params.dpi, grayscale=params.grayscale)
    if params.output != "pdf" and len(rendered) != 1:
        raise ValueError(f"only one-page documents can be scanned to {params.output}; this one has {len(rendered)}")
    rng = np.random.default_rng(params.seed)
    pages = [(degrade(pixels, params, rng), size_pt) for pixels, size_pt in rendered]
    sizes_px = [(pixels.shape[1], pixels.shape[0]) for pixels, _ in pages]
    if params.output == "pdf":
        return _image_pdf(pages, params.jpeg_quality or 85), sizes_px
    return _image_bytes(pages[0][0], params), sizes_px


def scan_document(pdf: bytes, truth: SampleTruth, params: ScanParams, *, file: str) -> tuple[bytes, SampleTruth]:
    """The scanned variant of ``pdf`` (bytes in ``params.output`` format) and its truth with moved boxes."""
    if params.output != "pdf" and truth.pages != 1:
        raise ValueError(f"only one-page documents can be scanned to {params.output}; {truth.id} has {truth.pages}")
    data, sizes_px = scan_pdf(pdf, params)
    width_px, height_px = sizes_px[0]
    boxes = _move_boxes(truth.boxes, params, truth.page_size_pt, (width_px, height_px))
    page_size_pt = truth.page_size_pt
    if params.output != "pdf":  # an image page measures pixels * 72 / dpi
        page_size_pt = (width_px * 72.0 / params.dpi, height_px * 72.0 / params.dpi)
        sx, sy = page_size_pt[0] / truth.page_size_pt[0], page_size_pt[1] / truth.page_size_pt[1]
        boxes = _scale_boxes(boxes, sx, sy)
    scanned = dataclasses.replace(
        truth, file=file, boxes=boxes, scan=True, scan_params=params.to_json(), page_size_pt=page_size_pt
    )
    return data, scanned


def _scale_boxes(node: Any, sx: float, sy: float) -> Any:
    if isinstance(node, dict):
        if "bbox_pt" in node:
            x0, y0, x1, y1 = node["bbox_pt"]
            return {**node, "bbox_pt": BBox(x0 * sx, y0 * sy, x1 * sx, y1 * sy).to_list()}
        return {k: _scale_boxes(v, sx, sy) for k, v in node.items()}
    if isinstance(node, list):
        return [_scale_boxes(v, sx, sy) for v in node]
    return node
