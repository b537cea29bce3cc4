"""Group a page's words into lines and blocks and put them in reading order.

Two sources of structure: geometry (text-layer pages: words on one baseline form a line, nearby lines a block)
and the OCR engine's own block / paragraph / line numbers. Both end in :func:`assemble_page`, which numbers the
tokens in reading order so that ``Line.token_ids`` and ``Token.index`` index into ``Page.tokens``.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from extractors.document import Block, Line, Page, Token, TokenSource
from extractors.geometry import BBox

LINE_GAP_SPLIT = 3.0
"""A horizontal gap wider than this many line heights starts a new line (a second column on the same baseline)."""
BLOCK_GAP = 0.9
"""Lines closer than this many line heights, one above the other and overlapping sideways, share a block."""


@dataclass(frozen=True, slots=True)
class Group:
    """Tokens (as positions in a caller's list) forming one line, and the block the line belongs to."""

    members: tuple[int, ...]
    block: int


def _box(tokens: Sequence[Token], members: Sequence[int]) -> BBox:
    return BBox.union_of(tokens[i].bbox_pt for i in members)


def geometric_lines(tokens: Sequence[Token]) -> list[list[int]]:
    """Words that share a baseline, left to right; a wide gap splits a baseline into two lines."""
    order = sorted(range(len(tokens)), key=lambda i: (tokens[i].bbox_pt.center[1], tokens[i].bbox_pt.x0))
    rows: list[list[int]] = []
    row_box: list[BBox] = []
    for i in order:
        box = tokens[i].bbox_pt
        cy = box.center[1]
        placed = False
        # Compare with the last few rows only: rows are visited top to bottom.
        for r in range(len(rows) - 1, max(-1, len(rows) - 4), -1):
            rb = row_box[r]
            overlap = min(rb.y1, box.y1) - max(rb.y0, box.y0)
            if rb.y0 <= cy <= rb.y1 and overlap >= 0.5 * min(rb.height, box.height):
                rows[r].append(i)
                row_box[r] = rb.union(box)
                placed = True
                break
        if not placed:
            rows.append([i])
            row_box.append(box)
    lines: list[list[int]] = []
    for row in rows:
        row.sort(key=lambda i: tokens[i].bbox_pt.x0)
        height = statistics.median(tokens[i].bbox_pt.height for i in row) or 1.0
        current = [row[0]]
        for prev, nxt in itertools.pairwise(row):
            gap = tokens[nxt].bbox_pt.x0 - tokens[prev].bbox_pt.x1
            if gap > LINE_GAP_SPLIT * height:
                lines.append(current)
                current = []
            current.append(nxt)
        lines.append(current)
    return lines


def geometric_groups(tokens: Sequence[Token]) -> list[Group]:
    """Lines by geometry, and blocks of lines that sit close one above the other."""
    lines = geometric_lines(tokens)
    boxes = [_box(tokens, ln) for ln in lines]
    parent = list(range(len(lines)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    by_top = sorted(range(len(lines)), key=lambda k: boxes[k].y0)
    for pos, a in enumerate(by_top):
        ba = boxes[a]
        for b in by_top[pos + 1 :]:
            bb = boxes[b]
            height = max(min(ba.height, bb.height), 1.0)
            gap = bb.y0 - ba.y1
            if gap > BLOCK_GAP * height * 2:
                break
            sideways = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            similar = 0.6 <= ba.height / max(bb.height, 0.1) <= 1.67
            if gap <= BLOCK_GAP * height and sideways > 0 and similar:
                parent[find(b)] = find(a)
    roots: dict[int, int] = {}
    return [Group(tuple(ln), roots.setdefault(find(k), len(roots))) for k, ln in enumerate(lines)]


def _turn_box(box: BBox, turn: int, width: float, height: float) -> BBox:
    """A box on the displayed page, in the frame where text turned clockwise by ``turn`` stands upright."""
    if turn == 90:
        return BBox(box.y0, width - box.x1, box.y1, width - box.x0)
    if turn == 180:
        return BBox(width - box.x1, height - box.y1, width - box.x0, height - box.y0)
    if turn == 270:
        return BBox(height - box.y1, box.x0, height - box.y0, box.x1)
    return box


def upright(tokens: Sequence[Token], turn: int, width_pt: float, height_pt: float) -> list[Token]:
    """Copies of ``tokens`` whose boxes are turned so that their text reads left to right, top to bottom."""
    if turn % 360 == 0:
        return list(tokens)
    return [replace(t, bbox_pt=_turn_box(t.bbox_pt, turn % 360, width_pt, height_pt)) for t in tokens]


def _reading_order(block_boxes: dict[int, BBox]) -> list[int]:
    """Blocks top to bottom; blocks that start on about the same line, left to right."""
    items = sorted(block_boxes.items(), key=lambda kv: (kv[1].y0, kv[1].x0))
    ordered: list[int] = []
    band: list[tuple[int, BBox]] = []
    for key, box in items:
        if band and box.y0 - band[0][1].y0 > max(min(b.height for _, b in band), 1.0) * 0.5 + 2.0:
            ordered.extend(k for k, _ in sorted(band, key=lambda kv: kv[1].x0))
            band = []
        band.append((key, box))
    ordered.extend(k for k, _ in sorted(band, key=lambda kv: kv[1].x0))
    return ordered


def assemble_page(
    index: int,
    width_pt: float,
    height_pt: float,
    tokens: Sequence[Token],
    groups: Sequence[Group] | None = None,
    *,
    rotation: int = 0,
    source: TokenSource = TokenSource.TEXT_LAYER,
    image_dpi: float | None = None,
    skew_deg: float = 0.0,
    upright_turn: int = 0,
) -> Page:
    """A page whose tokens (on the upright page) are in reading order, with lines and blocks (by geometry unless
    ``groups`` given)."""
    if groups is None:
        groups = geometric_groups(tokens)
    block_lines: dict[int, list[Group]] = {}
    for g in groups:
        if g.members:
            block_lines.setdefault(g.block, []).append(g)
    block_boxes = {b: BBox.union_of(_box(tokens, g.members) for g in gs) for b, gs in block_lines.items()}
    out_tokens: list[Token] = []
    out_lines: list[Line] = []
    out_blocks: list[Block] = []
    for b in _reading_order(block_boxes):
        line_ids: list[int] = []
        for g in block_lines[b]:
            ids: list[int] = []
            for i in g.members:
                ids.append(len(out_tokens))
                out_tokens.append(replace(tokens[i], index=len(out_tokens), page=index))
            line_ids.append(len(out_lines))
            out_lines.append(Line(tuple(ids), _box(tokens, g.members)))
        out_blocks.append(Block(tuple(line_ids), block_boxes[b]))
    return Page(
        index=index,
        width_pt=width_pt,
        height_pt=height_pt,
        tokens=tuple(out_tokens),
        lines=tuple(out_lines),
        blocks=tuple(out_blocks),
        rotation=rotation,
        source=source,
        image_dpi=image_dpi,
        skew_deg=skew_deg,
        upright_turn=upright_turn,
    )
