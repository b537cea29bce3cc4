"""The vendor memory of a workspace: learned from approved documents, kept as JSON in the models directory.

:func:`remember` adds one approved document (called right after approval, so the very next document of that
vendor and layout profits); :func:`rebuild` learns every approved document again from the database.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import select

from extractors.document import Document as ReadDocument
from extractors.document import Page
from extractors.fields.locate import locate_value
from extractors.memory import TEXT_TYPES, ConfirmedField, VendorMemory, candidate_type
from idp_app.db.models import Document
from idp_app.domain import DocumentStatus
from idp_app.learning.dataset import LEARNED_TYPES
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


def save_memory(models_dir: Path, memory: VendorMemory) -> Path:
    target = memory_path(models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(memory.to_json(), fh, separators=(",", ":"))
    os.replace(tmp, target)
    return target


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


def _learn(ws: Any, memory: VendorMemory, doc_id: int) -> bool:
    view = ws.documents.get(doc_id)
    if (view.doc_type or "invoice") not in LEARNED_TYPES:
        return False
    pages = ws.documents.pages(doc_id)
    fields = confirmed_fields(view, pages)
    if not fields:
        return False
    vendor = view.fields["vendor_name"].value if "vendor_name" in view.fields else None
    memory.learn(view.sha256, pages, fields, vendor)
    return True


def remember(ws: Any, doc_id: int) -> bool:
    """Add one approved document to the workspace's memory. False if it has nothing memory can use."""
    models_dir = ws.config.models_dir
    with FileLock(str(memory_path(models_dir)) + ".lock"):
        memory = load_memory(models_dir)
        learned = _learn(ws, memory, doc_id)
        if learned:
            save_memory(models_dir, memory)
        return learned


def rebuild(ws: Any) -> VendorMemory:
    """Learn every approved document again, oldest approval first, and store the result."""
    with ws.db.read() as s:
        ids = list(
            s.execute(
                select(Document.id).where(Document.status.in_(_APPROVED)).order_by(Document.decided_at, Document.id)
            ).scalars()
        )
    memory = VendorMemory()
    for doc_id in ids:
        _learn(ws, memory, doc_id)
    with FileLock(str(memory_path(ws.config.models_dir)) + ".lock"):
        save_memory(ws.config.models_dir, memory)
    return memory
