"""The supervisors' accuracy report over a real database: fields as clerks found them, confidence bands, the QA
sample's estimate of straight-through accuracy, clerks' work, the period, and who may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc

from idp_app.db.models import Document
from idp_app.errors import PermissionDeniedError
from idp_app.services import Workspace


def _approve(ws: Workspace, doc_id: int, user: str, corrections: dict[str, str]) -> None:
    ws.queue.claim(doc_id, user)
    for name, value in corrections.items():
        ws.review.correct(doc_id, name, value, user, seconds_spent=30.0)
    ws.review.approve(doc_id, user)


def test_a_missing_field_a_clerk_fills_in_is_counted_but_kept_out_of_the_confidence_bands(
    ws: Workspace, inbox: Path
) -> None:
    """A field reported missing carries the chance that none is printed, not that a value is right."""
    data = invoice("A-1", conf=0.6)
    data["fields"]["po_number"] = [None, 0.95]
    write_doc(inbox, "a.json", data)
    ws.ingest.ingest([inbox], workers=0)
    (item,) = ws.queue.list()
    _approve(ws, item.id, "clerk", {"po_number": "PO-77"})
    report = ws.reports.accuracy("sup")
    per_field = {f.name: f for f in report.fields}
    assert (per_field["po_number"].checked, per_field["po_number"].corrected) == (1, 1)
    (band,) = report.bands  # the found fields at 0.6 alone, all right
    assert (band.fields, band.accuracy) == (report.checked - 1, 1.0)
    from idp_app.services.reports import summary_lines

    headline = next(line for line in summary_lines(report) if line.startswith("Field accuracy"))
    assert f"over the {report.checked - 1} fields extraction gave a value; the 1 it reported not found" in headline


def test_the_report_counts_what_clerks_corrected(ws: Workspace, inbox: Path) -> None:
    for name in ("a", "b", "c"):
        write_doc(inbox, f"{name}.json", invoice(name.upper() + "-1", conf=0.6))
    ws.ingest.ingest([inbox], workers=0)
    ids = {i.filename[0]: i.id for i in ws.queue.list()}
    with ws.db.write() as s:
        doc = s.get(Document, ids["c"])
        assert doc is not None
        doc.qa_sample = True
    _approve(ws, ids["a"], "clerk", {"invoice_number": "A-2"})
    _approve(ws, ids["b"], "clerk2", {})
    _approve(ws, ids["c"], "clerk", {"vendor_name": "ACME Tools GmbH"})

    report = ws.reports.accuracy("sup")
    assert (report.reviewed, report.straight_through) == (3, 0)
    per_field = {f.name: f for f in report.fields}
    assert (per_field["invoice_number"].checked, per_field["invoice_number"].corrected) == (3, 1)
    assert per_field["total_amount"].corrected == 0 and per_field["total_amount"].accuracy == 1.0
    checked = report.checked
    assert checked == sum(f.checked for f in report.fields) and checked >= 3 * 7
    assert report.accuracy == pytest.approx(1 - 2 / checked)
    (band,) = report.bands  # every field at 0.6
    assert (band.low, band.fields, band.mean_confidence) == (0.5, checked, pytest.approx(0.6))
    assert report.ece == pytest.approx(abs(0.6 - report.accuracy))
    assert (report.qa_documents, report.qa_corrected) == (1, 1)
    assert report.qa_interval is not None
    low, high = report.qa_interval
    assert low < 1 - 1 / report.qa_fields < high
    clerks = {c.user: c for c in report.clerks}
    assert (clerks["clerk"].approved, clerks["clerk"].corrections, clerks["clerk"].minutes) == (2, 2, 1.0)
    assert (clerks["clerk2"].approved, clerks["clerk2"].corrections) == (1, 0)
    assert report.vendors[0].corrected == 1
    from extractors.pipeline import load_model

    # read by the model shipped: named as the model list and the window name it
    assert [m.key for m in report.models] == [f"default ({load_model(None).version})"]

    # what a clerk decided stays counted when a supervisor reopens it later
    ws.review.reopen(ids["b"], "sup", "look at the IBAN again")
    again = {c.user: c for c in ws.reports.accuracy("sup").clerks}
    assert again["clerk2"].approved == 1

    # line-item cells a clerk corrected, in a table of their own; a supervisor's approval over a failing rule
    write_doc(inbox, "d.json", invoice("D-1", conf=0.6, total="120.00"))  # net + tax is not the total
    ws.ingest.ingest([inbox], workers=0)
    d = next(i.id for i in ws.queue.list() if i.filename == "d.json")
    ws.queue.claim(d, "sup")
    ws.review.correct(d, "amount", "61.00", "sup", line_item_index=0)
    ws.review.approve(d, "sup", override_reason="checked by phone")
    report = ws.reports.accuracy("sup")
    columns = {f.name: f for f in report.line_columns}
    assert (columns["amount"].checked, columns["amount"].corrected) == (6, 1)  # two lines of a, c and d (b reopened)
    assert "amount" not in {f.name for f in report.fields}
    by_user = {c.user: c for c in report.clerks}
    assert (by_user["sup"].approved, by_user["sup"].overrides, by_user["clerk"].overrides) == (1, 1, 0)
    from idp_app.services.reports import tables

    titles = {t.title: t for t in tables(report)}
    assert ("amount", "6", "1", "83.3%", "0.95") in titles["Line items, per column"].rows

    later = ws.reports.accuracy("sup", since=datetime.now(UTC) + timedelta(days=1))
    assert (later.reviewed, later.fields, later.ece, later.clerks) == (0, [], None, [])
    with pytest.raises(PermissionDeniedError):
        ws.reports.accuracy("clerk")


def test_cli_report(home: Path) -> None:
    import json

    from typer.testing import CliRunner

    from idp_app.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["claim", "2", "--user", "sup"]).exit_code == 0
    assert runner.invoke(app, ["correct", "2", "invoice_number", "B-9", "--user", "sup"]).exit_code == 0
    assert runner.invoke(app, ["approve", "2", "--user", "sup"]).exit_code == 0
    result = runner.invoke(app, ["report", "--user", "sup", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["reviewed"] == 1
        and {"name": "invoice_number", "checked": 1, "corrected": 1}.items()
        <= next(f for f in data["fields"] if f["name"] == "invoice_number").items()
    )
    result = runner.invoke(app, ["report", "--user", "sup", "--days", "7"])
    text = " ".join(result.stdout.split())
    assert result.exit_code == 0 and "1 document approved from 20" in text and "invoice_number" in text
    hour = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:")  # the last 24 hours: from the hour
    assert f"from {hour}" in " ".join(runner.invoke(app, ["report", "--user", "sup", "--days", "1"]).stdout.split())
    for bad in (
        ["--since", "last week"],
        ["--since", "2026-11-22T23:00"],
        ["--since", "2026-11-30", "--until", "2026-11-01"],
    ):
        assert runner.invoke(app, ["report", "--user", "sup", *bad]).exit_code == 32, bad
    assert runner.invoke(app, ["report", "--user", "sup", "--days", "99999999"]).exit_code == 2
    today = datetime.now(UTC).date().isoformat()
    result = runner.invoke(app, ["report", "--user", "sup", "--since", today, "--until", today])
    assert f"1 document approved from {today} to {today}" in " ".join(result.stdout.split())
    assert runner.invoke(app, ["report", "--user", "clerk"]).exit_code == 23
