"""Accuracy reports for supervisors: how right extraction was, as clerks found it, over a period.

A field counts as checked when a person approved its document; it was right when the approved value is the one
extraction gave (the box is not compared). Fields neither extracted nor filled in are left out. From the same
fields: accuracy per field, per confidence band (does 0.9 mean 90 %?), per vendor, per model version, and each
clerk's work. Documents that passed straight through were checked by nobody, so their accuracy is estimated from
the quality-assurance sample: straight-through documents routing sent to review at random
(``qa_sample_rate``), with a 95 % confidence interval (Wilson, via scipy). The interval counts fields as
independent; fields of one document are not quite, so it is somewhat narrower than it should be.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from idp_app.db.engine import Database
from idp_app.db.models import AuditEntry, CorrectionRow, Document, FieldRow
from idp_app.domain import DocumentStatus
from idp_app.services.users import Permission, User, acting_user

BANDS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0001)
"""Confidence bands: [0, 0.5), [0.5, 0.8), ... [0.99, 1]."""
DONE_BY_A_PERSON = (DocumentStatus.APPROVED.value, DocumentStatus.EXPORTED.value)


@dataclass(frozen=True, slots=True)
class FieldAccuracy:
    name: str
    checked: int
    corrected: int
    mean_confidence: float

    @property
    def accuracy(self) -> float:
        return 1.0 - self.corrected / self.checked if self.checked else 0.0


@dataclass(frozen=True, slots=True)
class Band:
    low: float
    high: float
    fields: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True, slots=True)
class Tally:
    """Documents and their checked fields, for one clerk, vendor or model version."""

    key: str
    documents: int
    fields: int
    corrected: int

    @property
    def accuracy(self) -> float:
        return 1.0 - self.corrected / self.fields if self.fields else 0.0


@dataclass(frozen=True, slots=True)
class ClerkWork:
    user: str
    approved: int
    rejected: int
    corrections: int
    minutes: float
    """Time spent on their corrections, as the window measured it."""
    overrides: int = 0
    """Approvals given over a failing rule (supervisors), each with its reason in the audit log."""


@dataclass
class AccuracyReport:
    since: datetime | None
    until: datetime | None
    statuses: dict[str, int] = field(default_factory=dict)
    """Documents imported in the period, by status now."""
    reviewed: int = 0
    straight_through: int = 0
    fields: list[FieldAccuracy] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    ece: float | None = None
    """Expected calibration error over the checked fields (None without any)."""
    qa_documents: int = 0
    qa_fields: int = 0
    qa_corrected: int = 0
    qa_interval: tuple[float, float] | None = None
    """95 % interval of the field accuracy of straight-through documents, from the QA sample."""
    vendors: list[Tally] = field(default_factory=list)
    models: list[Tally] = field(default_factory=list)
    clerks: list[ClerkWork] = field(default_factory=list)
    line_columns: list[FieldAccuracy] = field(default_factory=list)
    """Line-item cells as checked, per column (a row a clerk added counts its cells as corrected; a row deleted is
    not counted)."""

    @property
    def checked(self) -> int:
        return sum(f.checked for f in self.fields)

    @property
    def accuracy(self) -> float | None:
        n = self.checked
        return 1.0 - sum(f.corrected for f in self.fields) / n if n else None


def _iso(t: datetime | None) -> str | None:
    """The audit log keeps its times as ISO text in UTC."""
    return t.astimezone(UTC).isoformat(timespec="microseconds") if t is not None else None


def _in_period(column: Any, since: datetime | str | None, until: datetime | str | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if since is not None:
        conds.append(column >= since)
    if until is not None:
        conds.append(column < until)
    return conds


class ReportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def accuracy(
        self, user: User | str, since: datetime | None = None, until: datetime | None = None
    ) -> AccuracyReport:
        """The accuracy report over [since, until) (supervisors: it shows each clerk's work)."""
        with self._db.read() as s:
            acting_user(s, user, Permission.READ_REPORTS)
        return accuracy_report(self._db, since, until)


def accuracy_report(db: Database, since: datetime | None = None, until: datetime | None = None) -> AccuracyReport:
    """The report over documents approved (by a person or straight through) in [since, until); clerks' approvals
    and rejections as the audit log recorded them in that period."""
    report = AccuracyReport(since, until)
    with db.read() as s:
        imported = select(Document.status, func.count()).where(*_in_period(Document.created_at, since, until))
        report.statuses = {str(st): int(n) for st, n in s.execute(imported.group_by(Document.status))}
        decided = (
            select(Document)
            .where(
                or_(
                    Document.status.in_(DONE_BY_A_PERSON) & Document.decided_by.is_not(None),
                    Document.status.in_((DocumentStatus.AUTO_APPROVED.value, DocumentStatus.EXPORTED.value))
                    & Document.decided_by.is_(None),
                )
            )
            .where(*_in_period(func.coalesce(Document.decided_at, Document.extracted_at), since, until))
        )
        docs = {d.id: d for d in s.execute(decided).scalars()}
        by_person = {i for i, d in docs.items() if d.decided_by is not None}
        report.reviewed = len(by_person)
        report.straight_through = len(docs) - len(by_person)
        rows: list[FieldRow] = (
            list(s.execute(select(FieldRow).where(FieldRow.document_id.in_(by_person))).scalars()) if by_person else []
        )
        cells = [
            (r, (r.value or "") != (r.predicted_value or ""))
            for r in rows
            if (r.value or "").strip() or (r.predicted_value or "").strip()
        ]
        checked = [(r, wrong) for r, wrong in cells if r.row < 0]
        clerk_rows = s.execute(
            select(CorrectionRow.user, func.count(), func.sum(CorrectionRow.seconds_spent))
            .where(CorrectionRow.kind == "correction", *_in_period(CorrectionRow.created_at, since, until))
            .group_by(CorrectionRow.user)
        ).all()
        transitions = s.execute(
            select(AuditEntry.actor, AuditEntry.payload).where(
                AuditEntry.action == "transition", *_in_period(AuditEntry.created_at, _iso(since), _iso(until))
            )
        ).all()
        overrides = s.execute(
            select(AuditEntry.actor, func.count())
            .where(AuditEntry.action == "override", *_in_period(AuditEntry.created_at, _iso(since), _iso(until)))
            .group_by(AuditEntry.actor)
        ).all()
    decisions: dict[tuple[str, str], int] = defaultdict(int)
    for actor, payload in transitions:  # what each person decided, as it happened (a later reopen changes nothing)
        to = json.loads(payload).get("to")
        if to in (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value):
            decisions[(actor, to)] += 1
    for actor, n in overrides:
        decisions[(actor, "override")] += int(n)
    _field_tables(report, checked, docs)
    report.line_columns = _per_name([(r, wrong) for r, wrong in cells if r.row >= 0])
    _clerks(report, clerk_rows, [(u, st, n) for (u, st), n in decisions.items()])
    return report


def _per_name(checked: Sequence[tuple[FieldRow, bool]]) -> list[FieldAccuracy]:
    """Checked values per field (or line-item column), least accurate first."""
    per_field: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for row, wrong in checked:
        per_field[row.name].append((row.confidence, wrong))
    return sorted(
        (
            FieldAccuracy(name, len(v), sum(w for _, w in v), sum(c for c, _ in v) / len(v))
            for name, v in per_field.items()
        ),
        key=lambda f: (f.accuracy, f.name),
    )


def _field_tables(report: AccuracyReport, checked: list[tuple[FieldRow, bool]], docs: dict[int, Document]) -> None:
    report.fields = _per_name(checked)
    # bands of found values only: a field reported missing carries another probability (that none is printed)
    pairs = [(row.confidence, wrong) for row, wrong in checked if (row.predicted_value or "").strip()]
    for low, high in pairwise(BANDS):
        inside = [(c, w) for c, w in pairs if low <= c < high]
        if inside:
            acc = 1.0 - sum(w for _, w in inside) / len(inside)
            report.bands.append(Band(low, min(high, 1.0), len(inside), sum(c for c, _ in inside) / len(inside), acc))
    if pairs:
        report.ece = sum(b.fields * abs(b.mean_confidence - b.accuracy) for b in report.bands) / len(pairs)

    def tallies(key_of: dict[int, str]) -> list[Tally]:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        docs_of: dict[str, set[int]] = defaultdict(set)
        for row, wrong in checked:
            key = key_of.get(row.document_id)
            if key is None:
                continue
            acc[key][0] += 1
            acc[key][1] += wrong
            docs_of[key].add(row.document_id)
        return sorted(
            (Tally(k, len(docs_of[k]), n, bad) for k, (n, bad) in acc.items()),
            key=lambda t: (-t.corrected / max(t.documents, 1), t.key),
        )

    report.vendors = tallies({i: d.vendor_name or "(no vendor)" for i, d in docs.items()})
    from idp_app.learning.registry import shown_version

    report.models = tallies({i: shown_version(d.model_version) for i, d in docs.items()})
    qa = {i for i, d in docs.items() if d.qa_sample and d.decided_by is not None}
    qa_fields = [(row, wrong) for row, wrong in checked if row.document_id in qa]
    report.qa_documents = len(qa)
    report.qa_fields = len(qa_fields)
    report.qa_corrected = sum(w for _, w in qa_fields)
    if qa_fields:
        from scipy.stats import binomtest

        ci = binomtest(report.qa_fields - report.qa_corrected, report.qa_fields).proportion_ci(method="wilson")
        report.qa_interval = (float(ci.low), float(ci.high))


def _clerks(report: AccuracyReport, clerk_rows: Sequence[Any], decisions: Sequence[Any]) -> None:
    work: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for user, n, seconds in clerk_rows:
        work[user]["corrections"] += n
        work[user]["seconds"] += seconds or 0.0
    for user, status, n in decisions:
        if status == DocumentStatus.APPROVED.value:
            work[user]["approved"] += n
        elif status == DocumentStatus.REJECTED.value:
            work[user]["rejected"] += n
        elif status == "override":
            work[user]["overrides"] += n
    report.clerks = sorted(
        (
            ClerkWork(
                user,
                int(w["approved"]),
                int(w["rejected"]),
                int(w["corrections"]),
                w["seconds"] / 60,
                int(w["overrides"]),
            )
            for user, w in work.items()
        ),
        key=lambda c: (-c.approved, c.user),
    )


# -- in words and figures, for the CLI and the window ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextTable:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _documents(n: int) -> str:
    return "1 document" if n == 1 else f"{n} documents"


def period_text(report: AccuracyReport) -> str:
    if report.since is None:
        a = "the start"
    elif report.since.time() == datetime.min.time():
        a = report.since.date().isoformat()
    else:  # the last 24 hours (--days 1): from the hour, not the day
        a = _moment(report.since)
    if report.until is None:
        b = "now"
    elif report.until.time() == datetime.min.time():  # midnight: up to and including the day before
        b = (report.until - timedelta(days=1)).date().isoformat()
    else:
        b = _moment(report.until)
    return f"from {a} to {b}"


def _moment(t: datetime) -> str:
    """A time to the minute, in UTC as the report's periods are: "2026-11-22 09:30 UTC"."""
    return f"{t.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if t.tzinfo else f"{t:%Y-%m-%d %H:%M}"


def summary_lines(report: AccuracyReport) -> list[str]:
    """The report's headline figures, one sentence each."""
    decided = report.reviewed + report.straight_through
    lines = [
        f"{_documents(decided)} approved {period_text(report)}: {report.reviewed} checked by a person, "
        f"{report.straight_through} straight through ({_pct(report.straight_through / decided if decided else None)})."
    ]
    if report.statuses:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items()))
        lines.append(f"Imported in the period, by status now: {shown}.")
    if report.ece is not None:
        banded = sum(b.fields for b in report.bands)
        missing = report.checked - banded
        over = (
            f" (over the {banded} fields extraction gave a value; the {missing} it reported not found are in the "
            "accuracy, not in the bands: their confidence is the chance that none is printed)"
            if missing
            else ""
        )
        lines.append(
            f"Field accuracy as checked: {_pct(report.accuracy)} over {report.checked} fields; "
            f"expected calibration error {report.ece:.3f}{over}."
        )
    else:
        lines.append("No field was checked by a person in this period.")
    if report.qa_interval is not None:
        low, high = report.qa_interval
        lines.append(
            f"Straight-through accuracy from the QA sample: {_pct(1 - report.qa_corrected / report.qa_fields)} over "
            f"{report.qa_fields} fields of {_documents(report.qa_documents)} (95 % interval {low:.1%} to {high:.1%})."
        )
    else:
        lines.append("Straight-through accuracy: no QA-sampled document was checked in this period.")
    return lines


