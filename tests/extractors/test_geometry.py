from __future__ import annotations

import pytest

from extractors.geometry import BBox, InvalidBBoxError


def test_pixels_convert_to_points_once() -> None:
    box = BBox.from_pixels(300, 600, 150, 30, dpi=300)
    assert box.to_list() == [72.0, 144.0, 108.0, 151.2]


@pytest.mark.parametrize("corners", [(10, 0, 5, 5), (0, 10, 5, 5), (float("nan"), 0, 1, 1)])
def test_box_refuses_corners_out_of_order(corners: tuple[float, float, float, float]) -> None:
    with pytest.raises(InvalidBBoxError):
        BBox(*corners)


def test_union_overlap_and_iou() -> None:
    a = BBox(0, 0, 10, 10)
    b = BBox(5, 5, 15, 15)
    assert a.union(b) == BBox(0, 0, 15, 15)
    assert a.intersection_area(b) == 25
    assert a.overlap_ratio(b) == pytest.approx(0.25)
    assert a.iou(b) == pytest.approx(25 / 175)
    assert a.iou(BBox(20, 20, 30, 30)) == 0.0


def test_scaled_back_to_pixels_round_trips() -> None:
    box = BBox.from_pixels(123, 456, 78, 9, dpi=200)
    px = box.scaled(200 / 72)
    assert px.to_list() == pytest.approx([123, 456, 201, 465], abs=1e-6)
