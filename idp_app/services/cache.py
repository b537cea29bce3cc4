"""The cache folder: what each part holds, and pruning it.

Everything in ``cache_dir`` can be made again from the stored originals; pruning costs time, never data:

- ``pages/``: page images rendered by :meth:`DocumentService.page_image` (about 0.1 s each to render again), for
  tools built on the services; the window renders its pages in memory. Kept up to a size limit, the ones used
  least recently removed first; serving one marks it as used.
- ``tokens/``: the words of each document the window shows (an OCR of every page to make again, for a scan).
  Only files of another format version are removed.
- ``read/``, ``replay-documents/``: documents as read for extraction and for a replay. A file written by other
  readers than this install's is never used again (it would be read afresh), so it is removed.
- ``learning/``: each document's candidates for retraining, named by the feature version that made them; those
  of another version are removed.
- Half-written files a crash left behind (temporary names) are removed once they are an hour old.

Which version is this install's is judged by the process that prunes. One that finds no Tesseract (a launcher with
another ``PATH``, say) has another reader version than the one that read the scans, so it removes no readings or
candidates: it would take every one for stale. The window, on closing, removes only page images and leftovers.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from idp_app.config import AppConfig

PAGES_LIMIT_MB = 1024
"""Rendered page images kept, in MiB (about 4,000 pages of an invoice at 150 dpi)."""
TEMP_AGE_S = 3600.0
"""A temporary file this old is one a crashed writer left: no write takes an hour."""
HEADER_BYTES = 256
"""A cached read's format and reader version are the first keys of its JSON: this much of the file holds them."""

_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}$|\.tmp\.png$")
"""``write_atomically``'s temporary names (".NAME.XXXXXXXX") and a page image being rendered ("*.tmp.png")."""


@dataclass(slots=True)
class PartUsage:
    """One part of the cache: its files, and those a prune removes."""

    name: str
    files: int = 0
    bytes: int = 0
    stale_files: int = 0
    stale_bytes: int = 0


@dataclass(slots=True)
class PruneReport:
    parts: list[PartUsage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def removed_files(self) -> int:
        return sum(p.stale_files for p in self.parts)

    @property
    def removed_bytes(self) -> int:
        return sum(p.stale_bytes for p in self.parts)


def _files(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Regular files under ``folder``, at any depth; nothing where it does not exist."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                yield from _files(Path(e.path))
            elif e.is_file(follow_symlinks=False):
                yield e
        except OSError:
            continue


def _header(path: str) -> dict[str, object]:
    """The leading ``"key":value`` pairs of a JSON object whose values are numbers or plain strings."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEADER_BYTES).decode("utf-8", "replace")
    except OSError:
        return {}
    found: dict[str, object] = {}
    for key, number, text in re.findall(r'"(\w+)"\s*:\s*(?:(-?\d+)|"([^"\\]*)")', head):
        found.setdefault(key, int(number) if number else text)
    return found


def _versions() -> dict[str, Callable[[os.DirEntry[str]], bool]]:
    """Per part, whether a file (not a temporary one) is of this install's version."""
    from extractors.reader_version import reader_version
    from idp_app.learning.dataset import CONTRACT_VERSION, FEATURE_VERSION
    from idp_app.learning.doc_cache import CACHE_VERSION
    from idp_app.services.documents import TOKEN_CACHE_VERSION

    reader = reader_version()

    def read_by_these_readers(e: os.DirEntry[str]) -> bool:
        head = _header(e.path)
        return head.get("version") == CACHE_VERSION and head.get("reader") == reader

    def tokens_current(e: os.DirEntry[str]) -> bool:
        return _header(e.path).get("version") == TOKEN_CACHE_VERSION

    def features_current(e: os.DirEntry[str]) -> bool:
        stem = e.name.removesuffix(".json")
        return stem.endswith((f"-{FEATURE_VERSION}", f"-contract-{CONTRACT_VERSION}"))

    return {
        "tokens": tokens_current,
        "read": read_by_these_readers,
        "replay-documents": read_by_these_readers,
        "learning": features_current,
    }


def prune_cache(
    config: AppConfig,
    pages_limit_mb: float = PAGES_LIMIT_MB,
    *,
    versions: bool = True,
    dry_run: bool = False,
    now: float | None = None,
) -> PruneReport:
    """Remove what the cache no longer needs (see the module's doc); ``versions=False`` leaves files of other
    versions alone, ``dry_run`` only counts. Each part's usage is reported with what was (or would be) removed."""
    from extractors.reader_version import tesseract_found

    now = time.time() if now is None else now
    report = PruneReport()
    current = _versions()
    parts = ["pages", *current]
    if not versions:
        current = {}
    elif not tesseract_found():  # the words the window shows have a format version of their own
        current = {"tokens": current["tokens"]}
        report.notes.append(
            "Tesseract is not found here, so this process reads with other readers than the ones that read the "
            "scans: no reading or candidate was judged stale (prune where Tesseract is on the PATH)"
        )
    try:  # any other folder: only a crash's leftovers are removed from it
        others = sorted(e.name for e in os.scandir(config.cache_dir) if e.is_dir() and e.name not in parts)
    except OSError:
        others = []
    for name in parts + others:
        usage = PartUsage(name)
        report.parts.append(usage)
        kept: list[tuple[float, int, str]] = []
        for e in _files(config.cache_dir / name):
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            usage.files += 1
            usage.bytes += st.st_size
            temp = bool(_TEMP.search(e.name))
            if (temp and now - st.st_mtime > TEMP_AGE_S) or (not temp and name in current and not current[name](e)):
                _remove(e.path, st.st_size, usage, dry_run)
            elif name == "pages" and not temp:
                kept.append((st.st_mtime, st.st_size, e.path))
        if name == "pages":
            total = sum(size for _, size, _ in kept)
            for _, size, path in sorted(kept):  # least recently shown first
                if total <= pages_limit_mb * 1024 * 1024:
                    break
                _remove(path, size, usage, dry_run)
                total -= size
    return report


def _remove(path: str, size: int, usage: PartUsage, dry_run: bool) -> None:
    if not dry_run:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # another prune, or the writer, took it meanwhile
        except OSError:
            return
    usage.stale_files += 1
    usage.stale_bytes += size


def mark_used(path: Path) -> None:
    """Note that a cached file was just used, so that pruning keeps it longest."""
    with contextlib.suppress(OSError):  # a read-only cache is still a cache
        os.utime(path)
