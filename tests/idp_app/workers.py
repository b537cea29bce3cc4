"""Code the workflow tests run in other processes: concurrent clerks, and a CLI-like run to be killed.

Run as a script: ``python workers.py ingest|ingest-pool HOME DB_URL INBOX`` or
``python workers.py approve HOME DB_URL DOC USER``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_extractors import json_extract

from idp_app.config import AppConfig
from idp_app.services import Workspace


def claim_all(home: str, url: str, user: str) -> list[int]:
    """Claim documents as ``user`` until the queue is empty; the ids claimed."""
    got = []
    with Workspace.open(AppConfig.for_directory(Path(home), url), extract=json_extract) as ws:
        while (claim := ws.queue.claim_next(user)) is not None:
            got.append(claim.document_id)
    return got


def main(argv: list[str]) -> None:
    action, home, url = argv[:3]
    with Workspace.open(AppConfig.for_directory(Path(home), url), extract=json_extract) as ws:
        if action == "ingest":
            ws.ingest.ingest([Path(argv[3])], workers=0)
        elif action == "ingest-pool":  # two worker processes
            ws.ingest.ingest([Path(argv[3])], workers=2)
        elif action == "approve":
            ws.review.approve(int(argv[3]), argv[4])
        else:
            raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(sys.argv[1:])
