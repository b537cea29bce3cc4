"""Cheap image clean-up before OCR: orientation, deskew, denoise, contrast, table rules, text size.

Every step that moves pixels is recorded in one 3x3 matrix from the original page image to the cleaned one,
so that word boxes found on the cleaned image are mapped back, through the inverse, onto the page the clerk
sees. The whole clean-up is meant to cost a small fraction of the OCR itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]

ANALYSIS_SIDE_PX = 1400
"""Skew, orientation and text size are estimated on a copy whose longer side is about this long."""
MAX_SKEW_DEG = 15.0
MIN_SKEW_GLYPHS = 20
"""Fewer glyphs than this (a word or two) tell no angle: such a page is left as it is."""
MIN_SKEW_DEG = 0.15
"""Skew below this is left alone (rotating costs time and blurs the glyphs)."""
TARGET_TEXT_PX = 20.0
"""Glyph height (median, in pixels) small text is scaled up to, at most :data:`MAX_UPSCALE` times."""
SMALL_TEXT_PX = 10.0
"""Only text smaller than this is scaled up. On 20 SROIE receipts (glyphs of 11 to 24 px) scaling up to 24 px
found no more words (329 of 364 against 330 unscaled) for 9 % more OCR time; tiny fax-like type still gains."""
MAX_UPSCALE = 2.0
RULE_MIN_LENGTH_PX = 60
BLANK_LEVEL = 150
BLANK_GAP = 40
DIM_PAPER = 230
BLANK_SHARE = 0.00005
"""A page with a smaller share of pixels darker than :data:`BLANK_LEVEL` is blank; on dim paper (below
:data:`DIM_PAPER`: a pale receipt prints at 170 on paper of 215), than :data:`BLANK_GAP` grey levels below the paper
where that is lighter. White paper keeps the fixed level: a blank back's show-through and a scanner's edge shadow
(greys about 190 to 200) are no ink."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the clean-up measured on a page image."""

    skew_deg: float
    """Counter-clockwise angle of the text lines as displayed; the clean-up rotates by its negative."""
    vertical_text: bool
    """Text lines run up and down: the page is turned by 90 or 270 degrees."""
    text_height_px: float
    noisy: bool
    low_contrast: bool
    blank: bool = False
    """Next to no ink: nothing to read."""


@dataclass(frozen=True, slots=True)
class Prepared:
    image: GrayImage
    matrix: Matrix
    """Maps a pixel (x, y, 1) of the original image to the cleaned image."""
    analysis: Analysis
    rules_removed: int
    dark_fills: int = 0
    """Dark-filled areas (a header bar with white text) turned to dark text on white."""
    shaded: bool = False
    """Shaded paper was flattened."""


