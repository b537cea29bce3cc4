"""Evaluation metrics on tiny hand-made truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extractors.evaluation import (
    TruthRecord,
    coverage_at_risk,
    load_truth,
    names_match,
    parties_f1,
    risk_coverage,
    score_document,
    score_line_items,
    summarise,
    summarise_items,
)


def _result(**fields: tuple[object, float]) -> dict[str, object]:
    return {"fields": {k: {"value": v, "confidence": c} for k, (v, c) in fields.items()}, "pages": 1}


def test_fields_compare_after_normalisation() -> None:
    record = TruthRecord(
        "a",
        Path("a.pdf"),
        "invoice",
        {
            "total_amount": "1234.50",
            "invoice_date": "2024-03-05",
            "vendor_name": "Müller GmbH",
            "vendor_iban": "DE89 3704 0044 0532 0130 00",
            "invoice_number": "R-1",
        },
    )
    result = _result(
        total_amount=("1234.5", 0.9),
        invoice_date=("2024-03-05", 0.8),
        vendor_name=("MULLER GMBH", 0.7),
        vendor_iban=("DE89370400440532013000", 0.99),
        invoice_number=("R-2", 0.6),
    )
    outcomes = {o.name: o for o in score_document(record, result)}
    assert [outcomes[n].correct for n in ("total_amount", "invoice_date", "vendor_name", "vendor_iban")] == [True] * 4
    assert not outcomes["invoice_number"].correct
    assert outcomes["invoice_number"].confidence == 0.6


def test_loose_names_accept_containment_only_when_asked() -> None:
    assert not names_match("Amazon Web Services Inc.", "Amazon Web Services")
    assert names_match("Amazon Web Services Inc.", "Amazon Web Services", loose=True)
    assert not names_match("Amazon", "Flipkart", loose=True)


def test_parties_f1() -> None:
    assert parties_f1(["ACME Inc.", "Beta LLC"], ["acme inc", "Beta LLC"]) == 1.0
    assert parties_f1(["ACME Inc."], ["ACME Inc.", "Beta LLC"]) == pytest.approx(2 / 3)
    assert parties_f1([], ["x"]) == 0.0


def test_summary_accuracy_document_accuracy_and_missing_fields() -> None:
    r1 = TruthRecord("1", Path("1.pdf"), "invoice", {"total_amount": "10.00", "invoice_number": "A"})
    r2 = TruthRecord("2", Path("2.pdf"), "invoice", {"total_amount": "20.00", "invoice_number": "B"})
    outcomes = score_document(r1, _result(total_amount=("10.00", 0.9), invoice_number=("A", 0.9)))
    outcomes += score_document(r2, _result(total_amount=("21.00", 0.4)))
    report = summarise(outcomes, documents=2, pages=2, seconds=4.0)
    assert report.per_field["total_amount"]["accuracy"] == 0.5
    assert report.per_field["invoice_number"]["accuracy"] == 0.5
    assert report.document_accuracy == 0.5
    assert report.pages_per_second == 0.5
    assert report.to_json()["fields"] == 4


def test_a_document_that_failed_counts_once_among_the_documents(tmp_path: Path) -> None:
    from extractors.context import ExtractionContext
    from extractors.evaluation import run_dataset
    from tests.extractors.test_readers_docs import text_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    text_pdf(docs / "ok.pdf")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<< nonsense\n")
    lines = [
        {"id": "ok", "file": "docs/ok.pdf", "fields": {"invoice_number": "4711"}},
        {"id": "broken", "file": "docs/broken.pdf", "fields": {"invoice_number": "9"}},
    ]
    (tmp_path / "truth.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    report, _ = run_dataset(tmp_path, ExtractionContext())
    assert report.documents == 2 and len(report.failed) == 1
    assert report.per_field["invoice_number"]["accuracy"] == 0.5
    assert report.document_accuracy == 0.5


def test_risk_coverage_and_threshold_for_one_percent() -> None:
    conf = np.array([0.99] * 50 + [0.9] * 50 + [0.5] * 100)
    ok = np.array([1] * 50 + [1] * 49 + [0] + [1] * 50 + [0] * 50)
    rows = {r["threshold"]: r for r in risk_coverage(conf, ok, thresholds=(0.0, 0.9, 0.99))}
    assert rows[0.99]["coverage"] == 0.25 and rows[0.99]["error_rate"] == 0.0
    assert rows[0.9]["coverage"] == 0.5 and rows[0.9]["error_rate"] == 0.01
    assert rows[0.0]["error_rate"] == pytest.approx(0.255)
    threshold, coverage = coverage_at_risk(conf, ok)
    assert threshold == 0.9 and coverage == 0.5


def test_load_truth_reads_the_shared_format_and_names_bad_lines(tmp_path: Path) -> None:
    lines = [
        {"id": "x", "file": "docs/x.pdf", "type": "invoice", "fields": {"total_amount": "1.00"}},
        {"id": "y", "file": "docs/y.png", "type": "receipt", "fields": {}, "source": "a constant: compare loosely"},
    ]
    (tmp_path / "truth.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    records = load_truth(tmp_path)
    assert [r.id for r in records] == ["x", "y"]
    assert records[0].file == tmp_path / "docs" / "x.pdf"
    assert records[1].loose_names and not records[0].loose_names
    (tmp_path / "truth.jsonl").write_text('{"id": "x"}\nnot json\n')
    with pytest.raises(ValueError, match=":1:"):
        load_truth(tmp_path)


def test_shared_benchmark_truth_loads(shared_data: Path) -> None:
    records = load_truth(shared_data / "invoice2data")
    assert len(records) == 15
    assert all(r.file.exists() for r in records)


TRUTH_ITEMS = (
    {"description": "Widget, blue", "quantity": "2.000", "unit_price": "4.50", "amount": "9.00"},
    {"description": "Cable 2 m", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
    {"description": "Shipping", "amount": "5.00"},
)


def test_line_items_are_paired_by_their_columns_and_counted_right_only_when_every_column_agrees() -> None:
    predicted = [
        {"description": "Cable 2 m", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
        {"description": "WIDGET blue", "quantity": "2", "unit_price": "4.50", "amount": "9.00"},
        {"description": "Shipping and handling", "amount": "5.00"},  # amount right, description not
        {"description": "Subtotal", "amount": "17.20"},  # not an item
    ]
    got = score_line_items("d", TRUTH_ITEMS, predicted)
    assert (got.truth, got.predicted, got.right) == (3, 4, 2)
    assert got.columns == {"description": (2, 3), "quantity": (2, 2), "unit_price": (2, 2), "amount": (3, 3)}
    summary = summarise_items([got, score_line_items("e", (), [{"amount": "1.00"}])])
    assert summary["documents"] == 1  # a document without item truth is not scored
    assert summary["precision"] == 0.5 and summary["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-4)
    assert summary["columns"]["description"] == {"accuracy": pytest.approx(2 / 3, abs=1e-4), "n": 3}


def test_line_items_missed_or_invented() -> None:
    missed = score_line_items("d", TRUTH_ITEMS, [])
    assert (missed.right, missed.columns) == (0, {})
    unrelated = score_line_items("d", TRUTH_ITEMS[:1], [{"description": "Other", "amount": "1.00"}])
    assert unrelated.right == 0 and unrelated.columns == {}  # nothing in common: not paired
    # one predicted item is paired with one truth item only
    twice = score_line_items("d", (TRUTH_ITEMS[2], TRUTH_ITEMS[2]), [{"description": "Shipping", "amount": "5.00"}])
    assert twice.right == 1


def test_line_item_truth_is_read_and_reported(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "file": "docs/a.pdf", "fields": {"total_amount": "17.20"}, "line_items": list(TRUTH_ITEMS)},
        {"id": "b", "file": "docs/b.pdf", "fields": {"total_amount": "1.00"}},
    ]
    (tmp_path / "truth.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    records = load_truth(tmp_path)
    assert records[0].line_items == TRUTH_ITEMS and records[1].line_items == ()
    items = [score_line_items(r.id, r.line_items, [dict(TRUTH_ITEMS[0])]) for r in records]
    report = summarise([], documents=2, pages=2, seconds=1.0, items=items)
    assert report.to_json()["line_items"]["right"] == 1
    assert summarise([], documents=1, pages=1, seconds=1.0).line_items == {}
