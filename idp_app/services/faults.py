"""A pause point for crash tests: ``IDP_PAUSE_AT=name`` makes the process stop inside the named transaction.

When the variable names this point, the process writes ``IDP_PAUSE_FILE`` (if set) and sleeps, so that a test
can kill it with SIGKILL at exactly that moment. Unset (always, outside tests), it costs one dict lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    if os.environ.get("IDP_PAUSE_AT") != name:
        return
    marker = os.environ.get("IDP_PAUSE_FILE")
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get("IDP_PAUSE_SECONDS", "60")))
