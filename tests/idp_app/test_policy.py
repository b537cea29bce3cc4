"""Changing thresholds: supervisors only, saved to the workspace's routing.toml, used at once, logged."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc

from idp_app.errors import InvalidValueError, PermissionDeniedError
from idp_app.services import RoutingPolicy, Workspace


def test_a_clerk_cannot_change_thresholds(ws: Workspace) -> None:
    with pytest.raises(PermissionDeniedError):
        ws.policies.set_threshold("total_amount", 0.5, "clerk")
    assert ws.policy.threshold("total_amount") == 0.95


def test_a_supervisor_changes_a_threshold_and_routing_follows(ws: Workspace, inbox: Path) -> None:
    ws.policies.set_threshold("total_amount", 0.99, "sup")
    assert ws.policy.threshold("total_amount") == 0.99
    saved = tomllib.loads((ws.config.home / "routing.toml").read_text())
    assert saved["thresholds"]["fields"]["total_amount"] == 0.99
    assert saved["rules"]["qa_sample_rate"] == 0.0  # what the file held before is kept
    assert RoutingPolicy.load(ws.config.home / "routing.toml").threshold("total_amount") == 0.99
    write_doc(inbox, "a.json", invoice("A", conf=0.97))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    assert {"low_confidence"} <= {r.code for r in ws.documents.get(item.id).reasons}
    assert ws.documents.get(item.id).fields["total_amount"].threshold == 0.99
    [entry] = [r for r in ws.audit.records() if r.action == "threshold_changed"]
    assert (entry.actor, entry.details["old"], entry.details["new"]) == ("sup", 0.95, 0.99)
    ws.policies.set_threshold(None, 0.5, "boss")
    assert ws.policy.default_threshold == 0.5


def test_thresholds_are_confidences(ws: Workspace) -> None:
    with pytest.raises(InvalidValueError):
        ws.policies.set_threshold(None, 1.5, "sup")


def test_a_threshold_changed_keeps_the_supervisors_comments_and_layout(ws: Workspace) -> None:
    path = ws.config.home / "routing.toml"
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(
        "# desk policy (supervisor sue)\n" + before + "\n[thresholds]\ndefault = 0.9  # agreed with audit\n",
        encoding="utf-8",
    )
    ws.policies.set_threshold("po_number", 0.85, "sup")
    ws.policies.set_threshold(None, 0.88, "sup")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# desk policy (supervisor sue)\n")
    assert "default = 0.88  # agreed with audit" in text
    saved = tomllib.loads(text)
    assert saved["thresholds"]["fields"]["po_number"] == 0.85 and saved["thresholds"]["default"] == 0.88
    assert ws.policy.threshold("po_number") == 0.85


def test_a_policy_file_that_does_not_parse_is_refused_and_left_as_it_is(ws: Workspace) -> None:
    path = ws.config.home / "routing.toml"
    path.write_text("[thresholds\ndefault = 0.9\n", encoding="utf-8")
    from idp_app.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot read routing policy"):
        ws.policies.set_threshold(None, 0.8, "sup")
    assert path.read_text(encoding="utf-8") == "[thresholds\ndefault = 0.9\n"


def test_a_threshold_is_saved_into_thresholds_written_as_an_inline_table(ws: Workspace) -> None:
    path = ws.config.home / "routing.toml"
    path.write_text("thresholds = { default = 0.9 }\n", encoding="utf-8")
    ws.policies.set_threshold("po_number", 0.85, "sup")
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert saved["thresholds"] == {"default": 0.9, "fields": {"po_number": 0.85}}
