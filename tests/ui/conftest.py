"""Qt fixtures: settings in tmp_path, a task runner that is drained after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from idp_app.samples.truth import SampleTruth
from tests.ui.factories import white_renderer
from tests.ui.session_data import make_inbox
from ui.rendering import PageImageSource
from ui.tasks import TaskRunner


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("idp-desk-tests")
    QCoreApplication.setApplicationName("idp-desk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SampleTruth]]:
    """The sample invoices of the end-to-end tests, generated once per run."""
    folder = tmp_path_factory.mktemp("ui-samples")
    return folder, make_inbox(folder)


@pytest.fixture
def runner(qtbot: object) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.wait()


@pytest.fixture
def images(runner: TaskRunner) -> PageImageSource:
    return PageImageSource(runner, white_renderer)
