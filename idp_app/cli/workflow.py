"""`idp` commands: the review workflow (ingest, queue, show, claim, correct, approve, reject, users, db, audit).

Who is acting: ``--user NAME`` or the ``IDP_USER`` environment variable. With the default SQLite database
(a file only the local account can write) the name is enough: whoever can run the command can also open the
file. With a shared PostgreSQL database the password is checked too, from ``IDP_PASSWORD`` or a hidden prompt.
Commands that only read act as no one: the database's own login (in its URL) is what guards them.
The very first ``idp users add NAME --role admin`` needs no acting user. The demo users are created only by
the demo. Every error is one line on stderr and a distinct exit code (see idp_app.errors), never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from extractors.errors import ExtractionError
from idp_app.cli.base import Typer
from idp_app.cli.workflow_tables import (
    bullets,
    fmt_conf,
    lapsed,
    narrow_queue,
    queue_json,
    show_json,
    wide_queue,
)
from idp_app.config import AppConfig
from idp_app.domain import DocumentStatus, Role
from idp_app.errors import AppError, AuditTamperedError, InputError, InvalidValueError, PermissionDeniedError
from idp_app.services.users import Permission
from idp_app.services.values import LINE_ITEM_TYPES

F = TypeVar("F", bound=Callable[..., Any])
out = Console()
err = Console(stderr=True, soft_wrap=True)
"""Errors and warnings: each message one line however long (the terminal folds it on screen; a log keeps it whole)."""

UserOpt = Annotated[str | None, typer.Option("--user", "-u", envvar="IDP_USER", help="Who is acting.")]


class DatabaseUnavailableError(AppError):
    exit_code = 34
    kind = "database_unavailable"


def handle_errors(fn: F) -> F:
    """Map application and extraction errors to one line and their exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import DatabaseError, OperationalError

        try:
            return fn(*args, **kwargs)
        except (AppError, ExtractionError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except DatabaseError as exc:
            if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
                raise  # a constraint or a statement refused: a fault of this program, not of the database
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
            err.print(
                f"[red]error:[/red] database unavailable: {escape(first)}{_why_unavailable(first)}", highlight=False
            )
            raise typer.Exit(DatabaseUnavailableError.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted: run the same command again to finish (nothing is lost)")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _why_unavailable(message: str) -> str:
    """What an SQLite desk's database error most likely means, for the one who must mend it."""
    try:
        cfg = AppConfig.from_env()
    except AppError:
        return ""
    if not cfg.database_url.startswith("sqlite"):
        return ""
    if "malformed" in message or "not a database" in message:
        return f" (the database file in {cfg.home} is damaged: restore it from a backup)"
    if ("unable to open" in message or "readonly" in message) and not os.access(cfg.home, os.W_OK):
        return f" ({cfg.home} is read-only: the database needs to write beside its file, even to read)"
    return ""


def app_config() -> AppConfig:
    """The configuration from the environment, its database URL checked (a bad one is a ConfigError)."""
    cfg = AppConfig.from_env()
    cfg.check_database_url()
    return cfg


def _workspace(upgrade: bool | None = None) -> Any:
    from idp_app.services import Workspace

    return Workspace.open(app_config(), upgrade=upgrade)


def _acting(ws: Any, user: str | None) -> Any:
    if not user:
        raise InputError("who is acting? give --user NAME or set IDP_USER")
    if ws.db.is_sqlite:
        return ws.users.get(user)
    password = os.environ.get("IDP_PASSWORD")
    if not password:
        if not sys.stdin.isatty():  # a script or a scheduled job: no one to ask, and the prompt would echo
            raise InputError(f"{user}'s password is needed on a team database: set IDP_PASSWORD (no terminal to ask)")
        password = typer.prompt(f"password for {user}", hide_input=True)
    return ws.users.authenticate(user, password)


def permitted(ws: Any, user: str | None, permission: Permission, action: str) -> Any:
    """The acting user, refused with what they may not do (``action``) unless their role allows ``permission``."""
    actor = _acting(ws, user)
    if not actor.can(permission):
        raise PermissionDeniedError(f"{actor.name} is a {actor.role.value} and may not {action}")
    return actor


# -- ingest --------------------------------------------------------------------------------------------------


@handle_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (searched recursively).")],
    user: UserOpt = None,
    workers: Annotated[int, typer.Option(min=0, help="Extraction processes (0: in this process).")] = 2,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Keep polling the folders for new files (taken once two polls find one alike)."),
    ] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls with --watch.")] = 5.0,
) -> None:
    """Import documents (once each, by content hash), extract their fields and route them."""
    with _workspace() as ws:
        actor = _acting(ws, user).name if user else "system"
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,  # in a pipe or a log a bar only leaves a blank line
        ) as bar:
            task = bar.add_task("extracting", total=None)

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=f"extracting {name[:30]:<30}")

            def summary(report: Any) -> None:
                out.print(
                    f"imported {report.imported}, already known {report.duplicates}, extracted {report.extracted} "
                    f"({report.auto_approved} auto-approved, {report.needs_review} to review), "
                    f"failed {report.failed} in {report.seconds:.1f} s",
                    soft_wrap=True,
                )
                for doc_id, name, message in report.failures:
                    which = f"{doc_id} {escape(name)}" if doc_id else escape(name)
                    err.print(f"  failed {which}: {escape(message)}", highlight=False)

            if watch:
                if not paths or not all(p.is_dir() for p in paths):
                    raise InputError("--watch needs folders")
                err.print(f"watching {', '.join(map(str, paths))} (Ctrl+C to stop)")
                try:
                    ws.ingest.watch(
                        paths, actor, interval=interval, workers=workers, progress=progress, on_batch=summary
                    )
                except KeyboardInterrupt:
                    return
            report = ws.ingest.ingest(paths, actor, workers=workers, progress=progress)
        summary(report)
        if report.failed:
            raise typer.Exit(ExtractionError.exit_code)


