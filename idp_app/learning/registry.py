"""The model registry: every trained model version in the database, the one in use, promotion and rollback.

Model files live under ``AppConfig.models_dir`` and are written by :mod:`extractors.model_file` (format
version, payload checksum, atomic write). The registry also keeps the SHA-256 of each file's bytes; a file that
does not match is refused with :class:`~extractors.errors.ModelFileError` and the previous good model is used,
with a message saying so. ``active_model.json`` in the models directory names the model in use and its
fall-backs for extraction workers, which never open the database.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extractors.errors import ModelFileError
from extractors.fields.scorer import FieldModel
from idp_app.config import AppConfig
from idp_app.db.models import Document, utcnow
from idp_app.domain import DocumentStatus
from idp_app.errors import ConfigError, DuplicateError, IllegalTransitionError, InvalidValueError, NotFoundError
from idp_app.learning import shared
from idp_app.learning.dataset import MODEL_TYPES
from idp_app.learning.models import GoldenDocument, ModelVersion, StoredFile
from idp_app.services import audit
from idp_app.services.users import Permission, User, acting_user

POINTER_FILE = "active_model.json"
TEMPORARY_PREFIXES = (".field-model-", f".{POINTER_FILE}.")
"""Model files being written start so; one a killed process left is removed after :data:`STALE_SECONDS`."""
STALE_SECONDS = 3600
DEFAULT_VERSION = "default"
"""Name of the model shipped with the application, in use while no trained version is promoted."""
SHIPPED_PREFIX = "fields-"
"""How the builds of the shipped model are named (trained versions are ``v0001-…``)."""


def shown_version(version: str | None) -> str:
    """A model version as people are shown it: the model shipped with the application is "default", with its
    build in brackets (what documents it read record), wherever it appears."""
    from extractors.pipeline import load_model

    if not version or version == DEFAULT_VERSION:
        version = load_model(None).version
    return f"{DEFAULT_VERSION} ({version})" if version.startswith(SHIPPED_PREFIX) else version


class Status:
    PROMOTED = "promoted"
    RETIRED = "retired"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True, slots=True)
class ModelVersionView:
    version: str
    path: Path
    sha256: str
    status: str
    active: bool
    metrics: dict[str, Any]
    training_documents: int
    training_pairs: int
    parent_version: str | None
    created_by: str
    created_at: datetime
    promoted_by: str | None
    promoted_at: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class LoadedModel:
    model: FieldModel
    version: str
    messages: tuple[str, ...] = ()
    """What was refused on the way (a corrupted file, a missing one) and what is used instead."""


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _view(row: ModelVersion, models_dir: Path) -> ModelVersionView:
    return ModelVersionView(
        row.version,
        models_dir / row.path,
        row.sha256,
        row.status,
        row.active,
        dict(row.metrics or {}),
        row.training_documents,
        row.training_pairs,
        row.parent_version,
        row.created_by,
        row.created_at,
        row.promoted_by,
        row.promoted_at,
        row.note,
    )


def load_verified(path: Path, sha256: str | None) -> FieldModel:
    """The model in ``path`` if its bytes match ``sha256`` and its payload its own checksum; else ModelFileError."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"model file cannot be read: {exc.strerror or exc}", path=str(path)) from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ModelFileError("model file does not match the checksum in the registry", path=str(path))
    return FieldModel.load(path)


def load_first_good(chain: list[tuple[str, Path, str | None]]) -> LoadedModel:
    """The first model of ``chain`` (version, path, sha256) that loads; the shipped default after all of them."""
    from extractors.pipeline import load_model

    messages: list[str] = []
    for version, path, sha in chain:
        try:
            model = load_verified(path, sha)
        except ModelFileError as exc:
            messages.append(f"model {version} refused ({exc.message}): using the previous good model")
            continue
        model.version = model.version or version
        return LoadedModel(model, version, tuple(messages))
    return LoadedModel(load_model(None), DEFAULT_VERSION, tuple(messages))


