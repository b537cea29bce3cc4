"""Local users, roles and the permissions the services enforce.

Passwords are hashed with scrypt (``hashlib.scrypt``, random 16-byte salt, n=2**14, r=8, p=1) and stored as
``scrypt$n$r$p$salt_hex$hash_hex``. The same tables serve SQLite and PostgreSQL.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from idp_app.db.engine import Database
from idp_app.db.models import User as UserRow
from idp_app.domain import Role
from idp_app.errors import AuthenticationError, DuplicateError, InvalidValueError, NotFoundError, PermissionDeniedError
from idp_app.services import audit


class Permission(StrEnum):
    REVIEW = "review"
    """Claim, correct, approve and reject documents."""
    INGEST = "ingest"
    REEXTRACT = "reextract"
    OVERRIDE = "override"
    """Approve despite a failed rule, with a reason."""
    CHANGE_THRESHOLDS = "change_the_routing_policy"
    """Set and unset keys of the team's routing policy (thresholds among them)."""
    RETRAIN = "retrain"
    EXPORT = "export"
    READ_REPORTS = "read_reports"
    """Accuracy reports, which show each clerk's work."""
    RELEASE_ANY = "release_any"
    """Release another clerk's claim."""
    MANAGE_USERS = "manage_users"


_CLERK = frozenset({Permission.REVIEW, Permission.INGEST})
_SUPERVISOR = _CLERK | {
    Permission.REEXTRACT,
    Permission.OVERRIDE,
    Permission.CHANGE_THRESHOLDS,
    Permission.RETRAIN,
    Permission.EXPORT,
    Permission.READ_REPORTS,
    Permission.RELEASE_ANY,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: _CLERK,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(Permission),
}

DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("clerk", "clerk", Role.CLERK),
    ("supervisor", "supervisor", Role.SUPERVISOR),
    ("admin", "admin", Role.ADMIN),
)
"""Created only by the demo (:meth:`UserService.ensure_demo_users`), never by a normal first run."""

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True, slots=True)
class User:
    """Who is acting. Services look the role up again in the database; this copy is for display."""

    name: str
    role: Role
    active: bool = True

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def _to_user(row: UserRow) -> User:
    return User(row.name, Role(row.role), row.active)


def acting_user(session: Session, user: User | str, permission: Permission | None = None) -> User:
    """The acting user as the database knows them, checked for ``permission``."""
    name = user if isinstance(user, str) else user.name
    row = session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
    if row is None or not row.active:
        raise AuthenticationError(f"unknown or inactive user {name!r}")
    found = _to_user(row)
    if permission is not None and not found.can(permission):
        raise PermissionDeniedError(f"{found.name} is a {found.role} and may not {permission.value.replace('_', ' ')}")
    return found


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidValueError(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}") from None


class UserService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def count(self) -> int:
        with self._db.read() as s:
            return int(s.execute(select(func.count()).select_from(UserRow)).scalar_one())

    def add(self, name: str, password: str, role: Role | str, by: User | str | None = None) -> User:
        """Add a user. Needs an admin, except for the very first user (who must be an admin)."""
        new_role = _check_role(str(role))
        name = name.strip()
        if not name or len(name) > 80:
            raise InvalidValueError("a user name is 1 to 80 characters")
        if len(password) < 4:
            raise InvalidValueError("a password has at least 4 characters")
        with self._db.write() as s:
            first = s.execute(select(func.count()).select_from(UserRow)).scalar_one() == 0
            if first:
                if new_role is not Role.ADMIN:
                    raise PermissionDeniedError("the first user must be an admin (--role admin)")
                actor = name
            else:
                if by is None:
                    raise PermissionDeniedError("adding a user needs an admin (--user)")
                actor = acting_user(s, by, Permission.MANAGE_USERS).name
            if s.execute(select(UserRow.id).where(UserRow.name == name)).first():
                raise DuplicateError(f"user {name!r} already exists")
            s.add(UserRow(name=name, role=new_role.value, password_hash=hash_password(password)))
            audit.append(s, actor, "user_added", user=name, role=new_role.value)
        return User(name, new_role)

    def set_role(self, name: str, role: Role | str, by: User | str) -> User:
        new_role = _check_role(str(role))
        with self._db.write() as s:
            actor = acting_user(s, by, Permission.MANAGE_USERS)
            row = s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"no user {name!r}")
            old = row.role
            if old == Role.ADMIN.value and new_role is not Role.ADMIN:
                # The admins' rows are locked, not counted: two admins demoted at once by two sessions would each
                # count the other and leave none. A second session waits here and then sees the first's change.
                admins = s.execute(
                    select(UserRow.id)
                    .where(UserRow.role == Role.ADMIN.value, UserRow.active.is_(True))
                    .with_for_update()
                ).all()
                if len(admins) <= 1:
                    raise InvalidValueError(f"{name} is the last admin: make another user admin first")
            row.role = new_role.value
            audit.append(s, actor.name, "role_changed", user=name, old=old, new=new_role.value)
            return _to_user(row)

    def set_password(self, name: str, password: str, by: User | str) -> None:
        with self._db.write() as s:
            actor_name = by if isinstance(by, str) else by.name
            if actor_name != name:
                acting_user(s, by, Permission.MANAGE_USERS)
            row = s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"no user {name!r}")
            row.password_hash = hash_password(password)
            audit.append(s, actor_name, "password_changed", user=name)

    def list(self) -> builtins.list[User]:
        with self._db.read() as s:
            return [_to_user(r) for r in s.execute(select(UserRow).order_by(UserRow.name)).scalars()]

    def get(self, name: str) -> User:
        with self._db.read() as s:
            row = s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"no user {name!r}")
            return _to_user(row)

    def authenticate(self, name: str, password: str) -> User:
        """The user if the password matches; :class:`AuthenticationError` otherwise (same message either way)."""
        with self._db.read() as s:
            row = s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
        if row is None or not row.active or not verify_password(password, row.password_hash):
            raise AuthenticationError("wrong user name or password")
        return _to_user(row)

    def require(self, user: User | str, permission: Permission) -> User:
        """Raise :class:`PermissionDeniedError` unless ``user`` may do ``permission`` (for other services)."""
        with self._db.read() as s:
            return acting_user(s, user, permission)

    def ensure_demo_users(self) -> builtins.list[User]:
        """Create the documented demo users (clerk/clerk, supervisor/supervisor, admin/admin) if missing."""
        made = []
        with self._db.write() as s:
            for name, password, role in DEMO_USERS:
                if s.execute(select(UserRow.id).where(UserRow.name == name)).first():
                    continue
                s.add(UserRow(name=name, role=role.value, password_hash=hash_password(password)))
                audit.append(s, "demo", "user_added", user=name, role=role.value)
                made.append(User(name, role))
        return made
