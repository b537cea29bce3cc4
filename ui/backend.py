"""What the window asks of the application core. :mod:`ui.services_backend` answers with idp_app's services.

Every method may block (database, files, OCR): the window calls them only through :class:`ui.tasks.TaskRunner`.
Each returns the document as the core now sees it, so that review states, failed rules and fixes are
always the core's, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtGui import QImage

from extractors.document import Token
from extractors.geometry import BBox
from idp_app.domain import Correction
from idp_app.services.line_items import LineItemRows
from ui.model import DocumentView, ExportOutcome, QueueRow, ReportView, RetrainOutcome, UserSession

RetrainProgress = Callable[[int, int, str], None]
"""(done, total, what): called from the worker while retraining gathers its documents."""


class LineItemEdit:
    """Names of the row operations the line-item table offers; the core carries them out."""

    ADD = "add"
    DELETE = "delete"
    SPLIT = "split"
    MERGE = "merge"


class ReviewBackend(Protocol):
    def authenticate(self, name: str, password: str) -> UserSession:
        """The user's session, or raise an error saying why not."""
        ...

    def queue(self) -> list[QueueRow]:
        """Documents waiting for review (and those in review), with why each is there."""
        ...

    def open(self, document_id: int, user: UserSession) -> DocumentView:
        """Claim a document for ``user`` and return it for review."""
        ...

    def claim_next(self, user: UserSession, after: int | None) -> int | None:
        """The next document to review, claimed for ``user``; None when the queue is empty."""
        ...

    def apply(self, correction: Correction, user: UserSession) -> DocumentView:
        """Store one correction (or confirmation) and return the document with states re-evaluated."""
        ...

    def edit_line_items(
        self, document_id: int, user: UserSession, op: str, row: int, other: int | None
    ) -> tuple[DocumentView, LineItemRows, LineItemRows]:
        """Add (at ``row``), delete, split (a new row after ``row``) or merge (``other`` into ``row``) rows: the
        document as it is now, and the rows as stored right before and right after the edit."""
        ...

    def restore_line_items(
        self, document_id: int, user: UserSession, before: LineItemRows, after: LineItemRows
    ) -> DocumentView:
        """Take a row edit back: the rows as ``before`` held them, while they still show what ``after`` showed."""
        ...

    def approve(self, document_id: int, user: UserSession, override_reason: str | None = None) -> None:
        """Approve, or raise while a rule fails (a supervisor may give ``override_reason``)."""
        ...

    def read_again_in_layout(
        self, document_id: int, *, first: bool = False, passed: tuple[int, ...] = ()
    ) -> tuple[str | None, tuple[int, ...]]:
        """After approving ``document_id``: read again, with what it taught vendor memory, the documents of its
        layout waiting untouched in the queue (``first``: as long as the queue's next document is one of them, so
        that the clerk's next is read with it; ``passed``: those read by the first call). One line on what was
        done (None where nothing was) and the documents read. Never raises: the approval stands whatever happens."""
        ...

    def reject(self, document_id: int, user: UserSession, reason: str) -> None: ...

    def set_type(self, document_id: int, user: UserSession, doc_type: str) -> DocumentView:
        """Read a claimed document again as ``doc_type`` (invoice, receipt, contract) and return it, still claimed."""
        ...

    def renew(self, document_id: int, user: UserSession) -> None:
        """Extend the claim while the clerk is still working on the document."""
        ...

    def release(self, document_id: int, user: UserSession) -> None:
        """Give up the claim without deciding."""
        ...

    def ocr_region(self, path: str, page_index: int, bbox_pt: BBox, turn: int = 0) -> list[Token]:
        """OCR a box on the page turned clockwise by ``turn`` (the page's ``upright_turn``)."""
        ...

    def render(self, path: str, page_index: int, dpi: float) -> QImage: ...

    def check_value(self, value_type: str, text: str) -> str:
        """The stored form of a typed value; ValueError with the reason when it has the wrong form."""
        ...

    def model_version(self) -> str:
        """The field model version in use as people are shown it ("default (fields-…)" for the model shipped)."""
        ...

    def retrain(self, user: UserSession, progress: RetrainProgress | None = None) -> RetrainOutcome:
        """Train a new model and promote it only if it measures better; the core checks ``user`` may retrain."""
        ...

    def export(self, user: UserSession) -> ExportOutcome:
        """Write the approved documents as one export batch and mark them exported; the core checks ``user``."""
        ...

    def accuracy_report(self, user: UserSession, days: int | None) -> ReportView:
        """The accuracy report over the last ``days`` days (None: everything); the core checks ``user``."""
        ...
