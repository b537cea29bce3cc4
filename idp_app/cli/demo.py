"""`idp demo`: a working installation in one command.

Creates the database in the data directory, adds the demo users, fills the demo inbox with generated invoices,
contracts and scans, ingests them, and opens the desktop window. With no display it runs the same headless
pipeline and prints where the results are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from idp_app.cli.workflow import app_config, handle_errors

DEMO_SEED = 2024
DEMO_INVOICES = 12
DEMO_CONTRACTS = 3
DEMO_SCANNED = 0.25

console = Console()


HEADLESS_QT = ("offscreen", "minimal")
"""Qt platforms that draw nowhere."""


def has_display(env: dict[str, str] | None = None) -> bool:
    """True when a window can be shown: an X11 or Wayland display and no offscreen Qt platform."""
    env = dict(os.environ) if env is None else env
    if env.get("QT_QPA_PLATFORM", "").startswith(HEADLESS_QT):
        return False
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def no_display_reason(env: dict[str, str] | None = None) -> str:
    """Why :func:`has_display` said no."""
    env = dict(os.environ) if env is None else env
    platform = env.get("QT_QPA_PLATFORM", "")
    return f"QT_QPA_PLATFORM is {platform}" if platform.startswith(HEADLESS_QT) else "DISPLAY is not set"


def fill_inbox(inbox: Path) -> int:
    """Write the demo documents to ``inbox`` unless they are there already. Returns how many were written."""
    from idp_app.samples import DOCS_DIR, generate_corpus

    docs = inbox / DOCS_DIR
    if docs.is_dir() and any(docs.iterdir()):
        return 0
    with _progress() as bar:
        task = bar.add_task("writing demo documents", total=DEMO_INVOICES + DEMO_CONTRACTS)
        truths = generate_corpus(
            inbox,
            invoices=DEMO_INVOICES,
            contracts=DEMO_CONTRACTS,
            scanned_share=DEMO_SCANNED,
            seed=DEMO_SEED,
            overwrite=True,
            progress=lambda _t: bar.advance(task),
        )
    return len(truths)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@handle_errors
def demo(
    window: bool = typer.Option(True, "--window/--no-window", help="Open the desktop window when a display exists."),
    workers: int = typer.Option(2, min=0, help="Processes that extract documents in parallel."),
) -> None:
    """Set up a demo: database, demo users, a demo inbox of generated documents, ingest; then open the window."""
    from idp_app.services import Workspace

    config = app_config()
    with Workspace.open(config) as ws:
        ws.users.ensure_demo_users()
        written = fill_inbox(config.inbox_dir)
        if written:
            console.print(f"demo inbox: wrote {written} documents to {config.inbox_dir}")
        with _progress() as bar:
            task = bar.add_task("extracting", total=None)

            def advance(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=f"extracting {name}")

            report = ws.ingest.ingest([config.inbox_dir / "docs"], workers=workers, progress=advance)
        counts = ws.queue.counts_by_status()

    table = Table(title="Demo inbox", show_header=True)
    table.add_column("status")
    table.add_column("documents", justify="right")
    for status, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        if n:
            table.add_row(str(status), str(n))
    console.print(table)
    console.print(
        f"ingested {report.imported} new, {report.duplicates} already known, {report.failed} failed "
        f"in {report.seconds:.1f} s"
    )
    console.print(f"database: {config.database_url}\noriginal files: {config.files_dir}")
    console.print("log in as clerk/clerk or supervisor/supervisor (admin/admin manages users)")

    if window and has_display():
        console.print("opening the review station ...")
        code = subprocess.call([sys.executable, "-m", "ui", "--home", str(config.home)])
        raise typer.Exit(code)
    if window:
        console.print(
            f"no display found ({no_display_reason()}): ran the headless pipeline only.\n"
            "See the queue with `uv run idp queue`, one document with `uv run idp show ID`;\n"
            "open the window on a desktop with `make run`, or on a virtual screen with `xvfb-run -a make run`."
        )


def register(app: typer.Typer) -> None:
    app.command()(demo)
