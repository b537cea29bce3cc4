"""The routing policy in use, and the team's changes to it (supervisors), kept in the database.

The policy has three layers, each overriding the one before key by key: ``resources/routing.toml`` (the defaults,
with a comment on every key), the desk's own ``routing.toml`` in its data directory (what a desk sets for itself,
such as where its exports go), and the team's policy, which supervisors change with ``idp threshold`` and ``idp
policy set``. The team's policy is kept in the database as TOML text, with its comments, so that every desk sharing
the database routes by the same thresholds and rules: a desk reads it again when it changed, within
:data:`REFRESH_SECONDS`.
"""

from __future__ import annotations

import difflib
import logging
import math
import time
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from idp_app.db.engine import Database
from idp_app.db.models import utcnow
from idp_app.errors import ConfigError, InvalidValueError, NotFoundError
from idp_app.learning.models import StoredFile
from idp_app.services import audit
from idp_app.services.routing import (
    DEFAULT_POLICY_PATH,
    WHOLE_VALUES,
    RoutingPolicy,
    policy_data,
    read_policy_file,
)
from idp_app.services.users import Permission, User, acting_user
from idp_app.services.values import LINE_ITEM_TYPES, RESOURCES, schema_types

log = logging.getLogger(__name__)

TEAM_POLICY = "policy/routing.toml"
"""The team's policy among the database's stored files."""
REFRESH_SECONDS = 2.0
"""How long a desk routes by the team's policy as it last read it before it looks whether it changed."""
HEADER = "Routing policy of this team: overrides resources/routing.toml and each desk's routing.toml key by key."


