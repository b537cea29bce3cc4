"""Page geometry: one coordinate system for everything stored.

Boxes are in PDF points (1/72 inch), origin at the top-left corner of the page, y growing downwards,
one system per page. OCR pixel boxes are converted once, where OCR happens, with :meth:`BBox.from_pixels`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

POINTS_PER_INCH = 72.0


class InvalidBBoxError(ValueError):
    """A box whose corners are out of order or not finite."""


@dataclass(frozen=True, slots=True)
class BBox:
    """An axis-aligned box in PDF points, origin top-left: ``x0 <= x1`` and ``y0 <= y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        for v in (self.x0, self.y0, self.x1, self.y1):
            if v != v or v in (float("inf"), float("-inf")):
                raise InvalidBBoxError(f"box coordinates must be finite: {self!r}")
        if self.x0 > self.x1 or self.y0 > self.y1:
            raise InvalidBBoxError(f"box corners out of order: {self!r}")

    @classmethod
    def from_pixels(cls, left_px: float, top_px: float, width_px: float, height_px: float, dpi: float) -> BBox:
        """Convert a pixel box (left, top, width, height) on an image rendered at ``dpi`` to points."""
        if dpi <= 0:
            raise InvalidBBoxError(f"dpi must be positive, got {dpi}")
        k = POINTS_PER_INCH / dpi
        return cls(left_px * k, top_px * k, (left_px + width_px) * k, (top_px + height_px) * k)

    @classmethod
    def from_list(cls, values: Iterable[float]) -> BBox:
        x0, y0, x1, y1 = (float(v) for v in values)
        return cls(x0, y0, x1, y1)

    @classmethod
    def union_of(cls, boxes: Iterable[BBox]) -> BBox:
        items = list(boxes)
        if not items:
            raise InvalidBBoxError("union of no boxes")
        return cls(
            min(b.x0 for b in items),
            min(b.y0 for b in items),
            max(b.x1 for b in items),
            max(b.y1 for b in items),
        )

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)

    def to_list(self, ndigits: int = 2) -> list[float]:
        return [round(self.x0, ndigits), round(self.y0, ndigits), round(self.x1, ndigits), round(self.y1, ndigits)]

    def union(self, other: BBox) -> BBox:
        return BBox.union_of((self, other))

    def intersection_area(self, other: BBox) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def iou(self, other: BBox) -> float:
        inter = self.intersection_area(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def overlap_ratio(self, other: BBox) -> float:
        """Share of *this* box's area that lies inside ``other`` (0 for a degenerate box)."""
        return self.intersection_area(other) / self.area if self.area > 0 else 0.0

    def contains_point(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def expanded(self, margin: float) -> BBox:
        return BBox(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def scaled(self, factor: float) -> BBox:
        """The box in another unit, e.g. ``bbox_pt.scaled(dpi / 72)`` gives pixels at ``dpi``."""
        return BBox(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor)
