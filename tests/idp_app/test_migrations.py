"""Migrations: upgrade from empty and from every earlier revision, downgrade, and models that match them."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from idp_app.db import migrate
from idp_app.db.engine import make_engine


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(migrate.target_metadata().tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("start", revisions())
def test_upgrade_from_each_earlier_revision(database_url: str, start: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, start)
        assert migrate.current_revision(engine) == start
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert not set(migrate.target_metadata().tables) & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_match_the_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, migrate.target_metadata())
        assert diff == [], f"models and migrations differ: add a revision for {diff}"
    finally:
        engine.dispose()
