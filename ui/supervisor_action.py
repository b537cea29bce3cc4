"""A supervisor's action that runs in the background and says what came of it (retraining, exporting).

The window starts the work through :class:`ui.tasks.TaskRunner`; the core decides who may and what happens.
Subclasses start the work and describe its outcome; this class holds the action, the one-at-a-time guard and the
status-bar and message handling they share.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar, QWidget

from ui.backend import ReviewBackend
from ui.model import UserSession
from ui.tasks import TaskRunner


class SupervisorAction(QObject):
    finished = Signal(object)
    """The outcome the core returned, or the exception it raised."""

    def __init__(
        self,
        backend: ReviewBackend,
        runner: TaskRunner,
        user: UserSession,
        status_bar: QStatusBar,
        inform: Callable[[str, str], None],
        parent: QWidget,
        *,
        text: str,
        name: str,
        tip: str,
        allowed: bool,
        failure: str,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._runner = runner
        self._user = user
        self._status = status_bar
        self._inform = inform
        self._allowed = allowed
        self._failure = failure
        self.action = QAction(text, parent)
        self.action.setObjectName(name)
        self.action.setToolTip(tip)
        self.action.setVisible(allowed)
        self.action.setEnabled(allowed)
        self.action.triggered.connect(self.start)
        self.running = False

    def start(self) -> None:
        """Start the work unless it runs already (subclasses call :meth:`_begin` first)."""
        raise NotImplementedError

    def _begin(self, message: str) -> bool:
        if self.running:
            return False
        self.running = True
        self.action.setEnabled(False)
        self._status.showMessage(message)
        return True

    def _end(self) -> None:
        self.running = False
        self.action.setEnabled(self._allowed)
        self._status.clearMessage()

    def _report(self, outcome: object, title: str, text: str, status: str) -> None:
        self._end()
        self._status.showMessage(status, 10_000)
        self.finished.emit(outcome)
        self._inform(title, text)

    def _failed(self, exc: Exception) -> None:
        self._end()
        text = str(exc) or type(exc).__name__
        self._status.showMessage(f"{self._failure}: {text}", 10_000)
        self.finished.emit(exc)
        self._inform(self._failure, text)