def _min_pool(gray: GrayImage) -> GrayImage:
    """Half the size, each pixel the darkest of its 2 x 2: thin dark rules survive, unlike with averaging."""
    h, w = (gray.shape[0] // 2) * 2, (gray.shape[1] // 2) * 2
    g = gray[:h, :w]
    return np.asarray(np.minimum(np.minimum(g[0::2, 0::2], g[0::2, 1::2]), np.minimum(g[1::2, 0::2], g[1::2, 1::2])))


def _downscaled(gray: GrayImage) -> tuple[GrayImage, float]:
    """A copy at most about :data:`ANALYSIS_SIDE_PX` long, halved by keeping the darkest pixel (cheap, keeps ink)."""
    small, factor = gray, 1.0
    while max(small.shape[:2]) > ANALYSIS_SIDE_PX * 1.3 and min(small.shape[:2]) >= 64:
        small, factor = _min_pool(small), factor / 2.0
    return small, factor


def _ink(gray: GrayImage) -> GrayImage:
    """Foreground (text, rules) as 255 on 0, by Otsu's threshold."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def _sharpness(
    xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], angles: npt.NDArray[np.float64]
) -> list[float]:
    """How sharply ink piles up into rows when the page is sheared by each angle (higher: rows line up).

    The sum of squared row counts, relative to the same ink spread evenly over the rows it spans unsheared
    (1.0), so that rows and columns of a narrow page (a receipt) compare fairly. The span is the unsheared one
    for every angle: a sheared page spans more rows, and scaling by that span would favour the steepest angle.
    """
    scores = []
    n = float(len(xs))
    span = float(ys.max() - ys.min() + 1.0)
    for a in angles:
        proj = ys + xs * np.tan(np.deg2rad(a))
        proj = proj - proj.min()
        counts = np.bincount(proj.astype(np.int64))
        scores.append(float(np.dot(counts, counts)) * span / (n * n))
    return scores


def estimate_skew(ink: GrayImage, max_points: int = 30_000) -> tuple[float, float, float]:
    """The skew angle in degrees (counter-clockwise, as displayed) and the row sharpness at it and at 90 degrees.

    Projection-profile search: the angle at which ink piles up into the sharpest rows is the angle of the lines.
    """
    ys, xs = np.nonzero(ink)
    if len(xs) < 50:
        return 0.0, 0.0, 0.0
    if len(xs) > max_points:
        pick = np.random.default_rng(0).choice(len(xs), size=max_points, replace=False)
        xs, ys = xs[pick], ys[pick]
    fx, fy = xs.astype(np.float64), ys.astype(np.float64)
    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.01, 0.5)
    scores = _sharpness(fx, fy, coarse)
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.5, best + 0.51, 0.05)
    fine_scores = _sharpness(fx, fy, fine)
    angle = float(fine[int(np.argmax(fine_scores))])
    # Sharpness of columns (the page turned by 90 degrees), at the same angle range.
    turned = max(_sharpness(fy, fx, coarse[::4]))
    return angle, max(fine_scores), turned


def _text_height(ink: GrayImage) -> tuple[float, bool, int]:
    """Median height of glyph-sized connected components, whether specks outnumber glyphs (a noisy scan), and
    how many glyphs there are."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return 0.0, False, 0
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    areas = stats[1:, cv2.CC_STAT_AREA]
    specks = int(np.count_nonzero(areas <= 2))
    glyph = (heights >= 4) & (heights <= ink.shape[0] / 8) & (widths <= ink.shape[1] / 4)
    glyphs = int(np.count_nonzero(glyph))
    if not glyphs:
        return 0.0, specks > 200, 0
    return float(np.median(heights[glyph])), specks > max(200, 2 * glyphs), glyphs


def analyse(gray: GrayImage) -> Analysis:
    small, factor = _downscaled(gray)
    ink = _ink(small)
    height, noisy, glyphs = _text_height(ink)
    angle, rows, columns = estimate_skew(ink) if glyphs >= MIN_SKEW_GLYPHS else (0.0, 0.0, 0.0)
    hist = np.bincount(small.ravel(), minlength=256).cumsum()
    lo = int(np.searchsorted(hist, 0.01 * hist[-1]))
    hi = int(np.searchsorted(hist, 0.99 * hist[-1]))
    paper = int(np.searchsorted(hist, 0.5 * hist[-1]))
    level = max(BLANK_LEVEL, paper - BLANK_GAP) if paper < DIM_PAPER else BLANK_LEVEL
    dark = float(hist[level]) / float(hist[-1])
    return Analysis(
        skew_deg=angle if abs(angle) >= MIN_SKEW_DEG else 0.0,
        vertical_text=columns > 1.3 * rows and rows > 0,
        text_height_px=height / factor,
        noisy=noisy,
        low_contrast=float(hi - lo) < 120.0 and dark >= BLANK_SHARE,
        blank=dark < BLANK_SHARE,
    )


def _affine3(m: npt.NDArray[Any]) -> Matrix:
    return np.vstack([m, [0.0, 0.0, 1.0]]).astype(np.float64)


def rotate_quarter(gray: GrayImage, clockwise_deg: int) -> tuple[GrayImage, Matrix]:
    """Turn by a multiple of 90 degrees clockwise; the matrix maps old pixels to new."""
    h, w = gray.shape[:2]
    turn = clockwise_deg % 360
    if turn == 90:
        out, m = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE), [[0, -1, h - 1], [1, 0, 0]]
    elif turn == 180:
        out, m = cv2.rotate(gray, cv2.ROTATE_180), [[-1, 0, w - 1], [0, -1, h - 1]]
    elif turn == 270:
        out, m = cv2.rotate(gray, cv2.ROTATE_90_COUNTERCLOCKWISE), [[0, 1, 0], [-1, 0, w - 1]]
    else:
        return gray, np.eye(3)
    return np.asarray(out, dtype=np.uint8), _affine3(np.array(m, dtype=np.float64))


