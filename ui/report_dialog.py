"""The accuracy report in a window of its own (supervisors): a period to choose, the report read in the background.

The figures and their words come from the core (``idp_app.services.reports``); this dialog lays them out.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.backend import ReviewBackend
from ui.model import ReportView, UserSession
from ui.tasks import TaskRunner

PERIODS: tuple[tuple[str, int | None], ...] = (
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Everything", None),
)


def to_html(view: ReportView) -> str:
    parts = [f"<h3>{escape(view.title)}</h3>"]
    parts += [f"<p>{escape(line)}</p>" for line in view.summary]
    for table in view.tables:
        head = "".join(f"<th align='left'>{escape(h)}</th>" for h in table.headers)
        body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
        parts.append(
            f"<h4>{escape(table.title)}</h4><table cellspacing='0' cellpadding='3'><tr>{head}</tr>{body}</table>"
        )
    return "".join(parts)


class ReportDialog(QDialog):
    def __init__(
        self, backend: ReviewBackend, runner: TaskRunner, user: UserSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("report-dialog")
        self.setWindowTitle("Accuracy report")
        self.resize(760, 640)
        self._backend = backend
        self._runner = runner
        self._user = user
        self.period = QComboBox()
        self.period.setObjectName("report-period")
        for text, days in PERIODS:
            self.period.addItem(text, days)
        self.status = QLabel()
        self.browser = QTextBrowser()
        self.browser.setObjectName("report-text")
        top = QHBoxLayout()
        top.addWidget(QLabel("Period:"))
        top.addWidget(self.period)
        top.addStretch(1)
        top.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.period.currentIndexChanged.connect(self.load)
        self.load()

    def load(self) -> None:
        days = self.period.currentData()
        self.status.setText("reading\u2026")
        backend, user = self._backend, self._user
        self._runner.submit(lambda: backend.accuracy_report(user, days), self._shown, self._failed)

    def _shown(self, view: object) -> None:
        assert isinstance(view, ReportView)
        self.status.setText("")
        self.browser.setHtml(to_html(view))

    def _failed(self, exc: Exception) -> None:
        self.status.setText("")
        self.browser.setPlainText(f"The report could not be read: {exc}")
