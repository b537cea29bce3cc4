"""The learning loop on contracts: what clerks approve on contracts retrains the contract scorer, the new model is
measured on held-out contracts, and once promoted it ranks the next contract's fields."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from idp_app.config import AppConfig
from idp_app.db.models import Document
from idp_app.domain import Correction
from idp_app.errors import RuleFailedError
from idp_app.learning.retrain import LearningSettings, retrain
from idp_app.services import Workspace
from tests.extractors.test_contracts import write_pdf
from tests.extractors.test_contracts_learning import SURVIVES, VALUES, contract_pages


def approve_with_term(desk: Workspace, doc_id: int, term: str) -> None:
    desk.queue.claim(doc_id, "clerk")
    current = desk.documents.get(doc_id).fields.get("term")
    desk.review.apply(
        Correction(
            document_id=doc_id,
            field_name="term",
            old_value=current.value if current else None,
            new_value=term,
            user="clerk",
            seconds_spent=3.0,
        )
    )
    try:
        desk.review.approve(doc_id, "clerk")
    except RuleFailedError:
        desk.queue.release(doc_id, "clerk")
        desk.queue.claim(doc_id, "sup")
        desk.review.approve(doc_id, "sup", override_reason="checked by hand")


def test_contracts_clerks_corrected_retrain_the_contract_scorer(ws: Workspace, config: AppConfig, inbox: Path) -> None:
    inbox.mkdir()
    for i in range(16):
        write_pdf(inbox / f"c{i:02d}.pdf", contract_pages(i, SURVIVES))
    desk = Workspace.open(config)  # extracts with what it learned
    try:
        desk.ingest.ingest([inbox], workers=0)
        with desk.db.read() as s:
            docs = list(s.execute(select(Document.id, Document.filename).order_by(Document.filename)))
        assert len(docs) == 16
        for doc_id, name in docs:
            view = desk.documents.get(doc_id)
            assert view.doc_type == "contract"
            assert view.fields["term"].value is None  # the shipped scorer leaves the period below its threshold
            approve_with_term(desk, doc_id, VALUES[int(name[1:3]) % len(VALUES)])
        report = retrain(desk, "sup", force=True, settings=LearningSettings(min_holdout_documents=3))
        assert report.status == "promoted", report.reasons
        assert (report.training_documents, report.holdout_documents) == (12, 4)
        assert report.current["per_field"]["term"] == 0.0
        assert report.candidate["per_field"]["term"] == 1.0
        assert report.candidate["per_field"]["parties"] == report.current["per_field"]["parties"]

        write_pdf(inbox / "next.pdf", contract_pages(20, SURVIVES))
        desk.ingest.ingest([inbox / "next.pdf"], workers=0)
        with desk.db.read() as s:
            new_id = s.execute(select(Document.id).where(Document.filename == "next.pdf")).scalar_one()
        view = desk.documents.get(new_id)
        assert view.fields["term"].value == VALUES[20 % len(VALUES)]
        assert view.model_version == report.version
    finally:
        desk.close()
