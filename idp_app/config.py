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

APP_NAME = "idp-desk"


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
        url = env.get("IDP_DATABASE_URL") or f"sqlite:///{home / 'idp.sqlite3'}"
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
        for d in (self.home, self.files_dir, self.cache_dir, self.models_dir, self.inbox_dir):
            d.mkdir(parents=True, exist_ok=True)
