"""The Workspace: one object built from an AppConfig, holding the database and every service."""

from __future__ import annotations

from pathlib import Path

from idp_app.config import AppConfig
from idp_app.db import migrate
from idp_app.db.engine import Database, make_engine
from idp_app.errors import ConfigError, SchemaOutdatedError
from idp_app.services import audit as audit_log
from idp_app.services.documents import DocumentService, ReadFn
from idp_app.services.export import ExportService
from idp_app.services.ingest import ExtractFn, IngestService
from idp_app.services.policy import PolicyStore, check_desk_file
from idp_app.services.queue import DEFAULT_LEASE_SECONDS, QueueService
from idp_app.services.reports import ReportService
from idp_app.services.review import ReviewService
from idp_app.services.routing import RoutingPolicy
from idp_app.services.storage import FileStore
from idp_app.services.users import UserService
from idp_app.services.vendors import VendorService


class AuditService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def verify(self) -> audit_log.AuditReport:
        with self._db.read() as s:
            return audit_log.verify(s)

    def records(self, document_id: int | None = None, limit: int = 200) -> list[audit_log.AuditRecord]:
        with self._db.read() as s:
            return audit_log.records(s, document_id, limit)


def check_field_schemas() -> None:
    """The field schemas as their files are now: one that cannot be used stops the desk with one line naming the
    file and the field (rather than fail every document it reads)."""
    from extractors.errors import SchemaFileError
    from extractors.fields.schema import check_schemas

    try:
        check_schemas()
    except SchemaFileError as exc:
        raise ConfigError(str(exc)) from None


class Workspace:
    """Everything a window, a script or the CLI needs, over one database.

    Build it with :meth:`open`; close it with :meth:`close` (or use it as a context manager).
    """

    def __init__(
        self,
        config: AppConfig,
        db: Database,
        policy: RoutingPolicy,
        *,
        extract: ExtractFn | None = None,
        read: ReadFn | None = None,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        policy_file: Path | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.policies = PolicyStore(policy, policy_file or config.home / "routing.toml", db)
        """The routing policy in use (``policies.current``): the defaults, this desk's file and the team's policy
        in the database, which supervisors change here."""
        self.users = UserService(db)
        self.documents = DocumentService(db, config, self.policies, read)
        self.queue = QueueService(db, lease_seconds)
        self.review = ReviewService(db, self.policies, FileStore(config.files_dir))
        self.ingest = IngestService(db, config, self.policies, extract)
        self.vendors = VendorService(db)
        self.audit = AuditService(db)
        self.export = ExportService(db, config, self.documents, self.policies)
        self.reports = ReportService(db)
        if extract is None:
            # Extract with the promoted model and the vendor memory; learn each approval into the memory.
            from idp_app.learning.extract import install

            install(self)

    @classmethod
    def open(
        cls,
        config: AppConfig | None = None,
        *,
        policy_path: Path | None = None,
        extract: ExtractFn | None = None,
        read: ReadFn | None = None,
        upgrade: bool | None = None,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> Workspace:
        """Open the workspace of ``config`` (default: from the environment).

        ``upgrade``: bring the schema up to date on opening. Default: yes for SQLite (a desktop's own file),
        no for PostgreSQL (a shared server is upgraded deliberately with ``idp db upgrade``), where an old schema
        raises :class:`SchemaOutdatedError`. The routing policy is ``resources/routing.toml`` overridden by
        ``policy_path`` or, if that is not given, by ``routing.toml`` in the data directory when present, and
        both by the team's policy kept in the database (see :mod:`idp_app.services.policy`).
        """
        config = config or AppConfig.from_env()
        config.ensure_dirs()
        if policy_path is None and (config.home / "routing.toml").is_file():
            policy_path = config.home / "routing.toml"
        if policy_path is not None:
            check_desk_file(policy_path)
        check_field_schemas()
        policy = RoutingPolicy.load(policy_path)
        engine = make_engine(config.database_url)
        db = Database(engine)
        current = migrate.current_revision(engine)
        if current is not None and not migrate.known_revision(current):
            engine.dispose()
            raise SchemaOutdatedError(
                f"the database's schema is at revision {current}, which a newer version of IDP Desk wrote: "
                "use that version at this desk (this one would not know its tables)"
            )
        if current != migrate.head_revision():
            if upgrade if upgrade is not None else db.is_sqlite:
                migrate.upgrade(engine)
            else:
                engine.dispose()
                raise SchemaOutdatedError(
                    "the database schema is not up to date: run `idp db upgrade` (it changes the shared database)"
                )
        return cls(config, db, policy, extract=extract, read=read, lease_seconds=lease_seconds, policy_file=policy_path)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def policy(self) -> RoutingPolicy:
        """The routing policy in use now."""
        return self.policies.current
