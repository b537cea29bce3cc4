"""`idp samples`: write a corpus of realistic sample invoices and contracts with their truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from idp_app.samples import SampleError, SampleTruth, check_corpus_arguments, generate_corpus


def samples(
    directory: Annotated[Path, typer.Argument(help="Where to write docs/ and truth.jsonl.")],
    invoices: Annotated[int, typer.Option("--invoices", min=0, help="Number of invoices.")] = 20,
    contracts: Annotated[int, typer.Option("--contracts", min=0, help="Number of contracts.")] = 5,
    scanned: Annotated[
        float, typer.Option("--scanned", min=0.0, max=1.0, help="Share of documents delivered as scans (0 to 1).")
    ] = 0.3,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a corpus already in DIRECTORY.")] = False,
) -> None:
    """Write sample invoices (12 layouts, EN/DE/FR) and contracts, some scanned, with their truth."""
    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        check_corpus_arguments(directory, invoices, contracts, scanned, overwrite)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("generating", total=invoices + contracts)

            def advance(truth: SampleTruth) -> None:
                progress.update(task, advance=1, description=truth.id)

            truths = generate_corpus(directory, invoices, contracts, scanned, seed, overwrite=overwrite,
                                     progress=advance)  # fmt: skip
    except SampleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        typer.echo(f"error: cannot write to {directory}: {exc.strerror or exc}", err=True)
        raise typer.Exit(SampleError.exit_code) from None
    scans = sum(1 for t in truths if t.scan)
    elapsed = time.perf_counter() - started
    typer.echo(
        f"wrote {len(truths)} documents ({invoices} invoices, {contracts} contracts, {scans} scanned) "
        f"to {directory} in {elapsed:.1f} s"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(samples)