# -- queue and documents -------------------------------------------------------------------------------------


@handle_errors
def queue(
    status: Annotated[DocumentStatus | None, typer.Option(help="Only this status (default: the review queue).")] = None,
    vendor: Annotated[str | None, typer.Option(help="Vendor name contains.")] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Only documents whose lowest field confidence is this or more."),
    ] = None,
    max_confidence: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Only documents whose lowest field confidence is this or less."),
    ] = None,
    page: Annotated[int, typer.Option(min=1, help="Which page of the listing, from 1.")] = 1,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Documents per page.")] = 50,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, full status names and reasons.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Every column, for scripts.")] = False,
) -> None:
    """The review queue in priority order: risk, then lowest confidence, then age."""
    from idp_app.services import QueueFilter

    with _workspace() as ws:
        flt = QueueFilter(status, None, vendor, min_confidence, max_confidence)
        items = ws.queue.list(flt, offset=(page - 1) * limit, limit=limit)
        total = ws.queue.count(flt)
    if as_json:
        print(json.dumps({"total": total, "page": page, "items": [queue_json(i) for i in items]}, indent=2))
        return
    title = f"{total} document{'' if total == 1 else 's'} (page {page})"
    if wide:  # one long line per document, whatever the terminal's width (like ps -ww)
        out.print(title)
        Console(width=4000).print(wide_queue(items))
    else:
        out.print(narrow_queue(items, title, out.width))


