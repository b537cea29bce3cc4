"""Export batches over a real database: approved documents written and marked exported in one step, the others
left approved with their reason, supervisors only, and an interrupted export that loses nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fake_extractors import invoice, write_doc

from idp_app.domain import DocumentStatus
from idp_app.errors import (
    ConfigError,
    IllegalTransitionError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RuleFailedError,
)
from idp_app.learning.registry import Registry
from idp_app.services import Workspace
from idp_app.services.documents import DocumentService
from idp_app.services.export import ExportService, ExportSettings


def _invoice(number: str, **kw: Any) -> dict[str, Any]:
    data = invoice(number, conf=0.5, vat="DE136695976", **kw)
    data["fields"]["customer_name"] = ["Kunde AG", 0.5]
    data["fields"]["due_date"] = ["2024-04-04", 0.5]
    return data


def approved(ws: Workspace, inbox: Path, docs: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Ingest ``docs`` (name -> fake extraction) and approve each as the supervisor; name -> document id.
    The desk's company is German (``buyer_country``)."""
    policy = ws.config.home / "routing.toml"
    text = policy.read_text(encoding="utf-8") if policy.is_file() else ""
    if "[export]" not in text:
        policy.write_text(text + '\n[export]\nbuyer_country = "DE"\n', encoding="utf-8")
    for name, data in docs.items():
        write_doc(inbox, f"{name}.json", data)
    ws.ingest.ingest([inbox], workers=0)
    ids = {}
    for item in ws.queue.list():
        ws.queue.claim(item.id, "sup")
        try:
            ws.review.approve(item.id, "sup")
        except RuleFailedError:
            ws.review.approve(item.id, "sup", override_reason="checked by phone")
        ids[item.filename.removesuffix(".json")] = item.id
    return ids


