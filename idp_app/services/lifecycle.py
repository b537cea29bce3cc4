"""The document lifecycle: which status may follow which. Every change goes through :func:`transition`.

imported -> extracting -> extracted -> auto_approved | needs_review -> in_review -> approved | rejected
approved | auto_approved -> exported;  imported | extracting -> failed -> rejected (dismissed by a supervisor);
re-extraction on demand;
approved | auto_approved -> needs_review: reopened by a supervisor (a value export needs was never filled in)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from idp_app.db.models import Document, Reason, utcnow
from idp_app.domain import DocumentStatus as S
from idp_app.errors import IllegalTransitionError
from idp_app.services import audit
from idp_app.services.routing import RISK

TRANSITIONS: dict[S, frozenset[S]] = {
    S.IMPORTED: frozenset({S.EXTRACTING, S.FAILED}),
    S.EXTRACTING: frozenset({S.EXTRACTING, S.EXTRACTED, S.FAILED}),
    S.EXTRACTED: frozenset({S.AUTO_APPROVED, S.NEEDS_REVIEW}),
    S.AUTO_APPROVED: frozenset({S.EXPORTED, S.NEEDS_REVIEW, S.EXTRACTING}),
    S.NEEDS_REVIEW: frozenset({S.IN_REVIEW, S.EXTRACTING}),
    S.IN_REVIEW: frozenset({S.IN_REVIEW, S.NEEDS_REVIEW, S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.EXPORTED, S.NEEDS_REVIEW}),
    S.REJECTED: frozenset({S.EXTRACTING, S.NEEDS_REVIEW}),
    S.EXPORTED: frozenset({S.NEEDS_REVIEW}),
    S.FAILED: frozenset({S.EXTRACTING, S.REJECTED}),
}
"""Allowed next statuses. ``extracting -> extracting`` is a restart after a crash; ``in_review -> in_review``
a claim taken over after its lease expired."""

QUEUED = frozenset({S.NEEDS_REVIEW, S.IN_REVIEW})


def can_transition(old: S | str, new: S | str) -> bool:
    return S(new) in TRANSITIONS[S(old)]


def transition(session: Session, doc: Document, new: S, actor: str, **details: Any) -> None:
    """Move ``doc`` to ``new`` in ``session``'s transaction, with its audit entry; refuse illegal moves."""
    old = S(doc.status)
    if new not in TRANSITIONS[old]:
        raise IllegalTransitionError(f"document {doc.id} is {old}: it cannot become {new}")
    doc.status = new.value
    doc.queued = new in QUEUED
    doc.updated_at = utcnow()
    if new is not S.IN_REVIEW:
        doc.claimed_by = None
        doc.lease_expires_at = None
    session.flush()
    audit.append(session, actor, "transition", doc.id, **{"from": old.value, "to": new.value}, **details)


def reason_of_a_person(code: str, message: str) -> Reason:
    """A routing reason a person's act gives a document (reopened, its type set), with that code's risk."""
    return Reason(code=code, message=message, fields=[], risk=RISK[code])
