"""The cache folder: pruned to its limits without touching what this install still uses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.context import ExtractionContext
from extractors.document import DocumentType
from extractors.results import ExtractionResult
from idp_app.cli import app
from idp_app.config import AppConfig
from idp_app.learning.dataset import CONTRACT_VERSION, FEATURE_VERSION
from idp_app.learning.doc_cache import CACHE_VERSION
from idp_app.services import Workspace
from idp_app.services.cache import TEMP_AGE_S, prune_cache
from idp_app.services.documents import TOKEN_CACHE_VERSION

MIB = 1024 * 1024


def _file(path: Path, size: int = 10, mtime: float | None = None, text: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(b"x" * size)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _read_json(reader: str, version: int = CACHE_VERSION) -> str:
    return json.dumps({"version": version, "reader": reader, "path": "/in/a.pdf", "pages": []}, separators=(",", ":"))


def test_page_images_beyond_the_limit_go_least_recently_shown_first(tmp_path: Path) -> None:
    config = AppConfig.for_directory(tmp_path / "home")
    now = time.time()
    pages = [_file(config.cache_dir / "pages" / f"p{i}.png", MIB // 2, now - 1000 + i * 100) for i in range(6)]
    report = prune_cache(config, pages_limit_mb=1.2, now=now)
    assert [p.exists() for p in pages] == [False, False, False, False, True, True]
    part = next(p for p in report.parts if p.name == "pages")
    assert (part.files, part.stale_files, part.stale_bytes) == (6, 4, 2 * MIB)
    assert prune_cache(config, pages_limit_mb=1.2, now=now).removed_files == 0  # within the limit now


def test_files_of_other_versions_and_old_leftovers_go_the_rest_stays(tmp_path: Path) -> None:
    from extractors.reader_version import reader_version

    config = AppConfig.for_directory(tmp_path / "home")
    cache, now = config.cache_dir, time.time()
    keep = [
        _file(cache / "read" / "aa-12345678.json", text=_read_json(reader_version())),
        _file(cache / "replay-documents" / "bb.json", text=_read_json(reader_version())),
        _file(cache / "tokens" / "cc.json", text=json.dumps({"version": TOKEN_CACHE_VERSION, "pages": []})),
        _file(cache / "learning" / "candidates" / f"dd-invoice-{FEATURE_VERSION}.json", text="{}"),
        _file(cache / "learning" / "contracts" / f"ee-contract-{CONTRACT_VERSION}.json", text="{}"),
        _file(cache / "tokens" / ".ff.json.k2j3_x9a", mtime=now - 60),  # being written right now
        _file(cache / "other" / "notes.json", mtime=now - 10 * TEMP_AGE_S),  # a part this install does not know
    ]
    gone = [
        _file(cache / "read" / "ab-12345678.json", text=_read_json("another reader")),
        _file(cache / "read" / "ac-12345678.json", text=_read_json(reader_version(), CACHE_VERSION + 1)),
        _file(cache / "replay-documents" / "bc.json", text=_read_json("another reader")),
        _file(cache / "tokens" / "cd.json", text=json.dumps({"version": TOKEN_CACHE_VERSION - 1, "pages": []})),
        _file(cache / "learning" / "candidates" / "de-invoice-0123456789ab.json", text="{}"),
        _file(cache / "learning" / "contracts" / "ef-contract-0123456789ab.json", text="{}"),
        _file(cache / "tokens" / ".fg.json.k2j3_x9a", mtime=now - 2 * TEMP_AGE_S),  # a crashed write
        _file(cache / "pages" / "a-p0-150-t0.tmp.png", mtime=now - 2 * TEMP_AGE_S),
        _file(cache / "other" / ".x.json.abcdefgh", mtime=now - 2 * TEMP_AGE_S),
    ]
    counted = prune_cache(config, dry_run=True, now=now)
    assert all(p.exists() for p in keep + gone)
    assert counted.removed_files == len(gone)
    report = prune_cache(config, now=now)
    assert [p for p in keep if not p.exists()] == []
    assert [p for p in gone if p.exists()] == []
    assert report.removed_files == len(gone)
    assert {p.name: p.stale_files for p in report.parts} == {
        "pages": 1,
        "tokens": 2,
        "read": 2,
        "replay-documents": 1,
        "learning": 2,
        "other": 1,
    }


def test_an_empty_or_missing_cache_prunes_to_nothing(tmp_path: Path) -> None:
    report = prune_cache(AppConfig.for_directory(tmp_path / "nowhere"))
    assert report.removed_files == 0 and all(p.files == 0 for p in report.parts)


def _no_fields(path: Path, ctx: ExtractionContext) -> ExtractionResult:
    return ExtractionResult(str(path), DocumentType.INVOICE, 0.9, 1, {})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_showing_a_cached_page_keeps_it_longest(config: AppConfig, tmp_path: Path) -> None:
    from idp_app.samples import make_invoice

    inbox = tmp_path / "in"
    inbox.mkdir()
    make_invoice(inbox / "inv.pdf", seed=3)
    with Workspace.open(config, extract=_no_fields) as ws:
        ws.ingest.ingest([inbox], workers=0)
        [item] = ws.queue.list()
        png = ws.documents.page_image(item.id, 0, dpi=40)
        old = time.time() - 3600
        os.utime(png, (old, old))
        other = _file(config.cache_dir / "pages" / "other.png", png.stat().st_size, old + 60)
        assert ws.documents.page_image(item.id, 0, dpi=40) == png  # shown again, from the cache
        prune_cache(config, pages_limit_mb=png.stat().st_size * 1.5 / MIB)
        assert png.exists() and not other.exists()


def test_cache_commands_show_then_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("IDP_HOME", str(home))
    config = AppConfig.from_env()
    now = time.time()
    pages = [_file(config.cache_dir / "pages" / f"p{i}.png", MIB, now - 100 + i) for i in range(3)]
    runner = CliRunner()
    shown = runner.invoke(app, ["cache", "show", "--pages-mb", "1.5"])
    assert shown.exit_code == 0, shown.output
    assert "pages" in shown.output and "3.0 MiB" in shown.output
    assert all(p.exists() for p in pages)
    pruned = runner.invoke(app, ["cache", "prune", "--pages-mb", "1.5"])
    assert pruned.exit_code == 0, pruned.output
    assert "removed 2 files, 2.0 MiB" in pruned.output
    assert [p.exists() for p in pages] == [False, False, True]


def test_readings_are_not_judged_where_tesseract_is_missing_nor_on_the_windows_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that finds no Tesseract has another reader version than the one that read the scans: it would
    take every reading for stale."""
    import extractors.reader_version

    config = AppConfig.for_directory(tmp_path / "home")
    cache, now = config.cache_dir, time.time()
    reading = _file(cache / "read" / "ab-12345678.json", text=_read_json("another reader"))
    candidates = _file(cache / "learning" / "candidates" / "de-invoice-0123456789ab.json", text="{}")
    tokens = _file(cache / "tokens" / "cd.json", text=json.dumps({"version": TOKEN_CACHE_VERSION - 1}))
    leftover = _file(cache / "tokens" / ".fg.json.k2j3_x9a", mtime=now - 2 * TEMP_AGE_S)
    window = prune_cache(config, versions=False, dry_run=True, now=now)
    assert window.removed_files == 1 and not window.notes  # the leftover only
    monkeypatch.setattr(extractors.reader_version, "tesseract_found", lambda: False)
    report = prune_cache(config, now=now)
    assert reading.exists() and candidates.exists()
    assert not tokens.exists() and not leftover.exists()  # the window's words have a format of their own
    assert report.notes and report.notes[0].startswith("Tesseract is not found here")
