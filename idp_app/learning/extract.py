"""Extraction with what the workspace learned: the promoted model and the vendor memory.

:class:`LearnedExtract` is the extract function ingest runs (in worker processes: it is picklable and reads
only files, never the database). :func:`install` makes a workspace use it and learn each approved document
into the vendor memory right after approval.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, select

from extractors.context import ExtractionContext
from extractors.document import Document, TokenSource
from extractors.fields.candidates import DEFAULT_SOURCES, CandidateSource
from extractors.fields.scorer import FieldModel
from extractors.memory import MemorySource, VendorMemory, layout_fingerprint, with_memory_weight
from extractors.results import ExtractionResult
from idp_app.db.models import AuditEntry, CorrectionRow, FieldRow, Reason
from idp_app.db.models import Document as Row
from idp_app.domain import CorrectionKind, DocumentStatus
from idp_app.learning.dataset import LEARNED_TYPES
from idp_app.learning.doc_cache import document_from_json, document_to_json
from idp_app.learning.memory_store import forget, load_memory, memory_path, remember, sync
from idp_app.learning.registry import Registry, load_first_good, read_pointer
from idp_app.services.routing import KEPT_REASONS
from idp_app.services.storage import sha256_of, write_atomically

log = logging.getLogger(__name__)

Chain = tuple[tuple[str, Path, str | None], ...]
"""The model in use and its fall-backs, as ``active_model.json`` names them: (version, file, sha256)."""
_MODELS: dict[tuple[Chain, tuple[int, ...]], tuple[FieldModel, tuple[str, ...]]] = {}
_MEMORY: dict[Path, tuple[int, VendorMemory]] = {}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def learned_state(models_dir: Path, chain: Chain | None = None) -> tuple[FieldModel, VendorMemory, tuple[str, ...]]:
    """The model of ``chain`` (default: the one in use now) with its fall-back messages, and the vendor memory as
    it is now; each read again only when its files change (a damaged model file written again from the database
    is taken again)."""
    models_dir = Path(models_dir)
    chain = tuple(read_pointer(models_dir)) if chain is None else chain
    key = (chain, tuple(_mtime(path) for _version, path, _sha in chain))
    if key not in _MODELS:
        loaded = load_first_good(list(chain))
        _MODELS.clear()  # one model at a time is worth keeping
        _MODELS[key] = (with_memory_weight(loaded.model), loaded.messages)
    model, messages = _MODELS[key]
    stamp = _mtime(memory_path(models_dir))
    cached = _MEMORY.get(models_dir)
    if cached is None or cached[0] != stamp:
        cached = _MEMORY[models_dir] = (stamp, load_memory(models_dir))
    return model, cached[1], messages


@dataclass(frozen=True, slots=True)
class LearnedExtract:
    """``(path, ctx) -> ExtractionResult`` with the promoted model and the vendor memory of ``models_dir``."""

    models_dir: Path
    use_memory: bool = True
    tokens_dir: Path | None = None
    """Where the pages read are kept for the window (the workspace's token cache); None keeps nothing."""
    chain: Chain | None = None
    """The model this extraction keeps to (see :meth:`for_run`); None: the one in use at each document."""
    read_dir: Path | None = None
    """Where documents OCR read are kept as read (tokens, lines and blocks), so that reading one again (with what
    vendor memory learned since, or another model) does not OCR it again; None keeps nothing."""

    def for_run(self) -> LearnedExtract:
        """This extraction keeping to the model in use now: a run reads all its documents with the model it
        started with, whatever is promoted or rolled back meanwhile. The vendor memory still grows as it goes."""
        return dataclasses.replace(self, chain=tuple(read_pointer(self.models_dir)))

    def __call__(self, path: Path, ctx: ExtractionContext) -> ExtractionResult:
        from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

        t0 = time.perf_counter()
        kept = self._kept_file(Path(path), ctx)
        doc = _kept_reading(kept) if kept is not None else None
        if doc is None:
            doc = read_document(Path(path), ctx)
            if kept is not None and doc.einvoice_xml is None and any(p.source == TokenSource.OCR for p in doc.pages):
                try:
                    write_atomically(kept, json.dumps(document_to_json(doc), separators=(",", ":")).encode())
                except OSError as exc:  # read again next time
                    log.warning("reading of %s not kept: %s", path, exc)
        else:
            doc = dataclasses.replace(doc, path=str(path))
        if self.tokens_dir is not None:
            from idp_app.services.documents import save_pages

            try:
                save_pages(self.tokens_dir, doc)  # the window shows the very words the fields were read from
            except OSError as exc:  # the window reads the file again instead, not pages kept from an earlier read
                log.warning("pages of %s not kept for the window: %s", path, exc)
                with contextlib.suppress(OSError):
                    (self.tokens_dir / f"{doc.sha256}.json").unlink(missing_ok=True)
        result = self.extract_document(doc, ctx, Path(path))
        result.timing_ms["total"] = (time.perf_counter() - t0) * 1000
        return result

    def _kept_file(self, path: Path, ctx: ExtractionContext) -> Path | None:
        """Where the reading of ``path`` with the reading settings of ``ctx`` is kept (by content hash)."""
        if self.read_dir is None:
            return None
        settings = f"{ctx.ocr_dpi}|{ctx.ocr_languages}|{ctx.use_einvoice}|{ctx.max_image_pixels}"
        try:
            sha = sha256_of(path)
        except OSError:
            return None  # the reader says what is wrong with the file
        return self.read_dir / f"{sha}-{hashlib.sha256(settings.encode()).hexdigest()[:8]}.json"

    def extract_document(self, doc: Document, ctx: ExtractionContext, path: Path | None = None) -> ExtractionResult:
        from extractors.pipeline import extract_document, load_model

        model, memory, messages = learned_state(self.models_dir, self.chain)
        if ctx.model_path is not None:
            model, messages = with_memory_weight(load_model(ctx.model_path)), ()
        sources: list[CandidateSource] | None = None
        if self.use_memory and memory.entries:
            sources = [*DEFAULT_SOURCES, MemorySource(memory)]
        result = extract_document(doc, ctx, model=model, sources=sources)
        if ctx.use_einvoice and path is not None:
            from extractors.fields.einvoice_fields import merge_einvoice

            result = merge_einvoice(path, doc, result)
        if messages:
            result = dataclasses.replace(result, warnings=(*result.warnings, *messages))
        return result


def _kept_reading(file: Path) -> Document | None:
    """The document kept as read in ``file``; None where there is none, or it was read by other readers."""
    try:
        return document_from_json(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def refresh(ws: Any) -> None:
    """Bring this desk's copies up to date with the database: the model in use (and the files it falls back to)
    and the vendor memory, as other desks sharing the database may have changed them; and keep in the database
    this desk's model files it lacks."""
    try:
        registry = Registry(ws.db, ws.config)
        registry.share_files()
        registry.write_pointer()
        sync(ws)
    except Exception as exc:  # the registry is unreadable: extraction goes on with what this desk has
        log.warning("model registry not readable, using this desk's model files: %s", exc)


READ_AGAIN_AT_MOST = 50
"""Documents waiting for review that one approval has read again at most: the first in queue order."""
FIRST_AT_MOST = 3
"""Documents read again at most before the clerk's next document opens (see :func:`read_again_in_layout`)."""
LOOKED_AT_MOST = 500
"""Documents waiting for review whose layout is compared with the approved document's, first in queue order."""


@dataclass(frozen=True, slots=True)
class ReadAgain:
    """A document waiting for review, read again after an approval taught vendor memory its layout."""

    doc_id: int
    outcome: str
    """``needs_review`` or ``auto_approved`` (its new routing); ``unchanged`` (memory changed nothing it read);
    ``taken`` (a person took it up meanwhile: left as it was); ``already`` (read again meanwhile by another desk
    or run); ``failed`` (reading or storing it failed: left as it was)."""


def _last_seq(s: Any, to: str, ids: Sequence[int]) -> dict[int, int]:
    """Document id -> the audit sequence number of its last transition ``to`` that status. The audit log's order is
    the order things happened in, on every desk, whatever their clocks say."""
    rows = s.execute(
        select(AuditEntry.document_id, func.max(AuditEntry.seq))
        .where(
            AuditEntry.action == "transition",
            AuditEntry.document_id.in_(list(ids)),
            AuditEntry.payload.like(f'%"to":"{to}"%'),
        )
        .group_by(AuditEntry.document_id)
    )
    return {int(d): int(seq) for d, seq in rows}


def waiting_in_layout(ws: Any, doc_id: int) -> list[tuple[int, str, str, Any]]:
    """The documents waiting for review that vendor memory now matches to the layout approved document ``doc_id``
    taught it, first in queue order: (id, sha256, suffix, extracted_at). Only documents whose reading started
    before that approval and that no person has touched since (unclaimed, never decided nor reopened, no value
    corrected or confirmed, type not set by a person), whose read pages this desk keeps (nothing is read to find
    them); the :data:`LOOKED_AT_MOST` first in queue order are looked at. None where the approval taught nothing
    new: a layout memory knew already, with no value corrected."""
    extract = ws.ingest.extract
    if not isinstance(extract, LearnedExtract) or not extract.use_memory:
        return []
    with ws.db.read() as s:
        sha = s.execute(select(Row.sha256).where(Row.id == doc_id)).scalar()
        approved = _last_seq(s, DocumentStatus.APPROVED.value, [doc_id]).get(doc_id)
    if sha is None or approved is None:
        return []
    memory = load_memory(extract.models_dir)
    taught = next((e for e in memory.entries if sha in e.documents), None)
    if taught is None or (taught.documents != [sha] and not _corrected(ws, doc_id)):
        return []  # a layout memory knew, whose values were all read right: the others were read with that already
    untouched = (
        ~exists().where(CorrectionRow.document_id == Row.id),
        ~exists().where(FieldRow.document_id == Row.id, FieldRow.corrected | FieldRow.checked),
        ~exists().where(Reason.document_id == Row.id, Reason.code.in_(KEPT_REASONS)),  # a supervisor reopened it
    )
    stmt = (
        select(Row.id, Row.sha256, Row.suffix, Row.extracted_at)
        .where(
            Row.status == DocumentStatus.NEEDS_REVIEW.value,
            Row.claimed_by.is_(None),
            Row.decided_at.is_(None),
            Row.type_set_by.is_(None),
            Row.doc_type.in_(LEARNED_TYPES),
            Row.id != doc_id,
            *untouched,
        )
        .order_by(Row.priority, Row.min_confidence, Row.created_at, Row.id)
        .limit(LOOKED_AT_MOST)
    )
    with ws.db.read() as s:
        rows = [tuple(r) for r in s.execute(stmt)]
        started = _last_seq(s, DocumentStatus.EXTRACTING.value, [r[0] for r in rows])
    out = []
    for row in rows:
        if started.get(row[0], 0) > approved:
            continue  # read with what the approval taught (or read again since already)
        pages = ws.documents.cached_pages(row[1])
        if pages and memory.match(layout_fingerprint(pages))[0] is taught:
            out.append(row)
            if len(out) >= READ_AGAIN_AT_MOST:
                break
    return out


def _corrected(ws: Any, doc_id: int) -> bool:
    """Whether a person changed a value of the document's header (not only confirmed it)."""
    with ws.db.read() as s:
        return (
            s.execute(
                select(CorrectionRow.id)
                .where(
                    CorrectionRow.document_id == doc_id,
                    CorrectionRow.kind == CorrectionKind.CORRECTION.value,
                    CorrectionRow.line_item_index.is_(None),
                )
                .limit(1)
            ).first()
            is not None
        )


def _read_as(fields: dict[str, Any]) -> dict[str, Any]:
    """What a reading gives, field by field (from a result's JSON): a reading giving the same is no news."""
    return {name: (fv["value"], fv["confidence"], fv["bbox_pt"]) for name, fv in fields.items()}


def read_again_in_layout(
    ws: Any, doc_id: int, *, passed: Collection[int] = (), before_next: bool = False
) -> list[ReadAgain]:
    """Read again, with what approving ``doc_id`` taught vendor memory, the documents of its layout that wait for
    review untouched (see :func:`waiting_in_layout`): they were read before the approval, and the clerk would
    otherwise correct on each what memory now knows. Each is routed afresh: one that now passes every check
    passes straight through, as it would have had it arrived after the approval. A document a person takes up
    meanwhile is left as it is. ``before_next``: only as long as the document the queue gives next is one of them
    (reading one makes it less risky, so another may come first), :data:`FIRST_AT_MOST` at most; ``passed``:
    documents read again already for this approval. Never raises for one document: it is left as it was read."""
    refresh(ws)  # the model in use and the memory as the database has them (another desk may have changed them)
    waiting = {w[0]: w for w in waiting_in_layout(ws, doc_id) if w[0] not in passed}
    out: list[ReadAgain] = []
    if not waiting:
        return out
    extract = ws.ingest.extract.for_run()
    while waiting:
        if before_next:
            head = ws.queue.next_up()
            if head not in waiting or len(out) >= FIRST_AT_MOST:
                break
            other, sha, suffix, extracted_at = waiting.pop(head)
        else:
            other, sha, suffix, extracted_at = waiting.pop(next(iter(waiting)))  # in queue order
        try:
            stored = ws.ingest.stored_result(other)
            # read in this process: the same readers read this file without harm when it was first extracted
            result = extract(ws.ingest.original(sha, suffix), ws.ingest.context)
            if _read_as(result.to_json()["fields"]) == _read_as(stored.get("fields", {})):
                outcome = "unchanged"
            else:
                outcome = ws.ingest.read_again_in_queue(other, result, extracted_at=extracted_at, learned_from=doc_id)
        except Exception as exc:  # left as it was read; the clerk meets it as before
            log.warning("document %s not read again: %s", other, exc)
            outcome = "failed"
        out.append(ReadAgain(other, outcome))
    return out


def said_of(read: list[ReadAgain]) -> str | None:
    """One line on what :func:`read_again_in_layout` did; None where it found no document of the layout."""
    if not read:
        return None
    again = [r for r in read if r.outcome in ("needs_review", "auto_approved")]
    passed = [r for r in again if r.outcome == "auto_approved"]
    words = []
    if again:
        ids = ", ".join(str(r.doc_id) for r in again)
        words.append(f"{_documents(len(again))} of this layout in the queue read again with what it taught ({ids})")
    if passed:
        words.append(f"{len(passed)} of them now passing straight through")
    for outcome, what in (
        ("unchanged", "read again, no value changed"),
        ("taken", "taken up by a person meanwhile, left as read"),
        ("failed", "not read again (see the log), left as read"),
    ):
        n = sum(r.outcome == outcome for r in read)
        if n:
            words.append(f"{_documents(n)} {what}")
    return "; ".join(words)


def _documents(n: int) -> str:
    return f"{n} document" if n == 1 else f"{n} documents"


def install(ws: Any) -> None:
    """Make ``ws`` extract with what it learned, and remember each approved document in the vendor memory."""
    refresh(ws)
    cache = ws.config.cache_dir
    ws.ingest.extract = LearnedExtract(ws.config.models_dir, tokens_dir=cache / "tokens", read_dir=cache / "read")
    ws.ingest.before_extract.append(lambda: refresh(ws))
    ws.review.after_approval.append(lambda doc_id: remember(ws, doc_id))
    ws.review.after_reopen.append(lambda doc_id: forget(ws, doc_id))
