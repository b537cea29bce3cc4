"""Files of the models directory that every desk sharing a database needs: trained model files, the vendor memory.

The database keeps their bytes (:class:`~idp_app.learning.models.StoredFile`); each desk keeps a copy in its own
models directory, which extraction workers read (they never open the database). :func:`store` records a file,
:func:`fetch` writes a desk's copy from the database where it lacks one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from idp_app.learning.models import StoredFile
from idp_app.services.storage import sha256_of, write_atomically

__all__ = ["fetch", "store", "write_atomically"]


def store(s: Session, name: str, data: bytes) -> None:
    """Record ``data`` as the file ``name`` (replacing what was stored under that name)."""
    sha = hashlib.sha256(data).hexdigest()
    row = s.get(StoredFile, name)
    if row is None:
        s.add(StoredFile(name=name, content=data, sha256=sha))
    elif row.sha256 != sha:
        row.content, row.sha256 = data, sha


def fetch(s: Session, models_dir: Path, name: str, sha256: str | None = None) -> bool:
    """Write the stored file ``name`` into ``models_dir`` where the desk has no copy, or (given the registry's
    checksum ``sha256``) a copy that does not match it: a damaged or replaced file is put right from the database.
    Only bytes that match ``sha256`` are written. True if a copy was written."""
    target = Path(models_dir) / name
    if target.exists() and (sha256 is None or _sha_of(target) == sha256):
        return False
    row = s.get(StoredFile, name)
    if row is None or (sha256 is not None and row.sha256 != sha256):
        return False
    if hashlib.sha256(row.content).hexdigest() != row.sha256:
        return False
    write_atomically(target, row.content)
    return True


def _sha_of(path: Path) -> str | None:
    try:
        return sha256_of(path)
    except OSError:
        return None