class PolicyStore:
    """Holds the current policy; services read ``current`` on every call, so a change applies at once at this desk
    and within :data:`REFRESH_SECONDS` at every other desk sharing the database."""

    def __init__(self, policy: RoutingPolicy, desk_file: Path | None = None, db: Database | None = None) -> None:
        self._policy = policy
        self.desk_file = desk_file
        """The desk's own policy file (read where it is, each time the policy is built)."""
        self._db = db
        self._team_sha: str | None = None
        self._team: dict[str, Any] = {}
        self._checked = -math.inf

    @classmethod
    def of(cls, policy: RoutingPolicy | PolicyStore) -> PolicyStore:
        return policy if isinstance(policy, PolicyStore) else cls(policy)

    @property
    def current(self) -> RoutingPolicy:
        """The policy in use now: the three layers, with the team's as last read."""
        if self._db is not None and time.monotonic() - self._checked >= REFRESH_SECONDS:
            self.refresh()
        return self._policy

    def _desk(self) -> Path | None:
        return self.desk_file if self.desk_file is not None and self.desk_file.is_file() else None

    def refresh(self) -> RoutingPolicy:
        """Read the team's policy again if it changed, and rebuild the policy in use from the layers."""
        if self._db is None:
            return self._policy
        try:
            return self._read_team()
        except SQLAlchemyError as exc:  # the database away for a moment: the policy last read holds meanwhile
            log.warning("team routing policy not read again: %s", exc)
            self._checked = time.monotonic()
            return self._policy

    def _read_team(self) -> RoutingPolicy:
        assert self._db is not None
        with self._db.read() as s:
            sha = s.scalar(select(StoredFile.sha256).where(StoredFile.name == TEAM_POLICY))
            if sha != self._team_sha:
                text = s.scalar(select(StoredFile.content).where(StoredFile.name == TEAM_POLICY))
                team = _parse(text.decode("utf-8")) if text else {}
                self._policy = RoutingPolicy.load(self._desk(), team)
                self._team, self._team_sha = team, sha
        self._checked = time.monotonic()
        return self._policy

    def data(self) -> dict[str, Any]:
        """Every table of the policy in use, layers merged (``[export]`` and ``[learning]`` included)."""
        self.current  # noqa: B018 - reads the team's policy again if it is due
        return policy_data(self._desk(), self._team)

    def explain(self) -> list[tuple[str, str, str]]:
        """Every key of the policy in use as ``(key, value as TOML writes it, the layer it comes from)``."""
        self.current  # noqa: B018 - reads the team's policy again if it is due
        layers = [
            ("default", _defaults()),
            (f"this desk's {self.desk_file}", _read_desk(self._desk())),
            ("the team's policy", self._team),
        ]
        rows = []
        for key, value in _flat(policy_data(self._desk(), self._team)):
            origin = next(name for name, layer in reversed(layers) if _has(layer, key))
            rows.append((key, _toml(value).as_string(), origin))
        return rows

    def team_text(self) -> str:
        """The team's policy as kept in the database, comments included ("" where the team has set nothing)."""
        if self._db is None:
            return ""
        with self._db.read() as s:
            text = s.scalar(select(StoredFile.content).where(StoredFile.name == TEAM_POLICY))
        return text.decode("utf-8") if text else ""

    def set_threshold(self, field: str | None, value: float, user: User | str) -> RoutingPolicy:
        """Set the team's default threshold (``field`` None) or one field's; needs a supervisor. Kept in the
        database for every desk and logged."""
        if not 0.0 <= value <= 1.0:
            raise InvalidValueError(f"a threshold is a confidence between 0 and 1, not {value}")
        if field is not None:
            _check_field(field)
        key = ("thresholds", "default") if field is None else ("thresholds", "fields", field)
        return self._set(key, value, user, "threshold_changed", {"field": field or "default"})

    def set_value(self, key: str, text: str, user: User | str) -> RoutingPolicy:
        """Set one key of the team's policy (``rules.max_total``, ``learning.retrain_after_documents``) to a
        value written as in TOML (``"10000.00"``, ``true``, ``{ EUR = "5000" }``); needs a supervisor. Only keys
        the default policy has (and per-field thresholds) are taken, and the policy they make must hold."""
        path = tuple(part.strip() for part in key.split("."))
        defaults = _defaults()
        _known(path, defaults)
        if path in DESK_ONLY:
            raise InvalidValueError(f"{'.'.join(path)} is each desk's own: {DESK_ONLY[path]}")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            raise InvalidValueError(
                f'{text!r} is not a TOML value: quote text and amounts ("10000.00"), write true or false, 0.9'
            ) from None
        value = _checked(path, value, defaults, text)
        return self._set(path, value, user, "policy_changed", {"key": ".".join(path)})

    def unset_value(self, key: str, user: User | str) -> RoutingPolicy:
        """Take one key out of the team's policy (supervisors): each desk's own file, or the defaults, apply to it
        again. Logged."""
        path = tuple(part.strip() for part in key.split("."))
        return self._set(path, _UNSET, user, "policy_changed", {"key": ".".join(path)})

    def _set(
        self, path: tuple[str, ...], value: Any, user: User | str, action: str, details: dict[str, Any]
    ) -> RoutingPolicy:
        if self._db is None:
            raise ConfigError("this workspace has no database to keep the team's policy in")
        with self._db.write() as s:
            actor = acting_user(s, user, Permission.CHANGE_THRESHOLDS)
            _ensure_row(s)  # a row to lock: two supervisors setting the first key at once take turns
            row = s.get(StoredFile, TEAM_POLICY, with_for_update=True, populate_existing=True)
            text_before = row.content.decode("utf-8") if row is not None else ""
            document = tomlkit.parse(text_before) if text_before.strip() else _new_document()
            before = policy_data(self._desk(), _parse(text_before))
            old = _lookup(before, path)
            if old is None and path[0] == "thresholds":  # a field without its own threshold had the default
                old = RoutingPolicy.from_dict(before).threshold(path[-1])
            if value is _UNSET:
                if not _remove(document, path):
                    raise NotFoundError(f"{'.'.join(path)} is not set in the team's policy (idp policy show --team)")
            else:
                _put(document, path, value)
            text = tomlkit.dumps(document)
            team = _parse(text)
            after = policy_data(self._desk(), team)
            try:
                policy = RoutingPolicy.from_dict(after)
                _check_other_tables(after)
            except ConfigError as exc:
                change = "unset" if value is _UNSET else f"= {value!r}"
                raise InvalidValueError(f"{'.'.join(path)} {change} is refused: {exc}") from None
            from idp_app.learning.shared import store  # here: learning's modules import the services

            store(s, TEAM_POLICY, text.encode("utf-8"))
            new = _lookup(after, path) if value is _UNSET else value
            audit.append(s, actor.name, action, **details, old=_plain(old), new=_plain(new))
        self._policy, self._team, self._checked = policy, team, time.monotonic()
        self._team_sha = None  # read again on the next refresh, by its checksum
        return policy


