"""Exporting approved documents from the window (supervisors, admins): run in the background, result in a message.

The core decides everything (who may export, what each format needs, which documents stay approved and why);
the window starts the work through :class:`ui.tasks.TaskRunner` and says what came of it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar, QWidget

from ui.backend import ReviewBackend
from ui.model import ExportOutcome, UserSession
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


class ExportControl(QObject):
    """The "Export approved documents" action."""

    finished = Signal(object)
    """The :class:`ExportOutcome`, or the exception the core raised."""

    def __init__(
        self,
        backend: ReviewBackend,
        runner: TaskRunner,
        user: UserSession,
        status_bar: QStatusBar,
        inform: Callable[[str, str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._runner = runner
        self._user = user
        self._status = status_bar
        self._inform = inform
        self.action = QAction("Export approved documents\u2026", parent)
        self.action.setObjectName("action-export")
        self.action.setToolTip("Write the approved documents for accounting (CSV and Factur-X XML)")
        self.action.setVisible(user.may_export)
        self.action.setEnabled(user.may_export)
        self.action.triggered.connect(self.start)
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.action.setEnabled(False)
        self._status.showMessage("Exporting approved documents\u2026 (the window stays usable)")
        backend, user = self._backend, self._user
        self._runner.submit(lambda: backend.export(user), self._done, self._failed)

    def _end(self) -> None:
        self.running = False
        self.action.setEnabled(self._user.may_export)
        self._status.clearMessage()

    def _done(self, outcome: object) -> None:
        assert isinstance(outcome, ExportOutcome)
        self._end()
        title, text = describe(outcome)
        self._status.showMessage(f"{title}.", 10_000)
        self.finished.emit(outcome)
        self._inform(title, text)

    def _failed(self, exc: Exception) -> None:
        self._end()
        text = str(exc) or type(exc).__name__
        self._status.showMessage(f"Export failed: {text}", 10_000)
        self.finished.emit(exc)
        self._inform("Export failed", text)