class Registry:
    """Model versions over one database and models directory. Changing what is in use needs RETRAIN."""

    def __init__(self, db: Any, config: AppConfig) -> None:
        self._db = db
        self.models_dir = config.models_dir

    # -- reading -------------------------------------------------------------------------------------------

    def list(self) -> builtins.list[ModelVersionView]:
        with self._db.read() as s:
            rows = s.execute(select(ModelVersion).order_by(ModelVersion.id)).scalars()
            return [_view(r, self.models_dir) for r in rows]

    def get(self, version: str) -> ModelVersionView:
        with self._db.read() as s:
            return _view(self._row(s, version), self.models_dir)

    def active(self) -> ModelVersionView | None:
        with self._db.read() as s:
            row = s.execute(select(ModelVersion).where(ModelVersion.active.is_(True))).scalar_one_or_none()
            return _view(row, self.models_dir) if row else None

    def chain(self, s: Session | None = None) -> builtins.list[tuple[str, Path, str | None]]:
        """The model in use, then the versions used before it, newest first: where loading falls back to."""
        if s is None:
            with self._db.read() as session:
                return self.chain(session)
        rows = list(
            s.execute(
                select(ModelVersion)
                .where(ModelVersion.promoted_at.is_not(None), ModelVersion.status != Status.ROLLED_BACK)
                .order_by(ModelVersion.active.desc(), ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
            ).scalars()
        )
        if rows and not rows[0].active:
            return []  # rolled back to the shipped default
        return [(r.version, self.models_dir / r.path, r.sha256) for r in rows]

    def load_active(self) -> LoadedModel:
        """The model in use, verified; a refused file falls back to the previous good version, with a message."""
        return load_first_good(self.chain())

    @staticmethod
    def _row(s: Session, version: str) -> ModelVersion:
        row = s.execute(select(ModelVersion).where(ModelVersion.version == version)).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"no model version {version}")
        return row

    # -- writing -------------------------------------------------------------------------------------------

    def add(
        self,
        model: FieldModel,
        *,
        by: str,
        status: str,
        metrics: dict[str, Any],
        training_documents: int,
        training_pairs: int,
        parent_version: str | None,
        note: str = "",
        numbered: bool = False,
    ) -> ModelVersionView:
        """Record the model and write its file atomically (promoted versions also become the one in use).

        ``numbered``: the version is the model's own (a digest of its payload) after the number it is registered
        as (``v0003-…``), counted while no other retraining registers, so that two never get one number.

        The file is kept in the database too, for the other desks sharing it. It is put in place here only once
        recorded, so that a retraining registering the same version at the same moment overwrites nothing: that
        one is refused (DuplicateError) and records nothing."""
        metrics = {**metrics, "decision": status}  # what the promotion rule decided when it was trained
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.models_dir)
            fd, tmp_name = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIXES[0]}{model.version}.", dir=self.models_dir)
            os.close(fd)
        except OSError as exc:
            raise ConfigError(
                f"cannot write to the models directory {self.models_dir}: {exc.strerror or exc}"
            ) from None
        tmp = Path(tmp_name)
        try:
            try:
                with self._db.write() as s:
                    in_use = self._in_use(s)  # held to the end: no other registration meanwhile
                    if numbered:
                        n = int(s.execute(select(func.count(ModelVersion.id))).scalar_one()) + 1
                        model.version = f"v{n:04d}-{model.version}"
                    if status == Status.PROMOTED and parent_version is not None and in_use != parent_version:
                        # measured against a model no longer in use (another promotion, a rollback meanwhile)
                        status = Status.REJECTED
                        note = (f"{note}; " if note else "") + (
                            f"the model in use changed while it trained ({parent_version} -> {in_use}): not promoted"
                        )
                        # not what it would have decided against the model it was measured with: a retraining
                        # on the same documents is not "nothing new" when that model is back in use
                        metrics = {k: v for k, v in metrics.items() if k != "fingerprint"} | {"decision": status}
                    model.metrics = metrics
                    rel = f"field-model-{model.version}.json"
                    model.save(tmp)
                    data = tmp.read_bytes()
                    sha = hashlib.sha256(data).hexdigest()
                    row = ModelVersion(
                        version=model.version,
                        path=rel,
                        sha256=sha,
                        status=status,
                        active=False,
                        metrics=metrics,
                        training_documents=training_documents,
                        training_pairs=training_pairs,
                        parent_version=parent_version,
                        created_by=by,
                        note=note,
                    )
                    s.add(row)
                    s.flush()
                    shared.store(s, rel, data)
                    audit.append(s, by, "model_trained", None, version=model.version, status=status, sha256=sha)
                    if status == Status.PROMOTED:
                        self._activate(s, row, by)
                        self.write_pointer(s)  # while what is in use cannot change (the file it names is in s)
                    view = _view(row, self.models_dir)
            except IntegrityError:
                raise DuplicateError(
                    f"model version {model.version} was registered by another retraining at the same time: "
                    "nothing was registered; run the retraining again"
                ) from None
            os.replace(tmp, self.models_dir / rel)
        finally:
            tmp.unlink(missing_ok=True)
        return view

    def promote(self, version: str, user: User | str, reason: str | None = None) -> ModelVersionView:
        """Put ``version`` in use (a supervisor's decision, e.g. to bring back an older model). A version that did
        not measure better when it was trained is put in use only with a reason, which the audit log keeps."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            self._lock(s)
            row = self._row(s, version)
            if row.active:
                raise IllegalTransitionError(f"model {version} is in use already: nothing to promote")
            why = (reason or "").strip()
            if (row.metrics or {}).get("decision", row.status) == Status.REJECTED and not why:
                raise InvalidValueError(
                    f"model {version} was not promoted when it was trained ({row.note or 'it did not measure better'})"
                    ": putting it in use needs a reason (--reason)"
                )
            try:
                self._verified(s, row)
            except ModelFileError as exc:
                raise InvalidValueError(f"model {version} cannot be promoted: {exc.message}") from None
            self._activate(s, row, actor.name, why or None)
            view = _view(row, self.models_dir)
            self.write_pointer(s)  # before the commit: a pointer that cannot be written leaves the registry as it was
        return view

    @staticmethod
    def _lock(s: Session) -> None:
        """One change to what is in use at a time, held until the transaction ends. SQLite's write transactions
        are one at a time already; on PostgreSQL, locking the active row is not enough while the shipped default
        is in use (there is no row), so the registry takes its own lock."""
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(7411002)"))

    @classmethod
    def _in_use(cls, s: Session) -> str:
        """The version in use, the shipped default's name if none; what is in use cannot change until the
        transaction ends."""
        cls._lock(s)
        row = s.execute(
            select(ModelVersion).where(ModelVersion.active.is_(True)).with_for_update()
        ).scalar_one_or_none()
        return row.version if row is not None else DEFAULT_VERSION

    def _verified(self, s: Session, row: ModelVersion) -> FieldModel:
        """The version's model from this desk's copy of its file (written from the database where missing)."""
        shared.fetch(s, self.models_dir, row.path, row.sha256)
        return load_verified(self.models_dir / row.path, row.sha256)

    def _activate(self, s: Session, row: ModelVersion, by: str, reason: str | None = None) -> None:
        self._lock(s)
        for other in s.execute(select(ModelVersion).where(ModelVersion.active.is_(True))).scalars():
            if other.id != row.id:
                other.active = False
                other.status = Status.RETIRED
        row.active = True
        row.status = Status.PROMOTED
        row.promoted_by = by
        row.promoted_at = utcnow()
        audit.append(s, by, "model_promoted", None, version=row.version, sha256=row.sha256, reason=reason)

    def rollback(self, user: User | str) -> str:
        """Stop using the current version; the one used before it (or the shipped default) is used again. A
        version whose file is refused is passed over, and the answer says so."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            self._lock(s)
            current = s.execute(select(ModelVersion).where(ModelVersion.active.is_(True))).scalar_one_or_none()
            if current is None:
                raise InvalidValueError("no trained model is in use: nothing to roll back")
            current.active = False
            current.status = Status.ROLLED_BACK
            earlier = s.execute(
                select(ModelVersion)
                .where(ModelVersion.status == Status.RETIRED, ModelVersion.promoted_at.is_not(None))
                .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
            ).scalars()
            restored, passed = DEFAULT_VERSION, []
            for previous in earlier:
                try:
                    self._verified(s, previous)
                except ModelFileError as exc:
                    passed.append(f"{previous.version} passed over: {exc.message}")
                    continue
                previous.active = True
                previous.status = Status.PROMOTED
                restored = previous.version
                break
            audit.append(
                s, actor.name, "model_rolled_back", None, version=current.version, restored=restored, passed=passed
            )
            self.write_pointer(s)
        return restored if not passed else f"{restored} ({'; '.join(passed)})"

    def write_pointer(self, s: Session | None = None) -> Path:
        """Write ``active_model.json``: the model in use and its fall-backs, for extraction workers; the files they
        name that this desk lacks are written from the database first. Within ``s`` (a change to what is in use,
        not committed yet), a failure to write undoes the change."""
        if s is None:
            with self._db.read() as session:
                return self.write_pointer(session)
        chain = self.chain(s)
        try:
            for _version, path, sha in chain:
                shared.fetch(s, self.models_dir, path.name, sha)
            target = self.models_dir / POINTER_FILE
            data = json.dumps({"chain": [{"version": v, "path": p.name, "sha256": h} for v, p, h in chain]}, indent=1)
            shared.write_atomically(target, data.encode())
        except OSError as exc:
            raise ConfigError(
                f"cannot write to the models directory {self.models_dir}: {exc.strerror or exc}"
            ) from None
        return target

    def share_files(self) -> int:
        """Keep in the database the model files of this desk it does not hold yet (those written before the
        database kept them), for the other desks sharing it. Returns how many were stored."""
        with self._db.read() as s:
            held = set(s.execute(select(StoredFile.name)).scalars())
            rows = [(r.path, r.sha256) for r in s.execute(select(ModelVersion)).scalars() if r.path not in held]
        found = []
        for rel, sha in rows:
            try:
                data = (self.models_dir / rel).read_bytes()
            except OSError:
                continue
            if hashlib.sha256(data).hexdigest() == sha:
                found.append((rel, data))
        if found:
            with self._db.write() as s:
                for rel, data in found:
                    shared.store(s, rel, data)
        return len(found)

    # -- golden set ----------------------------------------------------------------------------------------

    def golden_add(self, document_id: int, user: User | str) -> None:
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            doc = s.get(Document, document_id)
            if doc is None:
                raise NotFoundError(f"no document {document_id}")
            approved = (DocumentStatus.APPROVED.value, DocumentStatus.EXPORTED.value)
            if doc.status not in approved or doc.decided_by is None:  # exported straight through: nobody checked
                raise InvalidValueError(
                    f"document {document_id} is not approved ({doc.status.replace('_', ' ')}): only approved "
                    "documents, whose values a person made true, can be in the golden set"
                )
            if (doc.doc_type or "invoice") not in MODEL_TYPES:
                raise InvalidValueError(
                    f"document {document_id} is of type {doc.doc_type}: models are measured on invoices, receipts and "
                    "contracts"
                )
            if s.get(GoldenDocument, document_id) is None:
                s.add(GoldenDocument(document_id=document_id, added_by=actor.name))
                audit.append(s, actor.name, "golden_added", document_id)

    def golden_remove(self, document_id: int, user: User | str) -> None:
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            row = s.get(GoldenDocument, document_id)
            if row is None:
                raise NotFoundError(f"document {document_id} is not in the golden set")
            s.delete(row)
            audit.append(s, actor.name, "golden_removed", document_id)

    def golden(self) -> set[int]:
        with self._db.read() as s:
            return set(s.execute(select(GoldenDocument.document_id)).scalars())


def remove_stale_temporaries(models_dir: Path, now: float | None = None) -> int:
    """Remove the model files a process killed while writing left behind (older than an hour: no model takes
    that long to write). Returns how many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for path in (p for prefix in TEMPORARY_PREFIXES for p in Path(models_dir).glob(f"{prefix}*")):
        try:
            if now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()
                removed += 1
        except OSError:  # removed by another desk meanwhile, or not ours to remove
            continue
    return removed


def read_pointer(models_dir: Path) -> list[tuple[str, Path, str | None]]:
    """The chain ``active_model.json`` names (empty: the shipped default). A damaged file means the default."""
    try:
        data = json.loads((Path(models_dir) / POINTER_FILE).read_text(encoding="utf-8"))
        return [(str(c["version"]), Path(models_dir) / str(c["path"]), c.get("sha256")) for c in data["chain"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
