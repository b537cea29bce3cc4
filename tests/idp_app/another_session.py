"""A write another session holds uncommitted while the service under test acts: what row locks are for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine

from idp_app.config import AppConfig
from idp_app.errors import AppError


def while_another_session_writes(config: AppConfig, change: Any, act: Callable[[], object]) -> str:
    """Run ``act`` in a thread while another session holds ``change`` uncommitted, then commit it; what ``act``
    raised (its message), or "" if it went through. Without a row lock ``act`` would finish on the old row."""
    other = create_engine(config.database_url)
    outcome = {"error": ""}

    def run() -> None:
        try:
            act()
        except AppError as exc:
            outcome["error"] = str(exc)

    try:
        with other.connect() as conn:
            tx = conn.begin()
            conn.execute(change)
            worker = threading.Thread(target=run)
            worker.start()
            worker.join(timeout=1.0)
            tx.commit()
        worker.join(timeout=60)
    finally:
        other.dispose()
    return outcome["error"]
