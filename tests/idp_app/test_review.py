"""Review: corrections validated by type, undo, confirmations, approval with rules and overrides, training pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from another_session import while_another_session_writes
from fake_extractors import IBAN_A, IBAN_B, invoice, write_doc
from sqlalchemy import select, update

from extractors.geometry import BBox
from idp_app.config import AppConfig
from idp_app.db.models import CorrectionRow, Document, FieldRow
from idp_app.domain import Correction, CorrectionKind, DocumentStatus, ReviewState
from idp_app.errors import (
    ClaimError,
    IllegalTransitionError,
    InvalidValueError,
    PermissionDeniedError,
    RuleFailedError,
    StaleValueError,
)
from idp_app.services import Workspace, training_pairs


def claimed(ws: Workspace, inbox: Path, name: str, data: dict[str, object], user: str = "clerk") -> int:
    write_doc(inbox, name, data)
    ws.ingest.ingest([inbox], workers=0)
    doc_id = next(i.id for i in ws.queue.list(limit=1000) if i.filename == name)
    ws.queue.claim(doc_id, user)
    return doc_id


def test_correction_is_normalised_and_changes_the_state(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", date="2024-01-01", conf=0.5))
    field = ws.review.correct(doc_id, "invoice_date", "05.03.2024", "clerk", seconds_spent=3.5)
    assert field.value == "2024-03-05"
    assert field.corrected and field.confidence == 1.0 and field.state is ReviewState.OK
    assert field.predicted_value == "2024-01-01"
    assert ws.documents.get(doc_id).fields["invoice_date"].value == "2024-03-05"


def test_an_invoice_date_after_the_day_it_came_in_is_marked_until_corrected(ws: Workspace, inbox: Path) -> None:
    today = datetime.now(UTC).astimezone().date()
    ahead = (today + timedelta(days=400)).isoformat()
    doc_id = claimed(ws, inbox, "a.json", invoice("A", date=ahead))
    doc = ws.documents.get(doc_id)
    assert "date_range" in {r.code for r in doc.reasons}
    assert [r.fields for r in doc.failed_rules if r.code == "date_range"] == [("invoice_date",)]
    assert doc.fields["invoice_date"].state is ReviewState.ERROR
    ws.review.correct(doc_id, "invoice_date", (today - timedelta(days=3)).isoformat(), "clerk")
    doc = ws.documents.get(doc_id)
    assert "date_range" not in {r.code for r in doc.failed_rules}
    assert doc.fields["invoice_date"].state is ReviewState.OK


@pytest.mark.parametrize(
    ("field", "text"), [("invoice_date", "31.02.2024"), ("total_amount", "12O.00"), ("vendor_iban", "DE00 0000")]
)
def test_wrong_typed_values_are_refused(ws: Workspace, inbox: Path, field: str, text: str) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    before = ws.documents.get(doc_id).fields[field].value
    with pytest.raises(InvalidValueError, match=text[:4]):
        ws.review.correct(doc_id, field, text, "clerk")
    assert ws.documents.get(doc_id).fields[field].value == before


def test_undo_by_applying_the_inverted_correction(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    old_box = ws.documents.get(doc_id).fields["total_amount"].bbox_pt
    new_box = BBox(300, 500, 340, 512)
    c = Correction(doc_id, "total_amount", "119.00", "1.190,00", old_box, new_box, 0, (4, 5), "clerk", 2.0)
    after = ws.review.apply(c)
    assert (after.value, after.bbox_pt) == ("1190.00", new_box)
    undone = ws.review.apply(c.inverted())
    assert (undone.value, undone.bbox_pt, undone.corrected) == ("119.00", old_box, False)
    # applying the same correction twice is stale: its old value is no longer the field's value
    ws.review.apply(c)
    with pytest.raises(StaleValueError):
        ws.review.apply(c)


def test_only_the_claimant_may_correct(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    with pytest.raises(ClaimError):
        ws.review.correct(doc_id, "invoice_number", "B", "clerk2")


def test_approval_refused_while_a_rule_fails_then_allowed_after_the_fix(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", total="129.00"))
    doc = ws.documents.get(doc_id)
    [rule] = [r for r in doc.failed_rules if r.blocks_approval]
    assert rule.code == "arithmetic" and rule.suggestion is not None
    with pytest.raises(RuleFailedError, match=r"net 100\.00"):
        ws.review.approve(doc_id, "clerk")
    ws.review.correct(doc_id, rule.suggestion.field, rule.suggestion.value, "clerk")
    ws.review.approve(doc_id, "clerk")
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED


def test_correcting_the_invoice_date_shows_a_due_date_worked_out_from_the_terms_is_now_stale(
    ws: Workspace, inbox: Path
) -> None:
    data = invoice("A")
    data["fields"]["due_date"] = ["2024-04-04", 0.9]
    data["fields"]["payment_terms"] = ["Payment terms: 30 days net", 0.92]
    doc_id = claimed(ws, inbox, "a.json", data)
    assert "terms_date" not in [r.code for r in ws.documents.get(doc_id).failed_rules]
    ws.review.correct(doc_id, "invoice_date", "2024-03-15", "clerk")
    doc = ws.documents.get(doc_id)
    [rule] = [r for r in doc.failed_rules if r.code == "terms_date"]
    assert "2024-04-14" in rule.message and doc.fields["due_date"].state is ReviewState.ERROR
    ws.review.correct(doc_id, "due_date", "2024-04-14", "clerk")
    assert "terms_date" not in [r.code for r in ws.documents.get(doc_id).failed_rules]


def test_a_required_field_left_empty_blocks_approval_until_filled_or_overridden(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    ws.review.correct(doc_id, "invoice_number", "", "clerk")
    ws.review.correct(doc_id, "vendor_address", "", "clerk")  # not required: may be empty
    with pytest.raises(RuleFailedError, match="required field invoice_number is empty") as err:
        ws.review.approve(doc_id, "clerk")
    assert "vendor_address" not in str(err.value)
    assert ws.documents.get(doc_id).status is DocumentStatus.IN_REVIEW
    ws.review.correct(doc_id, "invoice_number", "A-1", "clerk")
    ws.review.approve(doc_id, "clerk")
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED

    other = claimed(ws, inbox, "b.json", invoice("B", conf=0.5), user="sup")
    ws.review.correct(other, "total_amount", "", "sup")
    ws.review.approve(other, "sup", override_reason="credit memo without a total, agreed with accounts")
    [entry] = [r for r in ws.audit.records(other) if r.action == "override"]
    assert entry.details["rules"] == ["missing_field"] and entry.details["empty"] == ["total_amount"]


def test_a_till_receipt_without_a_number_is_approved_but_not_without_a_total(ws: Workspace, inbox: Path) -> None:
    data = invoice("A")
    data["doc_type"] = "receipt"
    data["fields"]["invoice_number"] = [None, 0.0]
    doc_id = claimed(ws, inbox, "r.json", data)
    ws.review.correct(doc_id, "total_amount", "", "clerk")
    with pytest.raises(RuleFailedError, match="required field total_amount is empty") as err:
        ws.review.approve(doc_id, "clerk")
    assert "invoice_number" not in str(err.value)
    ws.review.correct(doc_id, "total_amount", "119.00", "clerk")
    ws.review.approve(doc_id, "clerk")
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED


def test_fields_columns_and_rows_that_do_not_exist_are_refused(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))  # two line items: rows 0 and 1
    with pytest.raises(InvalidValueError, match="no field 'total_ammount'"):
        ws.review.correct(doc_id, "total_ammount", "5.00", "clerk")
    with pytest.raises(InvalidValueError, match="no column 'colour'"):
        ws.review.correct(doc_id, "colour", "red", "clerk", line_item_index=0)
    for row in (-1, 3):  # told as everything a person reads counts them, from 1
        with pytest.raises(InvalidValueError, match=f"line item {row + 1} does not exist: .* and 3 adds one"):
            ws.review.correct(doc_id, "amount", "5.00", "clerk", line_item_index=row)
    assert ws.review.correct(doc_id, "amount", "5.00", "clerk", line_item_index=2).value == "5.00"  # a new row
    doc = ws.documents.get(doc_id)
    assert "total_ammount" not in doc.fields and "amount" not in doc.fields
    assert [item.index for item in doc.line_items] == [0, 1, 2]


def test_listeners_hear_of_a_committed_approval_and_cannot_undo_it(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    heard: list[tuple[int, DocumentStatus]] = []

    def broken(_doc_id: int) -> None:
        raise RuntimeError("memory store is full")

    ws.review.after_approval[:] = [broken, lambda d: heard.append((d, ws.documents.get(d).status))]
    ws.review.approve(doc_id, "clerk")
    assert heard == [(doc_id, DocumentStatus.APPROVED)]
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED


def test_override_needs_a_supervisor_and_is_logged(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", total="129.00"))
    with pytest.raises(PermissionDeniedError):
        ws.review.approve(doc_id, "clerk", override_reason="looks fine")
    ws.queue.release(doc_id, "sup")
    ws.queue.claim(doc_id, "sup")
    ws.review.approve(doc_id, "sup", override_reason="credit note rounding agreed with vendor")
    doc = ws.documents.get(doc_id)
    assert (doc.status, doc.override_reason) == (DocumentStatus.APPROVED, "credit note rounding agreed with vendor")
    overrides = [r for r in ws.audit.records(doc_id) if r.action == "override"]
    assert overrides and overrides[0].details["rules"] == ["arithmetic"] and overrides[0].actor == "sup"


def test_reject_needs_a_reason_and_is_final_for_review(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    with pytest.raises(InvalidValueError):
        ws.review.reject(doc_id, "clerk", "  ")
    ws.review.reject(doc_id, "clerk", "not an invoice")
    doc = ws.documents.get(doc_id)
    assert (doc.status, doc.reject_reason) == (DocumentStatus.REJECTED, "not an invoice")
    with pytest.raises(IllegalTransitionError, match="is rejected"):
        ws.review.approve(doc_id, "clerk")
    with pytest.raises(IllegalTransitionError):
        ws.queue.claim(doc_id, "clerk")


def test_a_supervisor_reopens_an_approved_document_with_a_reason(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"), user="sup")
    ws.review.approve(doc_id, "sup")
    with pytest.raises(PermissionDeniedError, match="may not reopen"):
        ws.review.reopen(doc_id, "clerk", "due date missing")
    with pytest.raises(InvalidValueError):
        ws.review.reopen(doc_id, "sup", " ")
    ws.review.reopen(doc_id, "sup", "due date missing for export")
    doc = ws.documents.get(doc_id)
    assert (doc.status, doc.decided_by) == (DocumentStatus.NEEDS_REVIEW, None)
    assert [r.code for r in doc.reasons] == ["reopened"]  # the vendor is known now: no stale unknown_vendor
    assert "due date missing for export" in doc.reasons[0].message
    assert not training_pairs(ws)
    ws.ingest.reextract(doc_id, "sup")  # extracted again, it does not slip through: the request stands
    doc = ws.documents.get(doc_id)
    assert doc.status is DocumentStatus.NEEDS_REVIEW and "reopened" in [
        r.code for r in doc.reasons
    ]  # no longer approved: not a training pair until approved again
    entry = next(e for e in ws.audit.records(doc_id) if e.details.get("reason") == "due date missing for export")
    assert entry.actor == "sup" and entry.details["reason"] == "due date missing for export"
    ws.queue.claim(doc_id, "clerk")
    ws.review.correct(doc_id, "due_date", "2024-04-04", "clerk")
    ws.review.approve(doc_id, "clerk")
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED
    ws.documents.mark_exported([doc_id], "sup", batch="b")
    with pytest.raises(PermissionDeniedError, match="may not reopen"):
        ws.review.reopen(doc_id, "clerk", "the total is wrong in the books")
    ws.review.reopen(doc_id, "sup", "the total is wrong in the books")
    doc = ws.documents.get(doc_id)
    assert doc.status is DocumentStatus.NEEDS_REVIEW
    assert "reopened by sup after its export in batch b: the total is wrong in the books" in [
        r.message for r in doc.reasons
    ]
    rejected = claimed(ws, inbox, "b.json", invoice("B", conf=0.5))
    ws.review.reject(rejected, "clerk", "not ours")
    with pytest.raises(IllegalTransitionError, match="only approved and exported"):
        ws.review.reopen(rejected, "sup", "look again")


def test_a_quantity_corrected_so_the_line_no_longer_adds_up_is_a_failing_rule(ws: Workspace, inbox: Path) -> None:
    items = [{"description": "Toner", "quantity": "1", "unit_price": "60.00", "amount": "60.00"},
             {"description": "Papier", "quantity": "2", "unit_price": "20.00", "amount": "40.00"}]  # fmt: skip
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5, line_items=items))
    assert "line_amount" not in {r.code for r in ws.documents.get(doc_id).failed_rules}
    ws.review.correct(doc_id, "quantity", "3", "clerk", line_item_index=0)
    [rule] = [r for r in ws.documents.get(doc_id).failed_rules if r.code == "line_amount"]
    assert rule.message.startswith("line 1: 3 x 60.00 = 180.00, not its amount 60.00")
    ws.review.approve(doc_id, "clerk")  # a clerk may approve it (a discount on the line), having seen it


def test_vendor_register_learns_from_approval_and_routing_uses_it(ws: Workspace, inbox: Path) -> None:
    first = claimed(ws, inbox / "1", "a.json", invoice("A-1", vat="DE136695976"))
    ws.review.approve(first, "clerk")
    [vendor] = ws.vendors.list()
    assert (vendor.name, vendor.vat_id, vendor.iban) == ("ACME GmbH", "DE136695976", IBAN_A)
    # same vendor (by VAT id, even under another name), same IBAN: straight through
    write_doc(inbox / "2", "b.json", invoice("A-2", vendor="Acme GmbH & Co", vat="DE 136 695 976"))
    report = ws.ingest.ingest([inbox / "2"], workers=0)
    assert report.auto_approved == 1
    # same vendor, new IBAN: possible fraud; same invoice number again: possible duplicate
    write_doc(inbox / "3", "c.json", invoice("A-3", vat="DE136695976", iban=IBAN_B))
    write_doc(inbox / "3", "d.json", invoice("A-1", vat="DE136695976", date="2024-04-01"))
    write_doc(inbox / "3", "e.json", invoice("a-1 ", vat="DE136695976", date="2024-04-02"))  # the same number
    ws.ingest.ingest([inbox / "3"], workers=0)
    reasons = {i.filename: {r.code for r in ws.documents.get(i.id).reasons} for i in ws.queue.list()}
    assert reasons == {"c.json": {"iban_changed"}, "d.json": {"duplicate_invoice"}, "e.json": {"duplicate_invoice"}}


def test_an_invoice_number_printed_with_other_separators_or_zeros_is_a_possible_duplicate(
    ws: Workspace, inbox: Path
) -> None:
    """OCR and a scan sent again print one number in several ways: each could be paid twice."""
    first = claimed(ws, inbox / "1", "a.json", invoice("re23-07564", vat="DE136695976"))
    ws.review.approve(first, "clerk")
    variants = {"spaced": "RE23 07564", "joined": "RE2307564", "no-zero": "RE23-7564", "other": "RE23-07565"}
    for name, number in variants.items():
        write_doc(inbox / "2", f"{name}.json", invoice(number, vat="DE136695976", date="2024-04-01"))
    ws.ingest.ingest([inbox / "2"], workers=0)
    flagged = {i.filename: "duplicate_invoice" in {r.code for r in ws.documents.get(i.id).reasons}
               for i in ws.queue.list(limit=100)}  # fmt: skip
    assert flagged.pop("spaced.json") and flagged.pop("joined.json") and flagged.pop("no-zero.json")
    assert not flagged.get("other.json")  # another number: through, or in review for something else


@pytest.mark.parametrize(("first", "then"), [("1/23", "12/3"), ("1/11", "11/1"), ("A1-2", "A-12"), ("11", "1-01")])
def test_numbers_whose_parts_differ_are_not_duplicates(ws: Workspace, inbox: Path, first: str, then: str) -> None:
    """Run together they read alike, but a month and a sequence number are not another split of one number."""
    doc = claimed(ws, inbox / "1", "a.json", invoice(first, vat="DE136695976"))
    ws.review.approve(doc, "clerk")
    write_doc(inbox / "2", "b.json", invoice(then, vat="DE136695976", date="2024-04-01"))
    ws.ingest.ingest([inbox / "2"], workers=0)
    assert not any(
        r.code == "duplicate_invoice" for i in ws.queue.list(limit=100) for r in ws.documents.get(i.id).reasons
    )


def test_a_company_of_the_same_name_with_another_vat_id_is_held_for_a_supervisor_then_another_vendor(
    ws: Workspace, inbox: Path
) -> None:
    first = claimed(ws, inbox / "1", "kg.json", invoice("K-1", vendor="Chantemerle Analytics KG", vat="DE136695976"))
    ws.review.approve(first, "clerk")
    # the same name (legal forms aside), another VAT id, another IBAN: a sister company, or someone using the name
    other = invoice("G-1", vendor="Chantemerle Analytics GmbH", vat="DE129273398", iban=IBAN_B)
    write_doc(inbox / "2", "gmbh.json", other)
    ws.ingest.ingest([inbox / "2"], workers=0)
    [item] = [i for i in ws.queue.list() if i.filename == "gmbh.json"]
    reasons = {r.code: r for r in ws.documents.get(item.id).reasons}
    assert set(reasons) >= {"unknown_vendor", "vat_changed"} and "iban_changed" not in reasons
    assert (
        "on file with VAT id DE136695976" in reasons["vat_changed"].message and reasons["vat_changed"].blocks_approval
    )
    ws.queue.claim(item.id, "sup")
    with pytest.raises(RuleFailedError, match="on file with VAT id"):
        ws.review.approve(item.id, "sup")
    ws.review.approve(item.id, "sup", override_reason="sister company, checked with the KG")
    on_file = {v.name: (v.vat_id, v.iban) for v in ws.vendors.list()}
    assert on_file == {
        "Chantemerle Analytics KG": ("DE136695976", IBAN_A),
        "Chantemerle Analytics GmbH": ("DE129273398", IBAN_B),
    }
    # both on file: an invoice whose VAT id was not read is the vendor whose IBAN it prints, never the other's
    write_doc(inbox / "3", "kg-2.json", invoice("K-2", vendor="Chantemerle Analytics KG"))
    write_doc(inbox / "3", "gmbh-2.json", invoice("G-2", vendor="Chantemerle Analytics GmbH", iban=IBAN_B))
    ws.ingest.ingest([inbox / "3"], workers=0)
    codes = {i.filename: set(i.reason_codes) for i in ws.queue.list(limit=100)}
    assert not {"iban_changed", "vat_changed", "unknown_vendor"} & (
        codes.get("kg-2.json", set()) | codes.get("gmbh-2.json", set())
    )


def test_the_same_invoice_number_from_another_company_or_a_shared_iban_is_no_duplicate(
    ws: Workspace, inbox: Path
) -> None:
    kg = claimed(ws, inbox / "1", "kg.json", invoice("100", vendor="Chantemerle Analytics KG", vat="DE136695976"))
    ws.review.approve(kg, "clerk")
    write_doc(inbox / "2", "kg-100.json", invoice("200", vendor="Chantemerle Analytics KG"))  # VAT id not read
    write_doc(inbox / "2", "alpha.json", invoice("1001", vendor="Alpha Handels GmbH", iban=IBAN_B))
    ws.ingest.ingest([inbox / "2"], workers=0)
    for item in ws.queue.list(limit=100):
        ws.queue.claim(item.id, "sup")
        ws.review.approve(item.id, "sup", override_reason="checked")
    gmbh = invoice("200", vendor="Chantemerle Analytics GmbH", vat="DE129273398", iban="DE35370400440532013002")
    write_doc(inbox / "3", "gmbh-200.json", gmbh)  # its own VAT id and account: a sister company
    write_doc(inbox / "3", "beta.json", invoice("1001", vendor="Beta Bau AG", iban=IBAN_B))  # a factoring account
    ws.ingest.ingest([inbox / "3"], workers=0)
    with ws.db.read() as s:
        ids = dict(s.execute(select(Document.filename, Document.id)).all())
    for name in ("gmbh-200.json", "beta.json"):
        assert "duplicate_invoice" not in {r.code for r in ws.documents.get(ids[name]).reasons}, name


def test_a_copy_is_a_duplicate_whether_or_not_its_vat_id_was_read_and_in_any_script(ws: Workspace, inbox: Path) -> None:
    first = claimed(ws, inbox / "1", "a.json", invoice("RE-117", vat="DE136695976"))
    ws.review.approve(first, "clerk")
    greek = claimed(ws, inbox / "1g", "g.json", invoice("Τ-5", vendor="Αλφα Εμπορική", iban=IBAN_B), user="clerk2")
    ws.review.approve(greek, "clerk2")
    write_doc(inbox / "2", "copy-without-vat.json", invoice("RE-117"))  # the VAT id was not read this time
    write_doc(inbox / "2", "copy-other-iban.json", invoice("RE-117", iban=None, vendor="ACME GMBH"))
    write_doc(inbox / "2", "greek-copy.json", invoice("Τ-5", vendor="ΑΛΦΑ ΕΜΠΟΡΙΚΗ", iban=IBAN_B))
    write_doc(inbox / "2", "other-vendor.json", invoice("RE-117", vendor="Beta GmbH", vat="DE129273398", iban=None))
    ws.ingest.ingest([inbox / "2"], workers=0)
    by_file = {i.filename: i.id for i in ws.queue.list(limit=1000)}
    dup = {
        name: [r.message for r in ws.documents.get(by_file[name]).reasons if r.code == "duplicate_invoice"]
        for name in ("copy-without-vat.json", "copy-other-iban.json", "greek-copy.json", "other-vendor.json")
    }
    assert dup["copy-without-vat.json"] == [
        f"possible duplicate: invoice number RE-117 already seen for this vendor (document {first})"
    ]
    assert dup["copy-other-iban.json"] and dup["greek-copy.json"]
    assert dup["other-vendor.json"] == []  # the same number from another VAT id is another vendor's invoice


def test_training_pairs_from_corrections_and_confirmations(ws: Workspace, inbox: Path) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    doc_id = claimed(ws, inbox, "a.json", invoice("A", date="2024-01-01"))
    ws.review.correct(doc_id, "invoice_date", "2024-03-05", "clerk", seconds_spent=5)
    ws.review.correct(doc_id, "invoice_number", "B", "clerk")
    ws.review.correct(doc_id, "invoice_number", "A", "clerk")  # changed back: a confirmation after all
    assert training_pairs(ws) == []  # nothing until the document is approved
    ws.review.approve(doc_id, "clerk")
    pairs = {p.field_name: p for p in training_pairs(ws, since=start) if p.line_item_index is None}
    date = pairs["invoice_date"]
    assert (date.predicted_value, date.true_value, date.kind) == ("2024-01-01", "2024-03-05", CorrectionKind.CORRECTION)
    assert date.predicted_confidence == 0.97 and date.predicted_bbox_pt is not None and date.vendor == "ACME GmbH"
    assert pairs["invoice_number"].kind is CorrectionKind.CONFIRMATION
    assert pairs["total_amount"].kind is CorrectionKind.CONFIRMATION and pairs["total_amount"].true_value == "119.00"
    line_pairs = [p for p in training_pairs(ws) if p.line_item_index is not None]
    assert {(p.line_item_index, p.field_name) for p in line_pairs} >= {(0, "amount"), (1, "amount")}
    assert training_pairs(ws, since=datetime.now(UTC) + timedelta(hours=1)) == []


def test_an_approved_document_is_not_changed_and_claiming_is_not_offered_as_the_way(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    ws.review.approve(doc_id, "clerk")
    for act in (
        lambda: ws.review.approve(doc_id, "clerk"),
        lambda: ws.review.correct(doc_id, "po_number", "7", "clerk"),
    ):
        with pytest.raises(IllegalTransitionError, match="is approved: only a document in review") as caught:
            act()
        assert "claim" not in str(caught.value)


def test_an_amount_typed_in_another_currency_than_the_documents_is_refused(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    ws.review.correct(doc_id, "currency", "EUR", "clerk")
    with pytest.raises(InvalidValueError, match="is in CHF but the document's currency is EUR"):
        ws.review.correct(doc_id, "total_amount", "CHF 119.00", "clerk")
    assert ws.review.correct(doc_id, "total_amount", "119,00 €", "clerk").value == "119.00"
    ws.review.correct(doc_id, "currency", "CHF", "clerk")
    assert ws.review.correct(doc_id, "total_amount", "CHF 119.00", "clerk").value == "119.00"
    ws.review.correct(doc_id, "currency", "CAD", "clerk")
    assert ws.review.correct(doc_id, "total_amount", "$119.00", "clerk").value == "119.00"  # a dollar: it may be
    with pytest.raises(InvalidValueError, match="is in EUR"):
        ws.review.correct(doc_id, "total_amount", "119,00 €", "clerk")
    for typed in ("£ 999,00", "GBP999.00", "€ 5", "- € 5,00"):  # a space after the sign, a code glued on
        with pytest.raises(InvalidValueError, match="but the document's currency is CAD"):
            ws.review.correct(doc_id, "total_amount", typed, "clerk")


def test_an_amount_finer_than_the_currencys_smallest_unit_is_refused(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    ws.review.correct(doc_id, "currency", "EUR", "clerk")
    with pytest.raises(InvalidValueError, match=r"12345\.678 has 3 decimals but EUR amounts have 2"):
        ws.review.correct(doc_id, "net_amount", "12.345,678", "clerk")
    assert ws.review.correct(doc_id, "net_amount", "12.345,60", "clerk").value == "12345.60"
    assert ws.review.correct(doc_id, "unit_price", "0,125", "clerk", line_item_index=0).value == "0.125"
    with pytest.raises(InvalidValueError, match="EUR amounts have 2"):
        ws.review.correct(doc_id, "amount", "60.0050", "clerk", line_item_index=0)
    ws.review.correct(doc_id, "currency", "JPY", "clerk")
    assert ws.review.correct(doc_id, "total_amount", "15000", "clerk").value == "15000.00"
    with pytest.raises(InvalidValueError, match="has 1 decimals but JPY amounts have 0"):
        ws.review.correct(doc_id, "total_amount", "15000.5", "clerk")


def test_a_contract_is_listed_by_its_parties_and_value(ws: Workspace, inbox: Path) -> None:
    contract = {
        "doc_type": "contract",
        "fields": {
            "parties": ["Acme Ltd; Globex GmbH", 0.6],
            "contract_value": ["25000.00", 0.6],
            "currency": ["GBP", 0.6],
        },
    }
    doc_id = claimed(ws, inbox, "c.json", contract)
    [item] = [i for i in ws.queue.list() if i.id == doc_id]
    assert (item.vendor_name, item.total_amount, item.currency) == ("Acme Ltd; Globex GmbH", Decimal("25000.00"), "GBP")
    ws.review.correct(doc_id, "parties", "Acme Ltd; Initech SA", "clerk")
    ws.review.correct(doc_id, "currency", "EUR", "clerk")
    [item] = [i for i in ws.queue.list() if i.id == doc_id]
    assert (item.vendor_name, item.currency) == ("Acme Ltd; Initech SA", "EUR")


def test_a_party_list_of_separators_only_is_empty_and_blocks_approval(ws: Workspace, inbox: Path) -> None:
    contract = {
        "doc_type": "contract",
        "fields": {"parties": ["Acme Ltd; Globex GmbH", 0.6], "effective_date": ["2024-01-01", 0.99]},
    }
    doc_id = claimed(ws, inbox, "c.json", contract)
    assert ws.review.correct(doc_id, "parties", " ; ; ", "clerk").value is None
    with pytest.raises(RuleFailedError, match="required field parties is empty"):
        ws.review.approve(doc_id, "clerk")
    fixed = ws.review.correct(doc_id, "parties", "Acme Ltd;Globex GmbH;", "clerk")
    assert fixed.value == "Acme Ltd; Globex GmbH"
    ws.review.approve(doc_id, "clerk")


def test_corrections_from_before_a_reextraction_are_no_training_pairs(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", date="2024-01-01"))
    ws.review.correct(doc_id, "invoice_date", "2024-01-10", "clerk")  # a slip, approved
    ws.review.approve(doc_id, "clerk")
    assert {p.field_name: p.true_value for p in training_pairs(ws)}["invoice_date"] == "2024-01-10"
    ws.review.reopen(doc_id, "sup", "date mistyped")
    ws.ingest.reextract(doc_id, "sup")
    ws.queue.claim(doc_id, "clerk")
    ws.review.approve(doc_id, "clerk")
    approved = ws.documents.get(doc_id).fields
    assert approved["invoice_date"].value == "2024-01-01"
    pairs = {p.field_name: p for p in training_pairs(ws) if p.line_item_index is None}
    assert pairs["invoice_date"].true_value == "2024-01-01"
    assert pairs["invoice_date"].kind is CorrectionKind.CONFIRMATION
    assert all(p.true_value == approved[name].value for name, p in pairs.items())


def test_a_wrong_iban_or_vat_id_approved_by_override_never_goes_on_file(ws: Workspace) -> None:
    from idp_app.services import vendors

    with ws.db.write() as s:
        v = vendors.register(s, "ACME GmbH", "DE136695976", "DE89370400440532013000", None)
        assert v is not None
        vendors.register(s, "ACME GmbH", "DE136695977", "DE00370400440532013000", None)  # both misread
        assert (v.iban, v.vat_id) == ("DE89370400440532013000", "DE136695976")


def test_an_approval_waits_for_a_claim_another_session_is_making_and_then_refuses(
    ws: Workspace, inbox: Path, config: AppConfig
) -> None:
    """clerk's lease ran out and clerk2 is claiming the document in another session, not committed yet: clerk's
    approval must see that claim, not approve over it."""
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    claim = update(Document).where(Document.id == doc_id).values(claimed_by="clerk2")
    error = while_another_session_writes(config, claim, lambda: ws.review.approve(doc_id, "clerk"))
    assert "claimed by clerk2" in error
    assert ws.documents.get(doc_id).status is DocumentStatus.IN_REVIEW


def test_a_field_accepted_or_set_back_to_what_was_read_is_checked_and_no_longer_doubtful(
    ws: Workspace, inbox: Path
) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    fields = ws.documents.get(doc_id).fields
    assert fields["vendor_name"].state is ReviewState.CHECK and fields["invoice_date"].state is ReviewState.CHECK
    accepted = ws.review.apply(
        Correction(doc_id, "vendor_name", "ACME GmbH", "ACME GmbH", user="clerk", kind=CorrectionKind.CONFIRMATION)
    )
    assert accepted.state is ReviewState.OK and not accepted.corrected
    ws.review.correct(doc_id, "invoice_date", "2024-03-06", "clerk")
    back = ws.review.correct(doc_id, "invoice_date", "05.03.2024", "clerk")  # back to what was read
    assert back.value == "2024-03-05" and back.state is ReviewState.OK and not back.corrected
    assert ws.documents.get(doc_id).fields["invoice_number"].state is ReviewState.CHECK  # untouched: still doubtful


def test_a_value_typed_over_another_keeps_no_box_unless_it_is_what_was_read(ws: Workspace, inbox: Path) -> None:
    """The old value's box would say where the typed one is printed, and vendor memory would learn that wrong place
    (the next invoice of the layout got 'Slip tag: 5521 ...' as its address at 0.95)."""
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    read = ws.documents.get(doc_id).fields["vendor_name"]
    assert read.bbox_pt is not None
    typed = ws.review.correct(doc_id, "vendor_name", "Acme Trading GmbH", "clerk")
    assert typed.bbox_pt is None and typed.corrected
    back = ws.review.correct(doc_id, "vendor_name", "ACME GmbH", "clerk")
    assert back.bbox_pt == read.bbox_pt and not back.corrected  # what was read, where it was read


def test_a_release_waits_for_an_approval_another_session_is_making_and_then_refuses(
    ws: Workspace, inbox: Path, config: AppConfig
) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    approval = update(Document).where(Document.id == doc_id).values(status="approved", claimed_by=None)
    error = while_another_session_writes(config, approval, lambda: ws.queue.release(doc_id, "sup"))
    assert "is not claimed (it is approved)" in error
    assert ws.documents.get(doc_id).status is DocumentStatus.APPROVED


def test_undo_back_to_what_was_read_leaves_a_field_doubtful_and_old_values_stay_confirmable(
    ws: Workspace, inbox: Path
) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    fix = Correction(doc_id, "invoice_date", "2024-03-05", "2024-03-06", user="clerk")
    assert ws.review.apply(fix).state is ReviewState.OK
    back = ws.review.apply(fix.inverted())  # the window's Ctrl+Z
    assert back.value == "2024-03-05" and back.state is ReviewState.CHECK and not back.corrected
    assert ws.review.apply(fix.inverted().inverted()).value == "2024-03-06"  # Ctrl+Shift+Z
    # a value stored under an earlier version's rules ("9999-12-31" is refused when typed now) is still confirmed
    with ws.db.write() as s:
        s.execute(
            update(FieldRow)
            .where(FieldRow.document_id == doc_id, FieldRow.name == "invoice_date")
            .values(value="9999-12-31", predicted_value="9999-12-31")
        )
    never = Correction(
        doc_id, "invoice_date", "9999-12-31", "9999-12-31", user="clerk", kind=CorrectionKind.CONFIRMATION
    )
    assert ws.review.apply(never).state is not ReviewState.CHECK
    with pytest.raises(InvalidValueError, match="plausible"):
        ws.review.correct(doc_id, "invoice_date", "9999-12-30", "clerk")
    typed = Correction(doc_id, "invoice_date", "9999-12-31", "2024-04-04", user="clerk")
    ws.review.apply(typed)
    assert ws.review.apply(typed.inverted()).value == "9999-12-31"  # undo restores what was stored before


def reasons_of(ws: Workspace, name: str) -> set[str]:
    with ws.db.read() as s:
        doc_id = s.execute(select(Document.id).where(Document.filename == name)).scalar_one()
    return {r.code for r in ws.documents.get(doc_id).reasons}


def test_vendor_checks_through_misread_names_shared_names_and_shared_accounts(ws: Workspace, inbox: Path) -> None:
    acme = claimed(ws, inbox / "1", "acme.json", invoice("RE-500", vendor="Acme Handels GmbH", vat="DE136695976"))
    ws.review.approve(acme, "clerk")
    # a copy whose name OCR misread and whose VAT id it missed is still the same invoice
    write_doc(inbox / "2", "acrne.json", invoice("RE-500", vendor="Acrne Handels GmbH"))
    # a seller paid through Acme's factoring account, with the same invoice number, is another seller's invoice
    write_doc(inbox / "2", "beta.json", invoice("RE-500", vendor="Beta Bau AG", iban=IBAN_A))
    ws.ingest.ingest([inbox / "2"], workers=0)
    assert "duplicate_invoice" in reasons_of(ws, "acrne.json")
    assert "duplicate_invoice" not in reasons_of(ws, "beta.json")

    # two companies of one name on file: an invoice under the name, paid to an account neither has, is checked
    kg = claimed(ws, inbox / "3", "kg.json", invoice("K-1", vendor="Nordlicht KG", vat="DE129273398", iban=IBAN_B))
    ws.review.approve(kg, "clerk")
    gmbh = invoice("G-1", vendor="Nordlicht GmbH", vat="DE123456788", iban="DE35370400440532013002")
    write_doc(inbox / "4", "gmbh.json", gmbh)
    ws.ingest.ingest([inbox / "4"], workers=0)
    assert "vat_changed" in reasons_of(ws, "gmbh.json")  # another VAT id, paid elsewhere: held for a supervisor
    [item] = [i for i in ws.queue.list() if i.filename == "gmbh.json"]
    ws.queue.claim(item.id, "sup")
    ws.review.approve(item.id, "sup", override_reason="sister company")
    write_doc(inbox / "5", "fake.json", invoice("G-2", vendor="Nordlicht GmbH", iban="DE62370400440532013001"))
    write_doc(inbox / "5", "same-account.json", invoice("K-2", vendor="Nordlicht KG", vat="DE123456796", iban=IBAN_B))
    ws.ingest.ingest([inbox / "5"], workers=0)
    assert "iban_changed" in reasons_of(ws, "fake.json")
    # the name and the account on file with a VAT id that differs (misread, or changed): the vendor on file, held
    assert {"vat_changed", "unknown_vendor", "iban_changed"} & reasons_of(ws, "same-account.json") == {"vat_changed"}
    assert len(ws.vendors.list()) == 3  # Acme, the KG and the GmbH: no vendor added for the unchecked invoices


def test_an_undo_restores_a_confirmation_and_approval_confirms_every_value(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    ws.review.apply(
        Correction(doc_id, "invoice_date", "2024-03-05", "2024-03-05", user="clerk", kind=CorrectionKind.CONFIRMATION)
    )
    fix = Correction(doc_id, "invoice_date", "2024-03-05", "2024-03-06", user="clerk")
    ws.review.apply(fix)
    assert ws.review.apply(fix.inverted()).state is ReviewState.OK  # confirmed before the correction: still is
    number = Correction(doc_id, "invoice_number", "A", "B", user="clerk")
    ws.review.apply(number)
    assert ws.review.apply(number.inverted()).state is ReviewState.CHECK  # never confirmed
    ws.review.approve(doc_id, "clerk")
    with ws.db.read() as s:
        unchecked = s.execute(
            select(FieldRow.name).where(FieldRow.document_id == doc_id, FieldRow.value.is_not(None), ~FieldRow.checked)
        ).all()
    assert unchecked == []  # as migration 0004 marks stored approved documents


def test_undoing_a_box_drawn_on_another_page_puts_the_field_back_on_its_page(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A"))
    total = ws.documents.get(doc_id).fields["total_amount"]
    drawn = BBox(300.0, 500.0, 360.0, 512.0)
    move = Correction(
        doc_id, "total_amount", "119.00", "119.00", total.bbox_pt, drawn, page=1, old_page=total.page, user="clerk"
    )
    moved = ws.review.apply(move)
    assert (moved.page, moved.bbox_pt) == (1, drawn)
    back = ws.review.apply(move.inverted())
    assert (back.page, back.bbox_pt) == (total.page, total.bbox_pt) and not back.corrected


def test_a_resent_invoice_under_another_vat_id_and_similar_names_of_other_sellers(ws: Workspace, inbox: Path) -> None:
    first = claimed(ws, inbox / "1", "a.json", invoice("RE-900", vat="DE136695976"))
    ws.review.approve(first, "clerk")
    for name, number in (("Müller GmbH", "1"), ("Meier GmbH", "7"), ("Bäckerei Kamps Filiale 12", "3")):
        doc = claimed(ws, inbox / name, f"{name}.json", invoice(number, vendor=name, iban=None))
        ws.review.approve(doc, "clerk")
    # the same invoice again, its VAT id misread (or changed): the vendor by name and account, and a duplicate
    write_doc(inbox / "2", "resent.json", invoice("RE-900", vat="DE129273398"))
    # a VAT id not on file under a known name, no account printed: held too
    write_doc(inbox / "2", "no-account.json", invoice("RE-901", vat="DE123456788", iban=None))
    # other sellers whose names are like those on file, with the same numbers: no duplicates
    write_doc(inbox / "2", "moeller.json", invoice("1", vendor="Möller GmbH", iban=None))
    write_doc(inbox / "2", "meyer.json", invoice("7", vendor="Meyer GmbH", iban=None))
    write_doc(inbox / "2", "filiale13.json", invoice("3", vendor="Bäckerei Kamps Filiale 13", iban=None))
    ws.ingest.ingest([inbox / "2"], workers=0)
    assert {"duplicate_invoice", "vat_changed"} <= reasons_of(ws, "resent.json")
    assert "vat_changed" in reasons_of(ws, "no-account.json")
    for name in ("moeller.json", "meyer.json", "filiale13.json"):
        assert "duplicate_invoice" not in reasons_of(ws, name), name


def test_an_undo_is_checked_only_if_the_value_it_restores_was_confirmed(ws: Workspace, inbox: Path) -> None:
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    fix = Correction(doc_id, "invoice_number", "A", "B", user="clerk")
    ws.review.apply(fix)
    ws.review.apply(Correction(doc_id, "invoice_number", "B", "B", user="clerk", kind=CorrectionKind.CONFIRMATION))
    back = ws.review.apply(fix.inverted())  # "A" comes back: only "B" was confirmed
    assert back.value == "A" and back.state is ReviewState.CHECK


def test_an_account_alone_names_no_vendor_and_copies_are_found_however_the_legal_form_is_written(
    ws: Workspace, inbox: Path
) -> None:
    approve_all = [
        ("acme.json", invoice("A-1", vendor="Acme Handels GmbH", vat="DE136695976", iban=IBAN_A)),
        ("zeta.json", invoice("Z-1", vendor="Zeta Services", iban=IBAN_B)),
        ("dupont.json", invoice("F-77", vendor="Dupont SA", vat="FR40303265045", iban="DE35370400440532013002")),
    ]
    for name, data in approve_all:
        doc = claimed(ws, inbox / name, name, data)
        ws.review.approve(doc, "clerk")
    # Acme's name, a made-up VAT id and Zeta's account: not Zeta's invoice, and held
    write_doc(inbox / "2", "fake.json", invoice("A-2", vendor="Acme Handels GmbH", vat="DE129273398", iban=IBAN_B))
    # a copy of Dupont's invoice, its legal form dotted and its VAT id not read
    write_doc(inbox / "2", "dupont-copy.json", invoice("F-77", vendor="Dupont S.A.", iban="DE35370400440532013002"))
    # a new vendor's invoice and its copy, both still waiting for review
    write_doc(inbox / "2", "new.json", invoice("N-1", vendor="Neu AG", vat="DE123456788", iban=None))
    ws.ingest.ingest([inbox / "2"], workers=0)
    write_doc(inbox / "3", "new-copy.json", invoice("N-1", vendor="Neu AG", iban=None))
    ws.ingest.ingest([inbox / "3"], workers=0)
    assert "vat_changed" in reasons_of(ws, "fake.json")
    assert "duplicate_invoice" in reasons_of(ws, "dupont-copy.json")
    assert "duplicate_invoice" in reasons_of(ws, "new-copy.json")
    # a factoring client paid through Acme's account is registered as itself when a clerk approves it
    beta = claimed(ws, inbox / "4", "beta.json", invoice("B-1", vendor="Beta Bau AG", vat="DE123456796", iban=IBAN_A))
    ws.review.approve(beta, "clerk")
    on_file = {v.name: (v.vat_id, v.iban) for v in ws.vendors.list()}
    assert on_file["Acme Handels GmbH"] == ("DE136695976", IBAN_A) and on_file["Beta Bau AG"] == ("DE123456796", IBAN_A)


def test_extraction_and_corrections_are_stamped_by_one_clock(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's (the server's on PostgreSQL): a desk whose clock ran behind the extracting desk's stamped its
    corrections before the extraction, and they were no training pairs."""
    from datetime import UTC, datetime

    server = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    monkeypatch.setattr(ws.db, "now", lambda s: server)
    doc_id = claimed(ws, inbox, "a.json", invoice("A", conf=0.5))
    ws.review.correct(doc_id, "invoice_number", "A-2", "clerk")
    with ws.db.read() as s:
        doc = s.get(Document, doc_id)
        stamps = list(s.execute(select(CorrectionRow.created_at).where(CorrectionRow.document_id == doc_id)).scalars())
    assert doc is not None and doc.extracted_at == server and stamps == [server]
