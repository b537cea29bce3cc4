"""How worker processes are started."""

from __future__ import annotations

import multiprocessing
import threading


def safe_start_method() -> str:
    """Fork where it is safe (no other thread running: command line, batch); a fork server where threads run
    (the desktop app), since forking a threaded process can copy a held lock into the child."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "forkserver"
