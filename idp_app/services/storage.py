"""Original files, kept content-addressed by SHA-256 beside the database and never modified."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def write_atomically(target: Path, data: bytes, *, overwrite: bool = True) -> bool:
    """Write ``data`` to ``target`` through a temporary file in its folder: readers see the old bytes or the new.
    ``overwrite=False`` leaves a file already there (one a writer with newer data put there meanwhile) as it is
    and returns False."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if overwrite:
            os.replace(tmp, target)
            return True
        try:
            os.link(tmp, target)  # fails, atomically, where the target exists
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: the narrow window of a check first
            if target.exists():
                return False
            os.replace(tmp, target)
            return True
        Path(tmp).unlink(missing_ok=True)
        return True
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if not overwrite:
            Path(tmp).unlink(missing_ok=True)


def stored_suffix(path: Path) -> str:
    """The file name's extension as the store names its copy ("invoice.pdf" -> ".pdf"); none where it is no
    extension ("invoice.pdf_backup_copy_2023_final"): what a file is, is read from its bytes."""
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """``files/ab/abcdef....pdf``: the first two hex digits of the hash name the sub-folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix.lower()}"

    def put(self, source: Path, sha256: str | None = None) -> tuple[str, Path]:
        """Copy ``source`` into the store (once) and return its hash and stored path.

        The copy goes to a temporary name in the target folder and is renamed, so a crash leaves either
        no file or the whole file. The stored file is made read-only.
        """
        sha = sha256 or sha256_of(source)
        target = self.path_for(sha, stored_suffix(source))
        if target.exists():
            return sha, target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            shutil.copyfile(source, tmp)
            if sha256_of(tmp) != sha:
                raise OSError(f"{source} changed while it was being copied")
            tmp.chmod(0o444)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return sha, target
