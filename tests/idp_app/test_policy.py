"""Changing thresholds: supervisors only, saved to the workspace's routing.toml, used at once, logged."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc

from idp_app.errors import InvalidValueError, PermissionDeniedError
from idp_app.services import RoutingPolicy, Workspace
from idp_app.services.policy import dumps


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


def test_policy_toml_round_trip() -> None:
    data = {"a": 1, "b": {"c": 'x"y', "d": {"e": 0.5, "f": True}}, "g": ["h", "i"]}
    assert tomllib.loads(dumps(data)) == data