@handle_errors
def show(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Status, fields, reasons and the extraction result as stored.")
    ] = False,
) -> None:
    """A document's fields with value, confidence and review state, then the routing reasons and failing rules."""
    with _workspace() as ws:
        doc = ws.documents.get(doc_id)
    if as_json:
        print(json.dumps(show_json(doc), indent=2))
        return
    kind = doc.doc_type or ""
    out.print(f"[bold]{doc.id}[/bold] {doc.filename}  {doc.status.value}  {kind}  sha256 {doc.sha256[:12]}")
    if doc.claimed_by and doc.status.value == "in_review":
        held = f"claimed by {escape(doc.claimed_by)} until {doc.lease_expires_at:%Y-%m-%d %H:%M} UTC"
        out.print(held if not lapsed(doc.lease_expires_at) else f"{held}: lapsed, anyone may claim it now")
    if doc.decided_by and doc.status.value in ("approved", "rejected", "exported"):
        decided = "rejected" if doc.status.value == "rejected" else "approved"
        why = f": {escape(doc.reject_reason)}" if doc.status.value == "rejected" and doc.reject_reason else ""
        out.print(f"{decided} by {escape(doc.decided_by)}{why}", highlight=False)
    if doc.error:
        out.print(f"[red]failed[/red] ({doc.error_kind}): {doc.error}", highlight=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold", ratio=1)
    table.add_column("conf", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("page", justify="right", no_wrap=True)
    table.add_column("predicted", overflow="fold", max_width=20)
    for f in doc.fields.values():
        pred = "" if not f.corrected else f.predicted_value or "-"
        page = "-" if f.page is None else str(f.page + 1)
        table.add_row(f.name, f.value or "-", fmt_conf(f.confidence), f.state.value, page, pred)
    out.print(table, highlight=False)
    if doc.line_items:
        present = {c for li in doc.line_items for c in li.cells}
        cols = [c for c in LINE_ITEM_TYPES if c in present] + sorted(present - LINE_ITEM_TYPES.keys())
        items = Table(title="line items", box=box.SIMPLE_HEAD, pad_edge=False)
        for c in ["#", *cols]:
            items.add_column(c, overflow="fold")
        for li in doc.line_items:
            items.add_row(str(li.index + 1), *[(li.cells[c].value or "") if c in li.cells else "" for c in cols])
        out.print(items, highlight=False)
    if doc.warnings:
        out.print("extraction warnings:")
        out.print(bullets(escape(w) for w in doc.warnings), highlight=False)
    if doc.reasons:
        out.print("routing reasons:")
        out.print(bullets(f"{r.message} [dim]({r.code})[/dim]" for r in doc.reasons), highlight=False)
    if doc.failed_rules:
        out.print("rules failing now:")
        lines = []
        for r in doc.failed_rules:
            fix = f" (fix: set {r.suggestion.field} to {r.suggestion.value})" if r.suggestion else ""
            block = " \\[blocks approval]" if r.blocks_approval else ""
            lines.append(f"[yellow]{r.message}[/yellow]{fix}{block}")
        out.print(bullets(lines), highlight=False)
    if doc.override_reason:
        out.print(f"approved by {escape(doc.decided_by or '?')} over failing rules: {escape(doc.override_reason)}")
        out.print(bullets(f"{escape(r.message)} [dim]({r.code})[/dim]" for r in doc.overridden_rules), highlight=False)


@handle_errors
def claim(
    doc_id: Annotated[
        int | None, typer.Argument(metavar="[DOC]", help="A document; default: the next in line.")
    ] = None,
    user: UserOpt = None,
) -> None:
    """Claim a document for review (a lease that expires; renew by claiming again)."""
    with _workspace() as ws:
        actor = _acting(ws, user)
        got = ws.queue.claim(doc_id, actor) if doc_id is not None else ws.queue.claim_next(actor)
    if got is None:
        out.print("the review queue is empty")
        return
    out.print(f"claimed {got.document_id} until {got.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC")


@handle_errors
def release(doc_id: Annotated[int, typer.Argument(metavar="DOC")], user: UserOpt = None) -> None:
    """Give a claimed document back to the queue."""
    with _workspace() as ws:
        ws.queue.release(doc_id, _acting(ws, user))
    out.print(f"released {doc_id}")


@handle_errors
def correct(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    field: Annotated[str, typer.Argument(metavar="FIELD")],
    value: Annotated[
        str,
        typer.Argument(
            metavar="VALUE",
            help=(
                'The true value ("" clears the field). A negative amount as printed: idp correct 7 net_amount -8.00. '
                'Several parties separated by ";": idp correct 3 parties "Acme Ltd; Globex GmbH"'
            ),
        ),
    ],
    row: Annotated[
        int | None,
        typer.Option(
            min=1, help="Line-item row, from 1 as idp show, the window and the export count (FIELD is the column)."
        ),
    ] = None,
    user: UserOpt = None,
) -> None:
    """Correct one field of a document you have claimed; the value is checked against the field's type."""
    with _workspace() as ws:
        index = None if row is None else row - 1
        f = ws.review.correct(doc_id, field, value or None, _acting(ws, user), line_item_index=index)
    out.print(f"{f.name} = {f.value} ({f.state.value})", highlight=False)


@handle_errors
def approve(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    user: UserOpt = None,
    override: Annotated[
        str | None, typer.Option(help="Supervisors: approve despite failing rules, for this reason.")
    ] = None,
) -> None:
    """Approve a document you have claimed (refused while a rule fails, unless a supervisor overrides). The
    documents of its layout waiting untouched in the queue are read again with what it taught vendor memory."""
    if override is not None and not override.strip():
        raise InvalidValueError("an override needs a reason (--override REASON, kept in the audit log)")
    from idp_app.learning.extract import read_again_in_layout, said_of

    with _workspace() as ws:
        ws.review.approve(doc_id, _acting(ws, user), override_reason=override)
        kept = ws.documents.get(doc_id).override_reason if override else None
        if override and not kept:  # nothing blocked approval: there was nothing to override
            out.print(f"approved {doc_id} (no rule blocked it: the override and its reason were not needed, not kept)")
        else:
            out.print(f"approved {doc_id}")
        try:
            said = said_of(read_again_in_layout(ws, doc_id))
        except Exception as exc:  # the approval stands: its layout's waiting documents stay as they were read
            said = f"the documents of its layout waiting in the queue were not read again: {exc}"
        if said:
            out.print(escape(said[0].upper() + said[1:]))


@handle_errors
def reject(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    user: UserOpt = None,
) -> None:
    """Reject a document you have claimed, or (supervisors) dismiss a failed one: a file that cannot be read."""
    with _workspace() as ws:
        ws.review.reject(doc_id, _acting(ws, user), reason)
    out.print(f"rejected {doc_id}")


@handle_errors
def reopen(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    user: UserOpt = None,
) -> None:
    """Send an approved or exported document back to the review queue (supervisors), e.g. to fill in what export
    needs, or to mend a value found wrong in the books: its next export says which batch it replaces."""
    with _workspace() as ws:
        ws.review.reopen(doc_id, _acting(ws, user), reason)
    out.print(f"reopened {doc_id}: back in the review queue")


@handle_errors
def reextract(doc_id: Annotated[int, typer.Argument(metavar="DOC")], user: UserOpt = None) -> None:
    """Extract a document again and route it afresh (supervisors)."""
    with _workspace() as ws:
        report = ws.ingest.reextract(doc_id, _acting(ws, user))
        status = ws.documents.get(doc_id).status
    if report.failures:
        err.print(f"[red]error:[/red] re-extracting {doc_id} failed: {escape(report.failures[0][2])}", highlight=False)
        raise typer.Exit(ExtractionError.exit_code)
    out.print(f"re-extracted {doc_id}: {status.value}")


@handle_errors
def set_type(
    doc_id: Annotated[int, typer.Argument(metavar="DOC")],
    doc_type: Annotated[str, typer.Argument(metavar="TYPE", help="invoice, receipt or contract.")],
    user: UserOpt = None,
) -> None:
    """Say what a claimed document is (an invoice taken for "other") and read it again as that type: its fields
    become that type's, routed afresh, and it goes back to the queue. It is then learned from when approved."""
    with _workspace() as ws:
        try:
            ws.ingest.set_type(doc_id, doc_type.strip().lower(), _acting(ws, user))
        except KeyboardInterrupt:  # its claim is given up already: "the same command again" would be refused
            err.print(
                f"interrupted: document {doc_id} is read as {doc_type.strip().lower()} by the next `idp ingest` run "
                "(of any folder); the values you set are set again then"
            )
            raise typer.Exit(130) from None
        doc = ws.documents.get(doc_id)
    out.print(f"document {doc_id} is now read as {doc.doc_type}: {doc.status.value}", highlight=False)


@handle_errors
def threshold(
    value: Annotated[float, typer.Argument(help="The confidence a field needs to pass without review (0..1).")],
    field: Annotated[str | None, typer.Option(help="Only this field (default: the default threshold).")] = None,
    user: UserOpt = None,
) -> None:
    """Change a confidence threshold of the team's routing policy (supervisors): kept in the database, so every
    desk sharing it routes by it."""
    with _workspace() as ws:
        policy = ws.policies.set_threshold(field, value, _acting(ws, user))
    name = field or "default"
    shown = policy.threshold(field) if field else policy.default_threshold
    out.print(f"threshold {name} = {shown:g} (the team's policy, for every desk)", highlight=False, soft_wrap=True)


policy_app = Typer(
    help="The routing policy: the defaults (resources/routing.toml), this desk's routing.toml, and the team's "
    "policy in the database, each overriding the one before key by key.",
    no_args_is_help=True,
)


@policy_app.command("show")
@handle_errors
def policy_show(
    team: Annotated[bool, typer.Option("--team", help="Only the team's policy, as kept, with its comments.")] = False,
) -> None:
    """The policy in use (every key, with the layer it comes from), or the team's policy alone."""
    with _workspace() as ws:
        if team:
            text = ws.policies.team_text()
            text = text or "# the team has set nothing: the defaults and each desk's file apply\n"
            out.print(text, end="", highlight=False, markup=False, soft_wrap=True)
            return
        rows = [(f"{key} = {value}", origin) for key, value, origin in ws.policies.explain()]
        width = max(len(setting) for setting, _ in rows)
        for setting, origin in rows:
            out.print(f"{setting.ljust(width)}  # {origin}", highlight=False, markup=False, soft_wrap=True)


@policy_app.command("set")
@handle_errors
def policy_set(
    key: Annotated[
        str, typer.Argument(help="A key of resources/routing.toml: rules.max_total, learning.holdout_share.")
    ],
    value: Annotated[str, typer.Argument(help='Its value as TOML writes it: "10000.00", true, 0.2, { EUR = "5000" }.')],
    user: UserOpt = None,
) -> None:
    """Set one key of the team's policy (supervisors): kept in the database for every desk, and logged."""
    key = ".".join(part.strip() for part in key.split("."))
    with _workspace() as ws:
        ws.policies.set_value(key, value, _acting(ws, user))
        shown = next(v for k, v, _ in ws.policies.explain() if k == key)
    out.print(f"{key} = {shown} (the team's policy, for every desk)", highlight=False, markup=False)


@policy_app.command("unset")
@handle_errors
def policy_unset(
    key: Annotated[str, typer.Argument(help="A key the team's policy sets (idp policy show --team).")],
    user: UserOpt = None,
) -> None:
    """Take one key out of the team's policy (supervisors): each desk's own routing.toml, or the defaults, apply
    to it again."""
    key = ".".join(part.strip() for part in key.split("."))
    with _workspace() as ws:
        ws.policies.unset_value(key, _acting(ws, user))
        shown = next((f"{v}  # {o}" for k, v, o in ws.policies.explain() if k == key), "(not set)")
    out.print(
        f"{key} is no longer the team's: at this desk {key} = {shown}", highlight=False, markup=False, soft_wrap=True
    )


# -- users, db, audit ----------------------------------------------------------------------------------------

users_app = Typer(help="Local users and their roles (clerk, supervisor, admin).", no_args_is_help=True)
db_app = Typer(help="The database schema.", no_args_is_help=True)
audit_app = Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _new_password(password: str | None) -> str:
    if password:
        return password
    env = os.environ.get("IDP_NEW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise InputError("give the new user's password with --password or IDP_NEW_PASSWORD")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
@handle_errors
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="clerk, supervisor or admin")] = Role.CLERK,
    password: Annotated[str | None, typer.Option(help="Default: IDP_NEW_PASSWORD or a prompt.")] = None,
    user: UserOpt = None,
) -> None:
    """Add a user (an admin acts; the very first user must be an admin and needs no --user)."""
    with _workspace() as ws:
        by = _acting(ws, user) if ws.users.count() else None
        made = ws.users.add(name, _new_password(password), role, by=by)
    out.print(f"added {made.name} ({made.role.value})")


