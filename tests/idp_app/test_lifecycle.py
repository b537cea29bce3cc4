"""The transition table: only the allowed status changes happen, through the services."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fake_extractors import invoice, write_doc

from idp_app.db.models import Document
from idp_app.domain import DocumentStatus as S
from idp_app.errors import IllegalTransitionError
from idp_app.services import Workspace
from idp_app.services.lifecycle import TRANSITIONS, can_transition, transition

HAPPY_PATH = [S.IMPORTED, S.EXTRACTING, S.EXTRACTED, S.NEEDS_REVIEW, S.IN_REVIEW, S.APPROVED, S.EXPORTED]


def test_the_lifecycle_path_is_allowed_step_by_step() -> None:
    for old, new in itertools.pairwise(HAPPY_PATH):
        assert can_transition(old, new)
    assert can_transition(S.EXTRACTED, S.AUTO_APPROVED) and can_transition(S.AUTO_APPROVED, S.EXPORTED)
    assert can_transition(S.IMPORTED, S.FAILED) and can_transition(S.FAILED, S.EXTRACTING)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.IMPORTED, S.APPROVED),
        (S.NEEDS_REVIEW, S.APPROVED),  # approval needs a claim
        (S.EXTRACTED, S.IN_REVIEW),
        (S.EXPORTED, S.APPROVED),  # back only through review (reopened)
        (S.EXPORTED, S.EXTRACTING),
        (S.REJECTED, S.APPROVED),
        (S.FAILED, S.APPROVED),
    ],
)
def test_illegal_transitions_raise(ws: Workspace, inbox: Path, old: S, new: S) -> None:
    assert not can_transition(old, new)
    write_doc(inbox, "a.json", invoice("A"))
    doc_id, _ = ws.ingest.import_file(inbox / "a.json")
    with pytest.raises(IllegalTransitionError, match=f"is {old.value}: it cannot become {new.value}"):  # noqa: SIM117
        with ws.db.write() as s:
            doc = s.get(Document, doc_id)
            assert doc is not None
            doc.status = old.value
            transition(s, doc, new, "test")
    # the failed transaction left nothing behind
    assert ws.documents.get(doc_id).status is S.IMPORTED


def test_every_status_has_an_entry() -> None:
    assert set(TRANSITIONS) == set(S)
    assert TRANSITIONS[S.EXPORTED] == frozenset({S.NEEDS_REVIEW})  # reopened by a supervisor, and nothing else