def deskew(gray: GrayImage, skew_deg: float) -> tuple[GrayImage, Matrix]:
    """Rotate by ``-skew_deg`` onto a canvas large enough to keep the corners, white where nothing was."""
    if skew_deg == 0.0:
        return gray, np.eye(3)
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -skew_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w, new_h = int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin))
    m[0, 2] += new_w / 2.0 - w / 2.0
    m[1, 2] += new_h / 2.0 - h / 2.0
    out = cv2.warpAffine(gray, m, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=255)
    return np.asarray(out, dtype=np.uint8), _affine3(m)


RULE_TEXT_LENGTH = 10.0
"""A thin run (a quarter of a text height thick at most) shorter than this many text heights may be the letters of
a word (see :data:`LETTERS_TALL_SHARE`): bold or blurred letters that touch make runs as long as a word."""
LETTERS_TALL_SHARE = 0.5
"""Share of a run's columns whose ink goes on across it, up and down together, for half a text height at least,
from which a short thin run is taken for letters, not a rule: the strokes of the letters it runs through. On a
photographed invoice, runs through "Print" and "Kronberg Design" had 0.69 to 0.94, and painting them white lost the
seller's and the buyer's names; underlines, double underlines and table rules on receipts had 0.00 to 0.06 (an
underline keeps its words above it, apart from the few columns where a digit touches it). The foot of a rubber
stamp's letters is letters too, and is kept."""


