"""The vendor memory of a workspace: learned from approved documents, kept as JSON in the database (for every desk
sharing it) and in each desk's models directory (which extraction workers read).

:func:`remember` adds one approved document (called right after approval, so the very next document of that
vendor and layout profits); :func:`rebuild` learns every approved document again from the database; :func:`sync`
brings a desk's copy up to date with what the other desks learned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extractors.document import Document as ReadDocument
from extractors.document import Page
from extractors.fields.locate import locate_value
from extractors.memory import TEXT_TYPES, ConfirmedField, VendorMemory, candidate_type
from idp_app.db.models import Document
from idp_app.domain import DocumentStatus
from idp_app.learning import shared
from idp_app.learning.dataset import LEARNED_TYPES
from idp_app.learning.models import StoredFile
from idp_app.services.views import PageView

MEMORY_FILE = "vendor_memory.json"
_APPROVED = (DocumentStatus.APPROVED.value, DocumentStatus.EXPORTED.value)


def memory_path(models_dir: Path) -> Path:
    return Path(models_dir) / MEMORY_FILE


def load_memory(models_dir: Path) -> VendorMemory:
    """The stored memory; empty when there is none yet or the file is damaged (it can be rebuilt)."""
    try:
        return VendorMemory.from_json(json.loads(memory_path(models_dir).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return VendorMemory()


def confirmed_fields(view: Any, pages: Sequence[PageView] = ()) -> list[ConfirmedField]:
    """The header fields of a document view that have a value, as memory learns them, with their box. A value
    the clerk typed without a box is looked for on ``pages`` (where it is printed, as a drawn box would say);
    a name or address not found there is kept without a box."""
    out = []
    doc_type = view.doc_type or "invoice"
    printed: ReadDocument | None = None
    for name, fv in view.fields.items():
        ctype = candidate_type(doc_type, name)
        if ctype is None or fv.value is None:
            continue
        page, box = fv.page, fv.bbox_pt
        if (box is None or page is None) and pages:
            printed = printed or ReadDocument(
                "", tuple(Page(p.index, p.width_pt, p.height_pt, p.tokens) for p in pages), ""
            )
            found = locate_value(printed, ctype, str(fv.value))
            page, box = found if found is not None else (None, None)
        if box is None or page is None:
            if ctype in TEXT_TYPES:  # not found printed (OCR garbled it): a name or address is kept by its text
                out.append(ConfirmedField(name, str(fv.value), 0, None, ctype))
            continue
        out.append(ConfirmedField(name, str(fv.value), int(page), box, ctype))
    return out


Learnable = tuple[str, Sequence[PageView], list[ConfirmedField], str | None]


def _learnable(ws: Any, doc_id: int) -> Learnable | None:
    """What memory learns of an approved document: its hash, pages, confirmed fields and vendor; None if nothing."""
    view = ws.documents.get(doc_id)
    if (view.doc_type or "invoice") not in LEARNED_TYPES:
        return None
    pages = ws.documents.pages(doc_id)
    fields = confirmed_fields(view, pages)
    if not fields:
        return None
    vendor = view.fields["vendor_name"].value if "vendor_name" in view.fields else None
    return view.sha256, pages, fields, vendor


def _encode(memory: VendorMemory) -> bytes:
    return json.dumps(memory.to_json(), separators=(",", ":")).encode()


def _store(ws: Any, change: Callable[[VendorMemory], VendorMemory]) -> None:
    """Apply ``change`` to the memory as the database holds it (this desk's file where the database has none yet),
    store the result there and in this desk's file. Desks sharing the database take turns (a row lock). A stored
    memory that cannot be read (damaged, or of another format) is learned again from every approved document
    rather than replaced by what one change adds."""
    models_dir = ws.config.models_dir
    for attempt in range(2):
        try:
            with FileLock(str(memory_path(models_dir)) + ".lock"), ws.db.write() as s:
                row = s.get(StoredFile, MEMORY_FILE, with_for_update=True)
                if row is None:
                    held = load_memory(models_dir)
                else:
                    held = _read_stored(row.content) or _learned_again(ws, _approved_ids(ws))
                memory = change(held)
                data = _encode(memory)
                shared.store(s, MEMORY_FILE, data)
                s.flush()
                shared.write_atomically(memory_path(models_dir), data)
            return
        except IntegrityError:  # another desk stored the first memory at the same moment: learn on top of it
            if attempt:
                raise


def _read_stored(data: bytes) -> VendorMemory | None:
    try:
        return VendorMemory.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError):
        return None


def _approved_ids(ws: Any, shas: Collection[str] | None = None, newest: int | None = None) -> list[int]:
    """Approved (or exported) documents, oldest approval first: all, or those of ``shas`` (the ``newest`` only)."""
    stmt = select(Document.id).where(Document.status.in_(_APPROVED))
    if shas is not None:
        stmt = stmt.where(Document.sha256.in_(list(shas)))
    stmt = stmt.order_by(Document.decided_at.desc(), Document.id.desc())
    if newest is not None:
        stmt = stmt.limit(newest)
    with ws.db.read() as s:
        return list(reversed(list(s.execute(stmt).scalars())))


def _learned_again(ws: Any, ids: Sequence[int], memory: VendorMemory | None = None) -> VendorMemory:
    memory = memory if memory is not None else VendorMemory()
    for doc_id in ids:
        learnable = _learnable(ws, doc_id)
        if learnable is not None:
            memory.learn(*learnable)
    return memory


def remember(ws: Any, doc_id: int) -> bool:
    """Add one approved document to the workspace's memory. False if it has nothing memory can use."""
    learnable = _learnable(ws, doc_id)
    if learnable is None:
        return False

    def learn(memory: VendorMemory) -> VendorMemory:
        memory.learn(*learnable)
        return memory

    _store(ws, learn)
    return True


RELEARN_AT_MOST = 20
"""Documents learned again, newest approval first, when a reopened one is forgotten from their layout."""


def forget(ws: Any, doc_id: int) -> bool:
    """Take a document that is no longer approved (reopened) out of the memory: the layouts it taught are learned
    again from their other approved documents (the newest :data:`RELEARN_AT_MOST`). False if the memory held
    nothing of it."""
    sha = ws.documents.get(doc_id).sha256
    forgotten = False

    def relearn(memory: VendorMemory) -> VendorMemory:
        nonlocal forgotten
        affected = [e for e in memory.entries if sha in e.documents]
        if not affected:
            return memory
        forgotten = True
        others = {d for e in affected for d in e.documents if d != sha}
        memory.entries = [e for e in memory.entries if sha not in e.documents]
        return _learned_again(ws, _approved_ids(ws, others, RELEARN_AT_MOST), memory)

    _store(ws, relearn)
    return forgotten


def rebuild(ws: Any) -> VendorMemory:
    """Learn every approved document again, oldest approval first, and store the result."""
    memory = _learned_again(ws, _approved_ids(ws))
    _store(ws, lambda _: memory)
    return memory


SHARED_MARK = ".vendor_memory_shared"
"""Written once a desk's memory is the database's: a desk that kept its own before (an older version) gives what
only it learned to the team's the first time it starts."""


def sync(ws: Any) -> bool:
    """Bring this desk's copy of the memory up to date with the database's (what other desks learned). The first
    time, what this desk learned on its own (before the database kept the memory) is added to the team's: the
    layouts of its approved documents the database's memory does not hold. True if the desk's copy was written."""
    models_dir = ws.config.models_dir
    path, mark = memory_path(models_dir), Path(models_dir) / SHARED_MARK
    try:
        local = path.read_bytes()
    except OSError:
        local = None
    if not mark.exists():
        own = _read_stored(local) if local is not None else None
        if own is not None and own.entries:
            _store(ws, lambda memory: _with_own(ws, memory, own))
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    with ws.db.read() as s:
        row = s.get(StoredFile, MEMORY_FILE)
        stored = (row.sha256, row.content) if row is not None else None
    if stored is None:
        return False
    try:
        local = path.read_bytes()
    except OSError:
        local = None
    if local is not None and hashlib.sha256(local).hexdigest() == stored[0]:
        return False
    with FileLock(str(path) + ".lock"):
        shared.write_atomically(path, stored[1])
    return True


def _with_own(ws: Any, memory: VendorMemory, own: VendorMemory) -> VendorMemory:
    """``memory`` with the layouts of ``own`` whose documents it does not hold and that are still approved."""
    if memory is own:
        return memory
    held = {d for e in memory.entries for d in e.documents}
    approved = set()
    wanted = {d for e in own.entries for d in e.documents if d not in held}
    if wanted:
        with ws.db.read() as s:
            approved = set(
                s.execute(
                    select(Document.sha256).where(Document.sha256.in_(list(wanted)), Document.status.in_(_APPROVED))
                ).scalars()
            )
    for entry in own.entries:
        if entry.documents and all(d in approved for d in entry.documents):
            memory.entries.append(entry)
    return memory