def _known(path: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    """The default value of the policy key ``path`` (None for a field's own threshold, which has none); raises
    :class:`NotFoundError` for a key the defaults do not have, naming the one meant where it is a slip."""
    if len(path) == 3 and path[:2] == ("thresholds", "fields"):
        _check_field(path[2])
        return None
    known = _lookup(defaults, path)
    key = ".".join(path)
    if known is None:
        near = difflib.get_close_matches(key, [k for k, _ in _flat(defaults)], n=1, cutoff=0.8)
        meant = f" (did you mean {near[0]}?)" if near else ""
        raise NotFoundError(f"no policy key {key!r}{meant}: the keys are {_keys(defaults)}")
    if isinstance(known, dict):
        raise NotFoundError(f"{key} is a table ([{key}]), not a key: the keys are {_keys(defaults)}")
    return known


OFF_WHEN_EMPTY = frozenset(
    {("rules", "date_ahead_days"), ("rules", "date_age_days"), ("learning", "retrain_every_days")}
)
"""Keys of a number that "" switches off, as the defaults' comments say."""


def _checked(path: tuple[str, ...], value: Any, defaults: dict[str, Any], text: str | None = None) -> Any:
    """``value`` for the policy key ``path`` if it is of the kind the defaults give (a threshold as a float);
    raises :class:`InvalidValueError` saying what the key takes. ``text``: the value as the user wrote it."""
    key = ".".join(path)
    known = _known(path, defaults)
    shown = text if text is not None else _toml(value).as_string()
    if known is None or path == ("thresholds", "default"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise InvalidValueError(f"a threshold is a confidence between 0 and 1, not {shown}")
        return float(value)
    if isinstance(known, bool):
        if not isinstance(value, bool):
            raise InvalidValueError(f"{key} is true or false, not {shown}")
    elif value == "" and path in OFF_WHEN_EMPTY:
        return value
    elif not _same_kind(known, value, path[-1] in WHOLE_VALUES):
        example = _toml(known).as_string()
        raise InvalidValueError(f"{key} is {_kind_of(known)}, as the defaults write it ({example}), not {shown}")
    elif path[0] == "fields":  # the field a rule reads: one a schema has, or a line item's column
        if not isinstance(value, str):
            raise InvalidValueError(f'{key} names a field ("total_amount"), not {shown}')
        _check_field(value)
    return value


def check_desk_file(path: Path) -> None:
    """Refuse a desk's policy file as ``idp policy set`` refuses a value: a key the defaults do not have (a slip
    such as ``unknown_vendr``, which would leave the rule as it was), a value of another kind than the defaults'
    (``"false"`` for false), a field no schema has, or settings that do not hold (a share of 1, -10 documents).
    Raises :class:`ConfigError` naming the file and the key."""
    layer = read_policy_file(path)
    defaults = _defaults()
    for key, value in _flat(layer):
        try:
            _checked(tuple(key.split(".")), value, defaults)
        except (NotFoundError, InvalidValueError) as exc:
            raise ConfigError(f"routing policy {path}: {exc}") from None
    merged = policy_data(path)
    try:
        RoutingPolicy.from_dict(merged)
        _check_other_tables(merged)
    except ConfigError as exc:
        raise ConfigError(f"routing policy {path}: {exc}") from None


def _ensure_row(s: Any) -> None:
    """Insert the team policy's row, empty, unless it is there (one statement either way: no race between two
    desks that both found none)."""
    import hashlib

    from sqlalchemy.dialects import postgresql, sqlite

    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"name": TEAM_POLICY, "content": b"", "sha256": hashlib.sha256(b"").hexdigest(), "updated_at": utcnow()}
    s.execute(insert(StoredFile).values(**values).on_conflict_do_nothing(index_elements=["name"]))


DESK_ONLY = {
    ("export", "directory"): "set it in the desk's routing.toml, or give idp export --out",
}
"""Keys that name something on a desk's own machine (a folder): the team's policy does not set them."""


def _same_kind(known: Any, value: Any, table_allowed: bool) -> bool:
    """Whether ``value`` is of the kind the default ``known`` is: text for text (an amount is quoted), a number for
    a number, a list for a list; a limit may also be a table of them by currency."""
    if table_allowed and isinstance(value, dict):
        return all(isinstance(v, str) for v in value.values())
    if isinstance(known, str):
        return isinstance(value, str)
    if isinstance(known, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(known, list):
        return isinstance(value, list)
    return True


def _kind_of(known: Any) -> str:
    if isinstance(known, str):
        return "text (an amount quoted)"
    if isinstance(known, int | float):
        return "a number"
    return "a list" if isinstance(known, list) else type(known).__name__


def _check_other_tables(data: dict[str, Any]) -> None:
    """Refuse a team policy whose export or learning settings do not hold (each raises ConfigError)."""
    from idp_app.learning.retrain import LearningSettings
    from idp_app.services.export import ExportSettings

    ExportSettings.from_policy(data)
    LearningSettings.from_dict(dict(data.get("learning", {})))


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the team's routing policy in the database does not parse: {exc}") from None


def _new_document() -> tomlkit.TOMLDocument:
    document = tomlkit.document()
    document.add(tomlkit.comment(HEADER))
    return document


def _put(document: tomlkit.TOMLDocument, path: tuple[str, ...], value: Any) -> None:
    table: Any = document
    for part in path[:-1]:
        if part not in table:
            table[part] = tomlkit.table()
        table = table[part]
    table[path[-1]] = _toml(value)


_UNSET = object()
"""What ``_set`` is given to take a key out of the team's policy."""


def _remove(document: tomlkit.TOMLDocument, path: tuple[str, ...]) -> bool:
    """Take ``path`` out of the document (and tables it leaves empty); False where it is not there."""
    tables: list[Any] = [document]
    for part in path[:-1]:
        table = tables[-1]
        if part not in table or not hasattr(table[part], "keys"):
            return False
        tables.append(table[part])
    if path[-1] not in tables[-1]:
        return False
    del tables[-1][path[-1]]
    for i in range(len(tables) - 1, 0, -1):
        if not tables[i]:
            del tables[i - 1][path[i - 1]]
    return True


def _toml(value: Any) -> Any:
    """A value as TOML writes it on one line (a table of limits per currency inline)."""
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update({k: _toml(v) for k, v in value.items()})
        return inline
    return tomlkit.item(value)


def _lookup(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _plain(value: Any) -> Any:
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every key that holds a value, dotted; a per-currency limit or a list is one value."""
    rows: list[tuple[str, Any]] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and (not prefix or k == "fields"):
            rows.extend(_flat(v, key + "."))
        else:
            rows.append((key, v))
    return rows


def _has(layer: dict[str, Any], key: str) -> bool:
    value: Any = layer
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def _read_desk(path: Path | None) -> dict[str, Any]:
    return read_policy_file(path) if path is not None and path.is_file() else {}


def _defaults() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def _keys(defaults: dict[str, Any]) -> str:
    keys: list[str] = []
    for table, values in defaults.items():
        if isinstance(values, dict):
            keys.extend(f"{table}.{k}" for k, v in values.items() if not isinstance(v, dict))
    return ", ".join([*keys, "thresholds.fields.FIELD"])


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
