from __future__ import annotations

from pathlib import Path

import pytest

from idp_app.cli.demo import DEMO_CONTRACTS, DEMO_INVOICES, fill_inbox, has_display, no_display_reason


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
    ],
)
def test_window_opens_only_where_a_display_exists(env: dict[str, str], expected: bool) -> None:
    assert has_display(env) is expected
    if not expected:  # and says why: a display set beside an offscreen Qt is not a missing one
        platform = env.get("QT_QPA_PLATFORM")
        assert no_display_reason(env) == (f"QT_QPA_PLATFORM is {platform}" if platform else "DISPLAY is not set")


def test_demo_inbox_is_written_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    assert fill_inbox(inbox) == DEMO_INVOICES + DEMO_CONTRACTS
    files = sorted(p.name for p in (inbox / "docs").iterdir())
    assert len(files) == DEMO_INVOICES + DEMO_CONTRACTS
    assert (inbox / "truth.jsonl").is_file()
    assert fill_inbox(inbox) == 0
    assert sorted(p.name for p in (inbox / "docs").iterdir()) == files
