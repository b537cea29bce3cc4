"""`idp info`: where the data lives and what is installed."""

from __future__ import annotations

import shutil
from importlib import metadata

import typer
from rich.console import Console
from rich.table import Table

from idp_app.config import AppConfig


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


def register(app: typer.Typer) -> None:
    app.command()(info)