def _accuracy_table(title: str, first: str, rows: Sequence[FieldAccuracy]) -> TextTable:
    return TextTable(
        title,
        (first, "checked", "corrected", "accuracy", "mean confidence"),
        tuple((f.name, str(f.checked), str(f.corrected), _pct(f.accuracy), f"{f.mean_confidence:.2f}") for f in rows),
    )


def tables(report: AccuracyReport) -> list[TextTable]:
    """The report's tables: per field, per confidence band, per vendor, per model, per clerk."""
    out: list[TextTable] = []
    if report.fields:
        out.append(_accuracy_table("Per field", "field", report.fields))
        out.append(
            TextTable(
                "Per confidence band",
                ("confidence", "fields", "mean confidence", "accuracy"),
                tuple(
                    (f"{b.low:.2f}-{b.high:.2f}", str(b.fields), f"{b.mean_confidence:.3f}", _pct(b.accuracy))
                    for b in report.bands
                ),
            )
        )
        if report.line_columns:
            out.append(_accuracy_table("Line items, per column", "column", report.line_columns))
        shown = "" if len(report.vendors) <= 10 else f" (10 of {len(report.vendors)})"
        for title, rows, first in (
            (f"Vendors, most corrected first{shown}", report.vendors[:10], "vendor"),
            ("Per model", report.models, "model"),
        ):
            out.append(
                TextTable(
                    title,
                    (first, "documents", "fields", "corrected", "accuracy"),
                    tuple((r.key, str(r.documents), str(r.fields), str(r.corrected), _pct(r.accuracy)) for r in rows),
                )
            )
    if report.clerks:
        out.append(
            TextTable(
                "Clerks",
                (
                    "user",
                    "approved",
                    "of them over a failing rule",
                    "rejected",
                    "corrections",
                    "minutes correcting (window)",
                ),
                tuple(
                    (c.user, str(c.approved), str(c.overrides), str(c.rejected), str(c.corrections), f"{c.minutes:.1f}")
                    for c in report.clerks
                ),
            )
        )
    return out
