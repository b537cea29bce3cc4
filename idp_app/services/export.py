"""Export batches: approved documents written to files an accounting system imports, then marked exported.

A batch is a folder ``<out>/<batch>/`` holding ``invoice.csv``, ``receipt.csv``, ``contract.csv`` and
``line_items.csv`` (format ``csv``), one Factur-X EN 16931 XML per invoice under ``cii/`` (format ``cii``,
or UBL 2.1 under ``ubl/``, format ``ubl``;
checked against the XML Schema and the EN 16931 schematron first) and ``manifest.json`` (who, when, which
documents with their content hashes, what was assumed, what failed and why).

A document goes into the batch only when every requested format that applies to it was written; the others stay
approved, each with its reason, for the next batch. The folder is written as ``.<batch>.partial`` and renamed
once the documents are marked exported in one transaction, so a crash never marks a document exported without
its files: a partial folder whose documents were marked is completed by the next export, one whose documents
were not is removed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout
from sqlalchemy import select

from idp_app.config import AppConfig
from idp_app.db.engine import Database
from idp_app.db.models import AuditEntry, Document, utcnow
from idp_app.domain import DocumentStatus
from idp_app.errors import ChangedMeanwhileError, ConfigError, IllegalTransitionError, InputError, NotFoundError
from idp_app.services import audit
from idp_app.services.documents import DocumentService
from idp_app.services.policy import PolicyStore
from idp_app.services.routing import tolerance_of
from idp_app.services.users import Permission, User, acting_user

if TYPE_CHECKING:
    from idp_app.export.record import ExportRecord

FORMATS = ("csv", "cii", "ubl")


XML_FORMATS = {"cii": "Factur-X", "ubl": "UBL"}
VAT_BREAKDOWN = "vat_breakdown.csv"
VAT_DOC_TYPES = frozenset({"invoice", "receipt"})
"""Document types that carry VAT, whose breakdown by rate ``vat_breakdown.csv`` holds."""
DEFAULT_FORMATS = ("csv", "cii")
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO"})
"""Two-letter territories of the CLDR that are no country (the EU, the eurozone, the UN, outlying Oceania)."""


def _countries() -> frozenset[str]:
    """The ISO 3166 two-letter country codes."""
    from babel import Locale

    codes = {str(code) for code in Locale("en").territories}
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES)


LOCK_SECONDS = 60.0
"""How long an export waits for another one writing to the same folder."""
EXPORTABLE = (DocumentStatus.APPROVED.value, DocumentStatus.AUTO_APPROVED.value)
_BATCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """``[export]`` of the routing policy."""

    directory: Path | None = None
    """Where batches go; None: ``exports/`` in the data directory."""
    buyer_country: str | None = None
    """ISO 3166 code of the company the invoices are addressed to (EN 16931 needs the buyer's country)."""
    formats: tuple[str, ...] = DEFAULT_FORMATS
    csv_bom: bool = False
    """Write the CSV files with a UTF-8 byte-order mark (for a spreadsheet opened by double-click)."""
    rounding_limit: Decimal = Decimal("0.01")
    """The largest gap between net + tax and the printed total written as a rounding amount (EN 16931 BT-114):
    the arithmetic rule's tolerance (``[rules]`` of the routing policy), so that what review approves is exported."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportSettings:
        country = str(data.get("buyer_country") or "").strip().upper() or None
        if country is not None and (not re.fullmatch(r"[A-Z]{2}", country) or country not in _countries()):
            raise ConfigError(f"export settings: buyer_country {country!r} is not a two-letter ISO country code")
        formats = tuple(str(f) for f in data.get("formats", DEFAULT_FORMATS))
        if not formats or any(f not in FORMATS for f in formats):
            raise ConfigError(f"export settings: formats must be some of {', '.join(FORMATS)}")
        directory = str(data.get("directory") or "").strip()
        bom = data.get("csv_bom", False)
        if not isinstance(bom, bool):
            raise ConfigError("export settings: csv_bom must be true or false")
        return cls(Path(directory).expanduser() if directory else None, country, formats, bom)

    @classmethod
    def from_policy(cls, data: Mapping[str, Any]) -> ExportSettings:
        """``[export]`` of the routing policy's tables (its layers merged), with ``[rules]``' tolerance."""
        rules = dict(data.get("rules", {}))
        try:
            limit = tolerance_of(rules.get("tolerance", "0.01"))
        except (ValueError, ArithmeticError):
            raise ConfigError(f"rules: tolerance {rules.get('tolerance')!r} is not an amount of 0 or more") from None
        rounding = min(abs(limit), MAX_ROUNDING)  # a wider tolerance lets review pass more, not the e-invoice
        return dataclasses.replace(cls.from_dict(dict(data.get("export", {}))), rounding_limit=rounding)


MAX_ROUNDING = Decimal("0.99")
"""The most a total may differ from net + tax in an e-invoice, written as its rounding amount (BT-114): a rounding
is less than one unit of the currency, whatever tolerance the arithmetic rule of review is given."""


@dataclass(frozen=True, slots=True)
class ExportProblem:
    document_id: int
    filename: str
    reason: str


@dataclass
class ExportReport:
    """What one export did: the batch folder, the documents in it, and those left approved with their reason."""

    batch: str
    directory: Path | None = None
    exported: list[int] = field(default_factory=list)
    failed: list[ExportProblem] = field(default_factory=list)
    skipped: list[ExportProblem] = field(default_factory=list)
    """Documents no requested format applies to (a receipt when only ``cii`` is asked for)."""
    notes: list[ExportProblem] = field(default_factory=list)
    """What was assumed for an exported document (e.g. the buyer's country)."""
    warnings: list[ExportProblem] = field(default_factory=list)
    """Schematron findings flagged as warnings (the file is valid), kept in the manifest."""
    files: list[str] = field(default_factory=list)
    assumed: dict[str, str] = field(default_factory=dict)
    """What the whole batch assumes, with where it comes from (the buyer's country of the XML)."""
    recovered: list[str] = field(default_factory=list)
    """Batches an interrupted export had left half-renamed and this one completed."""
    in_vat_breakdown: set[int] = field(default_factory=set)
    """The documents with rows in ``vat_breakdown.csv``."""
    replaces: dict[int, dict[str, str]] = field(default_factory=dict)
    """Documents exported before, reopened and corrected since: the batch (and export id) this one replaces."""
    reopened_since: list[int] = field(default_factory=list)
    """Written again: the documents the batch exported that were reopened since, left out of it."""
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    """Documents exported before, reopened and rejected since (a duplicate found in the books): the batch whose
    booking of each the accounting system is to reverse, said once, by the next export."""


def _buyer_country_assumed(settings: ExportSettings) -> str:
    return f"{settings.buyer_country}: export.buyer_country of the routing policy, not read from the invoices"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
"""The process's file mode mask, read once at start (reading it means setting it)."""


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o666 & ~_UMASK)  # as an ordinary file: readable by the accountant's account or a share
    os.replace(tmp, path)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:60] or "invoice"


