"""Line-item rows: add, delete, split and merge, as the clerk does in the item table."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp_app.db.models import CorrectionRow, FieldRow
from idp_app.errors import InvalidValueError
from idp_app.services import audit
from idp_app.services.values import LINE_ITEM_TYPES

OPS = ("add", "delete", "split", "merge")


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
