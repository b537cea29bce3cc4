"""Workflow test set-up: a workspace on SQLite, and on PostgreSQL when IDP_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_extractors import invoice, json_extract, write_doc

from idp_app.config import AppConfig
from idp_app.services import Workspace

PG_URL = os.environ.get("IDP_TEST_DATABASE_URL")
TEST_POLICY = "[rules]\nqa_sample_rate = 0.0\n"


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'idp.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip(
            "PostgreSQL tests need IDP_TEST_DATABASE_URL (e.g. postgresql+psycopg://idp_test:idp_test@127.0.0.1:5432/idp_test)"
        )
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> AppConfig:
    home = tmp_path / "home"
    home.mkdir()
    (home / "routing.toml").write_text(TEST_POLICY, encoding="utf-8")
    return AppConfig.for_directory(home, database_url)


@pytest.fixture
def ws(config: AppConfig) -> Iterator[Workspace]:
    """A workspace with an admin "boss", a clerk "clerk" (and "clerk2") and a supervisor "sup"."""
    w = Workspace.open(config, extract=json_extract, upgrade=True)
    w.users.add("boss", "boss-pw", "admin")
    w.users.add("clerk", "clerk-pw", "clerk", by="boss")
    w.users.add("clerk2", "clerk-pw", "clerk", by="boss")
    w.users.add("sup", "sup-pw", "supervisor", by="boss")
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return tmp_path / "inbox"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite workspace with an admin, a clerk and a supervisor, and two invoices in review, found by IDP_HOME."""
    home = tmp_path / "cli-home"
    monkeypatch.setenv("IDP_HOME", str(home))
    for name in ("IDP_USER", "IDP_DATABASE_URL", "IDP_FILES_DIR"):
        monkeypatch.delenv(name, raising=False)
    inbox = tmp_path / "in"
    write_doc(inbox, "a.json", invoice("A-1", total="129.00"))  # net + tax != total: a rule fails
    write_doc(inbox, "b.json", invoice("B-1"))
    with Workspace.open(AppConfig.from_env(), extract=json_extract) as ws:
        ws.users.add("boss", "boss-pw", "admin")
        ws.users.add("clerk", "clerk-pw", "clerk", by="boss")
        ws.users.add("sup", "sup-pw", "supervisor", by="boss")
        ws.ingest.ingest([inbox], workers=0)
    return home
