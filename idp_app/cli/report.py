"""`idp report`: how right extraction was over a period, as clerks found it (supervisors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


@handle_errors
def report_cmd(
    user: UserOpt = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="The last N days (default: everything; or give --since/--until).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this date on (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date (YYYY-MM-DD, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Accuracy as clerks found it: per field, per confidence band (does 0.9 mean 90 %?), per vendor and model,
    the straight-through share and its accuracy estimated from the QA sample, and each clerk's work."""
    from idp_app.services import Workspace

    start, end = _day(since, "--since"), _day(until, "--until")
    if days is not None:
        if start is not None:
            raise InputError("give --days or --since, not both")
        start = datetime.now(UTC) - timedelta(days=days)
    with Workspace.open(app_config()) as ws:
        report = ws.reports.accuracy(_acting(ws, user), start, end)
    if as_json:
        print(json.dumps(_as_dict(report), ensure_ascii=False))
        return
    _print(report)


def _documents(n: int) -> str:
    return "1 document" if n == 1 else f"{n} documents"


def _period(report: Any) -> str:
    a = report.since.date().isoformat() if report.since else "the start"
    b = report.until.date().isoformat() if report.until else "now"
    return f"from {a} to {b}"


def _print(report: Any) -> None:
    decided = report.reviewed + report.straight_through
    out.print(
        f"[bold]Accuracy report[/bold] {_period(report)}: {_documents(decided)} decided, "
        f"{report.reviewed} checked by a person, {report.straight_through} straight through "
        f"({_pct(report.straight_through / decided if decided else None)})",
        highlight=False,
    )
    if report.statuses:
        out.print(
            "imported in the period, by status now: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items())),
            highlight=False,
        )
    out.print(
        f"field accuracy as checked: {_pct(report.accuracy)} over {report.checked} fields;"
        f" expected calibration error {report.ece:.3f}"
        if report.ece is not None
        else "no field was checked by a person in this period",
        highlight=False,
    )
    if report.qa_interval is not None:
        low, high = report.qa_interval
        out.print(
            f"straight-through accuracy, from the QA sample: {_pct(1 - report.qa_corrected / report.qa_fields)} "
            f"over {report.qa_fields} fields of {_documents(report.qa_documents)} (95 % interval {low:.1%}-{high:.1%})",
            highlight=False,
        )
    else:
        out.print("straight-through accuracy: no QA-sampled document was checked in this period", highlight=False)
    if report.fields:
        t = Table("field", "checked", "corrected", "accuracy", "mean confidence", box=box.SIMPLE, title="per field")
        for f in report.fields:
            t.add_row(f.name, str(f.checked), str(f.corrected), _pct(f.accuracy), f"{f.mean_confidence:.2f}")
        out.print(t)
        t = Table("confidence", "fields", "mean confidence", "accuracy", box=box.SIMPLE, title="per confidence band")
        for b in report.bands:
            t.add_row(f"{b.low:.2f}-{b.high:.2f}", str(b.fields), f"{b.mean_confidence:.3f}", _pct(b.accuracy))
        out.print(t)
        for title, rows in (("vendors, most corrected first", report.vendors[:10]), ("per model", report.models)):
            t = Table("", "documents", "fields", "corrected", "accuracy", box=box.SIMPLE, title=title)
            for r in rows:
                t.add_row(escape(r.key), str(r.documents), str(r.fields), str(r.corrected), _pct(r.accuracy))
            out.print(t)
    if report.clerks:
        t = Table("user", "approved", "rejected", "corrections", "minutes correcting", box=box.SIMPLE, title="clerks")
        for c in report.clerks:
            t.add_row(escape(c.user), str(c.approved), str(c.rejected), str(c.corrections), f"{c.minutes:.1f}")
        out.print(t)


def _as_dict(report: Any) -> dict[str, Any]:
    return {
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
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
