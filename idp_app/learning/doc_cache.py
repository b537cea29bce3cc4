"""Read documents once: a cache of read documents (tokens, lines, page sizes) as JSON, keyed by file hash.

OCR of a scanned receipt takes seconds; a replay or a retraining reads the same originals many times.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from extractors.context import ExtractionContext
from extractors.document import Block, Document, Line, Page, Token, TokenSource
from extractors.geometry import BBox
from extractors.reader_version import reader_version
from idp_app.services.storage import write_atomically

CACHE_VERSION = 2


def _box(b: BBox) -> list[float]:
    return [b.x0, b.y0, b.x1, b.y1]


def document_to_json(doc: Document) -> dict[str, Any]:
    return {
        "version": CACHE_VERSION,
        "reader": reader_version(),
        "path": doc.path,
        "mime_type": doc.mime_type,
        "sha256": doc.sha256,
        "warnings": list(doc.warnings),
        "pages": [
            {
                "index": p.index,
                "width_pt": p.width_pt,
                "height_pt": p.height_pt,
                "rotation": p.rotation,
                "source": str(p.source),
                "image_dpi": p.image_dpi,
                "skew_deg": p.skew_deg,
                "upright_turn": p.upright_turn,
                "tokens": [
                    [t.text, _box(t.bbox_pt), t.confidence, str(t.source), t.font_size_pt, t.bold, t.index]
                    for t in p.tokens
                ],
                "lines": [[list(ln.token_ids), _box(ln.bbox_pt)] for ln in p.lines],
                "blocks": [[list(b.line_ids), _box(b.bbox_pt), b.kind] for b in p.blocks],
            }
            for p in doc.pages
        ],
    }


def document_from_json(data: dict[str, Any]) -> Document:
    if data.get("version") != CACHE_VERSION or data.get("reader") != reader_version():
        raise ValueError("document cache of another version, or read by other readers")
    pages = []
    for p in data["pages"]:
        tokens = tuple(
            Token(t[0], BBox.from_list(t[1]), p["index"], t[2], TokenSource(t[3]), t[4], t[5], t[6])
            for t in p["tokens"]
        )
        pages.append(
            Page(
                p["index"],
                p["width_pt"],
                p["height_pt"],
                tokens,
                tuple(Line(tuple(ln[0]), BBox.from_list(ln[1])) for ln in p["lines"]),
                tuple(Block(tuple(b[0]), BBox.from_list(b[1]), b[2]) for b in p["blocks"]),
                p["rotation"],
                TokenSource(p["source"]),
                p["image_dpi"],
                p["skew_deg"],
                int(p.get("upright_turn", 0)),
            )
        )
    return Document(data["path"], tuple(pages), data["mime_type"], data["sha256"], None, tuple(data["warnings"]))


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _read_to_json(args: tuple[str, ExtractionContext]) -> tuple[str, dict[str, Any] | str]:
    from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

    path, ctx = args
    try:
        return path, document_to_json(read_document(Path(path), ctx))
    except Exception as exc:  # the file's own error is reported when it is read for real
        return path, f"{type(exc).__name__}: {exc}"


class DocumentCache:
    """Read documents by file hash: in memory, then ``folder`` (if given), then the reader."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._docs: dict[str, Document] = {}

    def _file(self, sha: str) -> Path | None:
        return self.folder / f"{sha}.json" if self.folder is not None else None

    def _store(self, sha: str, data: dict[str, Any]) -> None:
        file = self._file(sha)
        if file is None:
            return
        write_atomically(file, json.dumps(data, separators=(",", ":")).encode("utf-8"))

    def read(self, path: Path, ctx: ExtractionContext) -> Document:
        """The read document of ``path`` (a ``ReadFn``): read once per file content. A document kept from another
        file of the same content is given as of ``path``: a second OCR look at a page reads the file it names, and
        the file first read (a replay's temporary copy) may be gone."""
        sha = _sha(path)
        if sha in self._docs:
            return dataclasses.replace(self._docs[sha], path=str(path))
        file = self._file(sha)
        if file is not None and file.is_file():
            try:
                doc = document_from_json(json.loads(file.read_text(encoding="utf-8")))
                self._docs[sha] = doc
                return dataclasses.replace(doc, path=str(path))
            except (OSError, ValueError, KeyError, TypeError, IndexError):
                pass
        from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

        doc = read_document(Path(path), ctx)
        self._docs[sha] = doc
        self._store(sha, document_to_json(doc))
        return doc

    def prefetch(
        self,
        paths: Sequence[Path],
        ctx: ExtractionContext,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Read the documents not cached yet, in ``workers`` processes."""
        todo = []
        for p in paths:
            file = self._file(_sha(p))
            if file is None or not file.is_file():
                todo.append(str(p))
        if workers <= 1 or len(todo) < 2:
            for i, name in enumerate(todo, start=1):
                with contextlib.suppress(Exception):  # reported again when the replay meets the file
                    self.read(Path(name), ctx)
                if progress:
                    progress(i)
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, (path, data) in enumerate(pool.map(_read_to_json, [(p, ctx) for p in todo]), start=1):
                if isinstance(data, dict):
                    sha = _sha(Path(path))
                    self._docs[sha] = document_from_json(data)
                    self._store(sha, data)
                if progress:
                    progress(i)
