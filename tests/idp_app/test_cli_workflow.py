"""The workflow commands: thin over the services, one clear line and a distinct exit code for every error."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idp_app.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_review_round_trip(home: Path) -> None:
    code, out = run("queue", "--json")
    assert code == 0
    listing = json.loads(out)
    assert listing["total"] == 2
    bad = next(i["id"] for i in listing["items"] if i["invoice_number"] == "A-1")
    code, out = run("claim", str(bad), "--user", "clerk")
    assert code == 0 and f"claimed {bad}" in out
    code, out = run("show", str(bad))
    assert code == 0 and "total_amount" in out and "fix: set" in out
    code, out = run("approve", str(bad), "--user", "clerk")
    assert code == 27 and "cannot be approved while a rule fails" in out
    code, out = run("correct", str(bad), "total_amount", "119,00", "--user", "clerk")
    assert code == 0 and "total_amount = 119.00" in out
    code, out = run("correct", str(bad), "invoice_date", "someday", "--user", "clerk")
    assert (code, out.strip()) == (24, "error: 'someday' is not a date")
    code, _ = run("approve", str(bad), "--user", "clerk")
    assert code == 0
    assert json.loads(run("show", str(bad), "--json")[1])["status"] == "approved"
    code, out = run("audit", "verify")
    assert code == 0 and "verified" in out


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["show", "999"], 21, "no document 999"),
        (["approve", "1"], 32, "who is acting"),
        (["approve", "1", "--user", "nobody"], 21, "no user 'nobody'"),
        (["approve", "1", "--user", "clerk"], 26, "claim it first"),
        (["reject", "1", "--user", "clerk", "--reason", "x"], 26, "claim it first"),
        (["users", "add", "eve", "--password", "eve-pw", "--user", "clerk"], 23, "may not manage users"),
        (["users", "set-role", "clerk", "admin", "--user", "sup"], 23, "may not manage users"),
        (["ingest", "/no/such/folder"], 32, "no such file or folder"),
    ],
)
def test_errors_are_one_line_with_their_exit_code(home: Path, args: list[str], exit_code: int, message: str) -> None:
    code, out = run(*args)
    assert code == exit_code
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out
    assert "Traceback" not in out


def test_acting_user_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_USER", "clerk")
    code, out = run("claim")
    assert code == 0 and "claimed" in out
    code, out = run("queue")
    assert code == 0 and "clerk" in out


def test_users_and_database_commands(home: Path) -> None:
    code, out = run("users", "add", "ann", "--role", "supervisor", "--password", "ann-pw", "--user", "boss")
    assert (code, out.strip()) == (0, "added ann (supervisor)")
    code, out = run("users", "set-role", "ann", "clerk", "--user", "boss")
    assert code == 0 and "ann is now clerk" in out
    code, out = run("users", "list")
    rows = [line.split() for line in out.splitlines()]
    assert ["ann", "clerk"] in rows and ["boss", "admin"] in rows
    code, out = run("db", "upgrade")
    assert code == 0 and "already up to date" in out


def test_audit_verify_fails_with_its_exit_code_after_tampering(home: Path) -> None:
    import sqlite3

    con = sqlite3.connect(home / "idp.sqlite3")
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    con.commit()
    con.close()
    code, out = run("audit", "verify")
    assert code == 28
    assert "entry 3 edited" in out


def test_show_names_the_rules_an_override_let_through(home: Path) -> None:
    bad = next(i["id"] for i in json.loads(run("queue", "--json")[1])["items"] if i["invoice_number"] == "A-1")
    assert run("claim", str(bad), "--user", "sup")[0] == 0
    assert run("approve", str(bad), "--user", "sup", "--override", "confirmed by phone")[0] == 0
    code, out = run("show", str(bad))
    assert code == 0 and "over failing rules: confirmed by phone" in out and "(arithmetic)" in out
    shown = json.loads(run("show", str(bad), "--json")[1])
    assert shown["override_reason"] == "confirmed by phone"
    good = next(i["id"] for i in json.loads(run("queue", "--json")[1])["items"] if i["invoice_number"] == "B-1")
    assert run("claim", str(good), "--user", "sup")[0] == 0
    code, out = run("approve", str(good), "--user", "sup", "--override", "checked anyway")
    assert code == 0 and "no rule blocked it: the override and its reason were not needed" in " ".join(out.split())
    assert [r["code"] for r in shown["overridden_rules"]] == ["arithmetic"]


def test_show_and_queue_say_a_lapsed_claim_is_free_and_who_rejected_why(home: Path) -> None:
    from idp_app.config import AppConfig
    from idp_app.db.models import Document
    from idp_app.services import Workspace

    items = {i["invoice_number"]: i["id"] for i in json.loads(run("queue", "--json")[1])["items"]}
    a, b = items["A-1"], items["B-1"]
    assert run("claim", str(a), "--user", "clerk")[0] == 0
    code, out = run("show", str(a))
    assert code == 0 and "claimed by clerk until" in out and "lapsed" not in out
    with Workspace.open(AppConfig.from_env()) as ws, ws.db.write() as s:  # the window that held it was closed
        doc = s.get(Document, a)
        assert doc is not None
        doc.lease_expires_at = doc.lease_expires_at - timedelta(hours=1)
    assert "lapsed, anyone may claim it now" in " ".join(run("show", str(a))[1].split())
    listed = json.loads(run("queue", "--json")[1])["items"]
    assert [i["lease_lapsed"] for i in listed if i["id"] == a] == [True]
    assert [i["lease_lapsed"] for i in listed if i["id"] == b] == [False]
    narrow = next(line for line in run("queue")[1].splitlines() if line.strip().startswith(str(a)))
    assert "lapsed" in narrow and "clerk" in narrow
    assert run("claim", str(b), "--user", "clerk")[0] == 0
    assert run("reject", str(b), "--user", "clerk", "--reason", "not addressed to us")[0] == 0
    code, out = run("show", str(b))
    assert code == 0 and "rejected by clerk: not addressed to us" in " ".join(out.split())
    shown = json.loads(run("show", str(b), "--json")[1])
    assert (shown["decided_by"], shown["reject_reason"]) == ("clerk", "not addressed to us")
