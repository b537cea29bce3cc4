"""Reading documents for the window and the CLI: fields, line items, reasons, pages and tokens.

Tokens are not stored in the database: they are read again from the stored original on demand
(``extractors.readers.read_document``) and cached as JSON in ``cache_dir/tokens/<sha>.json``. Text-layer pages
read in milliseconds; OCRed pages are read once and then come from the cache. Rendered page images are cached
as PNG in ``cache_dir/pages/`` (see :mod:`idp_app.services.cache` for pruning them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from extractors.context import ExtractionContext
from extractors.document import Document as ReadDocument
from extractors.document import Token, TokenSource
from extractors.geometry import BBox
from extractors.readers.layout import upright
from idp_app.config import AppConfig
from idp_app.db.engine import Database
from idp_app.db.models import AuditEntry, Document, FieldRow
from idp_app.domain import DocumentStatus, ReviewState, review_state
from idp_app.errors import ChangedMeanwhileError, NotFoundError
from idp_app.services import lifecycle
from idp_app.services.cache import mark_used
from idp_app.services.evaluate import bbox, evaluate, field_value, required_fields
from idp_app.services.policy import PolicyStore
from idp_app.services.routing import BLOCKING, Reason, RoutingPolicy
from idp_app.services.storage import FileStore, write_atomically
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.values import PARTY_SEPARATOR, field_type, schema_types
from idp_app.services.views import AlternativeView, DocumentView, FieldView, LineItemView, PageView, ReasonView

ReadFn = Callable[[Path, ExtractionContext], ReadDocument]
TOKEN_CACHE_VERSION = 2


def default_read(path: Path, ctx: ExtractionContext) -> ReadDocument:
    from extractors.readers import read_document  # type: ignore[import-not-found,unused-ignore]

    doc: ReadDocument = read_document(path, ctx)
    return doc


def load_document(session: Session, doc_id: int) -> Document:
    doc = session.execute(
        select(Document)
        .where(Document.id == doc_id)
        .options(selectinload(Document.fields), selectinload(Document.reasons), selectinload(Document.extraction))
    ).scalar_one_or_none()
    if doc is None:
        raise NotFoundError(f"no document {doc_id}")
    return doc


def reason_view(r: Reason) -> ReasonView:
    return ReasonView(r.code, r.message, r.fields, r.risk, r.blocks_approval, r.suggestion)


def _alternatives(raw: dict[str, Any] | None) -> tuple[AlternativeView, ...]:
    out = []
    for a in (raw or {}).get("alternatives", []):
        value = a.get("value")
        out.append(
            AlternativeView(
                PARTY_SEPARATOR.join(value) if isinstance(value, list) else value,
                a.get("text", ""),
                float(a.get("confidence", 0.0)),
                a.get("page"),
                bbox(a.get("bbox_pt")),
            )
        )
    return tuple(out)


def field_view(
    row: FieldRow,
    doc_type: str | None,
    policy: RoutingPolicy,
    state: ReviewState | None = None,
    raw: dict[str, Any] | None = None,
) -> FieldView:
    line = row.row >= 0
    required = False if line else schema_types(doc_type or "invoice").get(row.name, ("text", False))[1]
    threshold = policy.threshold(row.name)
    fv = field_value(row)
    return FieldView(
        name=row.name,
        value=row.value,
        page=row.page,
        bbox_pt=bbox(row.bbox_pt),
        confidence=fv.confidence,
        state=state if state is not None else review_state(fv, threshold, required=required),
        threshold=threshold,
        value_type=field_type(doc_type, row.name, line_item=line),
        required=required,
        corrected=row.corrected,
        checked=bool(row.checked),
        predicted_value=row.predicted_value,
        predicted_text=row.predicted_text,
        predicted_page=row.predicted_page,
        predicted_bbox_pt=bbox(row.predicted_bbox_pt),
        alternatives=_alternatives(raw),
        evidence=tuple((raw or {}).get("evidence", [])),
        line_item_index=row.row if line else None,
    )


def build_view(session: Session, doc: Document, store: FileStore, policy: RoutingPolicy) -> DocumentView:
    result = doc.extraction.result if doc.extraction else None
    raw_fields: dict[str, Any] = (result or {}).get("fields", {})
    raw_items: list[dict[str, Any]] = (result or {}).get("line_items", [])
    review = evaluate(session, doc, policy)
    fields: dict[str, FieldView] = {}
    for row in doc.fields:
        if row.row < 0:
            fields[row.name] = field_view(
                row, doc.doc_type, policy, review.states.get(row.name), raw_fields.get(row.name)
            )
    for name, req in required_fields(doc.doc_type).items():
        if req and name not in fields:
            missing = FieldRow(name=name, row=-1, value=None, predicted_text="", confidence=0.0, corrected=False)
            fields[name] = field_view(missing, doc.doc_type, policy, review.states.get(name))
    items: dict[int, dict[str, FieldView]] = {}
    for row in doc.fields:
        if row.row >= 0:
            raw_item = raw_items[row.row] if row.row < len(raw_items) else {}
            raw_cell = raw_item.get("cells", {}).get(row.name)
            items.setdefault(row.row, {})[row.name] = field_view(row, doc.doc_type, policy, raw=raw_cell)
    line_items = tuple(
        LineItemView(
            i,
            cells,
            raw_items[i].get("page") if i < len(raw_items) else None,
            bbox(raw_items[i].get("bbox_pt")) if i < len(raw_items) else None,
        )
        for i, cells in sorted(items.items())
    )
    reasons = tuple(
        ReasonView(r.code, r.message, tuple(r.fields or ()), r.risk, r.code in BLOCKING) for r in doc.reasons
    )
    # rules judge extracted values: a file that failed or waits to be read has none to judge
    extracted = doc.status not in (DocumentStatus.FAILED, DocumentStatus.IMPORTED, DocumentStatus.EXTRACTING)
    return DocumentView(
        id=doc.id,
        sha256=doc.sha256,
        filename=doc.filename,
        file_path=store.path_for(doc.sha256, doc.suffix),
        status=DocumentStatus(doc.status),
        doc_type=doc.doc_type,
        type_confidence=doc.type_confidence,
        page_count=doc.page_count,
        fields=fields,
        line_items=line_items,
        reasons=reasons,
        failed_rules=tuple(reason_view(r) for r in review.failed_rules) if extracted else (),
        vendor_id=doc.vendor_id,
        vendor_name=doc.vendor_name,
        claimed_by=doc.claimed_by,
        lease_expires_at=doc.lease_expires_at,
        error=doc.error,
        error_kind=doc.error_kind,
        warnings=tuple((result or {}).get("warnings", [])),
        created_at=doc.created_at,
        model_version=doc.model_version,
        decided_by=doc.decided_by,
        reject_reason=doc.reject_reason,
        override_reason=doc.override_reason,
        overridden_rules=overridden_rules(session, doc.id) if doc.override_reason else (),
        extraction=result,
    )


def overridden_rules(session: Session, doc_id: int) -> tuple[ReasonView, ...]:
    """The rules the latest override of the document let through, as they were failing then."""
    payload = session.execute(
        select(AuditEntry.payload)
        .where(AuditEntry.document_id == doc_id, AuditEntry.action == "override")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).scalar()
    if payload is None:
        return ()
    details = json.loads(payload)
    codes = [str(c) for c in details.get("rules", [])]
    messages = [str(m) for m in details.get("messages", [])]
    return tuple(
        ReasonView(code, messages[i] if i < len(messages) else code, (), 0, True) for i, code in enumerate(codes)
    )


def _token_json(t: Token) -> list[Any]:
    return [t.text, t.bbox_pt.to_list(3), round(t.confidence, 4), str(t.source)]


TURN_NOTE = re.compile(r"^page (\d+) was read turned (\d+) degrees")
"""The warning a reader gives for a page it read turned upright ("page 2 was read turned 180 degrees ...")."""


def turns_noted(warnings: Iterable[object]) -> dict[int, int]:
    """Page index -> the upright turn its extraction read it with, from the extraction's warnings."""
    out: dict[int, int] = {}
    for w in warnings:
        m = TURN_NOTE.match(str(w))
        if m:
            out[int(m.group(1)) - 1] = int(m.group(2)) % 360
    return out