@users_app.command("list")
@handle_errors
def users_list() -> None:
    """Every user with their role."""
    with _workspace() as ws:
        for u in ws.users.list():
            out.print(f"{u.name}\t{u.role.value}" + ("" if u.active else "\tinactive"))


@users_app.command("set-role")
@handle_errors
def users_set_role(name: str, role: Role, user: UserOpt = None) -> None:
    """Change a user's role (admins)."""
    with _workspace() as ws:
        made = ws.users.set_role(name, role, _acting(ws, user))
    out.print(f"{made.name} is now {made.role.value}")


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or upgrade the database schema to this version (SQLite or IDP_DATABASE_URL)."""
    from idp_app.db import migrate
    from idp_app.db.engine import make_engine

    cfg = app_config()
    cfg.ensure_dirs()
    engine = make_engine(cfg.database_url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    out.print(f"database at revision {after}" + ("" if before != after else " (already up to date)"))


@audit_app.command("verify")
@handle_errors
def audit_verify() -> None:
    """Check the hash chain: any edited, deleted or reordered entry is named."""
    with _workspace() as ws:
        report = ws.audit.verify()
    if not report.ok:
        for problem in report.problems:
            err.print(f"[red]tampered:[/red] {escape(problem)}", highlight=False)
        raise AuditTamperedError(f"the audit log does not verify: {len(report.problems)} problem(s)")
    out.print(f"audit log verified: {report.entries} entries, head {report.head_hash}")


@audit_app.command("log")
@handle_errors
def audit_log(
    doc_id: Annotated[int | None, typer.Option("--doc", min=1, help="Only this document.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
) -> None:
    """The latest audit entries, newest first."""
    with _workspace() as ws:
        for r in ws.audit.records(doc_id, limit):
            doc = f" doc {r.document_id}" if r.document_id is not None else ""
            line = f"{r.seq}\t{r.created_at}\t{r.actor}\t{r.action}{doc}\t{json.dumps(r.details)}"
            out.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    for fn in (ingest, queue, show, claim, release, correct, approve, reject, reopen, reextract, threshold):
        app.command()(fn)
    app.command("set-type")(set_type)
    app.add_typer(policy_app, name="policy")
    app.add_typer(users_app, name="users")
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
