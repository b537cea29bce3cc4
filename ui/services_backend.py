"""The review backend over idp_app's :class:`~idp_app.services.Workspace`: translation only, no rules.

Every method runs on a worker thread (through :class:`ui.tasks.TaskRunner`); each service call is its own
transaction. Service views are turned into the window's frozen values in :mod:`ui.model`.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtGui import QImage

from extractors.context import ExtractionContext
from extractors.document import Page, Token, TokenSource
from extractors.errors import ExtractionError
from extractors.geometry import BBox
from extractors.results import Alternative, FieldValue, LineItem
from idp_app.domain import Correction, ReviewState
from idp_app.errors import AppError
from idp_app.services import DocumentView as CoreDocument
from idp_app.services import FieldView as CoreField
from idp_app.services import Permission, QueueFilter, Workspace
from idp_app.services.line_items import LineItemRows
from idp_app.services.values import LINE_ITEM_TYPES, normalise, schema_types
from idp_app.services.views import ReasonView
from ui.backend import RetrainProgress
from ui.model import (
    DocumentView,
    ExportOutcome,
    FieldKind,
    FieldView,
    QueueRow,
    ReportTable,
    ReportView,
    RetrainOutcome,
    RuleIssue,
    UserSession,
)
from ui.rendering import to_qimage

log = logging.getLogger(__name__)
REVIEW_STATUSES = ("needs_review", "in_review")


_WORDS = {"iban": "IBAN", "vat": "VAT", "id": "ID", "po": "PO"}


def _label(name: str) -> str:
    """``vendor_vat_id`` -> ``Vendor VAT ID``."""
    words = [_WORDS.get(w, w) for w in name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words else name


def labelled(message: str, names: tuple[str, ...]) -> str:
    """A core message with the field names it mentions (``names``) written as their labels."""

    def label(match: re.Match[str]) -> str:
        text = _label(match.group(0))
        if match.start() == 0 or text.split()[0].isupper():  # "PO number" keeps its capitals
            return text
        return text[:1].lower() + text[1:]

    named = [n for n in names if n]
    return re.sub(r"\b(" + "|".join(map(re.escape, named)) + r")\b", label, message) if named else message


def reason_text(reason: ReasonView, fields: dict[str, CoreField]) -> str:
    """A routing reason in the clerk's words: field names as their labels, and marked checked once a person has
    confirmed or corrected every field it names (the reason stays: it is why the document came to a person)."""
    text = labelled(reason.message, reason.fields)
    named = [n for n in reason.fields if n in fields]  # not the line items as a whole
    settled = named and all(fields[n].checked or fields[n].corrected for n in named)
    return f"{text} \u2014 checked" if settled else text


def field_value(f: CoreField) -> FieldValue:
    return FieldValue(
        name=f.name,
        value=f.value,
        text=f.value or "",
        confidence=min(max(f.confidence, 0.0), 1.0),
        page=f.page,
        bbox_pt=f.bbox_pt,
        alternatives=tuple(
            Alternative(a.value or "", a.text, min(max(a.confidence, 0.0), 1.0), a.page, a.bbox_pt)
            for a in f.alternatives
        ),
        evidence=f.evidence,
    )


def document_view(core: CoreDocument, pages: tuple[Page, ...], load_error: str | None) -> DocumentView:
    """The window's view of a core document: fields in schema order, failed rules with their fixes."""
    order = list(schema_types(core.doc_type or "invoice"))
    names = sorted(core.fields, key=lambda n: (order.index(n) if n in order else len(order), n))
    failed: dict[str, list[str]] = {}
    for r in core.failed_rules:
        for name in r.fields:
            failed.setdefault(name, []).append(labelled(r.message, r.fields))
    fields = tuple(
        FieldView(
            name=name,
            label=_label(name),
            kind=FieldKind.of(f.value_type),
            value=field_value(f),
            state=f.state,
            failed_rules=tuple(failed.get(name, ())),
            expected_page=f.predicted_page if f.state is ReviewState.MISSING else None,
            expected_bbox_pt=f.predicted_bbox_pt if f.state is ReviewState.MISSING else None,
            value_type=f.value_type,
            required=f.required,
        )
        for name in names
        for f in (core.fields[name],)
    )
    columns: list[str] = [c for c in LINE_ITEM_TYPES if any(c in li.cells for li in core.line_items)]
    columns += sorted({c for li in core.line_items for c in li.cells} - set(columns))
    shown = list(core.line_items)
    items = tuple(
        LineItem(cells={n: field_value(c) for n, c in li.cells.items()}, page=li.page, bbox_pt=li.bbox_pt)
        for li in shown
    )
    issues = tuple(
        RuleIssue(
            rule=r.code,
            message=labelled(r.message, r.fields),
            fields=r.fields,
            fix_field=r.suggestion.field if r.suggestion else None,
            fix_value=r.suggestion.value if r.suggestion else None,
            blocking=r.blocks_approval,
        )
        for r in core.failed_rules
    )
    return DocumentView(
        document_id=core.id,
        path=str(core.file_path),
        name=core.filename,
        doc_type=core.doc_type or "unknown type",
        pages=pages,
        fields=fields,
        line_items=items,
        line_item_columns=tuple(columns),
        line_item_types=tuple(LINE_ITEM_TYPES.get(c, "text") for c in columns),
        line_item_rows=tuple(li.index for li in shown),
        issues=issues,
        reasons=tuple(reason_text(r, core.fields) for r in core.reasons),
        status=core.status.value,
        load_error=load_error,
        page_sizes_pt=tuple((p.width_pt, p.height_pt) for p in pages),
    )


