"""`idp extract` and `idp eval`: fields from documents, and accuracy against a benchmark folder."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extractors.context import ExtractionContext
from extractors.errors import ExtractionError, MissingFileError, UnsupportedFileError
from idp_app.errors import InputError
from idp_app.services.ingest import display_name
from idp_app.services.values import LINE_ITEM_TYPES, PARTY_SEPARATOR


def _error_line(exc: ExtractionError) -> str:
    return f"error [{exc.kind}] {exc}"


def extract_files(files: list[Path], ctx: ExtractionContext, fmt: str = "json") -> int:
    """Extract each file, print one JSON object per line (or a table); return the exit status."""
    from extractors.pipeline import extract

    console = Console()
    status = 0
    for path in files:
        t0 = time.perf_counter()
        try:
            if path.is_dir():
                raise UnsupportedFileError("is a folder, not a document (idp ingest takes folders)", path=str(path))
            if not path.exists():
                raise MissingFileError("no such file", path=str(path))
            if not path.is_file():
                raise UnsupportedFileError("not a file (a pipe or a device)", path=str(path))
            result = extract(path, ctx)
        except ExtractionError as exc:
            if exc.path is None:
                exc.path = str(path)
            print(_error_line(exc), file=sys.stderr, flush=True)
            status = status or exc.exit_code
            continue
        except Exception as exc:  # the batch goes on; the one line names the document
            print(f"error [internal] {path}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            status = status or 1
            continue
        data = result.to_json()
        data["file"] = str(path)
        data["timing_ms"] = {**data["timing_ms"], "total": round((time.perf_counter() - t0) * 1000, 1)}
        if fmt == "table":
            _print_table(console, data)
        else:
            print(json.dumps(data, ensure_ascii=False), flush=True)
    return status


def _print_table(console: Console, data: dict[str, Any]) -> None:
    table = Table(title=f"{data['file']} ({data['type']}, {data['type_confidence']:.2f})")
    for col in ("field", "value", "confidence", "page", "evidence"):
        table.add_column(col)
    for name, fv in data["fields"].items():
        value = fv["value"]
        shown = PARTY_SEPARATOR.join(value) if isinstance(value, list) else ("" if value is None else str(value))
        page = "" if fv["page"] is None else str(fv["page"] + 1)
        table.add_row(name, shown, f"{fv['confidence']:.2f}", page, "; ".join(fv["evidence"]))
    console.print(table)
    if data["line_items"]:
        items = Table(title="line items")
        cols = [c for c in LINE_ITEM_TYPES if any(item.get(c) for item in data["line_items"])]
        for col in cols:
            items.add_column(col)
        for item in data["line_items"]:
            items.add_row(*[str(item.get(c) or "") for c in cols])
        console.print(items)


def extract_cmd(
    files: Annotated[list[Path], typer.Argument(help="PDF, image or e-invoice XML files.")],
    fmt: Annotated[str, typer.Option("--format", help="json (one object per line) or table.")] = "json",
    no_einvoice: Annotated[bool, typer.Option("--no-einvoice", help="Read the page, not the embedded XML.")] = False,
) -> None:
    """Extract the fields of each document: value, box, calibrated confidence, alternatives and evidence.

    With the shipped model, whatever a desk learned: to see a stored document read with the model in use and
    the vendor memory, re-extract it (idp reextract DOC) and show it (idp show DOC)."""
    if fmt not in ("json", "table"):
        print(f"error: --format must be json or table, not {fmt!r}", file=sys.stderr)
        raise typer.Exit(2)
    raise typer.Exit(extract_files(files, ExtractionContext(use_einvoice=not no_einvoice), fmt))


def eval_cmd(
    dataset_dir: Annotated[Path, typer.Argument(help="A folder with docs/ and truth.jsonl.")],
    no_einvoice: Annotated[bool, typer.Option("--no-einvoice", help="Read the page, not the embedded XML.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate the first N documents only.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Documents extracted in parallel.")] = 1,
    held_out: Annotated[
        bool, typer.Option("--held-out", help="Leave out the documents the model was trained or calibrated on.")
    ] = False,
) -> None:
    """Measure extraction against a benchmark folder: field accuracy, line items, calibration, risk-coverage, speed."""
    from rich.progress import Progress

    from extractors.evaluation import load_truth, run_dataset
    from extractors.pipeline import load_model

    if not (dataset_dir / "truth.jsonl").is_file():
        print(
            f"error: {dataset_dir} has no truth.jsonl (a dataset folder holds docs/ and truth.jsonl)", file=sys.stderr
        )
        raise typer.Exit(InputError.exit_code)
    try:
        total = len(load_truth(dataset_dir))
    except (ValueError, OSError) as exc:  # a line that is no truth record, a file that cannot be read
        print(f"error: {display_name(str(exc))}", file=sys.stderr)
        raise typer.Exit(InputError.exit_code) from None
    ctx = ExtractionContext(use_einvoice=not no_einvoice)
    skip: frozenset[str] = frozenset()
    if held_out:
        try:
            skip = frozenset(load_model(None).training_documents)
        except ExtractionError as exc:
            print(_error_line(exc), file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
    bar_console = Console(stderr=True)
    with Progress(console=bar_console, transient=True, disable=not bar_console.is_terminal) as progress:
        task = progress.add_task("extracting", total=min(total, limit) if limit else total)
        report, _ = run_dataset(
            dataset_dir, ctx, limit=limit, workers=workers, skip_sha256=skip, progress=lambda _r: progress.advance(task)
        )
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return
    console = Console()
    table = Table(title=f"{dataset_dir.name}: {report.documents} documents, {report.fields_total} fields")
    for col in ("field", "accuracy", "n", "mean confidence"):
        table.add_column(col)
    for name, row in report.per_field.items():
        table.add_row(name, f"{row['accuracy']:.1%}", str(int(row["n"])), f"{row['mean_confidence']:.2f}")
    console.print(table)
    console.print(
        f"document accuracy {report.document_accuracy:.1%}   ECE {report.ece:.3f}   "
        f"{report.pages_per_second:.2f} pages/s   failed {len(report.failed)}"
    )
    items = report.line_items
    if items:
        cols = ", ".join(f"{c} {v['accuracy']:.1%}" for c, v in items["columns"].items())
        console.print(
            f"line items: F1 {items['f1']:.3f} (precision {items['precision']:.1%}, recall {items['recall']:.1%}) "
            f"over {items['truth']} items in {items['documents']} documents; columns of paired items: {cols}"
        )
    rc = Table(title="risk-coverage")
    for col in ("threshold", "coverage", "error rate", "fields"):
        rc.add_column(col)
    for row in report.risk_coverage:
        rc.add_row(
            f"{row['threshold']:.2f}", f"{row['coverage']:.1%}", f"{row['error_rate']:.2%}", str(int(row["fields"]))
        )
    console.print(rc)
    th = "none" if report.threshold_1pct is None else f"{report.threshold_1pct:.3f}"
    console.print(f"at <= 1% error: threshold {th}, {report.coverage_1pct:.1%} of fields pass without review")
    for line in report.failed:
        console.print(f"failed: {line}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("extract")(extract_cmd)
    app.command("eval")(eval_cmd)
