"""A reportlab canvas that is driven in top-left page coordinates and records where each field is drawn.

Layout code places text by its baseline measured from the top of the page (points, y down), the
project's coordinate system; this wrapper flips to reportlab's bottom-left origin once. The box
recorded for a string spans its advance width and the font's descent to descent + size, the box a
PDF text reader such as pdfplumber reports for the same characters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from extractors.geometry import BBox

RGB = tuple[float, float, float]
BLACK: RGB = (0.0, 0.0, 0.0)
WHITE: RGB = (1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class PlacedBox:
    page: int
    bbox_pt: BBox


@lru_cache(maxsize=65536)
def text_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def text_box(x: float, baseline: float, text: str, font: str, size: float) -> BBox:
    """The box of ``text`` drawn at ``x`` with its baseline at ``baseline`` (top-left coordinates)."""
    descent = pdfmetrics.getDescent(font, size)  # negative
    bottom = baseline - descent
    return BBox(x, bottom - size, x + text_width(text, font, size), bottom)


class RecordingCanvas:
    """Draws pages in top-left coordinates and remembers the box of every field it is told about."""

    def __init__(self, width_pt: float, height_pt: float, *, title: str = "") -> None:
        self.buffer = io.BytesIO()
        self.width = width_pt
        self.height = height_pt
        self.canvas = Canvas(self.buffer, pagesize=(width_pt, height_pt), invariant=1, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("")
        self.canvas.setCreator("IDP Desk samples")
        self.canvas.setProducer("IDP Desk samples")
        self.page = 0
        self.boxes: dict[str, PlacedBox] = {}

    # recording -----------------------------------------------------------------------------------
    def record(self, key: str, bbox: BBox, *, merge: bool = False) -> None:
        """Remember ``bbox`` for ``key`` on the current page; the first drawing wins.

        With ``merge``, a line drawn just below the recorded box (a further address line) extends it.
        """
        old = self.boxes.get(key)
        if old is None:
            self.boxes[key] = PlacedBox(self.page, bbox)
        elif merge and old.page == self.page and 0 <= bbox.y0 - old.bbox_pt.y1 < bbox.height:
            self.boxes[key] = PlacedBox(self.page, old.bbox_pt.union(bbox))

    # drawing -------------------------------------------------------------------------------------
    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        font: str,
        size: float,
        *,
        align: str = "left",
        color: RGB = BLACK,
        key: str | None = None,
        merge: bool = False,
    ) -> BBox:
        """Draw ``text``; ``align`` says whether ``x`` is its left edge, right edge or centre."""
        width = text_width(text, font, size)
        left = x - width if align == "right" else x - width / 2 if align == "center" else x
        c = self.canvas
        c.setFillColor(Color(*color))
        c.setFont(font, size)
        c.drawString(left, self.height - baseline, text)
        box = text_box(left, baseline, text, font, size)
        if key is not None:
            self.record(key, box, merge=merge)
        return box

    def rect(
        self,
        x: float,
        top: float,
        width: float,
        height: float,
        *,
        fill: RGB | None = None,
        stroke: RGB | None = None,
        line_width: float = 0.6,
        radius: float = 0.0,
    ) -> None:
        c = self.canvas
        if fill is not None:
            c.setFillColor(Color(*fill))
        if stroke is not None:
            c.setStrokeColor(Color(*stroke))
        c.setLineWidth(line_width)
        y = self.height - top - height
        if radius:
            c.roundRect(x, y, width, height, radius, stroke=int(stroke is not None), fill=int(fill is not None))
        else:
            c.rect(x, y, width, height, stroke=int(stroke is not None), fill=int(fill is not None))

    def line(self, x0: float, y0: float, x1: float, y1: float, *, color: RGB = BLACK, width: float = 0.6) -> None:
        c = self.canvas
        c.setStrokeColor(Color(*color))
        c.setLineWidth(width)
        c.line(x0, self.height - y0, x1, self.height - y1)

    def circle(self, cx: float, cy: float, r: float, *, fill: RGB | None = None, stroke: RGB | None = None) -> None:
        c = self.canvas
        if fill is not None:
            c.setFillColor(Color(*fill))
        if stroke is not None:
            c.setStrokeColor(Color(*stroke))
        c.circle(cx, self.height - cy, r, stroke=int(stroke is not None), fill=int(fill is not None))

    def polygon(self, points: list[tuple[float, float]], *, fill: RGB) -> None:
        c = self.canvas
        path = c.beginPath()
        first, *rest = points
        path.moveTo(first[0], self.height - first[1])
        for px, py in rest:
            path.lineTo(px, self.height - py)
        path.close()
        c.setFillColor(Color(*fill))
        c.drawPath(path, stroke=0, fill=1)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.page += 1

    def finish(self) -> bytes:
        """Close the document and return its bytes (identical for identical drawing: invariant mode)."""
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()

    @property
    def page_count(self) -> int:
        return self.page + 1
