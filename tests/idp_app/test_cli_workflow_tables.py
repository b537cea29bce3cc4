"""`idp queue` and `idp show` read well in an 80-column terminal; --wide and --json give everything."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fake_extractors import invoice, json_extract, write_doc
from typer.testing import CliRunner

from idp_app.cli import app
from idp_app.cli import workflow as cli
from idp_app.config import AppConfig
from idp_app.services import Workspace

runner = CliRunner()
LONG_FILE = "2024-03-05_scan_of_the_quarterly_invoice_from_the_northern_depot.json"
LONG_VENDOR = "Internationale Handelsgesellschaft für Büro- und Lagerbedarf mbH"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("IDP_HOME", str(home))
    monkeypatch.delenv("IDP_USER", raising=False)
    monkeypatch.setattr(cli.out, "width", 80)
    inbox = tmp_path / "in"
    write_doc(inbox, LONG_FILE, invoice("Q-2024-0001", vendor=LONG_VENDOR, total="129.00", conf=0.873))
    write_doc(
        inbox, "b.json", invoice("B-1", vendor=None, warnings=["model v0003 refused (checksum): using the previous"])
    )
    with Workspace.open(AppConfig.from_env(), extract=json_extract) as ws:
        ws.users.add("boss", "boss-pw", "admin")
        ws.users.add("clerk", "clerk-pw", "clerk", by="boss")
        ws.ingest.ingest([inbox], workers=0)
        claim = ws.queue.claim_next("clerk")
        assert claim is not None
    return home


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def ids(home: Path) -> list[int]:
    return [item["id"] for item in json.loads(run("queue", "--json"))["items"]]


def test_queue_fits_80_columns_one_line_per_document(home: Path) -> None:
    text = run("queue")
    lines = text.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, text
    rows = [line for line in lines if re.match(r"\s*\d+\s\s", line)]
    assert sorted(int(r.split()[0]) for r in rows) == sorted(ids(home)), text  # one line per document
    assert "needs_…" not in text and "invoi…" not in text
    assert "to do" in text and "claimed" in text  # short status labels
    assert "87%" in text  # confidence as a percentage
    long_row = next(r for r in rows if "…" in r)
    assert "2024-03-05_scan" in long_row and LONG_FILE not in text  # the file name is cut, not wrapped


def test_queue_wide_and_json_give_every_column(home: Path) -> None:
    wide = run("queue", "--wide")
    assert "needs_review" in wide and "Q-2024-0001" in wide and "vendor name not found" in wide
    items = json.loads(run("queue", "--json"))["items"]
    long = next(i for i in items if i["invoice_number"] == "Q-2024-0001")
    assert long["file"] == LONG_FILE and long["vendor"] == LONG_VENDOR
    assert long["currency"] == "EUR" and long["created_at"]
    assert "arithmetic" in long["reason_codes"] and len(long["reasons"]) == len(long["reason_codes"])


def test_show_lists_fields_and_the_routing_reasons(home: Path) -> None:
    doc_id = next(i["id"] for i in json.loads(run("queue", "--json"))["items"] if i["invoice_number"] == "B-1")
    text = run("show", str(doc_id))
    assert max(len(line) for line in text.splitlines()) <= 80, text
    row = next(line for line in text.splitlines() if line.split()[:1] == ["invoice_number"])
    assert row.split()[1:4] == ["B-1", "97%", "ok"]
    missing = next(line for line in text.splitlines() if line.split()[:1] == ["vendor_name"])
    assert "missing" in missing
    warned = " ".join(text.split("extraction warnings:")[1].split("routing reasons:")[0].split())
    assert warned == "- model v0003 refused (checksum): using the previous"  # as the JSON gives it
    listed = text.split("routing reasons:")[1].split("rules failing now:")[0]
    items = [" ".join(item.split()) for item in listed.split(" - ")[1:]]  # a long item wraps under its text
    assert items == [
        "vendor_name was not found (missing_field)",
        "vendor name not found, so the vendor cannot be checked against the register (unknown_vendor)",
    ]
    columns = text.split("line items")[1].split("routing reasons:")[0].split()
    assert columns[:3] == ["#", "description", "amount"]  # the columns in the table's order, as in the window
    shown = json.loads(run("show", str(doc_id), "--json"))
    assert shown["fields"]["invoice_number"] == {"value": "B-1", "confidence": 0.97, "state": "ok", "page": 0}
    assert {r["code"] for r in shown["reasons"]} == {"missing_field", "unknown_vendor"}
    # the line items as they stand, a clerk's edit included (the extraction keeps them as read)
    run("claim", str(doc_id), "--user", "clerk")
    run("correct", str(doc_id), "amount", "61.00", "--row", "1", "--user", "clerk")
    after = json.loads(run("show", str(doc_id), "--json"))
    assert after["line_items"][0]["amount"]["value"] == "61.00"
    assert after["extraction"]["line_items"][0]["amount"] != "61.00"


def test_show_marks_the_rules_that_block_approval_and_their_fix(home: Path) -> None:
    doc_id = next(i["id"] for i in json.loads(run("queue", "--json"))["items"] if i["invoice_number"] == "Q-2024-0001")
    text = run("show", str(doc_id))
    assert max(len(line) for line in text.splitlines()) <= 80, text
    failing = " ".join(text.split("rules failing now:")[1].split())
    assert "- net 100.00 + tax 19.00 = 119.00, not the total 129.00 (fix: set total_amount to 119.00)" in failing
    assert "[blocks approval]" in failing
