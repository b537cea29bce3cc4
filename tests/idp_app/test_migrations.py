"""Migrations: upgrade from empty and from every earlier revision, downgrade, and models that match them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from idp_app.db import migrate
from idp_app.db.engine import make_engine
from idp_app.services import vendors


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


def test_vendor_name_keys_are_computed_again_for_every_script(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0002_model_registry")
        now = datetime.now(UTC)
        with engine.begin() as conn:  # as the ASCII-only key had stored them
            conn.execute(
                text(
                    "INSERT INTO vendors (id, name, name_key, documents_count, created_at, updated_at) VALUES "
                    "(1, 'Αλφα Εμπορική ΑΕ', '', 1, :t, :t), (2, 'Łódź Trading sp', 'odz trading sp', 1, :t, :t)"
                ),
                {"t": now},
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT id, name_key FROM vendors ORDER BY id")).all())
        assert keys == {1: "αλφα εμπορικη αε", 2: "łodz trading sp"}
        assert keys[1] == vendors.name_key("ΑΛΦΑ ΕΜΠΟΡΙΚΉ ΑΕ")
        migrate.downgrade(engine, "0002_model_registry")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name_key FROM vendors WHERE id = 2")).scalar_one() == "odz trading sp"
    finally:
        engine.dispose()
