"""OCR of whole pages: clean-up, engine, boxes back to points on the original page, layout; pages in parallel.

Each page job names its file and page rather than carrying pixels, so that a worker process renders (or
decodes) the page itself and only the finished :class:`~extractors.document.Page` travels back.
"""

from __future__ import annotations

import atexit
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.context import ExtractionContext
from extractors.document import Page, Token, TokenSource
from extractors.errors import ExtractionError, OcrUnavailableError
from extractors.geometry import BBox
from extractors.ocr.cleanup import Prepared, analyse, map_box_back, prepare
from extractors.ocr.engine import (
    OcrEngine,
    OcrWord,
    check_tesseract,
    clear_chars,
    detect_orientation,
    limit_threads,
    tesseract,
)
from extractors.parallel import safe_start_method
from extractors.readers.layout import Group, assemble_page, geometric_groups, upright
from extractors.readers.render import PageImage, load_page_image

LOW_CONFIDENCE = 0.45
"""Below this mean word confidence the page may be upside down: orientation detection is tried."""


@dataclass(frozen=True, slots=True)
class PageJob:
    path: str
    page_index: int
    is_pdf: bool
    dpi: float
    rotation: int = 0
    width_pt: float | None = None
    """The page size as the PDF states it (a rendering is a whole number of pixels, the page is not)."""
    height_pt: float | None = None


def _mean_confidence(words: Sequence[OcrWord]) -> float:
    chars = sum(len(w.text) for w in words)
    if not chars:
        return 0.0
    return sum(w.confidence * len(w.text) for w in words) / chars


CLEAR_SHARE = 0.45
"""Below this share of its characters in clear words (see :func:`~extractors.ocr.engine.clear_chars`) a read may be
of a page upside down. On 14 SROIE receipts: upright 0.51 to 0.93, the same turned 180 degrees 0.14 to 0.40."""
TALL_SHARE = 0.5
"""Above this share of words (three letters or more) taller than wide, the page was read sideways: upright
receipts 0 to 0.06, the same turned 90 degrees 0.97 to 1.0 (Tesseract reads sideways lines, in sideways boxes)."""


def _maybe_turned(words: Sequence[OcrWord]) -> bool:
    """Whether a page's first read looks like a page fed in turned: poorly read (upside down), or read in boxes
    taller than wide (sideways)."""
    chars = sum(len(w.text) for w in words)
    return (
        _mean_confidence(words) < LOW_CONFIDENCE
        or (chars > 0 and clear_chars(words) / chars < CLEAR_SHARE)
        or _tall_share(words) > TALL_SHARE
    )


def _tall_share(words: Sequence[OcrWord]) -> float:
    """The share of words of three characters or more whose box is taller than wide."""
    longer = [w for w in words if len(w.text) >= 3]
    return sum(1 for w in longer if w.height_px > w.width_px) / len(longer) if longer else 0.0


def _run_engine(engine: OcrEngine, prepared: Prepared, ctx: ExtractionContext, psm: int, dpi: float) -> list[OcrWord]:
    scale = float(abs(np.linalg.det(prepared.matrix[:2, :2]))) ** 0.5
    return list(engine(prepared.image, ctx.ocr_languages, psm, dpi * scale))


def _to_tokens(
    words: Sequence[OcrWord], prepared: Prepared, dpi: float, index: int, offset_px: tuple[float, float], page: BBox
) -> tuple[list[Token], list[tuple[int, int, int]]]:
    tokens: list[Token] = []
    keys: list[tuple[int, int, int]] = []
    for w in words:
        left, top, width, height = map_box_back(prepared.matrix, w.left_px, w.top_px, w.width_px, w.height_px)
        box = BBox.from_pixels(left + offset_px[0], top + offset_px[1], width, height, dpi)
        x0, y0 = min(max(box.x0, page.x0), page.x1), min(max(box.y0, page.y0), page.y1)
        x1, y1 = min(max(box.x1, x0), page.x1), min(max(box.y1, y0), page.y1)
        tokens.append(
            Token(
                text=w.text,
                bbox_pt=BBox(x0, y0, x1, y1),
                page=index,
                confidence=w.confidence,
                source=TokenSource.OCR,
                font_size_pt=round(box.height, 1),
            )
        )
        keys.append((w.block, w.paragraph, w.line))
    return tokens, keys


def _engine_groups(keys: Sequence[tuple[int, int, int]]) -> list[Group] | None:
    """Lines and blocks from the engine's own numbering, in its order; None when it gives none."""
    if not keys or all(k == (0, 0, 0) for k in keys):
        return None
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, key in enumerate(keys):
        lines.setdefault(key, []).append(i)
    blocks: dict[tuple[int, int], int] = {}
    return [Group(tuple(members), blocks.setdefault(key[:2], len(blocks))) for key, members in lines.items()]


