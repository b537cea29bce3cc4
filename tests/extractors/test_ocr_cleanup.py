"""OCR clean-up: skew estimation, rule removal, text size, blank pages, and boxes mapped back."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from extractors.ocr.cleanup import analyse, deskew, map_box_back, prepare, remove_rules, rotate_quarter
from tests.extractors.test_readers_docs import FONT, draw_scan, ink_share


def _rotated(img: np.ndarray, angle_deg: float) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    return np.asarray(cv2.warpAffine(img, m, (w, h), borderValue=255))


@pytest.mark.parametrize("angle", [-4.0, -1.2, 0.7, 2.5, 6.0])
def test_skew_angle_is_recovered(angle: float) -> None:
    img = _rotated(draw_scan(dpi=150), angle)
    assert analyse(img).skew_deg == pytest.approx(angle, abs=0.5)


def test_straight_page_is_not_rotated() -> None:
    info = analyse(draw_scan(dpi=150))
    assert info.skew_deg == 0.0 and not info.vertical_text and not info.blank


@pytest.mark.parametrize("speckle", [0.02, 0.05, 0.1])
def test_speckled_scan_is_not_turned_to_the_steepest_angle(speckle: float) -> None:
    # Ink spread without rows (dust, a shadow) spans more rows the more the page is sheared; that alone must
    # not make a steep angle look like the angle of the lines.
    img = draw_scan(dpi=150)
    img[np.random.default_rng(3).random(img.shape) < speckle] = 0
    assert analyse(img).skew_deg == pytest.approx(0.0, abs=0.5)


def test_sideways_page_is_recognised() -> None:
    img = np.ascontiguousarray(np.rot90(draw_scan(dpi=150)))
    assert analyse(img).vertical_text


def test_blank_page() -> None:
    page = np.full((1000, 700), 250, dtype=np.uint8)
    page[500, 300] = 0  # a speck of dust
    assert analyse(page).blank
    page[100:104, 50:650] = 200  # a blank back's show-through
    page[:, :25] = 190  # and the scanner's edge shadow: no ink either
    assert analyse(page).blank


def _table(dpi: int = 200) -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int, int]]]]:
    from PIL import Image, ImageDraw, ImageFont

    k = dpi / 72
    img = Image.new("L", (round(500 * k), round(300 * k)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, round(11 * k))
    cols, rows = [40, 200, 330, 460], [40, 80, 120, 160]
    for x in cols:
        draw.line([(x * k, rows[0] * k), (x * k, rows[-1] * k)], fill=0, width=3)
    for y in rows:
        draw.line([(cols[0] * k, y * k), (cols[-1] * k, y * k)], fill=0, width=3)
    cells = []
    for r, (y0, y1) in enumerate(itertools.pairwise(rows)):
        for c, (x0, x1) in enumerate(itertools.pairwise(cols)):
            text = f"R{r}C{c} {100 * r + c}"
            draw.text(((x0 + 8) * k, (y0 + 12) * k), text, font=font, fill=0)
            cells.append((text, (round((x0 + 6) * k), round((y0 + 6) * k), round((x1 - 6) * k), round((y1 - 6) * k))))
    return np.array(img), cells


def test_rule_removal_removes_rules_and_keeps_text() -> None:
    img, cells = _table()
    cleaned, count = remove_rules(img)
    assert count >= 1  # one connected grid
    k = 200 / 72
    # The rules are gone: the row of a horizontal rule and the column of a vertical rule are paper now.
    assert ink_share(img, (40 * k, 80 * k - 1, 460 * k, 80 * k + 2)) > 0.8
    assert ink_share(cleaned, (40 * k, 80 * k - 3, 460 * k, 80 * k + 3)) < 0.02
    assert ink_share(cleaned, (200 * k - 3, 40 * k, 200 * k + 3, 160 * k)) < 0.02
    # The text in every cell keeps its ink.
    for _, box in cells:
        assert ink_share(cleaned, box) == pytest.approx(ink_share(img, box), rel=0.05)


def test_bold_letters_that_touch_are_no_rule_an_underline_is() -> None:
    """A photographed page: bold condensed letters blurred into runs of ink as long as a rule's shortest; the
    buyer's name lost its middle where they were painted white."""
    from PIL import Image, ImageDraw, ImageFont

    k = 150 / 72
    img = Image.new("L", (round(500 * k), round(300 * k)), 205)
    draw = ImageDraw.Draw(img)
    bold = ImageFont.truetype(str(Path(FONT).with_name("DejaVuSansCondensed-Bold.ttf")), round(13 * k))
    draw.text((40 * k, 40 * k), "Kronberg Design AG", font=bold, fill=40)
    draw.text((300 * k, 40 * k), "Total due", font=bold, fill=40)
    draw.line([(300 * k, 62 * k), (460 * k, 62 * k)], fill=40, width=2)
    page = np.asarray(cv2.GaussianBlur(np.array(img), (7, 7), 0), dtype=np.uint8)
    name, underline = (40 * k, 38 * k, 250 * k, 62 * k), (300 * k, 61 * k, 460 * k, 64 * k)
    cleaned, count = remove_rules(page, analyse(page).text_height_px)
    assert count == 1
    assert ink_share(cleaned, underline) < 0.02 < ink_share(page, underline)
    assert ink_share(cleaned, name) == pytest.approx(ink_share(page, name), rel=0.01)


