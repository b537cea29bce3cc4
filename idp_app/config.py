"""Where the application keeps its data, and which database it talks to.

Everything is resolved once into a frozen :class:`AppConfig` and passed to the services.
Environment variables override the defaults:

- ``IDP_HOME``: the data directory (default: the platform's user data directory for IDP Desk);
- ``IDP_DATABASE_URL``: a SQLAlchemy URL (default: SQLite ``idp.sqlite3`` in the data directory);
- ``IDP_FILES_DIR``: where original files are kept by content hash (default: ``files/`` in the data directory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from idp_app.errors import ConfigError

APP_NAME = "idp-desk"


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite file, its path quoted: a "?" or "%" in a folder's name is part of the name, not the
    URL's query or an escape."""
    from sqlalchemy.engine import URL

    return URL.create("sqlite", database=str(path)).render_as_string()


@dataclass(frozen=True, slots=True)
class AppConfig:
    home: Path
    database_url: str
    files_dir: Path
    cache_dir: Path
    models_dir: Path
    inbox_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppConfig:
        env = os.environ if env is None else env
        home = Path(env.get("IDP_HOME") or platformdirs.user_data_dir(APP_NAME)).expanduser()
        url = env.get("IDP_DATABASE_URL") or sqlite_url(home / "idp.sqlite3")
        files = Path(env.get("IDP_FILES_DIR") or home / "files").expanduser()
        return cls(
            home=home,
            database_url=url,
            files_dir=files,
            cache_dir=home / "cache",
            models_dir=home / "models",
            inbox_dir=home / "inbox",
        )

    @classmethod
    def for_directory(cls, home: Path, database_url: str | None = None) -> AppConfig:
        """A configuration rooted at ``home`` (tests, demos)."""
        env = {"IDP_HOME": str(home)}
        if database_url:
            env["IDP_DATABASE_URL"] = database_url
        return cls.from_env(env)

    def ensure_dirs(self) -> None:
        """Create the data folders; :class:`ConfigError` names the one that cannot be a folder, and why."""
        for d in (self.home, self.files_dir, self.cache_dir, self.models_dir, self.inbox_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "it is a file" if d.is_file() else (exc.strerror or str(exc)).lower()
                raise ConfigError(
                    f"cannot use {d} as a data folder ({why}): set IDP_HOME (or IDP_FILES_DIR) to a folder"
                ) from None

    def check_database_url(self) -> None:
        """Raise :class:`ConfigError` unless SQLAlchemy can parse the database URL and its driver is installed.

        The URL itself is not repeated: it may hold a password.
        """
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(self.database_url)
            url.get_dialect().import_dbapi()
        except (ArgumentError, ValueError) as exc:
            raise ConfigError(
                f"IDP_DATABASE_URL is not a database URL ({str(exc).splitlines()[0]}): give sqlite:///PATH "
                "or postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"
            ) from None
        except ImportError as exc:
            raise ConfigError(
                f"IDP_DATABASE_URL needs the driver {exc.name or exc}, which is not installed "
                "(PostgreSQL: postgresql+psycopg://...)"
            ) from None
