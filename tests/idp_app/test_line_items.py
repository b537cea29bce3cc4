"""Line-item row operations keep rows numbered 0..n-1 and the totals rule in step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc

from idp_app.errors import ClaimError, InvalidValueError, StaleValueError
from idp_app.services import Workspace


@pytest.fixture
def doc_id(ws: Workspace, inbox: Path) -> int:
    write_doc(inbox, "a.json", invoice("A", lines=("60.00", "30.00", "10.00")))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    ws.queue.claim(item.id, "clerk")
    return item.id


def amounts(ws: Workspace, doc_id: int) -> list[str | None]:
    return [li.cells["amount"].value for li in ws.documents.get(doc_id).line_items]


def test_merge_sums_amounts_and_joins_descriptions(ws: Workspace, doc_id: int) -> None:
    view = ws.review.edit_line_items(doc_id, "clerk", "merge", 1, 2)
    assert [li.index for li in view.line_items] == [0, 1]
    assert [li.cells["amount"].value for li in view.line_items] == ["60.00", "40.00"]
    assert view.line_items[1].cells["description"].value == "item 1 item 2"
    assert not any(r.code == "line_items_sum" for r in view.failed_rules)


def test_delete_then_add_and_fill(ws: Workspace, doc_id: int) -> None:
    view = ws.review.edit_line_items(doc_id, "clerk", "delete", 0)
    assert amounts(ws, doc_id) == ["30.00", "10.00"]
    assert any(r.code == "line_items_sum" for r in view.failed_rules)
    ws.review.edit_line_items(doc_id, "clerk", "add", 0)
    assert amounts(ws, doc_id) == [None, "30.00", "10.00"]
    ws.review.correct(doc_id, "amount", "60,00", "clerk", line_item_index=0)
    assert amounts(ws, doc_id) == ["60.00", "30.00", "10.00"]
    assert not any(r.code == "line_items_sum" for r in ws.documents.get(doc_id).failed_rules)


def test_split_inserts_an_empty_row_after(ws: Workspace, doc_id: int) -> None:
    ws.review.edit_line_items(doc_id, "clerk", "split", 0)
    assert amounts(ws, doc_id) == ["60.00", None, "30.00", "10.00"]


def test_bad_operations_are_refused(ws: Workspace, doc_id: int) -> None:
    with pytest.raises(InvalidValueError):
        ws.review.edit_line_items(doc_id, "clerk", "explode", 0)
    with pytest.raises(InvalidValueError):
        ws.review.edit_line_items(doc_id, "clerk", "delete", 7)
    with pytest.raises(InvalidValueError):
        ws.review.edit_line_items(doc_id, "clerk", "merge", 1, 1)
    with pytest.raises(ClaimError):
        ws.review.edit_line_items(doc_id, "clerk2", "delete", 0)
    assert amounts(ws, doc_id) == ["60.00", "30.00", "10.00"]


def test_a_line_rate_changed_in_review_that_no_longer_gives_the_tax_blocks_approval(ws: Workspace, inbox: Path) -> None:
    rated = invoice("B", lines=("60.00", "40.00"))
    for line in rated["line_items"]:
        line["tax_rate"] = "19"
    write_doc(inbox, "b.json", rated)
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    ws.queue.claim(item.id, "clerk")
    assert not any(r.code == "line_tax" for r in ws.documents.get(item.id).failed_rules)
    ws.review.correct(item.id, "tax_rate", "7", "clerk", line_item_index=1)
    [rule] = [r for r in ws.documents.get(item.id).failed_rules if r.code == "line_tax"]
    assert rule.blocks_approval and "7 % on 40.00" in rule.message
    ws.review.correct(item.id, "tax_rate", "19 %", "clerk", line_item_index=1)
    assert not any(r.code == "line_tax" for r in ws.documents.get(item.id).failed_rules)


def _actions(ws: Workspace, doc_id: int) -> list[str]:
    from idp_app.services import audit

    with ws.db.read() as s:
        return [r.action for r in sorted(audit.records(s, doc_id), key=lambda r: r.seq)]


def _stored(ws: Workspace, doc_id: int) -> tuple[set[tuple[object, ...]], list[tuple[object, ...]]]:
    rows = ws.review.line_item_rows(doc_id)
    corrections = [(c["line_item_index"], c["field_name"], c["old_value"], c["new_value"]) for c in rows.corrections]
    return {(c["row"], c["name"], c["value"], c["predicted_value"], c["corrected"]) for c in rows.cells}, corrections


@pytest.mark.parametrize("op, row, other", [("delete", 1, None), ("merge", 0, 1), ("add", 3, None), ("split", 0, None)])
def test_a_row_edit_taken_back_restores_cells_and_their_corrections(
    ws: Workspace, doc_id: int, op: str, row: int, other: int | None
) -> None:
    ws.review.correct(doc_id, "amount", "31.00", "clerk", line_item_index=1)
    ws.review.correct(doc_id, "description", "freight", "clerk", line_item_index=2)
    kept = _stored(ws, doc_id)
    before = ws.review.line_item_rows(doc_id)
    ws.review.edit_line_items(doc_id, "clerk", op, row, other)
    after = ws.review.line_item_rows(doc_id)
    assert _stored(ws, doc_id) != kept
    view = ws.review.restore_line_items(doc_id, "clerk", before, after)
    assert _actions(ws, doc_id)[-1] == "line_items_restored"
    assert [li.cells["amount"].value for li in view.line_items] == ["60.00", "31.00", "10.00"]
    assert _stored(ws, doc_id) == kept  # the predicted values and the clerk's corrections (training pairs) too
    ws.review.edit_line_items(doc_id, "clerk", op, row, other)  # and done again, as a redo does
    assert ws.review.line_item_rows(doc_id).values() == after.values()


def test_a_row_edit_is_not_taken_back_over_a_later_change(ws: Workspace, doc_id: int) -> None:
    before = ws.review.line_item_rows(doc_id)
    ws.review.edit_line_items(doc_id, "clerk", "delete", 0)
    after = ws.review.line_item_rows(doc_id)
    ws.review.correct(doc_id, "amount", "35.00", "clerk", line_item_index=0)
    with pytest.raises(StaleValueError):
        ws.review.restore_line_items(doc_id, "clerk", before, after)
    assert amounts(ws, doc_id) == ["35.00", "10.00"]
    with pytest.raises(ClaimError):  # only the clerk holding it
        ws.review.restore_line_items(doc_id, "clerk2", before, ws.review.line_item_rows(doc_id))
    with pytest.raises(InvalidValueError):  # another document's rows
        ws.review.restore_line_items(doc_id, "clerk", replace(before, document_id=doc_id + 1), after)
    assert amounts(ws, doc_id) == ["35.00", "10.00"]
    assert "line_items_restored" not in _actions(ws, doc_id)


def test_a_row_edit_is_taken_back_after_a_cell_typed_and_undone_in_a_column_the_row_lacked(
    ws: Workspace, doc_id: int
) -> None:
    """The table shows every column any row has: typing a quantity into a row without one makes the cell, and its
    undo leaves it empty, which shows as nothing."""
    from idp_app.domain import Correction

    view, before, after = ws.review.edit_line_items_kept(doc_id, "clerk", "delete", 2)
    assert [li.index for li in view.line_items] == [0, 1] and before.values() != after.values()
    typed = Correction(doc_id, "quantity", None, "2", None, None, 0, user="clerk", line_item_index=0)
    ws.review.apply(typed)
    ws.review.apply(typed.inverted())
    restored = ws.review.restore_line_items(doc_id, "clerk", before, after)
    assert [li.cells["amount"].value for li in restored.line_items] == ["60.00", "30.00", "10.00"]
