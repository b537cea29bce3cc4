"""Ingest: import files (de-duplicated by hash), extract them in a process pool, store and route the results.

Each step commits on its own, so the process can be killed at any moment and a rerun finishes the batch with
nothing lost and nothing done twice:

1. the original is copied into the file store, then the document is recorded as ``imported`` (one transaction);
2. pending documents (``imported``, or ``extracting`` by a run that is gone) are marked ``extracting`` by this
   run, with an attempt counted, one at a time as a worker is free to take each: a run killed part way charges
   only the documents then being read (a document that stopped three runs is failed), and another run may take
   the ones this one has not reached;
3. each result is stored together with its routing decision in one transaction (``extracted`` ->
   ``auto_approved`` | ``needs_review``), or the document is marked ``failed`` with the error.

Several runs may share one database (desks of a team on PostgreSQL, or two processes on one machine). A run
holds the documents it extracts by a lease: ``claimed_by`` names the run (``ingest:<host>:<pid>:<id>``) and
``lease_expires_at`` is renewed while it works. Another run takes a document ``extracting`` over only when its
lease has run out or its run's process on this machine has ended (a killed run); a result of a run that lost its
document is not stored.

The extract function is injected (default: ``extractors.pipeline.extract``, imported lazily in the worker),
so tests run a fake extractor that crashes or returns nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import socket
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from extractors.context import ExtractionContext
from extractors.errors import ExtractionError
from extractors.results import ExtractionResult, FieldValue
from idp_app.config import AppConfig
from idp_app.db.engine import Database
from idp_app.db.models import AuditEntry, CorrectionRow, Document, Extraction, FieldRow, Reason
from idp_app.domain import CorrectionKind
from idp_app.domain import DocumentStatus as S
from idp_app.errors import ConfigError, InputError, InvalidValueError, NotFoundError
from idp_app.services import audit, lifecycle
from idp_app.services.documents import load_document
from idp_app.services.evaluate import (
    current_values,
    line_column,
    line_products,
    received_on,
    required_fields,
    summarise,
    text_of,
    vendor_facts,
)
from idp_app.services.faults import pause_point
from idp_app.services.policy import PolicyStore
from idp_app.services.queue import holding
from idp_app.services.routing import KEPT_REASONS, PROBABLY_PRINTED_BELOW, TYPE_SET, RoutingPolicy, route
from idp_app.services.storage import FileStore, sha256_of, stored_suffix
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.values import PARTY_SEPARATOR

ExtractFn = Callable[[Path, ExtractionContext], ExtractionResult]
ProgressFn = Callable[[int, int, str], None]
"""Called after each document: (done, total, file name)."""

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SYSTEM = "system"
EXTRACT_LEASE_SECONDS = 900
"""How long a run holds the documents it extracts without renewing: renewed each minute while the run works, by a
thread of its own."""
RENEW_SECONDS = 60.0
_RUN_PREFIX = "ingest:"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def held_by_another_run(doc: Document, run_id: str, now: datetime) -> bool:
    """Whether ``doc`` is being extracted by another run that is still at work (see the module's docstring)."""
    holder = doc.claimed_by
    if doc.status != S.EXTRACTING.value or not holder or holder == run_id or not holder.startswith(_RUN_PREFIX):
        return False
    if doc.lease_expires_at is None or doc.lease_expires_at <= now:
        return False
    _, host, pid, _ = [*holder.split(":"), "", "", ""][:4]
    killed_here = host == socket.gethostname()[:40] and pid.isdigit() and not _process_alive(int(pid))
    return not killed_here


def die_with_parent() -> None:
    """In a worker process: end when the run that started it ends, however (``kill -9`` included), rather than wait
    on its pipe for ever with a model in memory (Linux; elsewhere nothing is done)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # another C library: the worker lives on as before
        return
    if os.getppid() == 1:  # the run ended before the line above took effect
        os._exit(1)


PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when its parent ends."""


def default_extract(path: Path, ctx: ExtractionContext) -> ExtractionResult:
    from extractors.pipeline import extract  # type: ignore[import-not-found,unused-ignore]

    result: ExtractionResult = extract(path, ctx)
    return result


def _run(extract: ExtractFn, path: Path, ctx: ExtractionContext) -> tuple[str, Any, str, str]:
    """Runs in a worker: never raises, so a bad file cannot break the pool or fail to unpickle."""
    try:
        result = extract(path, ctx)
        if not isinstance(result, ExtractionResult):
            return ("error", None, "internal_error", f"the extractor returned {type(result).__name__}, not a result")
        return ("ok", result, "", "")
    except Exception as exc:  # every failure of one document is that document's error
        kind = str(getattr(exc, "kind", "internal_error"))
        message = str(getattr(exc, "message", "") or exc) or type(exc).__name__
        return ("error", None, kind, message)


@dataclass(slots=True)
class IngestReport:
    imported: int = 0
    duplicates: int = 0
    extracted: int = 0
    auto_approved: int = 0
    needs_review: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    """(document id, file name, error) for each document that failed; id 0 for a file that could not be read
    and so was not imported."""
    unread: list[Path] = field(default_factory=list)
    """Files that could not be read and so were not imported (a hot-folder watch tries them again)."""

    @property
    def per_minute(self) -> float:
        return self.extracted * 60.0 / self.seconds if self.seconds > 0 else 0.0


def display_name(name: str) -> str:
    """A file name as text the database can hold. A name whose bytes are not UTF-8 (a Latin-1 or Windows name from
    a zip or a scanner: "r\\xe9chnung.pdf") reaches Python with surrogates; it is read as Windows-1252 instead."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = os.fsencode(name).decode("cp1252", errors="replace")
    # a control character in a name (a line break, an escape sequence) would forge lines in a report or a terminal
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in name)


NOT_DOCUMENTS = {
    "thumbs.db": "a thumbnail cache Windows keeps in a folder, not a document",
    "desktop.ini": "a folder's settings Windows keeps in it, not a document",
    "truth.jsonl": "the truth of a sample corpus (idp samples), not a document",
}
"""Files below a folder skipped by name (lower case), as hidden files are, with what they are: what a file share
or the sample generator keeps beside the documents (they would each fail as "not a document"). Named one by one,
they are read as any file is."""


def collect(paths: Iterable[Path], passed_over: list[tuple[Path, str]] | None = None) -> list[Path]:
    """The files named, and every file below the folders named (hidden files and :data:`NOT_DOCUMENTS` skipped),
    in a stable order.
    ``passed_over`` receives what below a folder is no file to read, with why: a link to nothing or to itself, a
    link to a folder (not followed: it may lead out of the folder, or round), a pipe or a device, a folder that
    cannot be opened."""
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if not p.is_dir():
            out.append(p)
            continue
        found: list[Path] = []

        def unreadable(exc: OSError, folder: Path = p) -> None:
            if passed_over is not None:
                where = Path(exc.filename) if exc.filename else folder
                passed_over.append((where, f"cannot open the folder: {exc.strerror or exc}"))

        for root, dirs, files in os.walk(p, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for d in dirs:
                if passed_over is not None and (Path(root) / d).is_symlink():
                    passed_over.append((Path(root) / d, "a link to a folder: not followed (ingest the folder itself)"))
            for name in files:
                if name.startswith(".") or name.lower() in NOT_DOCUMENTS:
                    continue
                f = Path(root) / name
                if f.is_file():
                    found.append(f)
                elif passed_over is not None:
                    why = "a link to nothing (or to itself)" if f.is_symlink() and not f.exists() else "not a file"
                    passed_over.append((f, why))
        out.extend(sorted(found))
    return out


def _field_row(fv: FieldValue, row: int) -> FieldRow:
    value = PARTY_SEPARATOR.join(fv.value) if isinstance(fv.value, tuple) else fv.value
    value = value if value not in ("", None) else None
    box = fv.bbox_pt.to_list(3) if fv.bbox_pt else None
    return FieldRow(
        name=fv.name or "",
        row=row,
        value=value,
        page=fv.page,
        bbox_pt=box,
        predicted_value=value,
        predicted_text=fv.text,
        predicted_page=fv.page,
        predicted_bbox_pt=box,
        confidence=fv.confidence,
        corrected=False,
    )


SETTABLE_TYPES = ("invoice", "receipt", "contract")
"""The types a person may give a document (what extraction reads; "other" is the classifier's want of one)."""


DESK_FAULT = "schema_file"
"""The failure that is the desk's, not the document's: a field schema that cannot be used. Such documents are
read again by the first run after the schema is mended."""


def _schemas_usable() -> bool:
    from extractors.errors import SchemaFileError
    from extractors.fields.schema import check_schemas

    try:
        check_schemas()
    except SchemaFileError:
        return False
    return True


def _for_run(extract: ExtractFn) -> ExtractFn:
    """The extraction a run keeps to from its first document to its last: one that can keep to the model in use
    when the run starts (``for_run``) does, whatever is promoted or rolled back meanwhile."""
    pin = getattr(extract, "for_run", None)
    return pin() if callable(pin) else extract


class IngestService:
    def __init__(
        self,
        db: Database,
        config: AppConfig,
        policy: RoutingPolicy | PolicyStore,
        extract: ExtractFn | None = None,
        context: ExtractionContext | None = None,
        start_method: str = "spawn",
    ) -> None:
        self._db = db
        self._store = FileStore(config.files_dir)
        self._policies = PolicyStore.of(policy)
        self.extract = extract or default_extract
        self.context = context or ExtractionContext()
        self._start_method = start_method
        self.run_id = f"{_RUN_PREFIX}{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This service's name as the holder of the documents it extracts."""
        self.before_extract: list[Callable[[], None]] = []
        """Called before documents are extracted (a desk's model files brought up to date with the database)."""
        self._given_types: dict[int, str | None] = {}

    # -- step 1: import --------------------------------------------------------------------------------------

    @property
    def _policy(self) -> RoutingPolicy:
        return self._policies.current

    def import_file(self, path: Path, user: User | str = SYSTEM) -> tuple[int, bool]:
        """Record one file as imported (its own transaction). Returns (document id, newly imported)."""
        sha = sha256_of(path)
        with self._db.read() as s:
            found = s.execute(select(Document.id).where(Document.sha256 == sha)).scalar_one_or_none()
        if found is not None:
            return found, False
        _, stored = self._store.put(path, sha)
        try:
            return self._record_import(path, sha, stored, user)
        except IntegrityError:  # another run recorded the same file between our look and our insert
            with self._db.read() as s:
                found = s.execute(select(Document.id).where(Document.sha256 == sha)).scalar_one_or_none()
            if found is None:
                raise
            return found, False

    def _record_import(self, path: Path, sha: str, stored: Path, user: User | str) -> tuple[int, bool]:
        with self._db.write() as s:
            actor = self._actor(s, user)
            found = s.execute(select(Document.id).where(Document.sha256 == sha)).scalar_one_or_none()
            if found is not None:
                return found, False
            doc = Document(
                sha256=sha,
                filename=display_name(path.name),
                source_path=display_name(str(path.resolve())),
                suffix=stored_suffix(path),
                size_bytes=stored.stat().st_size,
                status=S.IMPORTED.value,
            )
            s.add(doc)
            s.flush()
            audit.append(s, actor, "transition", doc.id, **{"from": None, "to": S.IMPORTED.value}, sha256=sha)
            return doc.id, True

    @staticmethod
    def _actor(s: Any, user: User | str) -> str:
        if user == SYSTEM:
            return SYSTEM
        return acting_user(s, user, Permission.INGEST).name

    # -- step 2 and 3: extract, store, route -----------------------------------------------------------------

    def pending(self) -> list[int]:
        """Documents imported but not yet extracted, including those a killed run left ``extracting`` (not those
        another run is extracting now). Those a killed run was reading come last: a run killed again early (the
        same first documents in flight each time) then charges others, not them, and a document that itself stops
        every run is still found out."""
        waiting: ColumnElement[bool] = Document.status.in_([S.IMPORTED.value, S.EXTRACTING.value])
        if _schemas_usable():  # those failed by a field schema that could not be used, now that it can
            waiting = or_(waiting, (Document.status == S.FAILED.value) & (Document.error_kind == DESK_FAULT))
        with self._db.read() as s:
            now = self._db.now(s)
            docs = s.execute(select(Document).where(waiting).order_by(Document.attempts, Document.id)).scalars()
            return [d.id for d in docs if not held_by_another_run(d, self.run_id, now)]

    def ingest(
        self, paths: Sequence[Path], user: User | str = SYSTEM, *, workers: int = 2, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Import ``paths`` and extract everything pending (this batch and any a killed run left behind)."""
        started = time.perf_counter()
        report = IngestReport()
        with self._db.read() as s:
            if user != SYSTEM:
                acting_user(s, user, Permission.INGEST)
        passed_over: list[tuple[Path, str]] = []
        for path in collect(paths, passed_over):
            try:
                _, new = self.import_file(path, user)
            except OSError as exc:  # unreadable (permissions, vanished): that file only; nothing was recorded
                report.failed += 1
                report.failures.append((0, display_name(path.name), f"cannot read the file: {exc.strerror or exc}"))
                report.unread.append(path)
                continue
            report.imported += new
            report.duplicates += not new
        for path, why in passed_over:  # named, not silently left out
            report.failed += 1
            report.failures.append((0, display_name(str(path)), why))
        self.extract_pending(workers=workers, progress=progress, report=report)
        report.seconds = time.perf_counter() - started
        return report

    def extract_pending(
        self,
        *,
        workers: int = 2,
        progress: ProgressFn | None = None,
        report: IngestReport | None = None,
        ids: Sequence[int] | None = None,
    ) -> IngestReport:
        """Extract the documents ``ids`` (default: every pending one). Each is marked ``extracting`` (an attempt
        counted) only as a worker is about to take it, never more at once than there are workers: a run killed
        part way charges an attempt to the documents then being read, not to the ones it had not reached."""
        report = report or IngestReport()
        started = time.perf_counter()
        queue = list(ids) if ids is not None else self.pending()
        if queue:
            for prepare in self.before_extract:
                prepare()
        extract = _for_run(self.extract)
        done_event = threading.Event()
        renewer = threading.Thread(target=self._keep_renewing, args=(done_event,), daemon=True)
        if queue:
            renewer.start()
        try:
            self._extract(queue, workers, progress, report, extract)
        except (KeyboardInterrupt, SystemExit):  # Ctrl+C: the documents being read are not to blame (an error, which
            # one of them may cause, keeps their attempts; a run killed outright runs nothing: they stay charged)
            self._give_back_unfinished()
            raise
        finally:
            done_event.set()
            if queue:
                renewer.join()
        if report.seconds == 0.0:
            report.seconds = time.perf_counter() - started
        return report

    def _extract(
        self, queue: list[int], workers: int, progress: ProgressFn | None, report: IngestReport, extract: ExtractFn
    ) -> None:
        waiting = list(reversed(queue))  # popped from the end: in the order given
        total = len(queue)
        done = 0

        def take(room: int) -> list[tuple[int, Path]]:
            """Up to ``room`` documents started (marked extracting by this run); those passed over are counted
            off the total."""
            nonlocal total
            out: list[tuple[int, Path]] = []
            while waiting and len(out) < room:
                batch = [waiting.pop() for _ in range(min(room - len(out), len(waiting)))]
                started = self._start(batch, report)
                total -= len(batch) - len(started)
                out.extend(started)
            return out

        def finished(doc_id: int, path: Path, outcome: tuple[str, Any, str, str]) -> None:
            nonlocal done
            self._finish(doc_id, outcome, report)
            done += 1
            if progress:
                progress(done, total, path.name)

        if workers <= 0:
            while started := take(1):
                [(doc_id, path)] = started
                finished(doc_id, path, _run(extract, path, self._context_for(doc_id)))
            return
        ctx = multiprocessing.get_context(self._start_method)
        while waiting:  # a new pool each time a worker died and broke the last one
            retry: list[tuple[int, Path]] = []
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent) as pool:
                in_flight = self._submit(pool, extract, take(workers))
                while in_flight:
                    ready, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    results = []
                    for fut in ready:
                        doc_id, path = in_flight.pop(fut)
                        try:
                            results.append((doc_id, path, fut.result()))
                        except BrokenProcessPool:
                            retry.append((doc_id, path))
                    if not retry:  # a broken pool: what is in flight comes back broken too, the rest waits
                        # the free workers get their next documents before the results are stored
                        in_flight.update(self._submit(pool, extract, take(workers - len(in_flight))))
                    for doc_id, path, outcome in results:
                        finished(doc_id, path, outcome)
            # A worker died (a crash in native code, out of memory): the documents it shared the pool with are
            # read one per fresh process, to find the one that crashes; then the others go on in a new pool.
            for doc_id, path in retry:
                with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=die_with_parent) as single:
                    try:
                        outcome = single.submit(_run, extract, path, self._context_for(doc_id)).result()
                    except BrokenProcessPool:
                        outcome = ("error", None, "extractor_crashed", "the extractor process crashed on this file")
                finished(doc_id, path, outcome)

    def _give_back_unfinished(self) -> None:
        """The documents this run was still reading when Ctrl+C stopped it, given back to the next run without the
        attempt it charged them: an interrupted run ("nothing is lost") must not fail a good file after three."""
        try:
            with self._db.write() as s:
                s.execute(
                    update(Document)
                    .where(Document.claimed_by == self.run_id, Document.status == S.EXTRACTING.value)
                    .values(
                        attempts=func.max(Document.attempts - 1, 0)
                        if self._db.is_sqlite
                        else func.greatest(Document.attempts - 1, 0),
                        claimed_by=None,
                        lease_expires_at=None,
                    )
                    .execution_options(synchronize_session=False)
                )
        except Exception:  # the database away: the attempt stays charged, as for a killed run
            log.warning("could not give back the documents run %s was reading", self.run_id, exc_info=True)

    def _keep_renewing(self, done: threading.Event) -> None:
        """Renew this run's lease on the documents it still extracts every :data:`RENEW_SECONDS`, in a thread of
        its own, so that one long document (a thick scan) does not let the lease run out."""
        while not done.wait(RENEW_SECONDS):
            try:
                with self._db.write() as s:
                    s.execute(
                        update(Document)
                        .where(Document.claimed_by == self.run_id, Document.status == S.EXTRACTING.value)
                        .values(lease_expires_at=self._db.now(s) + timedelta(seconds=EXTRACT_LEASE_SECONDS))
                        .execution_options(synchronize_session=False)
                    )
            except Exception:  # the database away for a moment: the next renewal tries again
                continue

    def _submit(
        self, pool: Executor, extract: ExtractFn, todo: list[tuple[int, Path]]
    ) -> dict[Future[tuple[str, Any, str, str]], tuple[int, Path]]:
        return {pool.submit(_run, extract, path, self._context_for(doc_id)): (doc_id, path) for doc_id, path in todo}

    def _context_for(self, doc_id: int) -> ExtractionContext:
        """The context a document is extracted with: the run's, with the type a person set for it."""
        given = self._given_types.get(doc_id)
        return dataclasses.replace(self.context, doc_type=given) if given else self.context

    def _start(self, ids: list[int], report: IngestReport) -> list[tuple[int, Path]]:
        """Mark documents ``extracting`` by this run (one transaction, rows locked); pass over those another run
        is extracting; give up on those that stopped too often."""
        todo: list[tuple[int, Path]] = []
        with self._db.write() as s:
            now = self._db.now(s)
            for doc_id in ids:
                doc = s.get(Document, doc_id, with_for_update=True)
                desk_fault = doc is not None and doc.status == S.FAILED.value and doc.error_kind == DESK_FAULT
                if doc is None or (doc.status not in (S.IMPORTED.value, S.EXTRACTING.value) and not desk_fault):
                    continue
                if held_by_another_run(doc, self.run_id, now):
                    continue
                if doc.attempts >= MAX_ATTEMPTS:
                    self._fail(s, doc, "interrupted", f"extraction stopped {doc.attempts} times without finishing")
                    report.failed += 1
                    report.failures.append((doc.id, doc.filename, doc.error or ""))
                    continue
                doc.attempts += 1
                lifecycle.transition(s, doc, S.EXTRACTING, SYSTEM, attempt=doc.attempts, run=self.run_id)
                doc.claimed_by = self.run_id
                doc.lease_expires_at = now + timedelta(seconds=EXTRACT_LEASE_SECONDS)
                self._given_types[doc.id] = doc.doc_type if doc.type_set_by else None
                todo.append((doc.id, self._store.path_for(doc.sha256, doc.suffix)))
        return todo

    def _finish(self, doc_id: int, outcome: tuple[str, Any, str, str], report: IngestReport) -> None:
        self._given_types.pop(doc_id, None)
        status, result, kind, message = outcome
        if status == "ok":
            final = self.store_result(doc_id, result)
            if final is None:
                return
            report.extracted += 1
            report.auto_approved += final is S.AUTO_APPROVED
            report.needs_review += final is S.NEEDS_REVIEW
        else:
            with self._db.write() as s:
                doc = s.get(Document, doc_id, with_for_update=True)
                if doc is None or doc.status != S.EXTRACTING.value or doc.claimed_by != self.run_id:
                    return  # another run took it over meanwhile: its outcome counts
                self._fail(s, doc, kind, message)
                if kind == DESK_FAULT:  # not the document's doing: read again once the schema is mended
                    doc.attempts = max(doc.attempts - 1, 0)
                report.failed += 1
                report.failures.append((doc.id, doc.filename, message))

    @staticmethod
    def _fail(s: Any, doc: Document, kind: str, message: str) -> None:
        doc.error_kind = kind[:40]
        doc.error = message
        lifecycle.transition(s, doc, S.FAILED, SYSTEM, error_kind=kind, error=message)

    def store_result(self, doc_id: int, result: ExtractionResult) -> S | None:
        """Store a result and its routing in one transaction. None if the document was no longer extracting by
        this run (another run took it over: its result counts)."""
        with self._db.write() as s:
            held = s.execute(
                select(Document.status, Document.claimed_by).where(Document.id == doc_id).with_for_update()
            ).first()
            if held is None or held[0] != S.EXTRACTING.value or held[1] != self.run_id:
                return None
            return self._save_reading(s, doc_id, result)

    def original(self, sha256: str, suffix: str) -> Path:
        """Where the original of a document is kept."""
        return self._store.path_for(sha256, suffix)

    def stored_result(self, doc_id: int) -> dict[str, Any]:
        """The extraction result stored for a document, as JSON ({} where none is)."""
        with self._db.read() as s:
            result = s.execute(select(Extraction.result).where(Extraction.document_id == doc_id)).scalar()
        return dict(result) if isinstance(result, dict) else {}

    def read_again_in_queue(
        self, doc_id: int, result: ExtractionResult, *, extracted_at: datetime | None, learned_from: int
    ) -> str:
        """Replace the reading of a document waiting for review with ``result`` (the same file read with what
        approving document ``learned_from`` taught vendor memory), routed afresh, in one transaction. Only a
        document no person has touched: still waiting (not claimed), never decided nor reopened, no value corrected
        or confirmed, its type not set by a person, and read last at ``extracted_at``. Gives its new status
        (``needs_review``, ``auto_approved``), or why nothing changed: ``taken`` (a person took it up, or it is no
        longer untouched), ``already`` (read again meanwhile, by another desk or run)."""
        with self._db.write() as s:
            doc = s.get(Document, doc_id, with_for_update=True)
            if doc is None or doc.status != S.NEEDS_REVIEW.value or doc.claimed_by is not None:
                return "taken"
            if doc.extracted_at != extracted_at:
                return "already"
            touched = s.execute(
                select(func.count()).select_from(CorrectionRow).where(CorrectionRow.document_id == doc_id)
            ).scalar_one()
            if (
                touched
                or doc.decided_at is not None
                or doc.type_set_by is not None
                or any(f.corrected or f.checked for f in doc.fields)
                or any(r.code in KEPT_REASONS for r in doc.reasons)  # reopened with a supervisor's reason
            ):
                return "taken"
            lifecycle.transition(s, doc, S.EXTRACTING, SYSTEM, learned_from=learned_from)
            return self._save_reading(s, doc_id, result).value

    def _save_reading(self, s: Any, doc_id: int, result: ExtractionResult) -> S:
        """Store ``result`` as the reading of a document being extracted (its row locked by ``s``), and route it."""
        kept = [
            (r.code, r.message, r.fields, r.risk)
            for r in s.execute(
                select(Reason).where(Reason.document_id == doc_id, Reason.code.in_(KEPT_REASONS))
            ).scalars()
        ]  # a supervisor's request to look again outlives re-extraction
        for table in (FieldRow, Reason, Extraction):
            s.execute(delete(table).where(table.document_id == doc_id))
        s.expire_all()
        doc = load_document(s, doc_id)
        s.add(Extraction(document_id=doc.id, result=result.to_json()))
        for name, fv in result.fields.items():
            header = _field_row(fv, -1)
            header.name = name
            doc.fields.append(header)
        for i, item in enumerate(result.line_items):
            for col, cell in item.cells.items():
                row = _field_row(cell, i)
                row.name = col
                doc.fields.append(row)
        doc.doc_type = str(result.doc_type)
        doc.type_confidence = result.type_confidence
        doc.page_count = result.page_count
        doc.model_version = result.model_version or None
        doc.extracted_at = self._db.now(s)  # the clock corrections are stamped by: the server's, on PostgreSQL
        doc.error = doc.error_kind = None
        s.flush()
        self._set_kept_values(s, doc)
        lifecycle.transition(s, doc, S.EXTRACTED, SYSTEM, fields=len(result.fields), warnings=len(result.warnings))
        final = self._route(s, doc, kept)
        pause_point("ingest.store")
        return final

    def _route(self, s: Any, doc: Document, kept: list[tuple[str, str, list[Any], int]] | None = None) -> S:
        fields, amounts = current_values(doc, self._policy)
        required = required_fields(doc.doc_type)
        n = self._policy.name
        summarise(doc, fields, self._policy)
        from idp_app.services import vendors

        facts = vendor_facts(s, doc, fields, self._policy)
        if facts.known:
            vendor = vendors.match(
                s, doc.vendor_name, text_of(fields, n("vendor_vat_id")), text_of(fields, n("vendor_iban"))
            )
            doc.vendor_id = vendor.id if vendor else None
        rates = line_column(doc, n("line_tax_rate"))
        decision = route(
            fields,
            amounts,
            facts,
            self._policy,
            doc.sha256,
            required,
            doc.doc_type,
            line_rates=rates,
            line_products=line_products(doc, self._policy),
            received=received_on(doc),
        )
        confidences = [fv.confidence for fv in fields.values() if fv.found]
        confidences += [0.0 for name, req in required.items() if req and not (name in fields and fields[name].found)]
        if self._policy.probably_missed and (doc.doc_type or "invoice") == "invoice":
            # a field reported missing though probably printed (a VAT id the reading missed): that answer's
            # confidence is the chance that none is printed, as the routing reason says
            confidences += [
                fv.confidence for fv in fields.values() if not fv.found and fv.confidence < PROBABLY_PRINTED_BELOW
            ]
        doc.min_confidence = round(min(confidences), 4) if confidences else 0.0
        doc.risk = decision.risk + sum(k[3] for k in kept or ())
        doc.priority = -doc.risk
        doc.qa_sample = decision.qa_sample
        for r in decision.reasons:
            doc.reasons.append(Reason(code=r.code, message=r.message, fields=list(r.fields), risk=r.risk))
        for code, message, fields_, risk in kept or ():
            doc.reasons.append(Reason(code=code, message=message, fields=fields_, risk=risk))
        s.flush()
        final = S.NEEDS_REVIEW if decision.needs_review or kept else S.AUTO_APPROVED
        lifecycle.transition(s, doc, final, SYSTEM, reasons=[r.code for r in decision.reasons])
        return final

    # -- on demand -------------------------------------------------------------------------------------------

    def reextract(self, doc_id: int, user: User | str, *, workers: int = 0) -> IngestReport:
        """Extract a document again (e.g. with a new model); its fields and routing are replaced."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REEXTRACT)
            doc = s.get(Document, doc_id, with_for_update=True)  # an export marking it is waited for, then refused
            if doc is None:
                raise NotFoundError(f"no document {doc_id}")
            original = self._store.path_for(doc.sha256, doc.suffix)
            if not original.is_file():  # checked before anything changes: the document stays as it is
                raise ConfigError(
                    f"document {doc_id}'s original is not in {self._store.root} (IDP_FILES_DIR): it was imported "
                    "where another folder of originals is used; every desk sharing a database needs the same one"
                )
            doc.attempts = 0
            lifecycle.transition(s, doc, S.EXTRACTING, actor.name, reextract=True)
            doc.claimed_by = self.run_id  # held by this run at once: a hot-folder watch does not take it meanwhile
            doc.lease_expires_at = self._db.now(s) + timedelta(seconds=EXTRACT_LEASE_SECONDS)
        return self.extract_pending(workers=workers, ids=[doc_id])

    def set_type(self, doc_id: int, doc_type: str, user: User | str, *, workers: int = 0) -> IngestReport:
        """Say what a document in review is (an invoice the classifier took for "other", a receipt taken for an
        invoice) and read it again as that type: its fields are those of the type's schema, routed afresh. Only
        the clerk holding the document's claim may; it goes back to the queue, unclaimed, and to a person. Values
        the clerk set before are set again on the fields the new reading has. The type holds when the document is
        extracted again."""
        if doc_type not in SETTABLE_TYPES:
            raise InvalidValueError(f"a document's type is one of {', '.join(SETTABLE_TYPES)}, not {doc_type!r}")
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.REVIEW)
            doc = holding(s, doc_id, actor.name)
            original = self._store.path_for(doc.sha256, doc.suffix)
            if not original.is_file():
                raise ConfigError(f"document {doc_id}'s original is not in {self._store.root} (IDP_FILES_DIR)")
            before = (doc.doc_type, doc.type_set_by)
            # what the clerk set so far, field by field: set again where the new reading has the field
            # kept in the audit entry, not only here: a run stopped part way (Ctrl+C, a crash) loses none of them
            kept = [[f.name, f.value, f.page, f.bbox_pt] for f in doc.fields if f.row < 0 and f.corrected]
            # and those set before an earlier change of type that this type's fields had no place for (payment
            # terms, read as a receipt and then as an invoice again)
            has = {f.name for f in doc.fields if f.row < 0}
            kept += [k for k in self._kept_at_last_type_set(s, doc_id)[1] if k[0] not in has]
            audit.append(s, actor.name, "type_set", document_id=doc.id, old=doc.doc_type, new=doc_type, kept=kept)
            s.execute(delete(Reason).where(Reason.document_id == doc_id, Reason.code == TYPE_SET))
            doc.reasons.append(
                lifecycle.reason_of_a_person(
                    TYPE_SET, f"{actor.name} set its type to {doc_type}: a person checks the fields read as that"
                )
            )
            doc.doc_type, doc.type_set_by = doc_type, actor.name
            self._restart(s, doc, actor.name)
        report = self.extract_pending(workers=workers, ids=[doc_id])  # the clerk's values set again as it is stored
        if not report.failures:
            return report
        # not readable as that type: the document is read again as it was, and stays in review
        why = report.failures[0][2]
        with self._db.write() as s:
            failed = s.get(Document, doc_id, with_for_update=True)
            if failed is None or failed.status != S.FAILED.value:
                raise ExtractionError(f"document {doc_id} could not be read as {doc_type}: {why}")
            if failed.error_kind == DESK_FAULT:  # the desk's schema, not the document: the clerk's type stands
                raise ExtractionError(
                    f"document {doc_id} could not be read as {doc_type} ({why}): it is read as {doc_type}, with "
                    "the values you set, by the first run after the schema is mended"
                )
            doc = failed
            doc.doc_type, doc.type_set_by = before
            s.execute(delete(Reason).where(Reason.document_id == doc_id, Reason.code == TYPE_SET))
            audit.append(
                s, actor.name, "type_set", document_id=doc.id, old=doc_type, new=before[0], undone=why, kept=kept
            )
            self._restart(s, doc, actor.name)
        self.extract_pending(workers=workers, ids=[doc_id])
        raise ExtractionError(
            f"document {doc_id} could not be read as {doc_type} ({why}): it is read as {before[0]} again"
        )

    def _set_kept_values(self, s: Any, doc: Document) -> None:
        """In the transaction storing the first reading since a clerk set the document's type (by that command's
        own run, or by the next run where it was stopped part way): the values the clerk had set before, set
        again on the fields the new reading has, each as a correction of what it read (kept as a training pair,
        as typed in review), before the document is routed."""
        entry, kept = self._kept_at_last_type_set(s, doc.id)
        if entry is None or not kept:
            return
        later = s.execute(
            select(AuditEntry.payload).where(
                AuditEntry.document_id == doc.id, AuditEntry.action == "transition", AuditEntry.seq > entry.seq
            )
        ).scalars()
        if any(json.loads(p).get("to") == S.EXTRACTED.value for p in later):
            return  # read since: a later reading (a supervisor's re-extraction) is not overridden
        values = {name: (value, page, box) for name, value, page, box in kept}
        now = self._db.now(s)
        for row in doc.fields:
            if row.row >= 0 or row.name not in values or (row.value, row.bbox_pt) == values[row.name][::2]:
                continue
            value, page, box = values[row.name]
            s.add(
                CorrectionRow(
                    document_id=doc.id,
                    field_name=row.name,
                    line_item_index=None,
                    kind=CorrectionKind.CORRECTION.value,
                    old_value=row.value,
                    new_value=value,
                    old_bbox_pt=row.bbox_pt,
                    new_bbox_pt=box,
                    page=page,
                    source_token_ids=[],
                    user=entry.actor,
                    seconds_spent=0.0,
                    created_at=now,
                )
            )
            row.value, row.page, row.bbox_pt = value, page, box
            row.corrected = (row.value, row.bbox_pt) != (row.predicted_value, row.predicted_bbox_pt)
            row.checked = True

    @staticmethod
    def _kept_at_last_type_set(s: Any, doc_id: int) -> tuple[AuditEntry | None, list[list[Any]]]:
        """The last "type_set" entry of the document and the clerk's values it kept ([name, value, page, box])."""
        entry = s.execute(
            select(AuditEntry)
            .where(AuditEntry.document_id == doc_id, AuditEntry.action == "type_set")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        return entry, (json.loads(entry.payload).get("kept") or []) if entry is not None else []

    def _restart(self, s: Any, doc: Document, actor: str) -> None:
        """Put a document held in review (or failed) back to extracting by this run, its attempts counted anew."""
        doc.attempts = 0
        if doc.status == S.IN_REVIEW.value:
            lifecycle.transition(s, doc, S.NEEDS_REVIEW, actor, released=actor)
        lifecycle.transition(s, doc, S.EXTRACTING, actor, reextract=True, doc_type=doc.doc_type)
        doc.claimed_by = self.run_id
        doc.lease_expires_at = self._db.now(s) + timedelta(seconds=EXTRACT_LEASE_SECONDS)

    def watch(
        self,
        folders: Sequence[Path],
        user: User | str = SYSTEM,
        *,
        interval: float = 5.0,
        workers: int = 2,
        progress: ProgressFn | None = None,
        on_batch: Callable[[IngestReport], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Poll hot folders: ingest files that appear (or change), until ``should_stop()``.

        A file is taken once its size and time are those the poll before found, and over a second old: a scanner
        or a copy that pauses while writing (half a PDF, then the rest) is not read half written.
        """
        seen: dict[Path, tuple[float, int]] = {}
        polled: dict[Path, tuple[float, int]] = {}
        while not should_stop():
            fresh = []
            found: dict[Path, tuple[float, int]] = {}
            for path in collect(folders):
                try:
                    st = path.stat()
                except OSError:
                    continue
                sig = found[path] = (st.st_mtime, st.st_size)
                if seen.get(path) != sig and polled.get(path) == sig and time.time() - st.st_mtime > 1.0:
                    fresh.append(path)
                    seen[path] = sig
            polled = found
            fresh = [p for p in fresh if p.is_file()]  # gone since the poll (moved away, say): nothing to import
            if fresh or self.pending():
                try:
                    report: IngestReport | None = self.ingest(fresh, user, workers=workers, progress=progress)
                except InputError:  # a file went in the moment between: the next poll sees the folder as it is
                    report = None
                    for path in fresh:
                        seen.pop(path, None)
                for path in report.unread if report else ():  # not imported: looked at again on the next poll
                    seen.pop(path, None)
                if on_batch and report:
                    on_batch(report)
            if should_stop():
                break
            time.sleep(interval)


def cpu_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2)))