def ocr_page_image(
    image: PageImage,
    index: int,
    ctx: ExtractionContext,
    engine: OcrEngine | None = None,
    *,
    region_pt: BBox | None = None,
    rotation: int = 0,
    size_pt: tuple[float, float] | None = None,
    psm: int = 3,
    turn: int | None = None,
) -> Page:
    """OCR one page image (or the ``region_pt`` of it) into a page of tokens in points.

    A whole page found sideways or upside down (the turn under which the most words read clearly) is read turned
    upright, and the page returned is the upright one: its size and boxes are those of the image turned clockwise
    by its :attr:`~extractors.document.Page.upright_turn`. ``turn`` gives that turn instead of detecting it (a second
    look at a page whose turn is known). A region is read on the image as given.

    ``psm`` is Tesseract's page segmentation for a whole page: 3 (automatic, columns and blocks) by default, 4 (one
    column, see :data:`PDF_PAGE_PSM`) for a page of a PDF, 6 (one uniform block of text) for a second look at a
    page whose first segmentation lost a line."""
    run = engine or tesseract
    if engine is None:
        check_tesseract(ctx.ocr_languages)
    page_box = BBox(0.0, 0.0, *(size_pt or (image.width_pt, image.height_pt)))
    gray = image.pixels
    offset = (0.0, 0.0)
    if region_pt is not None:
        px = region_pt.scaled(image.dpi / 72.0)
        h, w = gray.shape[:2]
        x0, y0 = max(0, int(px.x0) - 4), max(0, int(px.y0) - 4)
        x1, y1 = min(w, int(px.x1 + 0.999) + 4), min(h, int(px.y1 + 0.999) + 4)
        if x1 <= x0 or y1 <= y0:
            return Page(index, page_box.width, page_box.height, source=TokenSource.OCR, image_dpi=image.dpi)
        gray = gray[y0:y1, x0:x1]
        offset = (float(x0), float(y0))
    try:
        if region_pt is not None:
            prepared = prepare(gray, fix_skew=False)
            words = _run_engine(run, prepared, ctx, 6, image.dpi)
        else:
            info = analyse(gray)
            if info.blank:
                quarter = (turn or 0) % 180 == 90
                return Page(
                    index,
                    page_box.height if quarter else page_box.width,
                    page_box.width if quarter else page_box.height,
                    rotation=rotation,
                    source=TokenSource.OCR,
                    image_dpi=image.dpi,
                    upright_turn=(turn or 0) % 360,
                )
            detect = turn is None and engine is None
            decided = turn is not None

            def best_turn() -> int:
                first = ctx.ocr_languages.split("+")[0] or "eng"  # one language tells upright text, at a third
                return detect_orientation(gray, first, dpi=image.dpi, text_height_px=info.text_height_px)

            if turn is None:
                turn = 0
                if detect and info.vertical_text:  # lines running up the page: sideways, one way or the other
                    turn, decided = best_turn(), True
            stretch = False
            prepared = prepare(gray, orientation_deg=turn, analysis=info)
            words = _run_engine(run, prepared, ctx, psm, image.dpi)
            if info.low_contrast and clear_chars(words) < FAINT_RETRY_CHARS:  # a pale print equalised into its grain
                stretched = prepare(gray, orientation_deg=turn, analysis=info, stretch=True)
                again = _run_engine(run, stretched, ctx, psm, image.dpi)
                if clear_chars(again) > clear_chars(words):
                    prepared, words, stretch = stretched, again, True
            if detect and not decided and words and _maybe_turned(words):
                found = best_turn()
                if found:
                    second = prepare(gray, orientation_deg=found, stretch=stretch)  # as the first read was cleaned
                    again = _run_engine(run, second, ctx, psm, image.dpi)
                    # a sideways first read may be as clear as the upright one (Tesseract reads the lines turned),
                    # but only the upright one has the page's layout
                    if _tall_share(words) > TALL_SHARE or clear_chars(again) > clear_chars(words):
                        prepared, words, turn = second, again, found
    except ExtractionError:
        raise
    except Exception as exc:  # an engine that crashes fails this document, with a clear message
        raise OcrUnavailableError(f"OCR failed on page {index + 1}: {type(exc).__name__}: {exc}") from exc
    tokens, keys = _to_tokens(words, prepared, image.dpi, index, offset, page_box)
    turn = (turn or 0) % 360 if region_pt is None else 0
    if region_pt is not None:
        tokens = _without_cut_lines([t for t in tokens if region_pt.contains_point(*t.bbox_pt.center)], region_pt)
        groups = geometric_groups(tokens)
    else:
        if turn:
            # the text stands turned by the opposite amount on the image as given
            tokens = upright(tokens, 360 - turn, page_box.width, page_box.height)
            if turn in (90, 270):
                page_box = BBox(0.0, 0.0, page_box.height, page_box.width)
        groups = _engine_groups(keys) or geometric_groups(tokens)
    return assemble_page(
        index,
        page_box.width,
        page_box.height,
        tokens,
        groups,
        rotation=rotation,
        source=TokenSource.OCR,
        image_dpi=image.dpi,
        skew_deg=round(prepared.analysis.skew_deg, 2),
        upright_turn=turn,
    )


