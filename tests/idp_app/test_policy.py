"""The team's routing policy: supervisors only, kept in the database for every desk, used at once, logged."""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fake_extractors import invoice, json_extract, write_doc

from idp_app.config import AppConfig
from idp_app.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from idp_app.learning.retrain import LearningSettings
from idp_app.services import Workspace
from idp_app.services import policy as policy_module


def test_a_clerk_cannot_change_thresholds(ws: Workspace) -> None:
    with pytest.raises(PermissionDeniedError, match="clerk is a clerk and may not change the routing policy"):
        ws.policies.set_threshold("total_amount", 0.5, "clerk")
    assert ws.policy.threshold("total_amount") == 0.95


def team(ws: Workspace) -> dict[str, Any]:
    return tomllib.loads(ws.policies.team_text())


def test_a_supervisor_changes_a_threshold_and_routing_follows(ws: Workspace, inbox: Path) -> None:
    desk_file = (ws.config.home / "routing.toml").read_text(encoding="utf-8")
    ws.policies.set_threshold("total_amount", 0.99, "sup")
    assert ws.policy.threshold("total_amount") == 0.99
    assert team(ws)["thresholds"]["fields"]["total_amount"] == 0.99
    assert (ws.config.home / "routing.toml").read_text(encoding="utf-8") == desk_file  # the desk's file untouched
    assert ws.policy.qa_sample_rate == 0.0  # what the desk's file sets and the team does not still holds
    write_doc(inbox, "a.json", invoice("A", conf=0.97))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    assert {"low_confidence"} <= {r.code for r in ws.documents.get(item.id).reasons}
    assert ws.documents.get(item.id).fields["total_amount"].threshold == 0.99
    [entry] = [r for r in ws.audit.records() if r.action == "threshold_changed"]
    assert (entry.actor, entry.details["old"], entry.details["new"]) == ("sup", 0.95, 0.99)
    ws.policies.set_threshold(None, 0.5, "boss")
    assert ws.policy.default_threshold == 0.5
    assert team(ws)["thresholds"] == {"fields": {"total_amount": 0.99}, "default": 0.5}


def test_thresholds_are_confidences(ws: Workspace) -> None:
    with pytest.raises(InvalidValueError):
        ws.policies.set_threshold(None, 1.5, "sup")
    assert ws.policies.team_text() == ""


