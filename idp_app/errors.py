"""Application errors. Each carries an exit code that the command line maps to its status.

Extraction errors (bad input files) live in :mod:`extractors.errors` with codes 10-19; the application's
own errors use 20-39. The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``.
"""

from __future__ import annotations


class AppError(Exception):
    """Base for every error the application reports to a user instead of crashing."""

    exit_code = 20
    kind = "app_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(AppError):
    """A document, user or vendor that does not exist."""

    exit_code = 21
    kind = "not_found"


class IllegalTransitionError(AppError):
    """A lifecycle change the transition table does not allow (e.g. approving an exported document)."""

    exit_code = 22
    kind = "illegal_transition"


class ChangedMeanwhileError(IllegalTransitionError):
    """A document changed between reading it and acting on what was read (an export batch being written)."""


class PermissionDeniedError(AppError):
    """The acting user's role does not allow the action."""

    exit_code = 23
    kind = "permission_denied"


class InvalidValueError(AppError, ValueError):
    """A corrected value that does not fit the field's value type (letters in an amount, a non-date)."""

    exit_code = 24
    kind = "invalid_value"


class StaleValueError(InvalidValueError):
    """The correction's old value is not the field's current value (someone else changed it, or undo out of order)."""

    exit_code = 33
    kind = "stale_value"


class AuthenticationError(AppError):
    """Unknown user or wrong password."""

    exit_code = 25
    kind = "authentication"


class ClaimError(AppError):
    """The document is not claimed by the acting user, or the claim's lease has expired."""

    exit_code = 26
    kind = "claim"


class RuleFailedError(AppError):
    """Approval refused because a rule fails; a supervisor may override with a reason."""

    exit_code = 27
    kind = "rule_failed"


class AuditTamperedError(AppError):
    """The audit log's hash chain does not verify: an entry was edited, deleted or reordered."""

    exit_code = 28
    kind = "audit_tampered"


class ConfigError(AppError):
    """A routing policy or setting that cannot be read or makes no sense."""

    exit_code = 29
    kind = "config"


class SchemaOutdatedError(AppError):
    """The database schema is older than this version of the application: run ``idp db upgrade``."""

    exit_code = 30
    kind = "schema_outdated"


class DuplicateError(AppError):
    """Something that must be unique already exists (a user name)."""

    exit_code = 31
    kind = "duplicate"


class InputError(AppError):
    """A path or argument given on the command line that cannot be used."""

    exit_code = 32
    kind = "input"


class ExportIncompleteError(AppError):
    """Some documents could not be exported (each stays approved with its reason); the others were."""

    exit_code = 35
    kind = "export_incomplete"
