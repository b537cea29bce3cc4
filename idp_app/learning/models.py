"""The learning tables: every trained model version, the golden documents models are judged on, and the files every
desk of a team needs (model files and the vendor memory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp_app.db.models import Base, UTCDateTime, utcnow


class ModelVersion(Base):
    """One trained field model: its file under ``AppConfig.models_dir``, checksum, metrics and who promoted it."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    path: Mapped[str] = mapped_column(Text)
    """The model file, relative to the models directory."""
    sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the file's bytes: a file that changed after registration is refused."""
    status: Mapped[str] = mapped_column(String(20))
    """``promoted`` (in use), ``retired`` (was in use), ``rejected`` (did not measure better), ``candidate``."""
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    training_documents: Mapped[int] = mapped_column(Integer, default=0)
    training_pairs: Mapped[int] = mapped_column(Integer, default=0)
    parent_version: Mapped[str | None] = mapped_column(String(80))
    """The version in use when this one was trained (what it was compared with)."""
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_by: Mapped[str | None] = mapped_column(String(80))
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")


class GoldenDocument(Base):
    """A document a supervisor marked as golden: every candidate model is measured on it before promotion."""

    __tablename__ = "golden_documents"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredFile(Base):
    """A file of the models directory kept in the database, so that every desk sharing it has the same: a trained
    model file (by its name in the registry) or the vendor memory. Each desk writes its own copy from here."""

    __tablename__ = "stored_files"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
