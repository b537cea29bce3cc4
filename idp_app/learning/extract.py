"""Extraction with what the workspace learned: the promoted model and the vendor memory.

:class:`LearnedExtract` is the extract function ingest runs (in worker processes: it is picklable and reads
only files, never the database). :func:`install` makes a workspace use it and learn each approved document
into the vendor memory right after approval.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.context import ExtractionContext
from extractors.document import Document
from extractors.fields.candidates import DEFAULT_SOURCES, CandidateSource
from extractors.fields.scorer import FieldModel
from extractors.memory import MemorySource, VendorMemory, with_memory_weight
from extractors.results import ExtractionResult
from idp_app.learning.memory_store import forget, load_memory, memory_path, remember, sync
from idp_app.learning.registry import Registry, load_first_good, read_pointer

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

    def for_run(self) -> LearnedExtract:
        """This extraction keeping to the model in use now: a run reads all its documents with the model it
        started with, whatever is promoted or rolled back meanwhile. The vendor memory still grows as it goes."""
        return dataclasses.replace(self, chain=tuple(read_pointer(self.models_dir)))

    def __call__(self, path: Path, ctx: ExtractionContext) -> ExtractionResult:
        from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

        t0 = time.perf_counter()
        doc: Document = read_document(Path(path), ctx)
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


def install(ws: Any) -> None:
    """Make ``ws`` extract with what it learned, and remember each approved document in the vendor memory."""
    refresh(ws)
    ws.ingest.extract = LearnedExtract(ws.config.models_dir, tokens_dir=ws.config.cache_dir / "tokens")
    ws.ingest.before_extract.append(lambda: refresh(ws))
    ws.review.after_approval.append(lambda doc_id: remember(ws, doc_id))
    ws.review.after_reopen.append(lambda doc_id: forget(ws, doc_id))