CUT_LINE_HEIGHT = 0.7
"""A word at the top or bottom edge of a box drawn on a scan, lower than this share of the words inside it, is the
part of a line above or below that the box cut through (read as "ee", "eee"), not the clerk's value."""


def _without_cut_lines(tokens: list[Token], region: BBox) -> list[Token]:
    edge = 1.5
    inside = [t for t in tokens if t.bbox_pt.y0 > region.y0 + edge and t.bbox_pt.y1 < region.y1 - edge]
    if not inside:
        return tokens
    height = float(np.median([t.bbox_pt.height for t in inside]))
    return [
        t
        for t in tokens
        if t in inside
        or t.bbox_pt.height >= CUT_LINE_HEIGHT * height
        or not (t.bbox_pt.y0 <= region.y0 + edge or t.bbox_pt.y1 >= region.y1 - edge)
    ]


FAINT_RETRY_CHARS = 40
"""A faint page whose equalised reading has fewer characters in clear words than this is read again stretched
(:func:`~extractors.ocr.cleanup.stretch_contrast`): a receipt's shop name alone has more."""


PDF_PAGE_PSM = 4
"""Tesseract's page segmentation for a scanned page of a PDF: one column of text of varying sizes, each line across
the page. Automatic segmentation (3) drops short numbers standing alone in a table's column (the quantities of an
item table); read this way they stay in their rows. Image files (photographed and scanned till receipts, mostly)
keep automatic segmentation, which reads their totals better."""


def ocr_job(job: PageJob, ctx: ExtractionContext, engine: OcrEngine | None = None) -> Page:
    """Render or decode the job's page, then OCR it."""
    limit_threads()
    image = load_page_image(Path(job.path), job.page_index, job.dpi, ctx.max_image_pixels)
    size = (job.width_pt, job.height_pt) if job.width_pt and job.height_pt else None
    psm = PDF_PAGE_PSM if job.is_pdf else 3
    return ocr_page_image(image, job.page_index, ctx, engine, rotation=job.rotation, size_pt=size, psm=psm)


_POOLS: dict[int, Executor] = {}


def _pool(workers: int) -> Executor:
    """One process pool per size, kept for the life of the process (starting workers costs more than a page).

    The start method is chosen when the pool is made. A kept pool is reused whatever threads run later: a forked
    pool starts all its workers at once, before its own threads, and it is these threads that would otherwise
    make every later call choose a fork server and start a second, cold pool."""
    pool = _POOLS.get(workers)
    if pool is None:
        method = safe_start_method()
        limit_threads()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["extractors.readers.ocr_pages"])
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        _POOLS[workers] = pool
    return pool


def shutdown_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


atexit.register(shutdown_pools)


def ocr_pages(jobs: Sequence[PageJob], ctx: ExtractionContext, engine: OcrEngine | None = None) -> list[Page]:
    """OCR several pages, in ``ctx.workers`` processes when there is more than one page and no injected engine."""
    if engine is None:
        check_tesseract(ctx.ocr_languages)
    workers = min(max(1, ctx.workers), len(jobs))
    if workers <= 1 or engine is not None:
        return [ocr_job(job, ctx, engine) for job in jobs]
    # Largest pages first, so that the last page to finish is a small one and no worker idles long at the end.
    order = sorted(range(len(jobs)), key=lambda i: -(jobs[i].width_pt or 0.0) * (jobs[i].height_pt or 0.0))
    pool = _pool(workers)
    pages: list[Page | None] = [None] * len(jobs)
    try:
        for i, page in zip(order, pool.map(ocr_job, [jobs[i] for i in order], [ctx] * len(jobs)), strict=True):
            pages[i] = page
    except BrokenProcessPool as exc:  # a worker died (killed, out of memory): the next document gets a new pool
        _POOLS.pop(workers, None)
        raise OcrUnavailableError(f"an OCR worker process stopped: {exc}") from exc
    return [p for p in pages if p is not None]