@dataclass(frozen=True, slots=True)
class PastDocument:
    decision: str
    """What the document was when exported (approved, auto_approved)."""
    failed_rules: tuple[str, ...] | None
    """The rules an override let through, as written then (None: not recorded)."""
    replaces: dict[str, str] | None = None
    """The earlier export of the document this one replaced (it was reopened after it)."""


WITHDRAWN = "export_withdrawn"
"""The audit action that records an export saying a document it does not carry is withdrawn (rejected after an
earlier export)."""

AGAIN = "+again"
"""What the partial folder of a batch being written again is named with, after the batch's name (a batch name
has no "+")."""
RECORDED = (
    "formats",
    "buyer_country",
    "rounding_limit",
    "created_at",
    "left_approved",
    "vat_breakdown",
    "withdrawn",
)
"""What an export records with each document it marks, for the batch to be written again the same."""


@dataclass(slots=True)
class PastExport:
    """One export as the audit log holds it: who, when, what it was written with, and its documents."""

    export_id: str
    actor: str
    at: str
    settings: dict[str, Any]
    documents: dict[int, PastDocument] = field(default_factory=dict)
    reopened: list[int] = field(default_factory=list)
    """Documents it exported that were reopened since: no longer in it when it is written again."""


class ExportService:
    def __init__(self, db: Database, config: AppConfig, documents: DocumentService, policies: PolicyStore) -> None:
        self._db = db
        self._config = config
        self._documents = documents
        self._policies = policies

    def settings(self) -> ExportSettings:
        """``[export]`` of the routing policy in use (defaults, this desk's file, the team's policy)."""
        return ExportSettings.from_policy(self._policies.data())

    def pending(self) -> list[int]:
        """Approved and auto-approved documents not exported yet, oldest first."""
        with self._db.read() as s:
            rows = s.execute(select(Document.id).where(Document.status.in_(EXPORTABLE)).order_by(Document.id))
            return [int(i) for i in rows.scalars()]

    def export(
        self,
        user: User | str,
        *,
        out_dir: Path | None = None,
        formats: Sequence[str] | None = None,
        batch: str | None = None,
        doc_ids: Iterable[int] | None = None,
        again: bool = False,
        export_id: str | None = None,
    ) -> ExportReport:
        """Write a batch of the approved documents (all pending ones, or ``doc_ids``) and mark them exported.

        ``again`` writes the batch ``batch`` once more, from the database, for a batch folder that was lost: the
        documents exported in it (and not exported again since) with the values, formats and settings they were
        exported with, as the audit log recorded them; nothing is marked, and the audit log records who wrote it
        again. ``export_id`` picks one export where two into different folders shared the batch's name."""
        if again and not batch:
            raise InputError("name the batch to write again")
        settings = self.settings()
        asked = tuple(dict.fromkeys(formats or ()))
        formats = asked or tuple(dict.fromkeys(settings.formats))
        if bad := [f for f in formats if f not in FORMATS]:
            raise InputError(f"unknown export format {bad[0]!r}: one of {', '.join(FORMATS)}")
        with self._db.read() as s:
            actor = acting_user(s, user, Permission.EXPORT)
        configured = settings.directory.expanduser() if settings.directory is not None else None
        if configured is not None and not configured.is_absolute():  # as the desk's routing.toml, which names it
            configured = self._config.home / configured
        root = (out_dir or configured or self._config.home / "exports").expanduser()
        named = batch is not None
        batch = utcnow().strftime("%Y%m%d-%H%M%S") if batch is None else batch
        if not _BATCH_NAME.fullmatch(batch):
            raise InputError(
                f"batch name {batch!r}: 1 to 80 characters, ASCII letters, digits, '.', '_' and '-', "
                "starting with a letter or digit"
            )
        if root.exists() and not root.is_dir():
            raise InputError(f"cannot write exports to {root}: it is a file, not a folder")
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(root / ".export.lock"), timeout=LOCK_SECONDS)
            lock.acquire()
        except Timeout:
            raise InputError(f"another export is writing to {root}: try again when it is done") from None
        except OSError as exc:
            raise InputError(f"cannot write exports to {root}: {exc.strerror or exc}") from None
        try:
            if again:
                return self._again_locked(actor, root, batch, asked, settings, export_id)
            return self._export_locked(actor, root, batch, named, formats, settings, doc_ids)
        finally:
            lock.release()

    def _again_locked(
        self,
        actor: User,
        root: Path,
        batch: str,
        asked: tuple[str, ...],
        settings: ExportSettings,
        export_id: str | None,
    ) -> ExportReport:
        from idp_app.export.record import record_from_view

        exports = self._exports_named(batch)
        if not exports:
            raise NotFoundError(f"no batch {batch}: no document was exported in it")
        if export_id is None and len(exports) > 1:
            listed = "; ".join(f"{e.export_id} ({e.at} by {e.actor}, {len(e.documents)} documents)" for e in exports)
            raise InputError(
                f"{len(exports)} exports were named {batch} (into different folders): give --export-id, one of {listed}"
            )
        past = next((e for e in exports if export_id in (None, e.export_id)), None)
        if past is None:
            raise NotFoundError(f"no export {export_id} named {batch}")
        if not past.documents:
            shown = ", ".join(str(d) for d in past.reopened)
            raise InputError(
                f"every document batch {batch} exported was reopened since ({shown}): none is left to write again "
                "as delivered; the exports that took them since say they replace it"
            )
        if (root / batch).exists():
            raise InputError(f"batch {batch} is in {root} already: move it away first, or give --out")
        report = ExportReport(batch)
        if past.settings:  # the batch's own formats and settings, as recorded when it was exported
            formats = tuple(past.settings.get("formats") or settings.formats)
            if asked and set(asked) != set(formats):
                raise InputError(
                    f"batch {batch} was exported as {', '.join(formats)}: it is written again as it was delivered, "
                    "so leave out --format"
                )
            settings = dataclasses.replace(
                settings,
                buyer_country=str(past.settings.get("buyer_country", settings.buyer_country)),
                rounding_limit=Decimal(str(past.settings.get("rounding_limit", settings.rounding_limit))),
            )
        else:
            formats = asked or tuple(settings.formats)
            report.assumed["settings"] = (
                "today's formats, buyer's country and rounding limit: this batch was exported before they were "
                "recorded with it"
            )
        records = []
        for doc_id, entry in sorted(past.documents.items()):
            record = dataclasses.replace(record_from_view(self._documents.get(doc_id)), status=entry.decision)
            if entry.failed_rules is not None:
                record = dataclasses.replace(record, failed_rules=entry.failed_rules)
            if entry.replaces is not None:
                report.replaces[doc_id] = entry.replaces
            records.append(record)
        report.reopened_since = list(past.reopened)
        report.withdrawn = [  # the audit log keeps keys sorted: in the manifest's order again
            {k: w[k] for k in ("id", "file", "batch", "export_id", "reason") if k in w}
            for w in past.settings.get("withdrawn") or []
        ]
        files, chosen = self._write_formats(
            records, formats, settings, report, vat_breakdown=bool(past.settings.get("vat_breakdown"))
        )
        if not chosen:
            return report
        if any("/" in name for name in files) and "settings" not in report.assumed:
            report.assumed["buyer_country"] = _buyer_country_assumed(settings)  # as first written
        partial = root / f".{batch}{AGAIN}.partial"
        shutil.rmtree(partial, ignore_errors=True)  # what an interrupted rewrite left
        try:
            for name, data in files.items():
                _atomic_write(partial / name, data)
            manifest = json.loads(self._manifest(batch, past.export_id, past.actor, formats, chosen, files, report))
            manifest["created_at"] = past.settings.get("created_at") or past.at
            again: dict[str, Any] = {"at": utcnow().isoformat(timespec="seconds"), "by": actor.name}
            if "left_approved" in past.settings:  # the audit log keeps keys sorted: in the manifest's order again
                manifest["left_approved"] = [
                    {k: entry[k] for k in ("id", "file", "reason") if k in entry}
                    for entry in past.settings["left_approved"]
                ]
            else:  # an export recorded before they were: today's would say nothing of that day's
                again["not_recorded"] = ["left_approved", "created_at: when its documents were marked"]
            if past.reopened:
                again["reopened_since"] = [
                    {"id": d, "why": "reopened after this export: left out, its values are not those delivered"}
                    for d in past.reopened
                ]
            manifest["written_again"] = again
            _atomic_write(partial / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            self._publish(partial, root / batch)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise InputError(f"cannot write exports to {root}: {exc.strerror or exc}") from None
        with self._db.write() as s:
            for r in chosen:
                audit.append(s, actor.name, "export_written_again", r.document_id, batch=batch)
        report.directory = root / batch
        report.exported = [r.document_id for r in chosen]
        report.files = [*sorted(files), "manifest.json"]
        return report

    def _exports_named(self, batch: str) -> list[PastExport]:
        """The exports that marked documents under the batch name ``batch``, each with its documents (those whose
        latest export it still is) and what was recorded with them."""
        with self._db.read() as s:
            candidates = s.execute(
                select(AuditEntry.document_id).where(
                    AuditEntry.action == "transition", AuditEntry.payload.contains(batch)
                )
            ).scalars()
            ids = {int(i) for i in candidates if i is not None}
            rows = (
                s.execute(
                    select(AuditEntry.document_id, AuditEntry.payload, AuditEntry.actor, AuditEntry.created_at)
                    .where(AuditEntry.action == "transition", AuditEntry.document_id.in_(ids))
                    .order_by(AuditEntry.id)
                ).all()
                if ids
                else []
            )
        exports: dict[str, PastExport] = {}
        latest: dict[int, str | None] = {}
        for doc_id, payload, actor, at in rows:
            details = json.loads(payload)
            if doc_id is None:
                continue
            if details.get("to") == DocumentStatus.EXPORTED.value:
                if details.get("batch") != batch:
                    latest[doc_id] = None
                    continue
                key = str(details.get("export_id") or f"{at}/{actor}")
                recorded = {k: details[k] for k in RECORDED if k in details}
                if key in exports and "left_approved" in details:
                    exports[key].settings.setdefault("left_approved", details["left_approved"])
                when = at.isoformat(timespec="seconds") if hasattr(at, "isoformat") else str(at)
                past = exports.setdefault(key, PastExport(key, str(actor), when, recorded))
                rules = details.get("failed_rules")
                replaced = details.get("replaces")
                past.documents[doc_id] = PastDocument(
                    str(details.get("from")),
                    tuple(str(r) for r in rules) if isinstance(rules, list) else None,
                    {str(k): str(v) for k, v in replaced.items()} if isinstance(replaced, dict) else None,
                )
                latest[doc_id] = key
            elif details.get("from") == DocumentStatus.EXPORTED.value:
                latest[doc_id] = None
        for past in exports.values():  # a document reopened since (and exported again) is no longer this one's
            past.reopened = sorted(d for d in past.documents if latest.get(d) != past.export_id)
            past.documents = {d: e for d, e in past.documents.items() if latest.get(d) == past.export_id}
        return [p for p in exports.values() if p.documents or p.reopened]

    def _export_locked(
        self,
        actor: User,
        root: Path,
        batch: str,
        named: bool,
        formats: tuple[str, ...],
        settings: ExportSettings,
        doc_ids: Iterable[int] | None,
    ) -> ExportReport:
        recovered = self._finish_interrupted(root)
        if named and batch in recovered:  # the same command again after an interruption: it is complete now
            return ExportReport(batch, directory=root / batch, recovered=recovered)
        if (root / batch).exists() or (root / f".{batch}.partial").exists():
            if named:
                raise InputError(f"batch {batch} exists already in {root}: choose another name")
            batch = next(
                f"{batch}-{k}"
                for k in range(2, 10_000)
                if not (root / f"{batch}-{k}").exists() and not (root / f".{batch}-{k}.partial").exists()
            )
        report = ExportReport(batch, recovered=recovered)
        ids = self.pending() if doc_ids is None else sorted(set(doc_ids))
        self._check_exist(ids)
        stamps = self._documents.last_changes(ids)  # before the values are read: a change after them is caught
        records = self._records(ids, report)
        files, chosen = self._write_formats(records, formats, settings, report)
        if not chosen:
            if doc_ids is None and (withdrawn := self._withdrawn()):
                return self._withdraw_only(actor, root, batch, formats, report, withdrawn)
            return report
        if any("/" in name for name in files):  # e-invoices written
            report.assumed["buyer_country"] = _buyer_country_assumed(settings)
        report.replaces = self._replaced([r.document_id for r in chosen])
        report.withdrawn = self._withdrawn()
        export_id = uuid.uuid4().hex
        partial = root / f".{batch}.partial"
        try:
            for name, data in files.items():
                _atomic_write(partial / name, data)
            manifest = self._manifest(batch, export_id, actor.name, formats, chosen, files, report)
            _atomic_write(partial / "manifest.json", manifest)
            written = json.loads(manifest)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise InputError(f"cannot write exports to {root}: {exc.strerror or exc}") from None
        ids = [r.document_id for r in chosen]
        recorded = {
            "formats": list(formats),
            "buyer_country": settings.buyer_country,
            "rounding_limit": str(settings.rounding_limit),
            "created_at": written["created_at"],  # the manifest's, as a rewrite gives it again
            "vat_breakdown": True,
            "withdrawn": report.withdrawn,
        }
        per_document: dict[int, dict[str, Any]] = {
            r.document_id: {
                "failed_rules": list(r.failed_rules),
                **({"replaces": report.replaces[r.document_id]} if r.document_id in report.replaces else {}),
            }
            for r in chosen
        }
        # what the batch left approved, kept once (with its first document), not with each of them
        per_document[chosen[0].document_id]["left_approved"] = written["left_approved"]
        try:
            self._documents.mark_exported(
                ids,
                actor,
                batch=batch,
                export_id=export_id,
                unchanged_since=stamps,
                recorded=recorded,
                per_document=per_document,
            )
        except ChangedMeanwhileError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise ChangedMeanwhileError(f"{exc}: nothing was marked; run the export again") from None
        except IllegalTransitionError:
            shutil.rmtree(partial, ignore_errors=True)
            raise IllegalTransitionError(
                "another export took some of these documents meanwhile: nothing was marked; run the export again"
            ) from None
        except BaseException:
            if not self._marked(ids, export_id):  # interrupted before the commit: nothing was marked
                shutil.rmtree(partial, ignore_errors=True)
            raise  # after it: the next export completes the folder
        if report.withdrawn:  # said in this batch: the next one does not say it again
            self._said_withdrawn(actor, batch, export_id, report.withdrawn)
        self._publish(partial, root / batch)
        report.directory = root / batch
        report.exported = ids
        report.files = [*sorted(files), "manifest.json"]
        return report

    def _said_withdrawn(self, actor: User, batch: str, export_id: str, withdrawn: list[dict[str, Any]]) -> None:
        with self._db.write() as s:
            for w in withdrawn:
                audit.append(
                    s, actor.name, WITHDRAWN, int(w["id"]), batch=batch, export_id=export_id,
                    from_export=w.get("export_id"),
                )  # fmt: skip

    def _withdraw_only(
        self,
        actor: User,
        root: Path,
        batch: str,
        formats: tuple[str, ...],
        report: ExportReport,
        withdrawn: list[dict[str, Any]],
    ) -> ExportReport:
        """No approved document to export, but documents rejected after an export: a batch of its manifest alone,
        which tells the accounting system which bookings to reverse (waiting for the next invoice would leave a
        duplicate booked)."""
        report.withdrawn = withdrawn
        export_id = uuid.uuid4().hex
        partial = root / f".{batch}.partial"
        try:
            _atomic_write(
                partial / "manifest.json", self._manifest(batch, export_id, actor.name, formats, [], {}, report)
            )
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise InputError(f"cannot write exports to {root}: {exc.strerror or exc}") from None
        try:
            self._said_withdrawn(actor, batch, export_id, withdrawn)
        except BaseException:
            if not self._withdrawal_said(export_id):
                shutil.rmtree(partial, ignore_errors=True)
            raise  # after it: the next export completes the folder
        self._publish(partial, root / batch)
        report.directory = root / batch
        report.files = ["manifest.json"]
        return report

    def _withdrawal_said(self, export_id: str) -> bool:
        """Whether the export ``export_id`` recorded its withdrawals (the audit log says)."""
        with self._db.read() as s:
            payloads = s.execute(select(AuditEntry.payload).where(AuditEntry.action == WITHDRAWN)).scalars()
            return any(json.loads(p).get("export_id") == export_id for p in payloads)

    def _withdrawn(self) -> list[dict[str, Any]]:
        """Documents rejected after their last export that no export has said so of yet: each with the batch
        whose booking is to be reversed and the rejection's reason."""
        from idp_app.services.documents import last_export

        out: list[dict[str, Any]] = []
        with self._db.read() as s:
            rejected = select(Document.id).where(Document.status == DocumentStatus.REJECTED.value)
            once_exported = s.execute(
                select(AuditEntry.document_id)
                .where(
                    AuditEntry.action == "transition",
                    AuditEntry.payload.contains(DocumentStatus.EXPORTED.value),
                    AuditEntry.document_id.in_(rejected),
                )
                .distinct()
            ).scalars()
            for doc_id in sorted(i for i in once_exported if i is not None):
                earlier = last_export(s, doc_id)
                said = s.execute(
                    select(AuditEntry.payload).where(AuditEntry.document_id == doc_id, AuditEntry.action == WITHDRAWN)
                ).scalars()
                if earlier is None or any(json.loads(p).get("from_export") == earlier.get("export_id") for p in said):
                    continue
                doc = s.get(Document, doc_id)
                assert doc is not None
                out.append({"id": doc_id, "file": doc.filename, **earlier, "reason": doc.reject_reason or "rejected"})
        return out

    def _replaced(self, ids: list[int]) -> dict[int, dict[str, str]]:
        """The earlier export of each of ``ids`` exported before (and reopened since)."""
        from idp_app.services.documents import last_export

        with self._db.read() as s:
            found = {doc_id: last_export(s, doc_id) for doc_id in ids}
        return {doc_id: e for doc_id, e in found.items() if e is not None}

    def _check_exist(self, ids: list[int]) -> None:
        with self._db.read() as s:
            known = set(s.execute(select(Document.id).where(Document.id.in_(ids))).scalars())
        if missing := [i for i in ids if i not in known]:
            raise NotFoundError(f"no document {', '.join(str(i) for i in missing)}: nothing was exported")

    @staticmethod
    def _publish(partial: Path, final: Path) -> None:
        """The batch folder appears under its name in one rename, after its documents were marked."""
        os.replace(partial, final)

    def _records(self, ids: list[int], report: ExportReport) -> list[ExportRecord]:
        from idp_app.export.record import record_from_view

        records = []
        for doc_id in ids:
            view = self._documents.get(doc_id)
            if view.status.value == DocumentStatus.EXPORTED.value:
                report.skipped.append(ExportProblem(doc_id, view.filename, "it was exported already"))
            elif view.status.value not in EXPORTABLE:
                state = view.status.value.replace("_", " ")
                why = (
                    f"it {state if state.startswith('needs') else 'is ' + state}: only approved documents are exported"
                )
                report.failed.append(ExportProblem(doc_id, view.filename, why))
            else:
                records.append(record_from_view(view))
        return records

    def _write_formats(
        self,
        records: list[ExportRecord],
        formats: tuple[str, ...],
        settings: ExportSettings,
        report: ExportReport,
        vat_breakdown: bool = True,
    ) -> tuple[dict[str, bytes], list[ExportRecord]]:
        """The batch's files by relative name, and the records that go into it (``vat_breakdown``: with the CSV
        files, ``vat_breakdown.csv``; a batch exported before there was one is written again without)."""
        from idp_app.export import cii, csv_files

        xml_formats = [f for f in formats if f in XML_FORMATS]
        xml: dict[tuple[int, str], bytes] = {}
        chosen: list[ExportRecord] = []
        for r in records:
            if xml_formats and r.doc_type == "invoice":
                written = self._invoice_xml(r, xml_formats, settings, report)
                if written is None:
                    continue
                xml.update({(r.document_id, f): data for f, data in written.items()})
            elif "csv" not in formats:
                why = f"a {r.doc_type} is written to CSV only (ask for the csv format too)"
                report.skipped.append(ExportProblem(r.document_id, r.filename, why))
                continue
            chosen.append(r)
        files: dict[str, bytes] = {}
        if "csv" in formats:
            for doc_type in dict.fromkeys(r.doc_type for r in chosen):
                files[f"{doc_type}.csv"] = csv_files.documents_csv(
                    doc_type, [r for r in chosen if r.doc_type == doc_type], bom=settings.csv_bom
                )
            if any(r.lines for r in chosen):
                files["line_items.csv"] = csv_files.line_items_csv(chosen, bom=settings.csv_bom)
            breakdowns = []
            for r in chosen if vat_breakdown else ():
                if r.doc_type not in VAT_DOC_TYPES:
                    continue
                notes: list[str] = []
                try:
                    breakdowns.append((r, cii.vat_breakdown(r, notes)))
                except cii.NotExportable as exc:
                    notes = [f"no VAT breakdown: {exc}"]
                known = {n.reason for n in report.notes if n.document_id == r.document_id}  # its e-invoice's
                report.notes += [ExportProblem(r.document_id, r.filename, n) for n in notes if n not in known]
            if breakdowns:
                files[VAT_BREAKDOWN] = csv_files.vat_breakdown_csv(breakdowns, bom=settings.csv_bom)
                report.in_vat_breakdown.update(r.document_id for r, _ in breakdowns)
        for fmt in xml_formats:
            for r in chosen:
                if (r.document_id, fmt) in xml:
                    name = f"{fmt}/{r.document_id}-{_safe_name(r.text('invoice_number'))}.xml"
                    files[name] = xml[(r.document_id, fmt)]
        return files, chosen

    @staticmethod
    def _invoice_xml(
        r: ExportRecord, xml_formats: list[str], settings: ExportSettings, report: ExportReport
    ) -> dict[str, bytes] | None:
        """The invoice in each XML format, each checked; None (and the reason in ``report``) if any fails."""
        from idp_app.export import cii, ubl
        from idp_app.export.validate import check

        writers = {"cii": cii.to_xml, "ubl": ubl.to_xml}
        out: dict[str, bytes] = {}
        try:
            inv = cii.prepare(r, settings.buyer_country, settings.rounding_limit)
        except cii.NotExportable as exc:
            report.failed.append(ExportProblem(r.document_id, r.filename, f"e-invoice: {exc}"))
            return None
        for fmt in xml_formats:
            label = XML_FORMATS[fmt]
            try:
                data = writers[fmt](inv)
                verdict = check(data, fmt)
            except Exception as exc:  # one document's odd value must not stop the batch
                reason = f"{label} could not be written: {type(exc).__name__}: {exc}"
                report.failed.append(ExportProblem(r.document_id, r.filename, reason))
                return None
            if not verdict.valid:
                reason = f"{label} fails EN 16931: " + "; ".join(verdict.errors[:3])
                report.failed.append(ExportProblem(r.document_id, r.filename, reason))
                return None
            out[fmt] = data
            report.warnings += [ExportProblem(r.document_id, r.filename, w) for w in verdict.warnings]
        report.notes += [ExportProblem(r.document_id, r.filename, n) for n in inv.notes]
        return out

    @staticmethod
    def _manifest(
        batch: str,
        export_id: str,
        user: str,
        formats: tuple[str, ...],
        chosen: list[ExportRecord],
        files: dict[str, bytes],
        report: ExportReport,
    ) -> bytes:
        from idp_app.export.record import control_totals

        data = {
            "batch": batch,
            "export_id": export_id,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "exported_by": user,
            "formats": list(formats),
            "assumed": report.assumed,
            "control_totals": control_totals(chosen),
            "documents": [
                {
                    "id": r.document_id,
                    "file": r.filename,
                    "sha256": r.sha256,
                    "type": r.doc_type,
                    "decision": r.status,
                    "approved_by": r.approved_by,
                    "override_reason": r.override_reason,
                    "failed_rules": list(r.failed_rules),
                    "model_version": r.model_version,
                    **({"replaces": report.replaces[r.document_id]} if r.document_id in report.replaces else {}),
                    "files": [
                        n
                        for n in files
                        if n in (f"{r.doc_type}.csv", "line_items.csv" if r.lines else "")
                        or (n == VAT_BREAKDOWN and r.document_id in report.in_vat_breakdown)
                        or any(n.startswith(f"{f}/{r.document_id}-") for f in XML_FORMATS)
                    ],
                    "notes": [n.reason for n in report.notes if n.document_id == r.document_id],
                    "warnings": [w.reason for w in report.warnings if w.document_id == r.document_id],
                }
                for r in chosen
            ],
            "left_approved": [
                {"id": p.document_id, "file": p.filename, "reason": p.reason} for p in report.failed + report.skipped
            ],
            "withdrawn": report.withdrawn,
        }
        return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")

    def _marked(self, ids: list[int], export_id: str) -> bool:
        """Whether every one of ``ids`` was marked exported by the export ``export_id`` (the audit log says)."""
        with self._db.read() as s:
            rows = s.execute(
                select(AuditEntry.document_id, AuditEntry.payload).where(
                    AuditEntry.document_id.in_(ids), AuditEntry.action == "transition"
                )
            ).all()
        marked = set()
        for doc_id, payload in rows:
            details = json.loads(payload)
            if details.get("to") == DocumentStatus.EXPORTED.value and details.get("export_id") == export_id:
                marked.add(doc_id)
        return marked == set(ids)

    def _finish_interrupted(self, root: Path) -> list[str]:
        """Complete or remove the partial batch folders an interrupted export left in ``root``."""
        done = []
        for partial in sorted(root.glob(".*.partial")):
            batch = partial.name[1 : -len(".partial")]
            if batch.endswith(AGAIN):  # a lost batch being written again: it is that batch, its documents marked
                batch = batch[: -len(AGAIN)]
            try:
                manifest = json.loads((partial / "manifest.json").read_text(encoding="utf-8"))
                ids = [int(d["id"]) for d in manifest["documents"]]
                export_id = str(manifest["export_id"])
            except (OSError, ValueError, KeyError, TypeError):
                shutil.rmtree(partial, ignore_errors=True)  # interrupted before its manifest: nothing was marked
                continue
            said = (
                self._marked(ids, export_id)
                if ids
                else bool(manifest.get("withdrawn")) and self._withdrawal_said(export_id)
            )  # a batch of withdrawals alone: complete once they were recorded
            if said and not (root / batch).exists():
                self._publish(partial, root / batch)
                done.append(batch)
            else:
                shutil.rmtree(partial, ignore_errors=True)
        return done