def test_the_teams_policy_is_every_desks(
    ws: Workspace, config: AppConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A threshold a supervisor sets at one desk routes the documents another desk sharing the database ingests,
    over what that desk's own file says."""
    home = tmp_path / "desk-b"
    home.mkdir()
    (home / "routing.toml").write_text("[thresholds.fields]\ntotal_amount = 0.5\nvendor_iban = 0.6\n", encoding="utf-8")
    with Workspace.open(dataclasses.replace(config, home=home), extract=json_extract) as desk_b:
        assert desk_b.policy.threshold("total_amount") == 0.5
        ws.policies.set_threshold("total_amount", 0.99, "sup")
        monkeypatch.setattr(policy_module, "REFRESH_SECONDS", 0.0)
        assert desk_b.policy.threshold("total_amount") == 0.99  # the team's, over the desk's file
        assert desk_b.policy.threshold("vendor_iban") == 0.6  # the desk's own, where the team set nothing
        origins = {key: origin for key, _, origin in desk_b.policies.explain()}
        assert origins["thresholds.fields.total_amount"] == "the team's policy"
        assert origins["thresholds.fields.vendor_iban"].startswith("this desk's")
        assert origins["thresholds.default"] == "default"
        inbox = tmp_path / "inbox-b"
        write_doc(inbox, "b.json", invoice("B", conf=0.97))
        desk_b.ingest.ingest([inbox], workers=0)
        [item] = desk_b.queue.list()
        assert desk_b.documents.get(item.id).fields["total_amount"].threshold == 0.99


def test_a_key_of_the_policy_set_for_the_team_is_checked_and_logged(ws: Workspace) -> None:
    ws.policies.set_value("rules.max_total", '{ EUR = "5000.00", "*" = "8000" }', "sup")
    assert ws.policy.limit(ws.policy.max_total, "EUR") == (Decimal("5000.00"), "5000.00 EUR")
    ws.policies.set_value("learning.retrain_after_documents", "7", "sup")
    assert LearningSettings.for_workspace(ws).retrain_after_documents == 7
    ws.policies.set_value("export.buyer_country", '"de"', "sup")
    assert ws.export.settings().buyer_country == "DE"
    [entry, *_] = [r for r in ws.audit.records() if r.action == "policy_changed"]
    assert (entry.actor, entry.details["key"], entry.details["old"], entry.details["new"]) == (
        "sup",
        "export.buyer_country",
        "",
        "de",
    )
    kept = ws.policies.team_text()
    for key, value, error in [
        ("rules.nosuch", "true", NotFoundError),
        ("rules", "true", NotFoundError),
        ("thresholds.fields.nosuch", "0.5", NotFoundError),
        ("rules.arithmetic", "1", InvalidValueError),
        ("rules.max_total", "ten thousand", InvalidValueError),
        ("rules.max_total", '"ten thousand"', InvalidValueError),
        ("learning.holdout_share", "2", InvalidValueError),
        ("export.buyer_country", '"Germany"', InvalidValueError),
        ("thresholds.default", "true", InvalidValueError),
        ("rules.tolerance", '"NaN"', InvalidValueError),  # every arithmetic check would raise at every desk
        ("rules.tolerance", '"-1"', InvalidValueError),
        ("rules.max_total", '"Infinity"', InvalidValueError),
        ("fields.total_amount", '"nosuch"', NotFoundError),  # the rules would read no field
        ("fields.total_amount", "3", InvalidValueError),
        ("learning.retrain_every_days", "nan", InvalidValueError),
        ("learning.max_field_drop", "inf", InvalidValueError),
        ("rules.qa_sample_rate", '"0.5"', InvalidValueError),  # a number, not text
        ("rules.max_total", "true", InvalidValueError),
        ("rules.max_total", '"1e3"', InvalidValueError),
        ("export.buyer_country", '"XX"', InvalidValueError),  # two letters, but no country's
        ("export.directory", '"/srv/exports"', InvalidValueError),  # a folder on each desk's own machine
    ]:
        with pytest.raises(error):
            ws.policies.set_value(key, value, "sup")
    with pytest.raises(PermissionDeniedError):
        ws.policies.set_value("rules.arithmetic", "false", "clerk")
    assert ws.policies.team_text() == kept  # nothing refused was kept
    assert ws.policy.arithmetic is True


def test_a_desk_policy_file_that_does_not_parse_is_refused_and_left_as_it_is(ws: Workspace) -> None:
    path = ws.config.home / "routing.toml"
    path.write_text("[thresholds\ndefault = 0.9\n", encoding="utf-8")
    from idp_app.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot read routing policy"):
        ws.policies.set_threshold(None, 0.8, "sup")
    assert path.read_text(encoding="utf-8") == "[thresholds\ndefault = 0.9\n"
    assert ws.policies.team_text() == ""


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("[rules]\nunknown_vendr = false\n", "no policy key 'rules.unknown_vendr' .did you mean rules.unknown_vendor"),
        ("[rulez]\narithmetic = false\n", "did you mean rules.arithmetic"),
        ('[rules]\nunknown_vendor = "false"\n', 'rules.unknown_vendor is true or false, not "false"'),
        ('[fields]\ntotal_amount = "grand_total"\n', "no field 'grand_total' in any schema"),
        ("[thresholds.fields]\ntotl_amount = 0.9\n", "no field 'totl_amount'"),
        ('[thresholds]\ndefault = "high"\n', 'a threshold is a confidence between 0 and 1, not "high"'),
        ("rules = 5\n", r"rules is a table \(\[rules\]\), not a key"),
        ("[learning]\nretrain_after_documents = -10\n", "retrain_after_documents is a whole number of at least 1"),
        ("[learning]\nholdout_share = 1.0\n", "holdout_share is a share between 0 and 1"),
        ('[export]\nformats = ["pdf"]\n', "formats must be some of"),
        ('[export]\nbuyer_country = "XX"\n', "'XX' is not a two-letter ISO country code"),
    ],
)
def test_a_desk_policy_file_with_a_slip_stops_the_desk_naming_the_file_and_key(
    config: AppConfig, text: str, refusal: str
) -> None:
    """As `idp policy set` refuses such a value: a misspelt key left the rule on, "false" read as true, a rule's
    field no schema has left the rule without its field (a 9,450 invoice approved past a 100 limit)."""
    from idp_app.errors import ConfigError

    config.ensure_dirs()
    path = config.home / "routing.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"routing policy {path}: .*{refusal}"):
        Workspace.open(config, extract=json_extract, upgrade=True).close()


def test_a_desk_policy_file_may_switch_off_what_the_defaults_say_empty_switches_off(config: AppConfig) -> None:
    config.ensure_dirs()
    (config.home / "routing.toml").write_text(
        '\ufeff[rules]\ndate_age_days = ""\nmax_total = { EUR = "5000.00" }\n[learning]\nretrain_every_days = ""\n'
        "[thresholds.fields]\ntotal_amount = 0.97\n",
        encoding="utf-8",
    )  # a byte-order mark before it, as an editor on Windows writes one
    ws = Workspace.open(config, extract=json_extract, upgrade=True)
    try:
        assert ws.policy.date_age_days is None and ws.policy.threshold("total_amount") == 0.97
        assert LearningSettings.for_workspace(ws).retrain_every_days is None
    finally:
        ws.close()


