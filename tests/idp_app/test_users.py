"""Users, scrypt passwords and every role check the services enforce."""

from __future__ import annotations

from pathlib import Path

import pytest
from another_session import while_another_session_writes
from fake_extractors import invoice, write_doc
from sqlalchemy import update

from idp_app.config import AppConfig
from idp_app.db.models import User as UserRow
from idp_app.domain import Role
from idp_app.errors import AuthenticationError, DuplicateError, InvalidValueError, PermissionDeniedError
from idp_app.services import Permission, Workspace
from idp_app.services.users import ROLE_PERMISSIONS, hash_password, verify_password


def test_passwords_are_salted_scrypt() -> None:
    a, b = hash_password("secret"), hash_password("secret")
    assert a != b and a.startswith("scrypt$16384$8$1$")
    assert verify_password("secret", a) and not verify_password("Secret", a)
    assert not verify_password("secret", "garbage")


def test_authenticate(ws: Workspace) -> None:
    assert ws.users.authenticate("clerk", "clerk-pw").role is Role.CLERK
    with pytest.raises(AuthenticationError):
        ws.users.authenticate("clerk", "wrong")
    with pytest.raises(AuthenticationError):
        ws.users.authenticate("nobody", "clerk-pw")


def test_the_first_user_must_be_an_admin_and_then_admins_add_users(config) -> None:  # type: ignore[no-untyped-def]
    from fake_extractors import json_extract

    with Workspace.open(config, extract=json_extract, upgrade=True) as ws:
        with pytest.raises(PermissionDeniedError, match="first user"):
            ws.users.add("ann", "ann-pw", "clerk")
        ws.users.add("root", "root-pw", "admin")
        with pytest.raises(PermissionDeniedError):
            ws.users.add("ann", "ann-pw", "clerk")  # nobody acting
        ws.users.add("ann", "ann-pw", "clerk", by="root")
        with pytest.raises(PermissionDeniedError):
            ws.users.add("bob", "bob-pw", "clerk", by="ann")
        with pytest.raises(DuplicateError):
            ws.users.add("ann", "other", "clerk", by="root")
        with pytest.raises(InvalidValueError):
            ws.users.add("eve", "pw-x", "emperor", by="root")
        assert [(u.name, u.role) for u in ws.users.list()] == [("ann", Role.CLERK), ("root", Role.ADMIN)]


def test_set_role_needs_an_admin(ws: Workspace) -> None:
    with pytest.raises(PermissionDeniedError):
        ws.users.set_role("clerk", "supervisor", "sup")
    assert ws.users.set_role("clerk", "supervisor", "boss").role is Role.SUPERVISOR
    assert ws.users.get("clerk").role is Role.SUPERVISOR


def test_the_last_admin_cannot_stop_being_one(ws: Workspace) -> None:
    with pytest.raises(InvalidValueError, match="boss is the last admin"):
        ws.users.set_role("boss", "clerk", "boss")
    assert ws.users.get("boss").role is Role.ADMIN
    ws.users.set_role("sup", "admin", "boss")
    assert ws.users.set_role("boss", "clerk", "boss").role is Role.CLERK  # another admin remains
    with pytest.raises(InvalidValueError, match="sup is the last admin"):
        ws.users.set_role("sup", "supervisor", "sup")


def test_two_admins_demoted_at_once_by_two_sessions_leave_one(ws: Workspace, config: AppConfig) -> None:
    """Another session has demoted "sup" and not committed yet; "boss" must then count "sup" as demoted."""
    ws.users.set_role("sup", "admin", "boss")
    demote_sup = update(UserRow).where(UserRow.name == "sup").values(role=Role.CLERK.value)
    error = while_another_session_writes(config, demote_sup, lambda: ws.users.set_role("boss", "clerk", "boss"))
    assert "boss is the last admin" in error
    assert [u.name for u in ws.users.list() if u.role is Role.ADMIN] == ["boss"]


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        (Permission.REVIEW, {"clerk", "sup", "boss"}),
        (Permission.INGEST, {"clerk", "sup", "boss"}),
        (Permission.OVERRIDE, {"sup", "boss"}),
        (Permission.CHANGE_THRESHOLDS, {"sup", "boss"}),
        (Permission.RETRAIN, {"sup", "boss"}),
        (Permission.EXPORT, {"sup", "boss"}),
        (Permission.REEXTRACT, {"sup", "boss"}),
        (Permission.RELEASE_ANY, {"sup", "boss"}),
        (Permission.MANAGE_USERS, {"boss"}),
    ],
)
def test_every_role_check(ws: Workspace, permission: Permission, allowed: set[str]) -> None:
    for name in ("clerk", "sup", "boss"):
        if name in allowed:
            assert ws.users.require(name, permission).name == name
        else:
            with pytest.raises(PermissionDeniedError):
                ws.users.require(name, permission)
    assert {r for r, perms in ROLE_PERMISSIONS.items() if permission in perms} == {
        {"clerk": Role.CLERK, "sup": Role.SUPERVISOR, "boss": Role.ADMIN}[n] for n in allowed
    }


def test_the_role_is_read_from_the_database_not_from_the_caller(ws: Workspace) -> None:
    from idp_app.services import User

    forged = User("clerk", Role.ADMIN)
    with pytest.raises(PermissionDeniedError):
        ws.users.require(forged, Permission.EXPORT)


def test_a_clerk_cannot_export(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A"))
    ws.ingest.ingest([inbox], workers=0)
    [item] = ws.queue.list()
    ws.queue.claim(item.id, "clerk")
    ws.review.approve(item.id, "clerk")
    with pytest.raises(PermissionDeniedError):
        ws.documents.mark_exported([item.id], "clerk")
    ws.documents.mark_exported([item.id], "sup", batch="2024-03")
    assert ws.documents.get(item.id).status == "exported"


def test_demo_users_only_on_request(ws: Workspace) -> None:
    assert "supervisor" not in {u.name for u in ws.users.list()}
    made = ws.users.ensure_demo_users()
    assert {u.name for u in made} == {"clerk", "supervisor", "admin"} - {"clerk"}
    assert ws.users.authenticate("supervisor", "supervisor").role is Role.SUPERVISOR
