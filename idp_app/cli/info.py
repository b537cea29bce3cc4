"""`idp info`: where the data lives and what is installed; `idp cache`: what the cache holds, and pruning it."""

from __future__ import annotations

import shutil
from importlib import metadata
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from idp_app.cli.base import Typer
from idp_app.config import AppConfig
from idp_app.services.cache import PAGES_LIMIT_MB, PruneReport, prune_cache

cache_app = Typer(
    help="The cache of read documents and page images (all made again when needed).", no_args_is_help=True
)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def info() -> None:
    """Show the data directory, the database, and the versions of the parts IDP Desk runs on."""
    cfg = AppConfig.from_env()
    table = Table(show_header=False, box=None)
    table.add_row("data directory", str(cfg.home))
    table.add_row("database", _redact(cfg.database_url))
    table.add_row("original files", str(cfg.files_dir))
    table.add_row("idp-desk", metadata.version("idp-desk"))
    tesseract = shutil.which("tesseract")
    table.add_row("tesseract", tesseract or "not installed: OCR of scans is unavailable")
    Console().print(table)


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB"


def _usage_table(report: PruneReport, removed: str) -> Table:
    table = Table()
    for column in ("part", "files", "size", removed, ""):
        table.add_column(column, justify="left" if column == "part" else "right")
    for p in report.parts:
        table.add_row(p.name, f"{p.files:,}", _mib(p.bytes), f"{p.stale_files:,}", _mib(p.stale_bytes))
    return table


def cache_show(
    pages_mb: Annotated[
        float, typer.Option(min=0, help="Size limit of the rendered page images, in MiB.")
    ] = PAGES_LIMIT_MB,
) -> None:
    """Show what each part of the cache holds, and what `idp cache prune` would remove."""
    cfg = AppConfig.from_env()
    report = prune_cache(cfg, pages_mb, dry_run=True)
    out = Console()
    out.print(f"cache: {cfg.cache_dir}", highlight=False)
    out.print(_usage_table(report, "to remove"))
    for note in report.notes:
        out.print(note, highlight=False)


def cache_prune(
    pages_mb: Annotated[
        float, typer.Option(min=0, help="Size limit of the rendered page images, in MiB.")
    ] = PAGES_LIMIT_MB,
) -> None:
    """Remove what the cache no longer needs; each is made again from the stored original when needed.

    Files written by another version of the readers or features go, and so do leftovers of an interrupted write
    and page images beyond the size limit (least recently used first)."""
    cfg = AppConfig.from_env()
    report = prune_cache(cfg, pages_mb)
    out = Console()
    out.print(_usage_table(report, "removed"))
    for note in report.notes:
        out.print(note, highlight=False)
    out.print(f"removed {report.removed_files:,} files, {_mib(report.removed_bytes)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(info)
    cache_app.command("show")(cache_show)
    cache_app.command("prune")(cache_prune)
    app.add_typer(cache_app, name="cache")