def test_page_without_rules_is_left_alone() -> None:
    img = draw_scan(dpi=150)
    cleaned, count = remove_rules(img)
    assert count == 0 and np.array_equal(cleaned, img)


def test_small_text_is_scaled_up_and_boxes_map_back() -> None:
    img = draw_scan(dpi=100, size_pt=6)
    prepared = prepare(img)
    assert prepared.image.shape[0] > img.shape[0] * 1.3
    # A box on the enlarged image maps back onto the same spot of the original.
    scale = prepared.matrix[0, 0]
    left, top, width, height = map_box_back(prepared.matrix, 100 * scale, 50 * scale, 40 * scale, 10 * scale)
    assert (left, top, width, height) == pytest.approx((100, 50, 40, 10), abs=0.01)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_quarter_turns_map_back(turn: int) -> None:
    img = np.zeros((300, 200), dtype=np.uint8)
    img[10:30, 50:90] = 255  # a box at x 50..90, y 10..30
    out, matrix = rotate_quarter(img, turn)
    ys, xs = np.nonzero(out)
    left, top, width, height = map_box_back(
        matrix, float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)
    )
    assert (left, top, width, height) == pytest.approx((50, 10, 40, 20), abs=1.01)


def test_deskew_matrix_maps_points_back() -> None:
    img = draw_scan(dpi=100)
    out, matrix = deskew(img, 5.0)
    assert out.shape[0] > img.shape[0] and out.shape[1] > img.shape[1]
    left, top, _, _ = map_box_back(matrix, *(matrix @ np.array([120.0, 300.0, 1.0]))[:2], 0.0, 0.0)
    assert (left, top) == pytest.approx((120.0, 300.0), abs=1e-6)


def test_a_single_word_tells_no_skew() -> None:
    img = _rotated(draw_scan((("Total", 72, 100),), dpi=150), 3.0)
    assert analyse(img).skew_deg == 0.0


def _bar_page(dpi: int = 150, ground: int = 40, text: int = 245) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A page of dark text with a table header on a dark bar (light text), and the bar's pixel box."""
    from PIL import Image, ImageDraw, ImageFont

    k = dpi / 72.0
    img = Image.fromarray(draw_scan(dpi=dpi))
    draw = ImageDraw.Draw(img)
    box = (round(20 * k), round(180 * k), round(500 * k), round(204 * k))
    draw.rectangle(box, fill=ground)
    draw.text((round(30 * k), round(198 * k)), "Qty  Description  Amount", font=ImageFont.truetype(FONT, round(12 * k)),
              fill=text, anchor="ls")  # fmt: skip
    return np.array(img), box


