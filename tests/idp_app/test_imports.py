"""Every module of the application imports first, on its own: a script or a worker process may start with any."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "idp_app").rglob("*.py")
    if "migrations" not in p.parts and p.name != "__main__.py"
)


@pytest.mark.parametrize("package", ["idp_app.learning", "idp_app.services", "idp_app.export", "idp_app.cli"])
def test_each_module_imports_first_in_a_fresh_interpreter(package: str) -> None:
    """One interpreter per module (a module imported first sees the import cycles others would hide)."""
    modules = [m.removesuffix(".__init__") for m in MODULES if m.startswith(package)]
    script = (
        "import importlib, subprocess, sys\n"
        "failed = []\n"
        "for m in sys.argv[1:]:\n"
        "    r = subprocess.run([sys.executable, '-c', f'import {m}'], capture_output=True, text=True)\n"
        "    if r.returncode:\n"
        "        failed.append(m + ': ' + r.stderr.strip().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout
