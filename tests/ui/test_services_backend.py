"""The backend over the services: the views it builds and the errors it turns into reasons."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from idp_app.domain import ReviewState
from idp_app.errors import AuthenticationError, PermissionDeniedError
from idp_app.samples.truth import SampleTruth
from tests.ui.session_data import WRONG_NUMBER, review_workspace
from ui.model import FieldKind
from ui.services_backend import ServicesBackend


def test_views_states_reasons_and_missing_file(tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]) -> None:
    with review_workspace(tmp_path, samples) as (ws, truths):
        backend = ServicesBackend(ws)
        clerk = backend.authenticate("clerk", "clerk")
        with pytest.raises(AuthenticationError):
            backend.authenticate("clerk", "wrong")
        rows = {r.name: r for r in backend.queue()}
        assert set(rows) == {"text.pdf", "scan.png"}
        assert any("invoice_number" in reason for reason in rows["text.pdf"].reasons)
        doc = backend.open(rows["text.pdf"].document_id, clerk)
        number = doc.field("invoice_number")
        assert number is not None and number.text == WRONG_NUMBER and number.state is ReviewState.CHECK
        date = doc.field("invoice_date")
        assert date is not None and date.kind is FieldKind.DATE
        assert doc.field_names()[0] == "vendor_name"  # the schema's order
        assert doc.pages and doc.pages[0].tokens and doc.load_error is None
        assert len(doc.line_items) == len(truths["text.pdf"].line_items)
        assert backend.check_value("date", "07.02.2022") == "2022-02-07"
        with pytest.raises(ValueError, match="not an amount"):
            backend.check_value("amount", "12a")

        scan = backend.open(rows["scan.png"].document_id, clerk)
        Path(scan.path).unlink()  # the stored original disappears
        backend._pages.clear()
        again = backend.open(rows["scan.png"].document_id, clerk)
        assert again.load_error is not None and "missing" in again.load_error
        backend.reject(again.document_id, clerk, "original lost")
        assert ws.documents.get(again.document_id).status.value == "rejected"


def test_queue_reads_reasons_from_the_queue_and_retraining_needs_the_permission(
    tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with review_workspace(tmp_path, samples) as (ws, _truths):
        backend = ServicesBackend(ws)

        def no_document_reads(doc_id: int) -> None:
            raise AssertionError("the queue reads each document")

        monkeypatch.setattr(ws.documents, "get", no_document_reads)
        rows = {r.name: r for r in backend.queue()}
        assert rows["text.pdf"].reasons and len(rows["text.pdf"].reason_codes) == len(rows["text.pdf"].reasons)
        monkeypatch.undo()
        clerk = backend.authenticate("clerk", "clerk")
        supervisor = backend.authenticate("supervisor", "supervisor")
        assert not clerk.may_retrain and supervisor.may_retrain
        assert not clerk.may_export and supervisor.may_export
        with pytest.raises(PermissionDeniedError):
            backend.export(clerk)
        assert backend.export(supervisor).directory is None  # nothing approved yet
        assert supervisor.may_read_reports and not clerk.may_read_reports
        view = backend.accuracy_report(supervisor, 7)
        assert view.title.startswith("Accuracy from") and any("No field was checked" in s for s in view.summary)
        with pytest.raises(PermissionDeniedError):
            backend.accuracy_report(clerk, None)
        from extractors.pipeline import load_model

        assert backend.model_version() == f"default ({load_model(None).version})"  # as documents record it
        with pytest.raises(PermissionDeniedError):
            backend.retrain(clerk)
        seen: list[tuple[int, int, str]] = []
        outcome = backend.retrain(supervisor, lambda *a: seen.append(a))
        assert outcome.status == "too_few" and not outcome.promoted and outcome.reasons  # nothing approved yet


def test_next_document_does_not_go_back_to_the_one_just_left(
    tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> None:
    with review_workspace(tmp_path, samples) as (ws, _truths):
        backend = ServicesBackend(ws)
        clerk = backend.authenticate("clerk", "clerk")
        first = backend.claim_next(clerk, None)
        assert first is not None
        backend.release(first, clerk)  # left undecided, as "next document" does
        second = backend.claim_next(clerk, first)
        assert second is not None and second != first
        backend.release(second, clerk)
        assert backend.claim_next(clerk, second) == first  # both passed: the queue starts over
        # the queue says who has a document open, until when, and when the hold has lapsed
        held = next(r for r in backend.queue() if r.document_id == first)
        assert held.claimed_by == "clerk" and held.held_until is not None
        assert held.status_text() == "in review by clerk"
        assert "clerk may open it again" in (held.status_tip() or "")
        later = held.held_until + timedelta(seconds=1)
        assert held.status_text(later) == "in review, free (left by clerk)"
        free = next(r for r in backend.queue() if r.document_id == second)
        assert free.status_text() == "needs review" and free.status_tip() is None


def test_a_window_opened_again_gives_back_the_document_its_clerk_still_holds(
    tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]]
) -> None:
    with review_workspace(tmp_path, samples) as (ws, _truths):
        order = [i.id for i in ws.queue.list(limit=100)]
        held = ws.queue.claim(order[-1], "clerk").document_id  # the window that had it open crashed
        ws.queue.claim(order[-2], "supervisor")
        restarted = ServicesBackend(ws)
        assert restarted.claim_next(restarted.authenticate("clerk", "clerk"), None) == held
        # the supervisor's window, opened again, gives them theirs: each clerk their own, not another's
        other = ServicesBackend(ws)
        assert other.claim_next(other.authenticate("supervisor", "supervisor"), None) == order[-2]
        fresh = ServicesBackend(ws)
        ws.queue.release(held, "clerk")
        free = [i for i in order if i != order[-2]]  # given back, the document is the queue's again
        assert fresh.claim_next(fresh.authenticate("clerk", "clerk"), None) == free[0]


def test_reasons_read_in_labels_and_say_when_their_fields_were_checked() -> None:
    from types import SimpleNamespace

    from idp_app.services.views import ReasonView
    from ui.services_backend import reason_text

    low = ReasonView("low_confidence", "invoice_date confidence 0.62 is below 0.85", ("invoice_date",), 1)
    order = ReasonView(
        "date_order", "due_date 2024-01-01 is before invoice_date 2024-02-01", ("invoice_date", "due_date"), 1
    )
    limit = ReasonView("qa_sample", "random quality sample (2% of straight-through documents)", (), 0)
    # read above its threshold (OK) is not checked: a person has not looked at it yet
    fields = {
        "invoice_date": SimpleNamespace(state=ReviewState.OK, checked=False, corrected=False),
        "due_date": SimpleNamespace(state=ReviewState.OK, checked=True, corrected=False),
        "tax_amount": SimpleNamespace(state=ReviewState.OK, checked=True, corrected=False),
    }
    assert reason_text(low, fields) == "Invoice date confidence 0.62 is below 0.85"  # type: ignore[arg-type]
    assert reason_text(order, fields) == "Due date 2024-01-01 is before invoice date 2024-02-01"  # type: ignore[arg-type]
    assert reason_text(limit, fields) == limit.message  # type: ignore[arg-type]
    fields["invoice_date"] = SimpleNamespace(state=ReviewState.OK, checked=False, corrected=True)
    assert reason_text(low, fields).endswith("\u2014 checked")  # type: ignore[arg-type]
    assert reason_text(order, fields).endswith("\u2014 checked")  # type: ignore[arg-type]
    assert not reason_text(limit, fields).endswith("checked")  # type: ignore[arg-type]
    line_tax = ReasonView("line_tax", "tax_amount is not what the rates give", ("tax_amount", "line_items"), 45)
    assert reason_text(line_tax, fields).endswith("\u2014 checked")  # type: ignore[arg-type]


def test_the_queue_tells_a_hold_by_the_servers_clock_on_a_desk_whose_clock_runs_ahead(
    tmp_path: Path, samples: tuple[Path, dict[str, SampleTruth]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    with review_workspace(tmp_path, samples) as (ws, _truths):
        backend = ServicesBackend(ws)
        server_now = ws.db.now
        # the server's clock runs twenty minutes behind this desk's
        monkeypatch.setattr(ws.db, "now", lambda s: server_now(s) - timedelta(minutes=20))
        held = ws.queue.claim_next("clerk")  # held fifteen minutes on the server's clock: five before this desk's now
        assert held is not None and held.lease_expires_at < datetime.now(UTC)
        row = next(r for r in backend.queue() if r.document_id == held.document_id)
        assert row.status_text() == "in review by clerk"  # not "free": the server still holds it for clerk
        assert row.held_until is not None and row.held_until > datetime.now(UTC) + timedelta(minutes=14)
