"""The routing policy in use, and changing thresholds (supervisors), saved to the user's routing.toml."""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from idp_app.db.engine import Database
from idp_app.errors import ConfigError, InvalidValueError, NotFoundError
from idp_app.services import audit
from idp_app.services.routing import RoutingPolicy
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.values import LINE_ITEM_TYPES, RESOURCES, schema_types


class PolicyStore:
    """Holds the current policy; services read ``current`` on every call, so a change applies at once."""

    def __init__(self, policy: RoutingPolicy, user_file: Path | None = None, db: Database | None = None) -> None:
        self.current = policy
        self.user_file = user_file
        self._db = db

    @classmethod
    def of(cls, policy: RoutingPolicy | PolicyStore) -> PolicyStore:
        return policy if isinstance(policy, PolicyStore) else cls(policy)

    def set_threshold(self, field: str | None, value: float, user: User | str) -> RoutingPolicy:
        """Set the default threshold (``field`` None) or one field's; needs a supervisor. Saved and logged."""
        if not 0.0 <= value <= 1.0:
            raise InvalidValueError(f"a threshold is a confidence between 0 and 1, not {value}")
        if field is not None:
            _check_field(field)
        if self._db is None or self.user_file is None:
            raise ConfigError("this workspace has no policy file to save thresholds to")
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.CHANGE_THRESHOLDS)
            data = _read(self.user_file)  # a file that does not parse is refused before anything changes
            old = self.current.default_threshold if field is None else self.current.threshold(field)
            try:
                document = _with_threshold(_edit(self.user_file), field, value)
            except (tomlkit.exceptions.TOMLKitError, ValueError, TypeError):
                # a layout the edit cannot keep (thresholds written as an inline table): the same keys and values
                # written out plainly, without its comments
                plain = tomlkit.document()
                plain.add(tomlkit.comment(HEADER[2:]))
                plain.update(data)
                document = _with_threshold(plain, field, value)
            _write(self.user_file, document)
            self.current = RoutingPolicy.load(self.user_file)
            audit.append(s, actor.name, "threshold_changed", field=field or "default", old=old, new=value)
        return self.current


def _check_field(name: str) -> None:
    """Refuse a field that no schema has: its threshold would be saved and never used."""
    schemas = sorted((RESOURCES / "schemas").glob("*.toml"))
    if name in LINE_ITEM_TYPES or any(name in schema_types(p.stem) for p in schemas):
        return
    raise NotFoundError(
        f"no field {name!r} in any schema: field names come from resources/schemas/ "
        f"({', '.join(p.name for p in schemas)}), line-item columns are {', '.join(LINE_ITEM_TYPES)}; "
        "`idp show DOC` lists a document's fields"
    )


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read routing policy {path}: {exc}") from None


HEADER = "# Routing policy of this workspace: overrides resources/routing.toml key by key."


def _with_threshold(document: tomlkit.TOMLDocument, field: str | None, value: float) -> tomlkit.TOMLDocument:
    thresholds = document.setdefault("thresholds", tomlkit.table())
    if field is None:
        thresholds["default"] = value
    else:
        thresholds.setdefault("fields", tomlkit.table())[field] = value
    return document


def _edit(path: Path) -> tomlkit.TOMLDocument:
    """The user's policy file as a document that keeps its comments and layout when written back (a new one
    with a header line)."""
    if path.is_file():
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    document = tomlkit.document()
    document.add(tomlkit.comment(HEADER[2:]))
    return document


def _write(path: Path, document: tomlkit.TOMLDocument) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".routing-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(tomlkit.dumps(document))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
