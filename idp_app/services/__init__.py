"""The application services: everything a clerk can do in the window, a script can do here.

Open a :class:`Workspace` from an :class:`~idp_app.config.AppConfig`; it holds the database and one
object per service. All methods take plain values and return frozen dataclasses (``idp_app.services.views``),
never database objects; each user action is one transaction. Errors are :mod:`idp_app.errors` types.

Usage (the window does the same through its background-work helper)::

    from idp_app.config import AppConfig
    from idp_app.domain import Correction
    from idp_app.services import QueueFilter, Workspace

    ws = Workspace.open(AppConfig.from_env())          # SQLite schema is upgraded on opening
    user = ws.users.authenticate("clerk", "clerk")     # -> User(name, role); AuthenticationError otherwise

    ws.ingest.ingest([Path("inbox/")], user, workers=2, progress=lambda done, total, name: ...)

    page = ws.queue.list(QueueFilter(vendor="acme", max_confidence=0.8), limit=100)  # [QueueItem] with .reasons
    more = ws.queue.list(limit=100, after=page[-1].id)  # next page (or offset=100); ws.queue.count(filter)
    claim = ws.queue.claim_next(user)                  # Claim(document_id, user, lease_expires_at) or None
    doc = ws.documents.get(claim.document_id)          # DocumentView
    doc.fields["total_amount"]                         # FieldView: value, page, bbox_pt, confidence, state,
                                                       #   alternatives, predicted_*, threshold, value_type
    doc.line_items, doc.reasons, doc.failed_rules      # failed_rules carry .fields and .suggestion (one fix)
    pages = ws.documents.pages(doc.id)                 # [PageView(index, width_pt, height_pt, tokens)]
    png = ws.documents.page_image(doc.id, 0, dpi=150)  # cached page image
    doc.file_path                                      # the stored original (read-only)

    c = Correction(doc.id, "total_amount", old_value="119.00", new_value="1.190,00",
                   new_bbox_pt=box, page=0, source_token_ids=(41, 42), user=user.name, seconds_spent=4.2)
    field = ws.review.apply(c)                         # -> FieldView (value normalised to "1190.00")
    ws.review.apply(c.inverted())                      # undo goes through the same path (QUndoStack)
    ws.review.approve(doc.id, user)                    # RuleFailedError while a blocking rule fails
    ws.review.approve(doc.id, supervisor, override_reason="IBAN change confirmed by phone")
    ws.review.reject(doc.id, user, reason="not an invoice")
    ws.queue.release(doc.id, user); ws.queue.renew(doc.id, user)
    ws.review.edit_line_items(doc.id, user, "merge", row=1, other=2)   # add | delete | split | merge -> DocumentView
    view, before, after = ws.review.edit_line_items_kept(doc.id, user, "delete", row=0)  # + the rows around it
    ws.review.restore_line_items(doc.id, user, before, after)   # undo, while the rows still show what `after` shows
    ws.ingest.reextract(doc.id, supervisor)            # replaces fields and routing
    ws.policies.set_threshold("total_amount", 0.97, supervisor)   # saved to <home>/routing.toml, logged
    ws.documents.mark_exported([doc.id], supervisor, batch="2024-03")  # for the export step

    ws.audit.verify()                                  # AuditReport(ok, entries, problems)
    training_pairs(ws, since=...)                      # [TrainingPair] from approved documents
    ws.users.require(user, Permission.RETRAIN)         # PermissionDeniedError for a clerk
    ws.close()

Tokens are not stored in the database: ``documents.pages`` reads them from the original once and caches them in
``cache_dir/tokens``. Every call is one transaction; objects returned are detached values, safe across threads.
Field review colours come from ``FieldView.state`` (:class:`~idp_app.domain.ReviewState`); the pure functions
behind them are :func:`idp_app.services.routing.field_review` and :func:`idp_app.domain.review_state`.
"""

from __future__ import annotations

from idp_app.services.ingest import IngestReport, default_extract
from idp_app.services.queue import QueueFilter
from idp_app.services.routing import RoutingPolicy
from idp_app.services.training import TrainingPair, training_pairs
from idp_app.services.users import Permission, User
from idp_app.services.views import (
    Claim,
    DocumentView,
    FieldView,
    LineItemView,
    PageView,
    QueueItem,
    ReasonView,
)
from idp_app.services.workspace import Workspace

__all__ = [
    "Claim",
    "DocumentView",
    "FieldView",
    "IngestReport",
    "LineItemView",
    "PageView",
    "Permission",
    "QueueFilter",
    "QueueItem",
    "ReasonView",
    "RoutingPolicy",
    "TrainingPair",
    "User",
    "Workspace",
    "default_extract",
    "training_pairs",
]
