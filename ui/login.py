"""The log-in dialog: name and password, checked by the core off the GUI thread; the role comes with the user."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ui.model import UserSession
from ui.tasks import TaskRunner

Authenticate = Callable[[str, str], UserSession]


class LoginDialog(QDialog):
    def __init__(self, authenticate: Authenticate, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("IDP Desk \u2014 log in")
        self._authenticate = authenticate
        self._runner = runner
        self.session: UserSession | None = None
        self.name = QLineEdit()
        self.name.setObjectName("login-name")
        self.password = QLineEdit()
        self.password.setObjectName("login-password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("User", self.name)
        form.addRow("Password", self.password)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def try_login(self) -> None:
        name, password = self.name.text().strip(), self.password.text()
        if not name:
            self.error.setText("Enter your user name.")
            return
        self.buttons.setEnabled(False)
        self.error.setText("Checking\u2026")
        authenticate = self._authenticate
        self._runner.submit(lambda: authenticate(name, password), self._ok, self._refused)

    def _ok(self, session: object) -> None:
        assert isinstance(session, UserSession)
        self.session = session
        self.buttons.setEnabled(True)
        self.accept()

    def _refused(self, exc: Exception) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(str(exc) or "Unknown user or wrong password.")
        self.password.selectAll()
        self.password.setFocus()
