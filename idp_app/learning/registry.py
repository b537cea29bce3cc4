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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors.errors import ModelFileError
from extractors.fields.scorer import FieldModel
from idp_app.config import AppConfig
from idp_app.db.models import Document, utcnow
from idp_app.domain import DocumentStatus
from idp_app.errors import InvalidValueError, NotFoundError
from idp_app.learning.dataset import LEARNED_TYPES
from idp_app.learning.models import GoldenDocument, ModelVersion
from idp_app.services import audit
from idp_app.services.users import Permission, User, acting_user

POINTER_FILE = "active_model.json"
DEFAULT_VERSION = "default"
"""Name of the model shipped with the application, in use while no trained version is promoted."""


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

    def chain(self) -> builtins.list[tuple[str, Path, str | None]]:
        """The model in use, then the versions used before it, newest first: where loading falls back to."""
        with self._db.read() as s:
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
    ) -> ModelVersionView:
        """Write the model file atomically and record it (promoted versions also become the one in use)."""
        rel = f"field-model-{model.version}.json"
        model.metrics = metrics
        model.save(self.models_dir / rel)
        sha = file_sha256(self.models_dir / rel)
        with self._db.write() as s:
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
            audit.append(s, by, "model_trained", None, version=model.version, status=status, sha256=sha)
            if status == Status.PROMOTED:
                self._activate(s, row, by)
            view = _view(row, self.models_dir)
        self.write_pointer()
        return view

    def promote(self, version: str, user: User | str) -> ModelVersionView:
        """Put ``version`` in use (a supervisor's decision, e.g. to bring back an older model)."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            row = self._row(s, version)
            try:
                load_verified(self.models_dir / row.path, row.sha256)
            except ModelFileError as exc:
                raise InvalidValueError(f"model {version} cannot be promoted: {exc.message}") from None
            self._activate(s, row, actor.name)
            view = _view(row, self.models_dir)
        self.write_pointer()
        return view

    def _activate(self, s: Session, row: ModelVersion, by: str) -> None:
        for other in s.execute(select(ModelVersion).where(ModelVersion.active.is_(True))).scalars():
            if other.id != row.id:
                other.active = False
                other.status = Status.RETIRED
        row.active = True
        row.status = Status.PROMOTED
        row.promoted_by = by
        row.promoted_at = utcnow()
        audit.append(s, by, "model_promoted", None, version=row.version, sha256=row.sha256)

    def rollback(self, user: User | str) -> str:
        """Stop using the current version; the one used before it (or the shipped default) is used again."""
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.RETRAIN)
            current = s.execute(select(ModelVersion).where(ModelVersion.active.is_(True))).scalar_one_or_none()
            if current is None:
                raise InvalidValueError("no trained model is in use: nothing to roll back")
            current.active = False
            current.status = Status.ROLLED_BACK
            previous = s.execute(
                select(ModelVersion)
                .where(ModelVersion.status == Status.RETIRED, ModelVersion.promoted_at.is_not(None))
                .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            restored = DEFAULT_VERSION
            if previous is not None:
                previous.active = True
                previous.status = Status.PROMOTED
                restored = previous.version
            audit.append(s, actor.name, "model_rolled_back", None, version=current.version, restored=restored)
        self.write_pointer()
        return restored

    def write_pointer(self) -> Path:
        """Write ``active_model.json``: the model in use and its fall-backs, for extraction workers."""
        chain = [{"version": v, "path": p.name, "sha256": h} for v, p, h in self.chain()]
        target = self.models_dir / POINTER_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"chain": chain}, fh, indent=1)
        os.replace(tmp, target)
        return target

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
            if (doc.doc_type or "invoice") not in LEARNED_TYPES:
                raise InvalidValueError(
                    f"document {document_id} is a {doc.doc_type}: the field model is measured on invoices and receipts"
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


def read_pointer(models_dir: Path) -> list[tuple[str, Path, str | None]]:
    """The chain ``active_model.json`` names (empty: the shipped default). A damaged file means the default."""
    try:
        data = json.loads((Path(models_dir) / POINTER_FILE).read_text(encoding="utf-8"))
        return [(str(c["version"]), Path(models_dir) / str(c["path"]), c.get("sha256")) for c in data["chain"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
