"""`idp export`: approved documents to files an accounting system imports, as one batch (supervisors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from idp_app.cli.workflow import UserOpt, _acting, app_config, err, handle_errors
from idp_app.errors import ExportIncompleteError, InputError

out = Console(soft_wrap=True)


@handle_errors
def export_cmd(
    user: UserOpt = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, cii (Factur-X / ZUGFeRD XML) or ubl (UBL 2.1), both EN 16931; repeat for several. "
            "Default: formats in routing.toml (csv and cii). With --again, the batch's own.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder the batch folder goes into (default: exports/ in the data directory)."),
    ] = None,
    batch: Annotated[
        str | None, typer.Option(help="Name of the batch folder (default: the time in UTC, e.g. 20261122-093000).")
    ] = None,
    documents: Annotated[
        list[int] | None, typer.Option("--document", "-d", min=1, help="Export only these documents (repeat).")
    ] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Write the batch named by --batch once more, from the database, in place of a lost batch folder: "
            "the documents exported in it, with the values, formats and settings they were exported with. Nothing "
            "is marked.",
        ),
    ] = False,
    export_id: Annotated[
        str | None,
        typer.Option(
            "--export-id",
            help="With --again, which export of that name, where two exports into different folders shared it.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Write the approved documents not exported yet as one batch folder (CSV files, one Factur-X or UBL XML per
    invoice checked against its schema and the EN 16931 schematron, a manifest) and mark them exported. A document
    that cannot be written stays approved and is listed with its reason (exit 35); the others are exported. With
    --again, a lost batch is written once more."""
    from idp_app.services import Workspace

    if again and (not batch or documents):
        raise InputError("--again writes a whole batch once more: name it with --batch, without --document")
    with Workspace.open(app_config()) as ws:
        actor = _acting(ws, user)
        report = ws.export.export(
            actor,
            out_dir=out_dir,
            formats=formats,
            batch=batch,
            doc_ids=documents,
            again=again,
            export_id=export_id,
        )
    if as_json:
        print(json.dumps(_as_dict(report), ensure_ascii=False))
    else:
        for name in report.recovered:
            out.print(f"completed batch {escape(name)}, left unfinished by an interrupted export", highlight=False)
        if report.directory is None:
            waiting = report.failed or report.skipped
            out.print("nothing exported" if waiting else "nothing exported: no approved document is waiting")
        elif not report.exported and report.withdrawn:
            out.print(
                f"no approved document is waiting: wrote {escape(str(report.directory))}: manifest.json, withdrawing "
                f"{_count(len(report.withdrawn))}",
                highlight=False,
            )
        elif not report.exported:
            pass  # the batch an interrupted export left, completed above
        else:
            files = [f for f in report.files if "/" not in f]
            for folder, label in (("cii", "Factur-X"), ("ubl", "UBL")):
                if n := sum(1 for f in report.files if f.startswith(f"{folder}/")):
                    files.append(f"{n} {label} XML in {folder}/")
            done = "wrote again" if again else "exported"
            out.print(
                f"{done} {_count(len(report.exported))} to {escape(str(report.directory))}: {', '.join(files)}",
                highlight=False,
            )
        for doc_id, earlier in sorted(report.replaces.items()):
            out.print(
                f"  document {doc_id} replaces its export in batch {escape(earlier.get('batch', '?'))} "
                "(reopened since): reverse what that batch booked for it",
                highlight=False,
            )
        for doc_id in report.reopened_since:
            out.print(
                f"  document {doc_id} left out: reopened since this batch was exported (its values are no longer the "
                "ones delivered; the manifest's control totals are those of what is written)",
                highlight=False,
            )
        for w in report.withdrawn:
            out.print(
                f"  document {w['id']} withdrawn: exported in batch {escape(str(w.get('batch', '?')))}, rejected since "
                f"({escape(str(w.get('reason', '')))}): reverse what that batch booked for it",
                highlight=False,
            )
        for name, what in report.assumed.items():
            out.print(f"  assumed {name.replace('_', ' ')} {escape(what)}", highlight=False)
        for reason, ids in _grouped(report.notes).items():
            out.print(f"  note ({_ids(ids)}): {escape(reason)}", highlight=False)
        for reason, ids in _grouped(report.warnings).items():
            out.print(f"  schematron warning ({_ids(ids)}): {escape(reason)}", highlight=False)
        for reason, ids in _grouped(report.skipped).items():
            out.print(f"  skipped ({_ids(ids)}): {escape(reason)}", highlight=False)
        for p in report.failed:
            err.print(f"  not exported {p.document_id} {escape(p.filename)}: {escape(p.reason)}", highlight=False)
    if report.failed:
        hint = ""
        if any(p.reason.startswith(("e-invoice", "Factur-X", "UBL")) for p in report.failed):
            hint = "; `idp export --format csv` writes them without the XML"
        raise ExportIncompleteError(f"{_count(len(report.failed))} could not be exported; each stays as it was{hint}")


def _count(n: int) -> str:
    return "1 document" if n == 1 else f"{n} documents"


def _grouped(problems: list[Any]) -> dict[str, list[int]]:
    """The same reason for several documents, said once."""
    groups: dict[str, list[int]] = {}
    for p in problems:
        groups.setdefault(p.reason, []).append(p.document_id)
    return groups


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    return f"document {shown}" if len(ids) == 1 else f"documents {shown}"


def _as_dict(report: Any) -> dict[str, Any]:
    def problems(items: list[Any]) -> list[dict[str, Any]]:
        return [{"id": p.document_id, "file": p.filename, "reason": p.reason} for p in items]

    return {
        "batch": report.batch,
        "directory": str(report.directory) if report.directory else None,
        "exported": report.exported,
        "files": report.files,
        "assumed": report.assumed,
        "notes": problems(report.notes),
        "warnings": problems(report.warnings),
        "skipped": problems(report.skipped),
        "failed": problems(report.failed),
        "recovered": report.recovered,
        "replaces": {str(k): v for k, v in sorted(report.replaces.items())},
        "withdrawn": report.withdrawn,
        "reopened_since": report.reopened_since,
    }


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("export")(export_cmd)
