"""Line-item rows: add, delete, split and merge, as the clerk does in the item table, and taking one back.

An edit renumbers rows, and a delete or merge drops cells and the corrections made to them. To take an edit back,
the rows are kept as they were before it (:func:`rows_of`) and put back (:func:`restore`), but only while they
still hold what the edit left: a later change would otherwise be lost without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp_app.db.models import CorrectionRow, FieldRow
from idp_app.errors import InvalidValueError, StaleValueError
from idp_app.services import audit
from idp_app.services.values import LINE_ITEM_TYPES, normalise

OPS = ("add", "delete", "split", "merge")
_CELL = ("name", "row", "value", "page", "bbox_pt", "predicted_value", "predicted_text", "predicted_page",
         "predicted_bbox_pt", "confidence", "corrected", "checked")  # fmt: skip
_CORRECTION = ("field_name", "line_item_index", "kind", "old_value", "new_value", "old_bbox_pt", "new_bbox_pt",
               "page", "source_token_ids", "user", "seconds_spent", "created_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class LineItemRows:
    """A document's line-item cells and the corrections made to them, as stored at one moment."""

    document_id: int
    cells: tuple[dict[str, Any], ...]
    corrections: tuple[dict[str, Any], ...]

    def values(self) -> set[tuple[Any, ...]]:
        """What the clerk sees: each cell's row, column, value (in its stored form) and box; an empty cell shows
        nothing (one that a correction made and its undo emptied again is as none)."""
        return {
            (c["row"], c["name"], _shown(c["name"], c["value"]), repr(c["bbox_pt"]))
            for c in self.cells
            if c["value"] is not None or c["bbox_pt"] is not None
        }


def _shown(column: str, value: str | None) -> str | None:
    """A cell's value as a correction stores it: an undo stores the value it takes back in that form."""
    try:
        return normalise(LINE_ITEM_TYPES.get(column, "text"), value)
    except InvalidValueError:
        return value


def rows_of(s: Session, doc_id: int) -> LineItemRows:
    cells = s.execute(select(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.row >= 0)).scalars()
    corrections = s.execute(
        select(CorrectionRow)
        .where(CorrectionRow.document_id == doc_id, CorrectionRow.line_item_index.is_not(None))
        .order_by(CorrectionRow.id)
    ).scalars()
    return LineItemRows(
        doc_id,
        tuple({k: getattr(c, k) for k in _CELL} for c in sorted(cells, key=lambda c: (c.row, c.name))),
        tuple({k: getattr(c, k) for k in _CORRECTION} for c in corrections),
    )


def restore(s: Session, doc_id: int, actor: str, before: LineItemRows, after: LineItemRows) -> None:
    """Put the rows back as ``before`` held them, provided they still show what ``after`` (the rows right after
    the edit taken back) showed; :class:`StaleValueError` otherwise. Corrections made to cells since are dropped
    with the cells: each was taken back before (an undo goes back step by step)."""
    if before.document_id != doc_id or after.document_id != doc_id:
        raise InvalidValueError("those line-item rows are another document's")
    if rows_of(s, doc_id).values() != after.values():
        raise StaleValueError("the line items changed since that edit: reload the document")
    s.execute(delete(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.row >= 0))
    s.execute(
        delete(CorrectionRow).where(CorrectionRow.document_id == doc_id, CorrectionRow.line_item_index.is_not(None))
    )
    s.flush()
    s.add_all(FieldRow(document_id=doc_id, **cell) for cell in before.cells)
    s.add_all(CorrectionRow(document_id=doc_id, **c) for c in before.corrections)
    s.flush()
    audit.append(s, actor, "line_items_restored", doc_id, rows=len({c["row"] for c in before.cells}))


def _shift(s: Session, doc_id: int, first: int, by: int) -> None:
    """Move rows ``first..`` by ``by`` (through negative numbers, so no two rows share a number on the way)."""
    for model, col in ((FieldRow, FieldRow.row), (CorrectionRow, CorrectionRow.line_item_index)):
        s.execute(update(model).where(model.document_id == doc_id, col >= first).values({col: -col - 2}))
        s.execute(update(model).where(model.document_id == doc_id, col <= -2).values({col: -col - 2 + by}))


def _rows(s: Session, doc_id: int) -> dict[int, dict[str, FieldRow]]:
    out: dict[int, dict[str, FieldRow]] = {}
    for r in s.execute(select(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.row >= 0)).scalars():
        out.setdefault(r.row, {})[r.name] = r
    return out


def _empty_row(s: Session, doc_id: int, index: int, columns: list[str]) -> None:
    for name in columns:
        s.add(FieldRow(document_id=doc_id, name=name, row=index, predicted_text="", confidence=0.0, corrected=True))


def _merged(value_type: str, a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a if b is None else b
    if value_type == "amount":
        try:
            return f"{Decimal(a) + Decimal(b):.2f}"
        except InvalidOperation:
            return a
    if value_type == "text":
        return f"{a} {b}"
    return a


def edit(s: Session, doc_id: int, actor: str, op: str, row: int, other: int | None = None) -> None:
    """Apply one row operation in ``s``'s transaction. ``other`` is the row merged into ``row``."""
    if op not in OPS:
        raise InvalidValueError(f"unknown line-item operation {op!r}: one of {', '.join(OPS)}")
    rows = _rows(s, doc_id)
    count = max(rows, default=-1) + 1
    columns = sorted({name for cells in rows.values() for name in cells} or LINE_ITEM_TYPES)
    if op == "add":
        if not 0 <= row <= count:
            raise InvalidValueError(f"a row can be added at 0..{count}, not {row}")
        _shift(s, doc_id, row, 1)
        _empty_row(s, doc_id, row, columns)
    elif row not in rows:
        raise InvalidValueError(f"there is no line-item row {row}")
    elif op == "delete":
        s.execute(delete(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.row == row))
        s.execute(
            delete(CorrectionRow).where(CorrectionRow.document_id == doc_id, CorrectionRow.line_item_index == row)
        )
        _shift(s, doc_id, row + 1, -1)
    elif op == "split":
        _shift(s, doc_id, row + 1, 1)
        _empty_row(s, doc_id, row + 1, columns)
    else:
        if other is None or other not in rows or other == row:
            raise InvalidValueError("merging needs another existing row")
        keep, gone = rows[row], rows[other]
        for name, cell in gone.items():
            target = keep.get(name)
            if target is None:
                cell.row = row
                continue
            target.value = _merged(LINE_ITEM_TYPES.get(name, "text"), target.value, cell.value)
            target.corrected = True
        s.flush()
        s.execute(delete(FieldRow).where(FieldRow.document_id == doc_id, FieldRow.row == other))
        s.execute(
            delete(CorrectionRow).where(CorrectionRow.document_id == doc_id, CorrectionRow.line_item_index == other)
        )
        _shift(s, doc_id, other + 1, -1)
    s.flush()
    audit.append(s, actor, "line_items_edited", doc_id, op=op, row=row, other=other)