def test_a_relative_export_folder_of_the_desk_file_is_in_the_data_directory(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not wherever the shell that runs the export happens to be."""
    ids = approved(ws, inbox, {"a": _invoice("A-1")})
    policy = ws.config.home / "routing.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("[export]\n", '[export]\ndirectory = "to-books"\n'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = ws.export.export("sup", batch="b1")
    assert report.exported == [ids["a"]] and report.directory == ws.config.home / "to-books" / "b1"
    assert not (elsewhere / "to-books").exists()


def status(ws: Workspace, doc_id: int) -> DocumentStatus:
    return ws.documents.get(doc_id).status


def test_approved_documents_are_written_and_marked_exported(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    ids = approved(
        ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1"), "c": _invoice("C-1", tax="0.00", total="100.00")}
    )
    report = ws.export.export("sup", out_dir=tmp_path / "out", batch="march")
    assert report.directory == tmp_path / "out" / "march"
    assert sorted(report.exported) == sorted([ids["a"], ids["b"]])
    assert [(p.document_id, "no VAT" in p.reason) for p in report.failed] == [(ids["c"], True)]
    assert status(ws, ids["a"]) is DocumentStatus.EXPORTED and status(ws, ids["c"]) is DocumentStatus.APPROVED
    rows = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert sorted(r["invoice_number"] for r in rows) == ["A-1", "B-1"]
    assert len(list((report.directory / "cii").glob("*.xml"))) == 2
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["exported_by"] == "sup" and len(manifest["documents"]) == 2
    first = manifest["documents"][0]
    assert first["files"][:3] == ["invoice.csv", "line_items.csv", "vat_breakdown.csv"]
    assert first["files"][3].startswith("cii/")
    assert manifest["left_approved"][0]["id"] == ids["c"]
    assert manifest["assumed"]["buyer_country"].startswith("DE: export.buyer_country of the routing policy")
    assert first["override_reason"] is None and first["failed_rules"] == []
    entries = [e for e in ws.audit.records(ids["a"]) if e.details.get("to") == "exported"]
    assert entries and entries[0].details["batch"] == "march"
    again = ws.export.export("sup", out_dir=tmp_path / "out", formats=["csv"])
    assert again.exported == [ids["c"]]  # the CSV needs no VAT breakdown
    assert ws.export.export("sup", out_dir=tmp_path / "out").directory is None  # nothing left


def test_the_manifest_carries_control_totals_per_type_and_currency(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    usd = _invoice("U-1", net="10.00", tax="0.70", total="10.70", lines=("10.00",))
    usd["fields"]["currency"] = ["usd", 0.5]
    docs = {
        "a": _invoice("A-1"),
        "b": _invoice("B-1", net="200.50", tax="38.10", total="238.60", lines=("200.50",)),
        "u": usd,
        "r": {**_invoice("R-1", net=None, tax=None, total="12.34", lines=()), "doc_type": "receipt"},
    }
    approved(ws, inbox, docs)
    report = ws.export.export("sup", out_dir=tmp_path, batch="b1", formats=["csv"])
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    totals = {(t["type"], t["currency"]): t for t in manifest["control_totals"]}
    assert list(totals) == [("invoice", "EUR"), ("invoice", "USD"), ("receipt", "EUR")]
    eur = totals["invoice", "EUR"]
    assert (eur["documents"], eur["line_items"]) == (2, 3)
    assert (eur["net_amount"], eur["tax_amount"], eur["total_amount"]) == ("300.50", "57.10", "357.60")
    assert eur["documents_without"] == {}
    assert totals["invoice", "USD"]["total_amount"] == "10.70" and totals["invoice", "USD"]["documents"] == 1
    receipt = totals["receipt", "EUR"]
    assert receipt["total_amount"] == "12.34" and "tax_amount" not in receipt
    assert receipt["documents_without"]["tax_amount"] == 1 and receipt["documents_without"]["net_amount"] == 1
    # the CSV an accounting system imports adds up to the same
    rows = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert sum(Decimal(r["total_amount"]) for r in rows if r["currency"] == "EUR") == Decimal(eur["total_amount"])


def test_the_vat_breakdown_csv_splits_each_document_by_rate_and_says_which_it_could_not(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    two_rates = _invoice("A-1", net="107.00", tax="19.49", total="126.49", lines=())
    two_rates["line_items"] = [
        {"description": "Toner", "amount": "100.00", "tax_rate": "19"},
        {"description": "Buch", "amount": "7.00", "tax_rate": "7"},
    ]
    docs = {
        "a": two_rates,
        "r": {**_invoice("R-1", net=None, tax=None, total="12.34", lines=()), "doc_type": "receipt"},
    }
    ids = approved(ws, inbox, docs)
    report = ws.export.export("sup", out_dir=tmp_path, batch="b1")
    rows = list(csv.DictReader(io.StringIO((report.directory / "vat_breakdown.csv").read_text(encoding="utf-8"))))
    assert [(r["document_id"], r["tax_rate"], r["taxable_amount"], r["tax_amount"]) for r in rows] == [
        (str(ids["a"]), "7", "7.00", "0.49"),
        (str(ids["a"]), "19", "100.00", "19.00"),
    ]
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    docs_by_id = {d["id"]: d for d in manifest["documents"]}
    assert "vat_breakdown.csv" in docs_by_id[ids["a"]]["files"]
    assert "vat_breakdown.csv" not in docs_by_id[ids["r"]]["files"]
    assert docs_by_id[ids["r"]]["notes"] == ["no VAT breakdown: the net and tax amounts are empty"]
    written = (report.directory / "vat_breakdown.csv").read_bytes()
    shutil.rmtree(report.directory)
    ws.export.export("sup", out_dir=tmp_path, batch="b1", again=True)
    assert (report.directory / "vat_breakdown.csv").read_bytes() == written


def test_an_exported_document_reopened_and_corrected_is_exported_again_as_replacing_its_first_export(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1")})
    first = ws.export.export("sup", out_dir=tmp_path, batch="b1")
    ws.review.reopen(ids["a"], "sup", "the total is wrong in the books")
    assert status(ws, ids["a"]) is DocumentStatus.NEEDS_REVIEW
    ws.queue.claim(ids["a"], "sup")
    ws.review.correct(ids["a"], "invoice_number", "A-1/2", "sup")
    ws.review.approve(ids["a"], "sup")
    second = ws.export.export("sup", out_dir=tmp_path, batch="b2")
    assert second.exported == [ids["a"]] and second.replaces[ids["a"]]["batch"] == "b1"
    manifest = json.loads((second.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"][0]["replaces"] == {"batch": "b1", "export_id": first_export_id(first)}
    rows = list(csv.DictReader(io.StringIO((second.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert [r["invoice_number"] for r in rows] == ["A-1/2"]
    # the first batch, lost and written again, no longer holds the document: its values are not those delivered
    shutil.rmtree(first.directory)
    again = ws.export.export("sup", out_dir=tmp_path, batch="b1", again=True)
    assert again.exported == [ids["b"]] and again.reopened_since == [ids["a"]]
    manifest = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in manifest["written_again"]["reopened_since"]] == [ids["a"]]
    # and the second, written again, still says what it replaced
    shutil.rmtree(second.directory)
    ws.export.export("sup", out_dir=tmp_path, batch="b2", again=True)
    manifest = json.loads((second.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"][0]["replaces"]["batch"] == "b1"
    # a batch whose every document was reopened since: nothing of it is left to write, and it says why
    ws.review.reopen(ids["a"], "sup", "wrong again")
    shutil.rmtree(second.directory)
    with pytest.raises(InputError, match=f"every document batch b2 exported was reopened since \\({ids['a']}\\)"):
        ws.export.export("sup", out_dir=tmp_path, batch="b2", again=True)


def test_an_exported_document_reopened_and_rejected_is_withdrawn_by_the_next_export_once(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1")})
    first = ws.export.export("sup", out_dir=tmp_path, batch="b1")
    ws.review.reopen(ids["b"], "sup", "the same invoice was booked twice")
    ws.queue.claim(ids["b"], "sup")
    ws.review.reject(ids["b"], "sup", "duplicate of A-1")
    c = approved(ws, inbox, {"c": _invoice("C-1")})["c"]
    second = ws.export.export("sup", out_dir=tmp_path, batch="b2")
    expected = {
        "id": ids["b"],
        "file": "b.json",
        "batch": "b1",
        "export_id": first_export_id(first),
        "reason": "duplicate of A-1",
    }
    assert second.withdrawn == [expected]
    manifest = json.loads((second.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["withdrawn"] == [expected] and [d["id"] for d in manifest["documents"]] == [c]
    approved(ws, inbox, {"d": _invoice("D-1")})
    assert ws.export.export("sup", out_dir=tmp_path, batch="b3").withdrawn == []  # said once
    shutil.rmtree(second.directory)  # and said again, the same, when the batch that said it is written again
    ws.export.export("sup", out_dir=tmp_path, batch="b2", again=True)
    again = json.loads((second.directory / "manifest.json").read_text(encoding="utf-8"))
    assert json.dumps(again["withdrawn"]) == json.dumps([expected])


def test_a_withdrawal_with_no_approved_document_waiting_is_a_batch_of_its_own(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting for the next invoice to carry it would leave the duplicate booked meanwhile, and the export would
    say there is nothing to do."""
    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1")})
    first = ws.export.export("sup", out_dir=tmp_path, batch="b1")
    ws.review.reopen(ids["b"], "sup", "the same invoice was booked twice")
    ws.queue.claim(ids["b"], "sup")
    ws.review.reject(ids["b"], "sup", "duplicate of A-1")

    def interrupted(partial: Path, final: Path) -> None:
        raise KeyboardInterrupt  # after the withdrawal was recorded, before the folder got its name

    monkeypatch.setattr(ws.export, "_publish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ws.export.export("sup", out_dir=tmp_path, batch="w1")
    monkeypatch.undo()
    assert not (tmp_path / "w1").exists() and ws.export.export("sup", out_dir=tmp_path).recovered == ["w1"]
    manifest = json.loads((tmp_path / "w1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"] == [] and sorted(p.name for p in (tmp_path / "w1").iterdir()) == ["manifest.json"]
    assert manifest["withdrawn"] == [
        {
            "id": ids["b"],
            "file": "b.json",
            "batch": "b1",
            "export_id": first_export_id(first),
            "reason": "duplicate of A-1",
        }
    ]
    nothing = ws.export.export("sup", out_dir=tmp_path, batch="w2")  # said once
    assert nothing.directory is None and nothing.withdrawn == [] and not (tmp_path / "w2").exists()


def first_export_id(report: Any) -> str:
    return str(json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))["export_id"])


def test_an_invoice_without_seller_vat_id_stays_approved_with_the_reason(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    data = _invoice("A-1")
    del data["fields"]["vendor_vat_id"]
    ids = approved(ws, inbox, {"a": data})
    report = ws.export.export("sup", out_dir=tmp_path, formats=["cii"])
    assert report.exported == [] and "VAT id is empty" in report.failed[0].reason
    assert status(ws, ids["a"]) is DocumentStatus.APPROVED


def test_ubl_goes_into_its_own_folder_beside_the_factur_x(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    approved(ws, inbox, {"a": _invoice("A-1")})
    report = ws.export.export("sup", out_dir=tmp_path, formats=["cii", "ubl"])
    assert report.directory is not None
    assert len(list((report.directory / "cii").glob("*.xml"))) == 1
    assert len(list((report.directory / "ubl").glob("*.xml"))) == 1
    assert not (report.directory / "invoice.csv").exists()


def test_csv_only_receipts_are_skipped_when_only_xml_is_asked_for(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    ids = approved(ws, inbox, {"r": {**_invoice("R-1"), "doc_type": "receipt"}})
    report = ws.export.export("sup", out_dir=tmp_path, formats=["cii"])
    assert report.exported == [] and [p.document_id for p in report.skipped] == [ids["r"]]
    assert status(ws, ids["r"]) is DocumentStatus.APPROVED


def test_clerks_may_not_export_and_nothing_is_written(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    approved(ws, inbox, {"a": _invoice("A-1")})
    with pytest.raises(PermissionDeniedError):
        ws.export.export("clerk", out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_exported_files_are_readable_by_others_and_the_csv_may_carry_a_byte_order_mark(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    approved(ws, inbox, {"a": _invoice("A-1", vendor="Kärntner Straße GmbH")})
    report = ws.export.export("sup", out_dir=tmp_path / "out", batch="plain")
    mask = os.umask(0)
    os.umask(mask)
    assert report.directory is not None
    for f in ("invoice.csv", "manifest.json"):
        assert stat.S_IMODE((report.directory / f).stat().st_mode) == 0o666 & ~mask
    plain = (tmp_path / "out" / "plain" / "invoice.csv").read_bytes()
    assert plain.startswith(b"document_id,") and "Kärntner Straße".encode() in plain
    policy = ws.config.home / "routing.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("[export]", "[export]\ncsv_bom = true"), "utf-8")
    second = approved(ws, tmp_path / "in2", {"b": _invoice("B-1")})
    excel = ws.export.export("sup", out_dir=tmp_path / "out", batch="excel", formats=["csv"])
    data = (tmp_path / "out" / "excel" / "invoice.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfdocument_id,") and excel.exported == [second["b"]]
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[0] == "document_id"
    policy.write_text(policy.read_text(encoding="utf-8").replace("csv_bom = true", "csv_bom = 1"), "utf-8")
    with pytest.raises(ConfigError, match="csv_bom must be true or false"):
        ws.export.settings()


def test_bad_batch_names_formats_and_existing_batches_are_refused(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    approved(ws, inbox, {"a": _invoice("A-1")})
    (tmp_path / "taken").mkdir()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="it is a file"):
        ws.export.export("sup", out_dir=tmp_path / "a-file")
    for kwargs in ({"batch": "../up"}, {"formats": ["pdf"]}, {"batch": "taken"}, {"batch": ""}):
        with pytest.raises(InputError):
            ws.export.export("sup", out_dir=tmp_path, **kwargs)
    assert ws.export.pending()


def test_a_failure_while_marking_leaves_documents_approved_and_no_files(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1")})

    def taken_meanwhile(self: DocumentService, *args: Any, **kwargs: Any) -> None:
        raise IllegalTransitionError("document 1 is exported: it cannot become exported")

    monkeypatch.setattr(DocumentService, "mark_exported", taken_meanwhile)
    with pytest.raises(IllegalTransitionError, match="another export"):
        ws.export.export("sup", out_dir=tmp_path / "out", batch="b1")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [".export.lock"]
    assert status(ws, ids["a"]) is DocumentStatus.APPROVED


def test_a_document_another_export_took_meanwhile_is_named_as_such(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1")})
    write = ExportService._write_formats

    def meanwhile(self: ExportService, *args: Any, **kwargs: Any) -> Any:
        written = write(self, *args, **kwargs)
        ws.documents.mark_exported([ids["a"]], "sup", batch="other-desk")  # another desk's export
        return written

    monkeypatch.setattr(ExportService, "_write_formats", meanwhile)
    with pytest.raises(IllegalTransitionError, match=f"document {ids['a']} was exported by another export"):
        ws.export.export("sup", out_dir=tmp_path / "out", batch="b1", formats=["csv"])


def test_a_document_corrected_while_its_batch_is_written_is_not_marked_with_stale_values(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1")})
    write = ExportService._write_formats

    def meanwhile(self: ExportService, *args: Any, **kwargs: Any) -> Any:
        written = write(self, *args, **kwargs)  # the values are read; now a supervisor corrects one document
        ws.review.reopen(ids["b"], "sup", "wrong invoice number")
        ws.queue.claim(ids["b"], "sup")
        ws.review.correct(ids["b"], "invoice_number", "B-2", "sup")
        ws.review.approve(ids["b"], "sup", override_reason="checked by phone")
        return written

    monkeypatch.setattr(ExportService, "_write_formats", meanwhile)
    with pytest.raises(IllegalTransitionError, match=f"document {ids['b']} changed while the batch was written"):
        ws.export.export("sup", out_dir=tmp_path / "out", batch="b1", formats=["csv"])
    assert [p.name for p in (tmp_path / "out").iterdir()] == [".export.lock"]
    assert status(ws, ids["a"]) is DocumentStatus.APPROVED and status(ws, ids["b"]) is DocumentStatus.APPROVED
    monkeypatch.undo()

    def golden_meanwhile(self: ExportService, *args: Any, **kwargs: Any) -> Any:
        written = write(self, *args, **kwargs)
        Registry(ws.db, ws.config).golden_add(ids["a"], "sup")  # marks the document, changes none of its values
        return written

    monkeypatch.setattr(ExportService, "_write_formats", golden_meanwhile)
    report = ws.export.export("sup", out_dir=tmp_path / "out", batch="b2", formats=["csv"])
    assert sorted(report.exported) == sorted(ids.values())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "b2" / "invoice.csv").read_text(encoding="utf-8"))))
    assert sorted(r["invoice_number"] for r in rows) == ["A-1", "B-2"]


def test_an_export_interrupted_after_marking_is_completed_by_the_next(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1")})

    def crash(partial: Path, final: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ExportService, "_publish", staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        ws.export.export("sup", out_dir=tmp_path, batch="b1")
    assert status(ws, ids["a"]) is DocumentStatus.EXPORTED
    assert (tmp_path / ".b1.partial" / "manifest.json").is_file()
    monkeypatch.undo()
    report = ws.export.export("sup", out_dir=tmp_path, batch="b1")  # the same command again
    assert report.recovered == ["b1"] and report.directory == tmp_path / "b1" and report.exported == []
    assert (tmp_path / "b1" / "invoice.csv").is_file() and not (tmp_path / ".b1.partial").exists()
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in manifest["documents"]] == [ids["a"]]


def test_a_lost_batch_whose_rewrite_was_interrupted_is_completed_under_its_own_name(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    out = tmp_path / "exports"
    approved(ws, inbox, {"a": _invoice("A-1")})
    ws.export.export("sup", out_dir=out, batch="b1", formats=["csv"])
    shutil.rmtree(out / "b1")

    def crash(partial: Path, final: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ExportService, "_publish", staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        ws.export.export("sup", out_dir=out, batch="b1", again=True)
    monkeypatch.undo()
    later = approved(ws, inbox, {"z": _invoice("Z-1")})
    report = ws.export.export("sup", out_dir=out, formats=["csv"], doc_ids=[later["z"]])
    assert report.recovered == ["b1"]  # the rewrite finished as the batch it is, not as a second one
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(["b1", report.batch])


def test_a_partial_batch_whose_documents_were_never_marked_is_removed(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1")})
    partial = tmp_path / ".old.partial"
    partial.mkdir()
    (partial / "manifest.json").write_text(json.dumps({"documents": [{"id": ids["a"]}]}), encoding="utf-8")
    report = ws.export.export("sup", out_dir=tmp_path, batch="new")
    assert report.recovered == [] and not partial.exists()
    assert report.exported == [ids["a"]]


def test_export_settings_are_checked() -> None:
    assert ExportSettings.from_dict({"buyer_country": "de"}).buyer_country == "DE"
    from idp_app.errors import ConfigError

    for bad in ({"buyer_country": "Germany"}, {"formats": ["xlsx"]}, {"formats": []}):
        with pytest.raises(ConfigError):
            ExportSettings.from_dict(bad)


def test_cli_export_reports_what_was_not_exported_with_exit_35(home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from idp_app.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["export", "-d", "1", "--user", "sup", "--out", str(tmp_path / "x"), "-f", "csv"])
    assert result.exit_code == 35, result.output
    assert (
        "not exported 1 a.json: it needs review: only approved" in result.stderr
        and "left approved" not in result.stderr
    )
    for doc in ("1", "2"):
        assert runner.invoke(app, ["claim", doc, "--user", "sup"]).exit_code == 0
        runner.invoke(app, ["approve", doc, "--user", "sup", "--override", "checked by phone"])
    result = runner.invoke(app, ["export", "--user", "sup", "--out", str(tmp_path / "x"), "-f", "cii", "--json"])
    assert result.exit_code == 35, result.output
    report = json.loads(result.stdout.splitlines()[0])
    assert report["exported"] == [] and sorted(p["id"] for p in report["failed"]) == [1, 2]
    assert report["warnings"] == [] and report["assumed"] == {}
    assert "could not be exported" in result.stderr
    result = runner.invoke(app, ["export", "--user", "sup", "--out", str(tmp_path / "x"), "-f", "csv", "--batch", "b1"])
    assert result.exit_code == 0, result.output
    assert "exported 2 documents" in result.stdout and "invoice.csv" in result.stdout
    # a lost batch folder is written again, by name
    lost = tmp_path / "x" / "b1"
    for f in sorted(lost.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    lost.rmdir()
    result = runner.invoke(app, ["export", "--again", "--user", "sup", "--out", str(tmp_path / "x"), "-f", "csv"])
    assert result.exit_code != 0 and "name it with --batch" in result.output
    again = ["export", "--again", "--batch", "b1", "--user", "sup", "--out", str(tmp_path / "x"), "-f", "csv"]
    result = runner.invoke(app, again)
    assert result.exit_code == 0, result.output
    assert "wrote again 2 documents" in result.stdout and (lost / "invoice.csv").is_file()
    result = runner.invoke(app, ["export", "--user", "clerk", "--out", str(tmp_path / "x")])
    assert result.exit_code == 23


def test_a_second_export_into_the_same_folder_waits_for_the_first(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    from idp_app.services import export as export_module

    approved(ws, inbox, {"a": _invoice("A-1")})
    monkeypatch.setattr(export_module, "LOCK_SECONDS", 0.2)
    tmp_path.joinpath("out").mkdir()
    with FileLock(str(tmp_path / "out" / ".export.lock")), pytest.raises(InputError, match="another export"):
        ws.export.export("sup", out_dir=tmp_path / "out")
    assert ws.export.export("sup", out_dir=tmp_path / "out").exported


def test_unknown_exported_and_broken_documents_fail_alone(
    ws: Workspace, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idp_app.export import cii

    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1"), "c": _invoice("C-1")})
    first = ws.export.export("sup", out_dir=tmp_path, doc_ids=[ids["a"]])
    assert first.exported == [ids["a"]]
    real = cii.to_xml

    def breaks_on_b(inv: cii.CiiInvoice) -> bytes:
        if inv.record.document_id == ids["b"]:
            raise ValueError("All strings must be XML compatible")
        return real(inv)

    monkeypatch.setattr(cii, "to_xml", breaks_on_b)
    with pytest.raises(NotFoundError, match="no document 999"):
        ws.export.export("sup", out_dir=tmp_path, doc_ids=[ids["b"], 999])
    report = ws.export.export("sup", out_dir=tmp_path, doc_ids=[ids["a"], ids["b"], ids["c"]])
    assert report.exported == [ids["c"]]
    assert [(p.document_id, p.reason) for p in report.skipped] == [(ids["a"], "it was exported already")]
    failed = {p.document_id: p.reason for p in report.failed}
    assert "XML compatible" in failed[ids["b"]]
    assert status(ws, ids["b"]) is DocumentStatus.APPROVED


def test_an_override_is_exported_with_its_reason_and_the_rules_it_let_through(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1", total="120.00")})  # net + tax is 119.00: overridden
    report = ws.export.export("sup", out_dir=tmp_path, formats=["csv"])
    assert report.exported == [ids["a"]] and report.assumed == {}  # no XML: no buyer's country assumed
    [row] = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert (row["override_reason"], row["failed_rules"]) == ("checked by phone", "arithmetic")
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    [doc] = manifest["documents"]
    assert doc["override_reason"] == "checked by phone"
    assert doc["failed_rules"] == ["arithmetic: net 100.00 + tax 19.00 = 119.00, not the total 120.00"]


def test_an_iban_change_an_override_let_through_is_exported_though_it_passes_once_approved(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    """Approved, the new IBAN is the vendor's latest and the rule passes: the accountant paying the invoice must
    still read that the account changed."""
    from tests.idp_app.fake_extractors import IBAN_B

    approved(ws, inbox / "first", {"a": _invoice("A-1")})
    ids = approved(ws, inbox / "second", {"b": _invoice("A-2", iban=IBAN_B)})
    assert not any(r.code == "iban_changed" for r in ws.documents.get(ids["b"]).failed_rules)
    [rule] = ws.documents.get(ids["b"]).overridden_rules
    assert rule.code == "iban_changed" and IBAN_B[:4] in rule.message
    report = ws.export.export("sup", out_dir=tmp_path, formats=["csv"])
    rows = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert {r["invoice_number"]: r["failed_rules"] for r in rows}["A-2"] == "iban_changed"
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    failed = {d["id"]: d["failed_rules"] for d in manifest["documents"]}
    assert failed[ids["b"]] == [f"iban_changed: {rule.message}"]


def test_an_override_reopened_and_approved_again_without_need_is_no_longer_exported(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1", total="120.00")})  # arithmetic overridden
    assert [r.code for r in ws.documents.get(ids["a"]).overridden_rules] == ["arithmetic"]
    ws.review.reopen(ids["a"], "sup", "the total was misread")
    assert ws.documents.get(ids["a"]).override_reason is None
    ws.queue.claim(ids["a"], "sup")
    ws.review.correct(ids["a"], "total_amount", "119.00", "sup")
    ws.review.approve(ids["a"], "sup", override_reason="checked by phone")  # nothing fails: nothing overridden
    view = ws.documents.get(ids["a"])
    assert view.override_reason is None and view.overridden_rules == ()
    report = ws.export.export("sup", out_dir=tmp_path, formats=["csv"])
    [row] = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert (row["override_reason"], row["failed_rules"]) == ("", "")


def test_rules_that_only_sent_a_document_to_a_person_are_not_exported_as_failing(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    big = _invoice("A-2", net="20000.00", tax="3800.00", total="23800.00", lines=("20000.00",))
    ids = approved(ws, inbox, {"big": big})
    reasons = {r.code for r in ws.documents.get(ids["big"]).failed_rules}
    assert "total_above_limit" in reasons  # it went to a person for its amount
    report = ws.export.export("sup", out_dir=tmp_path, formats=["csv"])
    [row] = list(csv.DictReader(io.StringIO((report.directory / "invoice.csv").read_text(encoding="utf-8"))))
    assert row["failed_rules"] == ""  # but nothing in it fails
    manifest = json.loads((report.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"][0]["failed_rules"] == []


def test_a_wide_tolerance_does_not_make_a_gap_in_the_totals_a_rounding_amount(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    """A supervisor's tolerance of 5.00 lets review pass a total 3.00 off; the e-invoice would have called the 3.00 a
    rounding (BT-114) and asked 15.00 for a 12.00 invoice."""
    ws.policies.set_value("rules.tolerance", '"5.00"', "sup")
    ids = approved(ws, inbox, {"a": _invoice("A-1", total="122.00")})
    assert ws.documents.get(ids["a"]).override_reason is None  # within review's tolerance
    report = ws.export.export("sup", out_dir=tmp_path, formats=["cii"])
    assert report.exported == [] and [p.document_id for p in report.failed] == [ids["a"]]
    assert "net 100.00 + tax 19.00 is not the total 122.00" in report.failed[0].reason


def test_an_invoice_review_approves_a_cent_off_is_exported_with_a_rounding_amount(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    ids = approved(ws, inbox, {"a": _invoice("A-1", total="119.01")})
    assert ws.documents.get(ids["a"]).override_reason is None  # within the arithmetic rule's tolerance
    report = ws.export.export("sup", out_dir=tmp_path, formats=["cii"])
    assert report.exported == [ids["a"]], report.failed
    rounding = "the total 119.01 is net + tax 119.00 rounded by 0.01 (EN 16931 BT-114)"
    assert rounding in [n.reason for n in report.notes]
    [xml] = list((report.directory / "cii").glob("*.xml"))
    assert b"<ram:RoundingAmount>0.01</ram:RoundingAmount>" in xml.read_bytes()


def test_a_lost_batch_is_written_again_from_the_database(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    import shutil

    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1")})
    first = ws.export.export("sup", out_dir=tmp_path, batch="march")
    assert first.directory is not None
    kept = {p.relative_to(first.directory): p.read_bytes() for p in first.directory.rglob("*") if p.is_file()}
    later = approved(ws, inbox, {"c": _invoice("C-1")})  # approved after the batch: not part of it
    with pytest.raises(InputError, match=r"is in .* already"):
        ws.export.export("sup", out_dir=tmp_path, batch="march", again=True)
    shutil.rmtree(first.directory)  # the folder is lost
    with pytest.raises(PermissionDeniedError):
        ws.export.export("clerk", out_dir=tmp_path, batch="march", again=True)
    report = ws.export.export("sup", out_dir=tmp_path, batch="march", again=True)
    assert report.directory == first.directory and sorted(report.exported) == sorted(ids.values())
    written = {p.relative_to(first.directory): p.read_bytes() for p in first.directory.rglob("*") if p.is_file()}
    assert set(written) == set(kept)
    for name, data in kept.items():
        if name.name != "manifest.json":
            assert written[name] == data, name  # the same files an accounting system imported
    manifest = json.loads(written[Path("manifest.json")])
    assert manifest["written_again"]["by"] == "sup" and manifest["batch"] == "march"
    assert all(status(ws, i) is DocumentStatus.EXPORTED for i in ids.values())
    assert status(ws, later["c"]) is DocumentStatus.APPROVED  # nothing else was taken, nothing marked
    assert any(e.action == "export_written_again" for e in ws.audit.records(ids["a"]))
    with pytest.raises(NotFoundError, match="no batch april"):
        ws.export.export("sup", out_dir=tmp_path, batch="april", again=True)


def test_a_batch_is_written_again_with_its_own_formats_settings_and_rules(
    ws: Workspace, inbox: Path, tmp_path: Path
) -> None:
    import shutil

    ids = approved(ws, inbox, {"a": _invoice("A-1"), "z": _invoice("Z-1", tax="0.00", total="100.00")})
    first = ws.export.export("sup", out_dir=tmp_path, batch="b2", formats=["csv"])  # the zero-VAT one as CSV only
    assert sorted(first.exported) == sorted(ids.values()) and first.directory is not None
    kept = {p.name: p.read_bytes() for p in first.directory.glob("*.csv")}
    original = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    # since then: the desk's formats and buyer's country changed, and an invoice of the same number arrived
    policy = ws.config.home / "routing.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('buyer_country = "DE"', 'buyer_country = "FR"'), encoding="utf-8"
    )
    approved(ws, inbox, {"a2": _invoice("A-1", po_number=["PO-9", 0.5])})
    shutil.rmtree(first.directory)
    ws.users.add("sup2", "sup2-pw", "supervisor", by="boss")
    with pytest.raises(InputError, match="exported as csv: it is written again as it was delivered"):
        ws.export.export("sup2", out_dir=tmp_path, batch="b2", again=True, formats=["ubl"])
    assert not first.directory.exists()  # nothing written in other formats
    report = ws.export.export("sup2", out_dir=tmp_path, batch="b2", again=True)
    assert sorted(report.exported) == sorted(ids.values()) and not report.failed
    assert {p.name: p.read_bytes() for p in first.directory.glob("*.csv")} == kept  # rules as they were then
    assert not (first.directory / "cii").exists()  # CSV only, as exported
    manifest = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    for key in ("export_id", "exported_by", "formats"):
        assert manifest[key] == original[key], key
    assert manifest["written_again"]["by"] == "sup2"


def test_a_batch_written_again_has_the_manifest_it_had(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    import shutil

    ids = approved(ws, inbox, {"a": _invoice("A-1"), "b": _invoice("B-1"), "c": _invoice("C-1")})
    ws.export.export("sup", out_dir=tmp_path, batch="feb", doc_ids=[ids["a"]], formats=["csv"])
    first = ws.export.export("sup", out_dir=tmp_path, batch="march", doc_ids=list(ids.values()), formats=["csv", "cii"])
    assert first.directory is not None
    original = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    assert original["assumed"]["buyer_country"].startswith("DE")
    assert [(d["id"], d["reason"]) for d in original["left_approved"]] == [(ids["a"], "it was exported already")]
    marked = [r for r in ws.audit.records(limit=1000) if r.details.get("batch") == "march"]
    assert sum("left_approved" in r.details for r in marked) == 1  # kept once for the batch, not per document
    shutil.rmtree(first.directory)
    ws.export.export("sup", out_dir=tmp_path, batch="march", again=True)
    manifest = json.loads((first.directory / "manifest.json").read_text(encoding="utf-8"))
    again = manifest.pop("written_again")
    # its time to the second, what it assumed and what it left approved, as first written, in the same order
    assert json.dumps(manifest) == json.dumps(original)
    assert again["by"] == "sup" and "not_recorded" not in again


def test_two_exports_that_shared_a_batch_name_are_told_apart(ws: Workspace, inbox: Path, tmp_path: Path) -> None:
    import shutil

    one = approved(ws, inbox, {"a": _invoice("A-1")})
    first = ws.export.export("sup", out_dir=tmp_path / "x", batch="march", formats=["csv"])
    approved(ws, inbox, {"b": _invoice("B-1")})
    second = ws.export.export("sup", out_dir=tmp_path / "y", batch="march", formats=["csv"])
    assert first.directory is not None and second.directory is not None
    shutil.rmtree(first.directory)
    with pytest.raises(InputError, match="2 exports were named march") as refused:
        ws.export.export("sup", out_dir=tmp_path / "x", batch="march", again=True)
    export_id = json.loads((second.directory / "manifest.json").read_text(encoding="utf-8"))["export_id"]
    assert export_id in str(refused.value)
    ids = [e for e in str(refused.value).split() if len(e) == 32]
    first_id = next(i for i in ids if i != export_id)
    report = ws.export.export("sup", out_dir=tmp_path / "x", batch="march", again=True, export_id=first_id)
    assert report.exported == [one["a"]]