def as_extracted(doc: ReadDocument, turns: Mapping[int, int]) -> ReadDocument:
    """``doc`` with each page turned as its extraction read it (``turns``; pages not named lie as in the file),
    boxes and all: the frame its stored field boxes are in, where reading the file again turns a page otherwise
    (a document extracted before turned pages were read upright, or by a reader that found another turn)."""
    pages = []
    for p in doc.pages:
        target = turns.get(p.index, 0)
        if p.upright_turn != target:
            quarter = p.upright_turn % 180 == 90
            tokens = upright(p.tokens, p.upright_turn, p.width_pt, p.height_pt)  # back as in the file
            w, h = (p.height_pt, p.width_pt) if quarter else (p.width_pt, p.height_pt)
            if target:
                tokens = upright(tokens, 360 - target, w, h)
                w, h = (h, w) if target % 180 == 90 else (w, h)
            p = replace(p, width_pt=w, height_pt=h, tokens=tuple(tokens), upright_turn=target)
        pages.append(p)
    return replace(doc, pages=tuple(pages))


def save_pages(tokens_dir: Path, doc: ReadDocument, *, overwrite: bool = True) -> list[PageView]:
    """Keep the pages of a document just read, so that the window shows them without reading the file again (an
    OCR of every page, for a scan); named by the document's content hash. ``overwrite=False`` keeps pages another
    reader saved meanwhile: those of an extraction, which its field boxes lie on."""
    pages = [PageView(p.index, p.width_pt, p.height_pt, p.tokens, p.upright_turn) for p in doc.pages]
    payload = {
        "version": TOKEN_CACHE_VERSION,
        "pages": [
            {
                "index": p.index,
                "w": p.width_pt,
                "h": p.height_pt,
                "turn": p.upright_turn,
                "tokens": [_token_json(t) for t in p.tokens],
            }
            for p in pages
        ],
    }
    data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    write_atomically(tokens_dir / f"{doc.sha256}.json", data, overwrite=overwrite)
    return pages