def remove_rules(gray: GrayImage, text_height_px: float = 0.0) -> tuple[GrayImage, int]:
    """Paint long horizontal and vertical rules (table lines, underlines) white; returns how many were found.

    A rule is a run of ink far longer than any glyph: a morphological opening with a long thin kernel keeps
    rules and drops text. Ruled cells otherwise make Tesseract drop their content. The search runs at half
    resolution (a quarter of the work); the mask is scaled back up. Where the text height is known, a short thin
    run through letters is kept (see :data:`LETTERS_TALL_SHARE`).
    """
    half = _min_pool(gray) if min(gray.shape[:2]) >= 400 else gray
    factor = gray.shape[0] / half.shape[0]
    ink = _ink(half)
    h, w = half.shape[:2]
    min_len = max(20, round(RULE_MIN_LENGTH_PX / factor))
    horiz: GrayImage = np.asarray(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(min_len, w // 25), 1))),
        dtype=np.uint8,
    )
    vert: GrayImage = np.asarray(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(min_len, h // 25)))),
        dtype=np.uint8,
    )
    if text_height_px > 0:
        horiz = _without_letter_runs(horiz, ink, text_height_px / factor, along_x=True)
        vert = _without_letter_runs(vert, ink, text_height_px / factor, along_x=False)
    mask = cv2.bitwise_or(horiz, vert)
    if not mask.any():
        return gray, 0
    count = cv2.connectedComponents(mask, connectivity=8)[0] - 1
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    if half is not gray:
        mask = cv2.resize(mask, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_NEAREST)
    out = gray.copy()
    out[mask > 0] = 255
    return out, int(count)


def _without_letter_runs(runs: GrayImage, ink: GrayImage, text_height: float, along_x: bool) -> GrayImage:
    """``runs`` less the thin runs, shorter than :data:`RULE_TEXT_LENGTH` text heights, that run through letters
    (see :data:`LETTERS_TALL_SHARE`)."""
    if not runs.any():
        return runs
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    letters = np.zeros(n, dtype=bool)
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        length, thickness = (w, h) if along_x else (h, w)
        if length >= RULE_TEXT_LENGTH * text_height or thickness > max(2.0, text_height / 4):
            continue
        box = (x, y, w, h) if along_x else (y, x, h, w)
        letters[i] = _tall_share(ink if along_x else ink.T, *box, text_height) >= LETTERS_TALL_SHARE
    if not letters.any():
        return runs
    out = runs.copy()
    out[letters[labels]] = 0
    return out


def _tall_share(ink: GrayImage, x: int, y: int, w: int, h: int, text_height: float) -> float:
    """Of the columns of the horizontal run at (x, y, w, h), the share whose ink goes on above and below it, in an
    unbroken line, for half a text height at least together."""
    reach = max(1, round(text_height))
    extent = np.zeros(w, dtype=np.int32)
    for rows in (range(y - 1, max(-1, y - 1 - reach), -1), range(y + h, min(ink.shape[0], y + h + reach))):
        alive = np.ones(w, dtype=bool)
        for r in rows:
            alive &= ink[r, x : x + w] > 0
            extent += alive
    return float((extent >= text_height / 2).mean())


SHADE_PAPER_LEVEL = 120
"""Only paper at least this bright is flattened (and what is 40 levels darker, less and less); darker ground (the
desk around a photographed receipt) is left as it is, since dividing it by itself would make its grain into
specks."""
SHADE_CELL = 4
"""The paper's brightness is estimated at 1/4 of the resolution."""
SHADE_BLOB_SHARE = 0.05
"""Shaded paper is flattened when one global threshold would turn at least this share of the paper into black
areas wider and taller than two text heights (no glyph is that solid)."""


def _paper_level(small: GrayImage, text_height_px: float) -> GrayImage:
    """The brightness of the paper around each point of ``small`` (the page at 1/:data:`SHADE_CELL` of its
    resolution), text taken out: the brightest pixel over a little more than two text heights, smoothed."""
    reach = max(3, round(2.5 * max(text_height_px, 8.0) / SHADE_CELL) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    return np.asarray(cv2.medianBlur(paper, min(255, 2 * reach + 1)), dtype=np.uint8)


def flatten_shading(gray: GrayImage, text_height_px: float) -> tuple[GrayImage, bool]:
    """The page divided by the brightness of its paper where the paper is unevenly lit, so that shaded paper
    turns white and the text on it stays dark; returns whether the page was flattened.

    Tesseract binarises a page with one threshold (Otsu's). On a page whose paper falls off into shadow toward
    an edge or a fold, that threshold can lie between the lit and the shaded paper, and the shaded part turns
    black with the text on it (a whole column of amounts, the lower half of a receipt). Such a page is flattened;
    pages whose threshold leaves the paper white are left exactly as they are. The test runs at 1/4 of the
    resolution (solid black areas stay black there; text turns grey).
    """
    h, w = gray.shape[:2]
    if min(h, w) < 16 * SHADE_CELL:
        return gray, False
    small = np.asarray(cv2.resize(gray, (w // SHADE_CELL, h // SHADE_CELL), interpolation=cv2.INTER_AREA), np.uint8)
    paper = _paper_level(small, text_height_px)
    lit = paper >= SHADE_PAPER_LEVEL
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    black = ((small <= threshold) & lit).astype(np.uint8)  # as Tesseract binarises: the threshold is ink
    side = max(3, round(2 * max(text_height_px, 8.0) / SHADE_CELL))
    solid = cv2.morphologyEx(black, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    if np.count_nonzero(solid) < SHADE_BLOB_SHARE * max(1, int(np.count_nonzero(lit))):
        return gray, False
    level = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = np.clip(gray.astype(np.float32) * (255.0 / np.maximum(level, 1.0)), 0, 255)
    # faded in over 40 grey levels below the paper level, so that no seam runs where the shadow deepens
    weight = np.clip((level - (SHADE_PAPER_LEVEL - 40)) / 40.0, 0.0, 1.0)
    out = weight * flat + (1.0 - weight) * gray
    return np.asarray(out, dtype=np.uint8), True


DARK_FILL_LEVEL = 96
"""A page area whose average grey, text and all, is below this is a dark fill (white text on a dark bar)."""
DARK_FILL_CELLS = 200
"""The page's long side is averaged over this many cells to find dark fills (1.5 mm on A4): a cell is wider than
most strokes and narrower than a line."""
DARK_FILL_MIN_WIDTH = 0.12
"""A dark fill spans at least this share of the page width (a bar across a table, not a bold word)."""
DARK_FILL_SOLID = 0.6
"""A dark fill covers at least this share of its box (not the ring of a logo or a frame)."""
DARK_FILL_MIN_LETTERS = 8
"""A dark fill worth turning holds at least this many light patches: a word or two, not specks."""
DARK_FILL_MAX_LETTER = 0.05
"""No light patch in a dark fill is larger than this share of it: light text is letters, not a stretch of paper
(the ragged dark ground around a scanned receipt takes in paper at its edge)."""


def invert_dark_fills(gray: GrayImage) -> tuple[GrayImage, int]:
    """Dark-filled areas with light text (a table header or a total on a dark bar, a banner) turned to dark text
    on white.

    Tesseract reads light text on a dark fill poorly or not at all. With light strokes removed and the page
    averaged over cells wider than a stroke, a dark fill stays dark while dark text on white turns light. An
    area at least a line high, across a good part of the page and filled, whose text is lighter than its ground
    and made of letters (not specks, not the paper at the edge of a dark ground), is inverted and binarised.
    """
    h, w = gray.shape[:2]
    cell = max(4, round(max(h, w) / DARK_FILL_CELLS))
    if h < 8 * cell or w < 8 * cell:
        return gray, 0
    # light strokes narrower than a cell vanish from a dark fill (an opening); dark text on white stays as it is
    opened = cv2.morphologyEx(gray, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (cell, cell)))
    small = cv2.resize(opened, (w // cell, h // cell), interpolation=cv2.INTER_AREA)
    dark = np.asarray((small < DARK_FILL_LEVEL).astype(np.uint8) * 255)
    dark = np.asarray(cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))))
    n, _labels, stats, _centroids = cv2.connectedComponentsWithStats(dark, connectivity=8)
    out = gray.copy()
    fills = 0
    for k in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[k])
        # a line high, across a good part of the page, and solid
        if bh >= 3 and bw >= DARK_FILL_MIN_WIDTH * small.shape[1] and area >= DARK_FILL_SOLID * bw * bh:
            box = (slice(y * cell, (y + bh) * cell), slice(x * cell, (x + bw) * cell))
            inner = gray[(y + 1) * cell : (y + bh - 1) * cell, (x + 1) * cell : (x + bw - 1) * cell]  # off its edge
            ground = float(np.median(inner))
            light = np.asarray((inner > ground + 64).astype(np.uint8))
            if np.count_nonzero(light) <= np.count_nonzero(inner < ground - 64):
                continue  # dark text on a dark ground (a shadow), or no text: nothing light to turn
            patches = cv2.connectedComponentsWithStats(light, connectivity=8)[2][1:, cv2.CC_STAT_AREA]
            if patches.max() > DARK_FILL_MAX_LETTER * light.size:
                continue  # paper at the edge of a dark ground, not letters
            if np.count_nonzero(patches >= 4) < DARK_FILL_MIN_LETTERS:
                continue  # specks on a dark ground: no words to read
            # dark text on plain white: a grey box would pass for a picture with Tesseract
            _, text = cv2.threshold(255 - gray[box], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
            out[box] = text
            fills += 1
    return out, fills


CONTRAST_PERCENTILES = (0.5, 99.5)
"""A faint page stretched is stretched so that its darkest half per cent turns black and its brightest half per cent
white. Local equalisation (CLAHE) raises a pale receipt's paper grain into a grey mottle: two of SROIE's 13 faint
receipts read no word at all, and read stretched (which keeps the grain as faint as it was). Stretching every faint
page read more of their sellers' words (150 of 204 against 122) but, letter by letter, three addresses and a date
fewer: only a faint page that reads next to nothing equalised is read again stretched."""


def stretch_contrast(gray: GrayImage) -> GrayImage:
    """The grey levels between the page's darkest and brightest (:data:`CONTRAST_PERCENTILES`) spread over all."""
    lo, hi = (float(v) for v in np.percentile(gray, CONTRAST_PERCENTILES))
    if hi - lo < 1.0:
        return gray
    table = np.clip((np.arange(256, dtype=np.float64) - lo) * 255.0 / (hi - lo), 0, 255).astype(np.uint8)
    return np.asarray(table[gray], dtype=np.uint8)


def prepare(
    gray: GrayImage,
    *,
    orientation_deg: int = 0,
    fix_skew: bool = True,
    analysis: Analysis | None = None,
    stretch: bool = False,
) -> Prepared:
    """Clean a page image for OCR; ``orientation_deg`` is a clockwise turn decided beforehand (e.g. by OSD). A faint
    page is equalised tile by tile, or with ``stretch`` stretched to full contrast as a whole (for a page that read
    next to nothing equalised: see :data:`CONTRAST_PERCENTILES`)."""
    image, matrix = rotate_quarter(gray, orientation_deg)
    info = analysis if analysis is not None and orientation_deg == 0 else analyse(image)
    if fix_skew and info.skew_deg:
        image, m = deskew(image, info.skew_deg)
        matrix = m @ matrix
    if info.noisy:
        image = np.asarray(cv2.medianBlur(image, 3), dtype=np.uint8)
    if info.low_contrast and stretch:
        image = stretch_contrast(image)
    elif info.low_contrast:
        clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        image = np.asarray(clahe.apply(image), dtype=np.uint8)
    image, fills = invert_dark_fills(image)
    # shading is looked for before rule removal (which would take a shaded stretch for a rule and paint it
    # white, text and all) and again after it if rules were removed (a dark page edge taken away moves the
    # threshold Tesseract uses)
    image, shaded = flatten_shading(image, info.text_height_px)
    image, rules = remove_rules(image, info.text_height_px)
    if not shaded and rules:
        image, shaded = flatten_shading(image, info.text_height_px)
    if 0 < info.text_height_px < SMALL_TEXT_PX:
        scale = min(MAX_UPSCALE, TARGET_TEXT_PX / info.text_height_px)
        image = np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        matrix = np.diag([scale, scale, 1.0]) @ matrix
    return Prepared(image=image, matrix=matrix, analysis=info, rules_removed=rules, dark_fills=fills, shaded=shaded)


def map_box_back(
    matrix: Matrix, left: float, top: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """A pixel box on the cleaned image as the box (left, top, width, height) around it on the original image."""
    inverse = np.linalg.inv(matrix)
    corners = np.array(
        [[left, top, 1.0], [left + width, top, 1.0], [left, top + height, 1.0], [left + width, top + height, 1.0]]
    )
    mapped = corners @ inverse.T
    x0, y0 = mapped[:, 0].min(), mapped[:, 1].min()
    x1, y1 = mapped[:, 0].max(), mapped[:, 1].max()
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)
