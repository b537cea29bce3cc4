"""``python -m ui``: bad start-up conditions end in one clear line and an exit status, not a traceback."""

from __future__ import annotations

import pytest

from ui import __main__ as entry
from ui.__main__ import main


def test_no_display_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("idp-desk: no display") and "\n" not in err


def test_unusable_home_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    from idp_app.errors import ConfigError

    assert main(["--home", "/proc/no-such-place"]) == ConfigError.exit_code
    err = capsys.readouterr().err.strip()
    assert err.startswith("idp-desk: cannot use /proc/no-such-place") and "data folder" in err and "\n" not in err


def test_ctrl_c_in_the_terminal_ends_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl+C at the login dialog printed a KeyboardInterrupt traceback."""

    def interrupted(argv: object = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(entry, "main", interrupted)
    assert entry.run([]) == 130
    assert capsys.readouterr().err.strip() == "idp-desk: interrupted"
