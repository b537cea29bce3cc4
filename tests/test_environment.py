"""The installed environment is the one the project promises."""

from __future__ import annotations

from importlib import metadata

import pytest


def _installed() -> set[str]:
    return {d.metadata["Name"].lower().replace("_", "-") for d in metadata.distributions()}


def test_opencv_is_the_headless_build_only() -> None:
    import cv2

    installed = _installed()
    assert "opencv-python-headless" in installed
    assert "opencv-python" not in installed, "layoutparser's GUI OpenCV must be overridden away"
    assert "opencv-contrib-python" not in installed
    # The headless build has no HighGUI window backend.
    build = cv2.getBuildInformation()
    gui_line = next(line for line in build.splitlines() if line.strip().startswith("GUI:"))
    assert "NONE" in gui_line.upper()


def test_qt_is_pyside6_essentials() -> None:
    installed = _installed()
    assert "pyside6-essentials" in installed
    assert "pyside6-addons" not in installed


def test_tesseract_has_the_three_languages() -> None:
    pytesseract = pytest.importorskip("pytesseract")
    langs = set(pytesseract.get_languages(config=""))
    assert {"eng", "deu", "fra"} <= langs
