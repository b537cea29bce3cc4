"""`idp report`: how right extraction was over a period, as clerks found it (supervisors)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from idp_app.cli.workflow import UserOpt, _acting, app_config, handle_errors
from idp_app.errors import InputError

out = Console()


def _day(text: str | None, option: str) -> datetime | None:
    """Midnight UTC at the start of a YYYY-MM-DD day."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@handle_errors
def report_cmd(
    user: UserOpt = None,
    days: Annotated[
        int | None,
        typer.Option(min=1, max=36500, help="The last N days (default: everything; or give --since/--until)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this day on (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day (YYYY-MM-DD, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Accuracy as clerks found it: per field, per confidence band (does 0.9 mean 90 %?), per vendor and model,
    the straight-through share and its accuracy estimated from the QA sample, and each clerk's work."""
    from idp_app.services import Workspace

    start, last = _day(since, "--since"), _day(until, "--until")
    end = last + timedelta(days=1) if last is not None else None
    if start is not None and last is not None and last < start:
        raise InputError(f"--until {until} is before --since {since}")
    if days is not None:
        if start is not None or end is not None:
            raise InputError("give --days, or --since and --until, not both")
        start = datetime.now(UTC) - timedelta(days=days)
    with Workspace.open(app_config()) as ws:
        report = ws.reports.accuracy(_acting(ws, user), start, end)
    if as_json:
        print(json.dumps(_as_dict(report), ensure_ascii=False))
        return
    _print(report)


def _print(report: Any) -> None:
    from idp_app.services.reports import summary_lines, tables

    out.print("[bold]Accuracy report[/bold]")
    for line in summary_lines(report):
        out.print(escape(line), highlight=False)
    for t in tables(report):
        table = Table(*t.headers, box=box.SIMPLE, title=t.title)
        for row in t.rows:
            table.add_row(*(escape(cell) for cell in row))
        out.print(table)


def _as_dict(report: Any) -> dict[str, Any]:
    return {
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "until_is": "exclusive",
        "statuses": report.statuses,
        "reviewed": report.reviewed,
        "straight_through": report.straight_through,
        "checked_fields": report.checked,
        "accuracy": report.accuracy,
        "ece": report.ece,
        "qa": {
            "documents": report.qa_documents,
            "fields": report.qa_fields,
            "corrected": report.qa_corrected,
            "interval": list(report.qa_interval) if report.qa_interval else None,
        },
        "fields": [
            {
                "name": f.name,
                "checked": f.checked,
                "corrected": f.corrected,
                "accuracy": f.accuracy,
                "mean_confidence": f.mean_confidence,
            }
            for f in report.fields
        ],
        "line_items": [
            {
                "column": f.name,
                "checked": f.checked,
                "corrected": f.corrected,
                "accuracy": f.accuracy,
                "mean_confidence": f.mean_confidence,
            }
            for f in report.line_columns
        ],
        "bands": [
            {
                "low": b.low,
                "high": b.high,
                "fields": b.fields,
                "mean_confidence": b.mean_confidence,
                "accuracy": b.accuracy,
            }
            for b in report.bands
        ],
        "vendors": [vars_of(t) for t in report.vendors],
        "models": [vars_of(t) for t in report.models],
        "clerks": [
            {
                "user": c.user,
                "approved": c.approved,
                "overrides": c.overrides,
                "rejected": c.rejected,
                "corrections": c.corrections,
                "minutes": c.minutes,
            }
            for c in report.clerks
        ],
    }


def vars_of(t: Any) -> dict[str, Any]:
    return {
        "key": t.key,
        "documents": t.documents,
        "fields": t.fields,
        "corrected": t.corrected,
        "accuracy": t.accuracy,
    }


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("report")(report_cmd)