class DocumentService:
    def __init__(
        self, db: Database, config: AppConfig, policy: RoutingPolicy | PolicyStore, read: ReadFn | None = None
    ) -> None:
        self._db = db
        self._config = config
        self._store = FileStore(config.files_dir)
        self._policies = PolicyStore.of(policy)
        self._read = read or default_read

    @property
    def _policy(self) -> RoutingPolicy:
        return self._policies.current

    def get(self, doc_id: int) -> DocumentView:
        """Everything the window shows for one document (tokens come from :meth:`pages`)."""
        with self._db.read() as s:
            return build_view(s, load_document(s, doc_id), self._store, self._policy)

    def file_path(self, doc_id: int) -> Path:
        with self._db.read() as s:
            doc = s.get(Document, doc_id)
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            return self._store.path_for(doc.sha256, doc.suffix)

    def pages(self, doc_id: int, ctx: ExtractionContext | None = None) -> list[PageView]:
        """Page sizes and tokens, read from the original once and then from the cache."""
        with self._db.read() as s:
            doc = s.get(Document, doc_id)
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            sha, suffix = doc.sha256, doc.suffix
            stored = doc.extraction.result if doc.extraction is not None else {}
        cache = self._config.cache_dir / "tokens" / f"{sha}.json"
        kept = self._kept_pages(cache)
        if kept is not None:
            return kept
        damaged = cache.exists()
        read = self._read(self._store.path_for(sha, suffix), ctx or ExtractionContext())
        warnings = stored.get("warnings", ()) if isinstance(stored, dict) else ()
        if stored:  # the pages as the stored boxes have them
            read = as_extracted(read, turns_noted(warnings))
        # an extraction that ran while this read did kept the pages its boxes lie on: those stay, and are shown
        pages = save_pages(cache.parent, read, overwrite=damaged)
        newer = None if damaged else self._kept_pages(cache)
        return newer if newer is not None else pages

    def cached_pages(self, sha256: str) -> list[PageView] | None:
        """The pages kept of the document with content hash ``sha256``; None where none are kept (nothing is
        read)."""
        return self._kept_pages(self._config.cache_dir / "tokens" / f"{sha256}.json")

    def _kept_pages(self, cache: Path) -> list[PageView] | None:
        if not cache.is_file():
            return None
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data.get("version") == TOKEN_CACHE_VERSION:
                return [self._page_from_json(p) for p in data["pages"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache is read again from the original
        return None

    @staticmethod
    def _page_from_json(p: dict[str, Any]) -> PageView:
        tokens = tuple(
            Token(text, BBox.from_list(box), p["index"], conf, TokenSource(src), index=i)
            for i, (text, box, conf, src) in enumerate(p["tokens"])
        )
        return PageView(p["index"], float(p["w"]), float(p["h"]), tokens, int(p.get("turn", 0)))

    def page_image(self, doc_id: int, page: int, dpi: int = 150) -> Path:
        """A PNG of one page at ``dpi``, standing upright as its boxes are, rendered once into the cache (PDFs
        with pdfium; images as they are)."""
        path = self.file_path(doc_id)
        turn = next((p.upright_turn for p in self.pages(doc_id) if p.index == page), 0)
        out = self._config.cache_dir / "pages" / f"{path.stem}-p{page}-{dpi}-t{turn}.png"
        if out.is_file():
            mark_used(out)  # pruning removes the pages shown least recently
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        from extractors.readers import render_page  # type: ignore[attr-defined,unused-ignore]

        image = render_page(path, page, dpi, turn)
        tmp = out.with_suffix(".tmp.png")
        image.save(tmp, format="PNG")
        os.replace(tmp, out)
        return out

    def last_changes(self, doc_ids: Iterable[int]) -> dict[int, int]:
        """A stamp of each document's last change: the id of its newest audit entry of a :data:`CHANGES` action
        (every correction, decision and extraction writes one), 0 if it has none."""
        ids = list(doc_ids)
        with self._db.read() as s:
            rows = s.execute(
                select(AuditEntry.document_id, func.max(AuditEntry.id))
                .where(AuditEntry.document_id.in_(ids), AuditEntry.action.in_(CHANGES))
                .group_by(AuditEntry.document_id)
            ).all()
        found = {int(d): int(m) for d, m in rows if d is not None}
        return {i: found.get(i, 0) for i in ids}

    def mark_exported(
        self,
        doc_ids: Iterable[int],
        user: User | str,
        batch: str = "",
        export_id: str | None = None,
        unchanged_since: Mapping[int, int] | None = None,
        recorded: Mapping[str, Any] | None = None,
        per_document: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        """Record that approved documents were written to an export batch (needs the export permission), all or
        none. Rows are locked (PostgreSQL), so two exports cannot both mark one document. ``unchanged_since``: the
        :meth:`last_changes` stamp of each document when its values were read for the batch; a document changed
        since (reopened, corrected and approved again meanwhile) is not marked, and so none is. ``recorded`` (for
        every document) and ``per_document`` are kept in the audit entry: what the batch was written with, so that
        a lost batch can be written again the same."""
        details = {"batch": batch, **({"export_id": export_id} if export_id else {}), **(recorded or {})}
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.EXPORT)
            for doc_id in doc_ids:
                doc = s.get(Document, doc_id, with_for_update=True)
                if doc is None:
                    raise NotFoundError(f"no document {doc_id}")
                if unchanged_since is not None and _last_change(s, doc_id) != unchanged_since[doc_id]:
                    if doc.status == DocumentStatus.EXPORTED.value:
                        raise ChangedMeanwhileError(
                            f"document {doc_id} was exported by another export while this batch was written"
                        )
                    raise ChangedMeanwhileError(f"document {doc_id} changed while the batch was written")
                extra = (per_document or {}).get(doc_id, {})
                lifecycle.transition(s, doc, DocumentStatus.EXPORTED, actor.name, **details, **extra)


CHANGES = frozenset({"transition", "correction", "confirmation", "override", "line_items_edited"})
"""Audit actions that change a document's values or status (marking it golden, say, does not)."""


def _last_change(s: Session, doc_id: int) -> int:
    stamp = s.execute(
        select(func.max(AuditEntry.id)).where(AuditEntry.document_id == doc_id, AuditEntry.action.in_(CHANGES))
    ).scalar_one()
    return int(stamp or 0)


def last_export(s: Session, doc_id: int) -> dict[str, str] | None:
    """The batch (and export id) a document was last marked exported in, as the audit log holds it; None if it
    never was."""
    payloads = s.execute(
        select(AuditEntry.payload)
        .where(
            AuditEntry.document_id == doc_id,
            AuditEntry.action == "transition",
            AuditEntry.payload.contains(DocumentStatus.EXPORTED.value),
        )
        .order_by(AuditEntry.id.desc())
    ).scalars()
    for payload in payloads:
        details = json.loads(payload)
        if details.get("to") == DocumentStatus.EXPORTED.value:
            return {k: str(details[k]) for k in ("batch", "export_id") if details.get(k)}
    return None