def test_light_text_on_a_dark_bar_is_turned_to_dark_text_on_white() -> None:
    from extractors.ocr.cleanup import invert_dark_fills

    page, (x0, y0, x1, y1) = _bar_page()
    out, fills = invert_dark_fills(page)
    assert fills == 1
    bar = out[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
    assert np.median(bar) == 255 and 0.02 < float((bar < 128).mean()) < 0.4  # white ground, dark letters
    outside = np.ones(page.shape, dtype=bool)
    outside[y0 - 20 : y1 + 20, x0 - 20 : x1 + 20] = False
    assert np.array_equal(out[outside], page[outside])  # the dark text around it is left as it is
    assert prepare(page).dark_fills == 1


def test_dark_text_on_a_grey_shadow_and_plain_pages_are_not_turned() -> None:
    from extractors.ocr.cleanup import invert_dark_fills

    shadow, _ = _bar_page(ground=90, text=10)
    assert invert_dark_fills(shadow)[1] == 0
    plain = draw_scan(dpi=150)
    out, fills = invert_dark_fills(plain)
    assert fills == 0 and np.array_equal(out, plain)
    # the dark ground around a scanned receipt, taking in a stretch of paper at its edge
    ragged = plain.copy()
    ragged[:40, :] = 30
    ragged[10:40, 200:600] = 250
    assert invert_dark_fills(ragged)[1] == 0


@pytest.mark.slow
def test_ocr_reads_a_header_on_a_dark_bar(tmp_path: Path) -> None:
    from PIL import Image

    from extractors.context import ExtractionContext
    from extractors.readers import read_document

    page, _ = _bar_page(dpi=200)
    path = tmp_path / "bar.png"
    Image.fromarray(page).save(path, dpi=(200, 200))
    text = read_document(path, ExtractionContext(ocr_languages="eng", ocr_dpi=200)).text()
    assert "Description" in text and "Amount" in text


ITEMS = ("Office chair", "Desk lamp LED", "Monitor 27 inch", "Copy paper A4", "Toner black", "Cable set")
SHADED_LINES = (
    ("Description", 40, 60),
    ("Amount", 380, 60),
    *((name, 40, 90 + 24 * k) for k, name in enumerate(ITEMS)),
    *((f"{306.24 + 111 * k:.2f}", 380, 90 + 24 * k) for k in range(len(ITEMS))),
)


def _shaded_page(dpi: int = 200) -> np.ndarray:
    """A page whose paper falls off into shadow toward the right edge (as a page lifted off the scanner glass):
    the amounts stand on paper about 180 grey levels bright, the descriptions on white."""
    page = draw_scan(SHADED_LINES, dpi=dpi, size_pt=12, page_pt=(500, 260)).astype(np.float32)
    width = page.shape[1]
    light = np.clip(1.0 - 0.3 * (np.arange(width) - 0.55 * width) / (0.2 * width), 0.7, 1.0)
    return np.asarray(page * light[None, :], dtype=np.uint8)


def test_shaded_paper_is_flattened_so_that_one_threshold_keeps_it_white() -> None:
    from extractors.ocr.cleanup import flatten_shading

    page = _shaded_page()
    threshold, _ = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    right = page[:, int(0.8 * page.shape[1]) :]
    assert float((right < threshold).mean()) > 0.5  # as Tesseract binarises it: the shaded paper turns black
    prepared = prepare(page)
    assert prepared.shaded
    threshold, _ = cv2.threshold(prepared.image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    right = prepared.image[:, int(0.8 * page.shape[1]) :]
    assert float((right < threshold).mean()) < 0.1  # white paper, dark digits
    plain = draw_scan(SHADED_LINES, dpi=200, size_pt=12, page_pt=(500, 260))
    out, flattened = flatten_shading(plain, analyse(plain).text_height_px)
    assert not flattened and out is plain  # evenly lit paper is left exactly as it is


@pytest.mark.slow
def test_ocr_reads_the_amounts_on_shaded_paper(tmp_path: Path) -> None:
    from PIL import Image

    from extractors.context import ExtractionContext
    from extractors.readers import read_document

    path = tmp_path / "shaded.png"
    Image.fromarray(_shaded_page()).save(path, dpi=(200, 200))
    text = read_document(path, ExtractionContext(ocr_languages="eng", ocr_dpi=200)).text()
    assert "306.24" in text and "861.24" in text and "Office chair" in text


def test_a_faint_page_stretched_is_given_contrast_without_its_papers_grain() -> None:
    """A pale receipt: ink 60 grey levels below the paper, and the paper's grain. Local equalisation (CLAHE) raises
    the grain into a mottle as dark as the print, and such receipts may read no word at all: they are read again
    stretched."""
    page = draw_scan(dpi=150)
    ink = page < 128
    paper = cv2.erode((page > 250).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    grain = cv2.GaussianBlur(np.random.default_rng(7).normal(0.0, 8.0, page.shape), (0, 0), 1.2)
    faint = np.clip(200.0 - (255.0 - page) / 255.0 * 60.0 + grain, 0, 255).astype(np.uint8)

    def separation(img: np.ndarray) -> tuple[float, float]:
        """How far the ink stands below the paper: in grey levels, and in the paper's own grain."""
        gap = float(img[paper].mean() - img[ink].mean())
        return gap, gap / float(img[paper].std())

    prepared = prepare(faint, fix_skew=False, stretch=True)
    assert prepared.analysis.low_contrast and prepared.image.shape == faint.shape
    (gap_before, clear_before), (gap_after, clear_after) = separation(faint), separation(prepared.image)
    assert gap_after >= 2.0 * gap_before  # the print darker against its paper
    assert clear_after >= 0.9 * clear_before  # and the grain no more than the print
