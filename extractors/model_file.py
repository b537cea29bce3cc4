"""Model files: JSON with a format version, the SHA-256 of the payload and the model's metrics.

Written to a temporary name in the same directory and renamed, so a reader never sees half a file.
Loading checks version and checksum and never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from extractors.errors import ModelFileError

FORMAT = "idp-desk-field-model"
FORMAT_VERSION = 1


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_model(
    path: str | os.PathLike[str],
    payload: dict[str, Any],
    metrics: dict[str, Any],
    *,
    kind: str = FORMAT,
    version: int = FORMAT_VERSION,
) -> Path:
    """Write ``payload`` (weights as plain JSON) and ``metrics`` atomically to ``path``.

    ``kind`` names what the file holds (the field model by default; the contract scorer uses its own).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": kind,
        "format_version": version,
        "sha256": _digest(payload),
        "metrics": metrics,
        "payload": payload,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_model(
    path: str | os.PathLike[str], *, kind: str = FORMAT, version: int = FORMAT_VERSION
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload and metrics of a model file; :class:`ModelFileError` if it is missing, foreign or altered."""
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFileError("model file not found", path=str(source)) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"model file is not readable JSON: {exc}", path=str(source)) from exc
    if not isinstance(document, dict) or document.get("format") != kind:
        raise ModelFileError(f"not an IDP Desk model file of kind {kind}", path=str(source))
    if document.get("format_version") != version:
        raise ModelFileError(
            f"model format version {document.get('format_version')} is not {version}; retrain the model",
            path=str(source),
        )
    payload = document.get("payload")
    if not isinstance(payload, dict) or _digest(payload) != document.get("sha256"):
        raise ModelFileError("model checksum does not match its contents", path=str(source))
    metrics = document.get("metrics") or {}
    return payload, dict(metrics)
