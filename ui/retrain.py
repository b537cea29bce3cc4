"""Retraining the field model from the window (supervisors, admins): run in the background, shown in the status bar.

The core decides everything (who may retrain, whether the new model is promoted); the window starts the work
through :class:`ui.tasks.TaskRunner`, shows how far it is, and says what came of it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from ui.backend import ReviewBackend
from ui.model import RetrainOutcome, UserSession
from ui.supervisor_action import SupervisorAction
from ui.tasks import TaskRunner


def _accuracy(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "\u2013"


OUTCOMES = {
    "promoted": ("New model in use", "Model {version} was promoted and is now in use."),
    "rejected": ("Model not promoted", "Model {version} was trained but not promoted: the model in use stays."),
    "too_few": (
        "Not enough documents",
        "No model was trained: there are too few approved documents to train and measure one.",
    ),
    "unchanged": ("Nothing new to learn", "The model trained is model {version} again: nothing new was registered."),
    "model_unreadable": (
        "Model in use cannot be read",
        "No model was trained: the model in use cannot be loaded, so a new one could not be measured.",
    ),
}
"""The title and first line of what a retraining did, by its outcome."""
NOT_DUE = ("Retraining not due", "No model was trained.")


def describe(outcome: RetrainOutcome) -> tuple[str, str]:
    """The title and text of the message that says what a retraining did."""
    title, said = OUTCOMES.get("promoted" if outcome.promoted else outcome.status, NOT_DUE)
    lines = [said.format(version=outcome.version)]
    if outcome.accuracy_before is not None or outcome.accuracy_after is not None:
        held = f"{outcome.holdout_documents} held-out documents"
        if outcome.golden_documents:
            held += f" and {outcome.golden_documents} golden"
        lines.append(
            f"Field accuracy: {_accuracy(outcome.accuracy_before)} (in use) \u2192 "
            f"{_accuracy(outcome.accuracy_after)} (new), measured on {held}."
        )
    if outcome.training_documents:
        lines.append(
            f"Trained on {outcome.training_documents} documents ({outcome.training_pairs} field values) "
            f"in {outcome.seconds:.0f} s."
        )
    if outcome.reasons:
        lines.append("")
        lines.append("Why:" if len(outcome.reasons) > 1 else f"Why: {outcome.reasons[0]}")
        if len(outcome.reasons) > 1:
            lines.extend(f"\u2022 {r}" for r in outcome.reasons)
    if outcome.warnings:
        lines.append("")
        lines.extend(f"Warning: {w}" for w in outcome.warnings)
    return title, "\n".join(lines)


class RetrainControl(SupervisorAction):
    """The "Retrain model" action, the model version and the progress bar in the status bar."""

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
            text="Retrain model\u2026",
            name="action-retrain",
            tip="Train a new field model on the approved documents; it is used only if it is better",
            allowed=user.may_retrain,
            failure="Retraining failed",
        )
        self.version_label = QLabel()
        self.version_label.setObjectName("model-version")
        self.version_label.setToolTip("The field model in use")
        self.progress = QProgressBar()
        self.progress.setObjectName("retrain-progress")
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        status_bar.addPermanentWidget(self.progress)
        status_bar.addPermanentWidget(self.version_label)

    def refresh_version(self) -> None:
        def shown(version: object) -> None:
            self.version_label.setText(f"Model: {version}")

        self._runner.submit(self._backend.model_version, shown, lambda _e: self.version_label.setText(""))

    def start(self) -> None:
        if not self._begin("Retraining the field model\u2026 (the window stays usable)"):
            return
        self.progress.setRange(0, 0)  # busy until the first document is counted
        self.progress.setFormat("retraining")
        self.progress.show()
        backend, user = self._backend, self._user
        self._runner.submit_reporting(
            lambda report: backend.retrain(user, report), self._progressed, self._done, self._failed
        )

    def _progressed(self, done: int, total: int, what: str) -> None:
        if total > 0 and done < total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(f"retraining {done}/{total}")
        else:  # every document read: training and measuring, no count to show
            self.progress.setRange(0, 0)
            self.progress.setFormat("training")
        self._status.showMessage(f"Retraining: reading documents ({done} of {total})")

    def _end(self) -> None:
        super()._end()
        self.progress.hide()

    def _done(self, outcome: object) -> None:
        assert isinstance(outcome, RetrainOutcome)
        self.refresh_version()
        title, text = describe(outcome)
        self._report(outcome, title, text, f"Retraining done: {title.lower()}.")
