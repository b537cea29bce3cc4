"""The distribution carries what an installed app needs."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.mark.slow
def test_wheel_carries_packages_resources_and_commands(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    subprocess.run([uv, "build", "--wheel", "--quiet", "-o", str(tmp_path)], cwd=REPO_ROOT, check=True)
    (wheel,) = tmp_path.glob("idp_desk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("extractors", "idp_app", "ui"):
        assert f"{package}/__init__.py" in names
    assert "resources/icons/idp-desk.svg" in names
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "idp = idp_app.cli:main" in text


def test_desktop_entry_is_well_formed() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(REPO_ROOT / "packaging" / "linux" / "idp-desk.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "idp-desk"
    assert (REPO_ROOT / "resources" / "icons" / f"{section['Icon']}.svg").is_file()
