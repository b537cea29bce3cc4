"""Exporting approved documents from the window (supervisors, admins): run in the background, result in a message.

The core decides everything (who may export, what each format needs, which documents stay approved and why);
the window starts the work through :class:`ui.tasks.TaskRunner` and says what came of it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QStatusBar, QWidget

from ui.backend import ReviewBackend
from ui.model import ExportOutcome, UserSession
from ui.supervisor_action import SupervisorAction
from ui.tasks import TaskRunner


def _documents(n: int) -> str:
    return f"{n} document" if n == 1 else f"{n} documents"


def describe(outcome: ExportOutcome) -> tuple[str, str]:
    """The title and text of the message that says what an export did."""
    lines: list[str] = []
    if outcome.directory is None:
        title = "Nothing exported"
        lines.append("No approved document could be exported." if outcome.left else "No approved document is waiting.")
    else:
        title = "Export done" if not outcome.left else "Export done, some documents left"
        lines.append(f"{_documents(outcome.exported)} written to {outcome.directory} and marked exported.")
        shown = [f for f in outcome.files if "/" not in f]
        for folder, label in (("cii", "Factur-X"), ("ubl", "UBL")):
            if n := sum(1 for f in outcome.files if f.startswith(f"{folder}/")):
                shown.append(f"{n} {label} XML")
        lines.append("Files: " + ", ".join(shown) + ".")
    if outcome.notes:
        lines.append("")
        lines.extend(f"Note: {n}" for n in outcome.notes)
    if outcome.left:
        lines.append("")
        lines.append(
            f"Left approved, for a later export: {_documents(len(outcome.left))}. A supervisor can send one back "
            "to review to fill in what is missing (idp reopen), or export it as CSV only (idp export --format csv)."
        )
        lines.extend(f"\u2022 {item}" for item in outcome.left[:10])
        if len(outcome.left) > 10:
            lines.append(f"\u2022 and {len(outcome.left) - 10} more (see manifest.json or `idp export --json`)")
    return title, "\n".join(lines)


class ExportControl(SupervisorAction):
    """The "Export approved documents" action."""

    def __init__(
        self,
        backend: ReviewBackend,
        runner: TaskRunner,
        user: UserSession,
        status_bar: QStatusBar,
        inform: Callable[[str, str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(
            backend,
            runner,
            user,
            status_bar,
            inform,
            parent,
            text="Export approved documents\u2026",
            name="action-export",
            tip="Write the approved documents for accounting (CSV and Factur-X XML)",
            allowed=user.may_export,
            failure="Export failed",
        )

    def start(self) -> None:
        if self._begin("Exporting approved documents\u2026 (the window stays usable)"):
            backend, user = self._backend, self._user
            self._runner.submit(lambda: backend.export(user), self._done, self._failed)

    def _done(self, outcome: object) -> None:
        assert isinstance(outcome, ExportOutcome)
        title, text = describe(outcome)
        self._report(outcome, title, text, f"{title}.")
