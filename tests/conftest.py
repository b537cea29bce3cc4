"""Shared test set-up: Qt offscreen, Tesseract single-threaded, and where the shared benchmark data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user data directory or Qt settings from a test."""
    home = tmp_path_factory.mktemp("idp-home")
    monkeypatch.setenv("IDP_HOME", str(home))
    monkeypatch.delenv("IDP_DATABASE_URL", raising=False)
    monkeypatch.delenv("IDP_FILES_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture
def shared_data() -> Path:
    """The benchmark corpora beside the project; tests that use them skip where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark corpora not present at {SHARED_DATA}")
    return SHARED_DATA
