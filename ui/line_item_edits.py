"""Row operations on line items, as plain sequences of cell corrections (one undo step each).

The core stores cells by row number; a row is never renumbered. Deleting a row empties its cells, splitting
moves the second half of its text into a new row, merging joins two rows' text into the first and empties the
second. No amounts are computed here: the clerk types them, and the core checks the totals.
"""

from __future__ import annotations

from extractors.results import LineItem
from idp_app.domain import Correction
from ui.model import DocumentView

TEXT_TYPES = ("text", "")


def _cell(doc: DocumentView, item: LineItem, row: int, column: str, new: str | None, user: str) -> Correction | None:
    old = item.value(column)
    if (old or None) == (new or None):
        return None
    cell = item.cells.get(column)
    return Correction(
        document_id=doc.document_id,
        field_name=column,
        old_value=old,
        new_value=new or None,
        old_bbox_pt=cell.bbox_pt if cell else None,
        new_bbox_pt=cell.bbox_pt if cell else None,
        page=cell.page if cell and cell.page is not None else item.page,
        user=user,
        line_item_index=row,
    )


def _text_columns(doc: DocumentView) -> list[str]:
    types = dict(zip(doc.line_item_columns, doc.line_item_types, strict=False))
    return [c for c in doc.line_item_columns if types.get(c, "text") in TEXT_TYPES]


def next_row_number(doc: DocumentView) -> int:
    rows = doc.line_item_rows or tuple(range(len(doc.line_items)))
    return max(rows, default=-1) + 1


def delete_row(doc: DocumentView, shown: int, user: str) -> list[Correction]:
    item, row = doc.line_items[shown], doc.row_number(shown)
    return [c for col in doc.line_item_columns if (c := _cell(doc, item, row, col, None, user)) is not None]


def split_row(doc: DocumentView, shown: int, user: str) -> list[Correction]:
    """The second half of the row's text goes to a new row; the other cells stay."""
    item, row = doc.line_items[shown], doc.row_number(shown)
    new_row = next_row_number(doc)
    empty = LineItem(cells={}, page=item.page)
    out: list[Correction] = []
    for col in _text_columns(doc):
        words = (item.value(col) or "").split()
        if len(words) < 2:
            continue
        half = (len(words) + 1) // 2
        first, second = " ".join(words[:half]), " ".join(words[half:])
        for c in (_cell(doc, item, row, col, first, user), _cell(doc, empty, new_row, col, second, user)):
            if c is not None:
                out.append(c)
    if not out:  # nothing to split: an empty row after it, for the clerk to fill
        col = doc.line_item_columns[0] if doc.line_item_columns else "description"
        c = _cell(doc, empty, new_row, col, "\u2026", user)
        out = [c] if c is not None else []
    return out


def merge_rows(doc: DocumentView, shown: int, other: int, user: str) -> list[Correction]:
    """Row ``other``'s text is appended to row ``shown``; its other cells fill empty ones; ``other`` is emptied."""
    a, b = doc.line_items[shown], doc.line_items[other]
    row_a = doc.row_number(shown)
    text_cols = set(_text_columns(doc))
    out: list[Correction] = []
    for col in doc.line_item_columns:
        va, vb = a.value(col), b.value(col)
        if vb is None:
            continue
        if col in text_cols and va:
            merged: str | None = f"{va} {vb}"
        elif not va:
            merged = vb
        else:
            continue
        c = _cell(doc, a, row_a, col, merged, user)
        if c is not None:
            out.append(c)
    return out + delete_row(doc, other, user)