class ServicesBackend:
    """:class:`ui.backend.ReviewBackend` over a Workspace."""

    def __init__(self, workspace: Workspace, ocr_context: ExtractionContext | None = None) -> None:
        self.ws = workspace
        self._ocr_ctx = ocr_context or ExtractionContext()
        self._pages: dict[int, tuple[tuple[Page, ...], str | None]] = {}
        self._lock = threading.Lock()
        self._passed: dict[str, set[int]] = {}
        """Per clerk, the documents left undecided with "next document" since the last round of the queue."""

    def authenticate(self, name: str, password: str) -> UserSession:
        user = self.ws.users.authenticate(name, password)
        return UserSession(
            user.name,
            str(user.role),
            user.can(Permission.OVERRIDE),
            user.can(Permission.RETRAIN),
            user.can(Permission.EXPORT),
            user.can(Permission.READ_REPORTS),
        )

    def queue(self) -> list[QueueRow]:
        """One query: the queue items carry their routing reasons. A hold's end is put on this desk's clock (the
        database server's reckons holds): "free" on screen is free to claim however far this clock drifted."""
        with self.ws.db.read() as s:
            drift = self.ws.db.now(s) - datetime.now(UTC)
        return [
            QueueRow(
                document_id=it.id,
                name=it.filename,
                status=it.status.value,
                vendor=it.vendor_name or "",
                confidence=it.min_confidence if it.min_confidence is not None else 0.0,
                reasons=it.reasons,
                received_at=it.created_at,
                claimed_by=it.claimed_by or "",
                held_until=it.lease_expires_at - drift if it.lease_expires_at is not None else None,
                reason_codes=it.reason_codes,
            )
            for it in self.ws.queue.list(QueueFilter(), limit=200)
        ]

    def _read_pages(self, doc_id: int, path: Path) -> tuple[tuple[Page, ...], str | None]:
        with self._lock:
            known = self._pages.get(doc_id)
        if known is not None:
            return known
        if not path.is_file():
            result: tuple[tuple[Page, ...], str | None] = ((), f"The original file is missing: {path}")
        else:
            try:
                views = self.ws.documents.pages(doc_id)
            except (ExtractionError, AppError, OSError) as exc:
                result = ((), f"The original file cannot be read: {exc}")
            else:
                pages = tuple(
                    Page(
                        index=p.index,
                        width_pt=p.width_pt,
                        height_pt=p.height_pt,
                        tokens=p.tokens,
                        upright_turn=p.upright_turn,
                        source=TokenSource.OCR
                        if any(t.source is TokenSource.OCR for t in p.tokens)
                        else TokenSource.TEXT_LAYER,
                    )
                    for p in views
                )
                result = (pages, None)
        with self._lock:
            self._pages[doc_id] = result
        return result

    def _view(self, doc_id: int) -> DocumentView:
        core = self.ws.documents.get(doc_id)
        pages, error = self._read_pages(doc_id, Path(core.file_path))
        return document_view(core, pages, error)

    def open(self, document_id: int, user: UserSession) -> DocumentView:
        self.ws.queue.claim(document_id, user.name)
        return self._view(document_id)

    def claim_next(self, user: UserSession, after: int | None) -> int | None:
        passed = self._passed.setdefault(user.name, set())
        if after is None and not passed:  # the window's first: a document this clerk still holds (a window that
            # closed or crashed with it open) comes back to them, rather than waiting for its hold to lapse
            held = self.ws.queue.list(QueueFilter(claimed_by=user.name), limit=1)
            if held:
                return held[0].id
        if after is not None:
            passed.add(after)
        claim = self.ws.queue.claim_next(user.name, passed=passed)
        if claim is None:
            return None
        if claim.document_id in passed:  # every other document was passed: the next round starts
            passed.clear()
        return claim.document_id

    def apply(self, correction: Correction, user: UserSession) -> DocumentView:
        self.ws.review.apply(correction)
        return self._view(correction.document_id)

    def edit_line_items(
        self, document_id: int, user: UserSession, op: str, row: int, other: int | None
    ) -> tuple[DocumentView, LineItemRows, LineItemRows]:
        core, before, after = self.ws.review.edit_line_items_kept(document_id, user.name, op, row, other)
        pages, error = self._read_pages(document_id, Path(core.file_path))
        return document_view(core, pages, error), before, after

    def restore_line_items(
        self, document_id: int, user: UserSession, before: LineItemRows, after: LineItemRows
    ) -> DocumentView:
        core = self.ws.review.restore_line_items(document_id, user.name, before, after)
        pages, error = self._read_pages(document_id, Path(core.file_path))
        return document_view(core, pages, error)

    def approve(self, document_id: int, user: UserSession, override_reason: str | None = None) -> None:
        self.ws.review.approve(document_id, user.name, override_reason=override_reason)

    def read_again_in_layout(
        self, document_id: int, *, first: bool = False, passed: tuple[int, ...] = ()
    ) -> tuple[str | None, tuple[int, ...]]:
        from idp_app.learning.extract import read_again_in_layout, said_of

        try:
            read = read_again_in_layout(self.ws, document_id, passed=passed, before_next=first)
        except Exception:  # the documents stay as they were read; the clerk meets them as before
            log.exception("documents of document %s's layout not read again", document_id)
            return None, ()
        return said_of(read), tuple(r.doc_id for r in read)

    def reject(self, document_id: int, user: UserSession, reason: str) -> None:
        self.ws.review.reject(document_id, user.name, reason)

    def set_type(self, document_id: int, user: UserSession, doc_type: str) -> DocumentView:
        # read in a worker process of its own: a crash in the OCR engine fails the reading, not the window
        self.ws.ingest.set_type(document_id, doc_type, user.name, workers=1)
        return self.open(document_id, user)  # claimed again: the clerk goes on with it

    def renew(self, document_id: int, user: UserSession) -> None:
        self.ws.queue.renew(document_id, user.name)

    def release(self, document_id: int, user: UserSession) -> None:
        self.ws.queue.release(document_id, user.name)

    def ocr_region(self, path: str, page_index: int, bbox_pt: BBox, turn: int = 0) -> list[Token]:
        from extractors.readers import ocr_region

        return ocr_region(Path(path), page_index, bbox_pt, self._ocr_ctx, turn=turn)

    def render(self, path: str, page_index: int, dpi: float) -> QImage:
        from extractors.readers import render_page

        return to_qimage(render_page(Path(path), page_index, dpi))

    def check_value(self, value_type: str, text: str) -> str:
        try:
            return normalise(value_type, text) or ""
        except AppError as exc:
            raise ValueError(str(exc)) from None

    def model_version(self) -> str:
        from idp_app.learning.registry import Registry, shown_version

        active = Registry(self.ws.db, self.ws.config).active()
        return shown_version(active.version if active is not None else None)

    def retrain(self, user: UserSession, progress: RetrainProgress | None = None) -> RetrainOutcome:
        from idp_app.learning.retrain import retrain

        report = retrain(self.ws, user.name, force=True, progress=progress)
        return RetrainOutcome(
            status=str(report.status),
            version=report.version,
            reasons=tuple(report.reasons),
            accuracy_before=report.current.get("accuracy"),
            accuracy_after=report.candidate.get("accuracy"),
            holdout_documents=report.holdout_documents,
            golden_documents=report.golden_documents,
            training_documents=report.training_documents,
            training_pairs=report.training_pairs,
            seconds=report.seconds,
            warnings=tuple(report.messages),
        )

    def export(self, user: UserSession) -> ExportOutcome:
        report = self.ws.export.export(user.name)
        notes: dict[str, int] = {}
        for p in report.notes:
            notes[p.reason] = notes.get(p.reason, 0) + 1
        return ExportOutcome(
            directory=str(report.directory) if report.directory else None,
            exported=len(report.exported),
            files=tuple(report.files),
            left=tuple(f"{p.document_id} {p.filename}: {p.reason}" for p in report.failed + report.skipped),
            notes=tuple(f"{reason} ({n} documents)" if n > 1 else reason for reason, n in notes.items()),
        )

    def accuracy_report(self, user: UserSession, days: int | None) -> ReportView:
        from datetime import UTC, datetime, timedelta

        from idp_app.services.reports import period_text, summary_lines, tables

        since = datetime.now(UTC) - timedelta(days=days) if days else None
        report = self.ws.reports.accuracy(user.name, since)
        return ReportView(
            f"Accuracy {period_text(report)}",
            tuple(summary_lines(report)),
            tuple(ReportTable(t.title, t.headers, t.rows) for t in tables(report)),
        )