def test_a_desk_policy_file_not_saved_as_utf8_is_named(config: AppConfig) -> None:
    from idp_app.errors import ConfigError

    config.ensure_dirs()
    (config.home / "routing.toml").write_bytes("# Règle\n[rules]\narithmetic = true\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"routing.toml: byte 4 is not UTF-8 text \(save the file as UTF-8\)"):
        Workspace.open(config, extract=json_extract, upgrade=True).close()


def test_a_team_threshold_goes_beside_thresholds_a_desk_wrote_as_an_inline_table(ws: Workspace) -> None:
    path = ws.config.home / "routing.toml"
    path.write_text("thresholds = { default = 0.8 }\n", encoding="utf-8")
    ws.policies.set_threshold("po_number", 0.85, "sup")
    assert (ws.policy.default_threshold, ws.policy.threshold("po_number")) == (0.8, 0.85)


def test_a_limit_per_currency_the_team_sets_replaces_a_desks_whole(ws: Workspace) -> None:
    """Merged key by key, a desk's own { USD = "1" } would stay beside the team's { EUR = "5000" } at that desk
    alone: the team's limits would differ from desk to desk."""
    path = ws.config.home / "routing.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[rules.max_total]\nUSD = "1"\n"*" = "20000"\n', "utf-8")
    ws.policies.set_value(" rules . max_total ", '{ EUR = "5000.00" }', "sup")
    assert ws.policy.max_total == {"EUR": Decimal("5000.00")}
    [origin] = [o for k, _, o in ws.policies.explain() if k == "rules.max_total"]
    assert origin == "the team's policy"


def test_two_supervisors_setting_the_first_keys_at_once_both_keep_theirs(
    ws: Workspace, config: AppConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each found no team policy yet: on PostgreSQL both inserted its row and the second failed."""
    import threading
    import time

    home = tmp_path / "desk-b"
    home.mkdir()
    put = policy_module._put
    first = threading.Event()

    def slow_put(*args: Any) -> None:
        if not first.is_set():
            first.set()
            time.sleep(0.5)  # the other desk's change starts meanwhile
        put(*args)

    monkeypatch.setattr(policy_module, "_put", slow_put)
    errors: list[BaseException] = []
    with Workspace.open(dataclasses.replace(config, home=home), extract=json_extract) as desk_b:

        def run(store: Any, field: str) -> None:
            try:
                store.set_threshold(field, 0.8, "sup")
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(ws.policies, "po_number")),
            threading.Thread(target=run, args=(desk_b.policies, "due_date")),
        ]
        threads[0].start()
        first.wait(5)
        threads[1].start()
        for t in threads:
            t.join(30)
    assert errors == []
    assert team(ws)["thresholds"]["fields"] == {"po_number": 0.8, "due_date": 0.8}


def test_a_key_taken_out_of_the_teams_policy_is_each_desks_again(ws: Workspace) -> None:
    desk = ws.config.home / "routing.toml"
    desk.write_text(desk.read_text(encoding="utf-8") + "\n[thresholds.fields]\npo_number = 0.6\n", "utf-8")
    ws.policies.set_threshold("po_number", 0.85, "sup")
    ws.policies.set_value("rules.arithmetic", "false", "sup")
    assert ws.policy.threshold("po_number") == 0.85
    ws.policies.unset_value("thresholds.fields.po_number", "sup")
    assert ws.policy.threshold("po_number") == 0.6  # the desk's own again
    assert team(ws) == {"rules": {"arithmetic": False}}  # the table it leaves empty goes too
    [entry, *_] = [r for r in ws.audit.records() if r.action == "policy_changed"]
    assert (entry.details["key"], entry.details["old"], entry.details["new"]) == (
        "thresholds.fields.po_number",
        0.85,
        0.6,
    )
    with pytest.raises(NotFoundError, match="not set in the team's policy"):
        ws.policies.unset_value("thresholds.fields.po_number", "sup")
    with pytest.raises(PermissionDeniedError):
        ws.policies.unset_value("rules.arithmetic", "clerk")
    ws.policies.unset_value("rules.arithmetic", "sup")
    assert team(ws) == {} and ws.policy.arithmetic is True


def test_while_the_database_is_away_the_policy_last_read_holds(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Routing and the window's colours read the policy on every call: a moment without the database must not
    break them."""
    from sqlalchemy.exc import OperationalError

    ws.policies.set_threshold("po_number", 0.85, "sup")

    def away() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(ws.db, "read", away)
    monkeypatch.setattr(policy_module, "REFRESH_SECONDS", 0.0)
    assert ws.policy.threshold("po_number") == 0.85
