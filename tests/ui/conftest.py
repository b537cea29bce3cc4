"""Qt fixtures: settings in tmp_path, a task runner that is drained after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from tests.ui.factories import white_renderer
from ui.rendering import PageImageSource
from ui.tasks import TaskRunner


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("idp-desk-tests")
    QCoreApplication.setApplicationName("idp-desk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture
def runner(qtbot: object) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.wait()


@pytest.fixture
def images(runner: TaskRunner) -> PageImageSource:
    return PageImageSource(runner, white_renderer)
