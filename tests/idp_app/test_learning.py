"""The learning loop: training sets without a database, promotion rules, the registry (rollback, corrupted
files), retrain permissions and when retraining is due."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fake_extractors import invoice, json_extract, json_read, write_doc
from sqlalchemy import select

from extractors.errors import ModelFileError
from extractors.fields.features import N_FEATURES
from extractors.fields.scorer import ConfidenceModel, FieldCandidates, FieldModel, LinearScorer
from extractors.fields.scorer import TrainingPair as ScorerPair
from extractors.model_file import read_model
from idp_app.config import AppConfig
from idp_app.db.models import Document
from idp_app.domain import CorrectionKind
from idp_app.errors import (
    ConfigError,
    DuplicateError,
    IllegalTransitionError,
    InvalidValueError,
    PermissionDeniedError,
    RuleFailedError,
)
from idp_app.learning.dataset import build_training_set
from idp_app.learning.registry import Registry, Status
from idp_app.learning.retrain import LearningSettings, Metrics, due, measure, promotion_decision, retrain
from idp_app.services import Workspace
from idp_app.services.training import TrainingPair

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pair(
    sha: str, name: str, true: str | None, kind: CorrectionKind, doc_type: str = "invoice", line: int | None = None
) -> TrainingPair:
    return TrainingPair(
        document_id=hash(sha) % 1000,
        sha256=sha,
        doc_type=doc_type,
        field_name=name,
        line_item_index=line,
        predicted_value="1.00",
        predicted_page=0,
        predicted_bbox_pt=None,
        predicted_confidence=0.5,
        true_value=true,
        true_page=0,
        true_bbox_pt=None,
        kind=kind,
        vendor=None,
        user="clerk",
        created_at=T0,
    )


def cands(name: str, vtype: str, values: tuple[str, ...]) -> FieldCandidates:
    rng = np.random.default_rng(len(values))
    return FieldCandidates(name, vtype, values, rng.normal(size=(len(values), N_FEATURES)))


# ---- the training set, pure --------------------------------------------------------------------------------------


def test_training_set_labels_the_clerks_truth_without_a_database() -> None:
    pairs = [
        pair("a", "total_amount", "119.00", CorrectionKind.CORRECTION),
        pair("a", "invoice_number", "INV-7", CorrectionKind.CONFIRMATION),
        pair("a", "amount", "60.00", CorrectionKind.CORRECTION, line=0),  # a line-item cell: not a header field
        pair("b", "total_amount", None, CorrectionKind.CORRECTION),  # the clerk cleared it: no positive
        pair("c", "parties", "A; B", CorrectionKind.CORRECTION, doc_type="contract"),
    ]
    candidates = {
        "a": {
            "total_amount": cands("total_amount", "amount", ("100.00", "119.00", "19.00")),
            "invoice_number": cands("invoice_number", "identifier", ("INV-7", "4711")),
            "due_date": cands("due_date", "date", ("2024-01-01",)),
        },
        "b": {"total_amount": cands("total_amount", "amount", ("5.00", "6.00"))},
        "c": {"parties": cands("parties", "name", ("A",))},
    }
    ds = build_training_set(pairs, candidates)
    assert ds.X.shape == (5, N_FEATURES)
    assert ds.y.tolist() == [0, 1, 0, 1, 0]
    assert ds.fields.tolist() == ["total_amount"] * 3 + ["invoice_number"] * 2
    assert set(ds.groups.tolist()) == {"a"}
    np.testing.assert_array_equal(ds.X[:3], candidates["a"]["total_amount"].features)


def test_documents_without_candidates_are_left_out() -> None:
    ds = build_training_set([pair("x", "total_amount", "1.00", CorrectionKind.CORRECTION)], {})
    assert ds.X.shape == (0, N_FEATURES) and len(ds.y) == 0


# ---- promotion -------------------------------------------------------------------------------------------------


def metrics(per_field: dict[str, float]) -> Metrics:
    return Metrics(sum(per_field.values()) / len(per_field), per_field, 100 * len(per_field), 50)


def test_promotion_refused_when_a_field_regresses_by_more_than_a_point() -> None:
    current = metrics({"total_amount": 0.90, "invoice_date": 0.80, "vendor_name": 0.70})
    better_but_one_drops = metrics({"total_amount": 0.885, "invoice_date": 0.95, "vendor_name": 0.90})
    decision = promotion_decision(current, better_but_one_drops)
    assert not decision.promote
    assert any("total_amount drops" in r for r in decision.reasons)
    within_a_point = metrics({"total_amount": 0.895, "invoice_date": 0.95, "vendor_name": 0.90})
    assert promotion_decision(current, within_a_point).promote


def test_promotion_needs_a_rise_and_no_worse_golden_set() -> None:
    current = metrics({"total_amount": 0.9, "invoice_date": 0.8})
    assert not promotion_decision(current, current).promote
    better = metrics({"total_amount": 0.95, "invoice_date": 0.85})
    golden_before = metrics({"total_amount": 1.0, "invoice_date": 1.0})
    golden_after = metrics({"total_amount": 1.0, "invoice_date": 0.9})
    decision = promotion_decision(current, better, golden_before, golden_after)
    assert not decision.promote and any("golden" in r for r in decision.reasons)
    assert promotion_decision(current, better, golden_before, golden_before).promote


def measured(hits: list[bool]) -> Metrics:
    return Metrics(sum(hits) / len(hits), {"total_amount": sum(hits) / len(hits)}, len(hits), len(hits), tuple(hits))


def test_a_rise_chance_alone_would_often_give_is_not_promoted() -> None:
    current = measured([True] * 30 + [False] * 10)
    one_more = measured([True] * 31 + [False] * 9)
    decision = promotion_decision(current, one_more, max_chance=0.2)
    assert not decision.promote and "may be chance: 1 fields right that were wrong, 0 wrong" in decision.reasons[0]
    assert promotion_decision(current, one_more).promote  # without the test: any rise
    four_more = measured([True] * 34 + [False] * 6)
    assert promotion_decision(current, four_more, max_chance=0.2).promote
    # the same rise of four, made of nine fields gained and five lost, chance gives one time in five
    swapped = measured([False] * 5 + [True] * 34 + [False] * 1)
    assert swapped.accuracy == four_more.accuracy
    assert not promotion_decision(current, swapped, max_chance=0.2).promote


# ---- registry: rollback, corrupted files -----------------------------------------------------------------------


def model_preferring(index: int, version: str) -> FieldModel:
    """A model whose total_amount scorer follows feature ``index``: two such models choose differently."""
    coef = np.zeros(N_FEATURES)
    coef[index] = 5.0
    scorer = LinearScorer(np.zeros(N_FEATURES), np.ones(N_FEATURES), coef, 0.0)
    return FieldModel({"total_amount": scorer}, {}, ConfidenceModel.identity(), version=version)


def add(reg: Registry, model: FieldModel, by: str = "sup") -> None:
    reg.add(model, by=by, status=Status.PROMOTED, metrics={"holdout": {"accuracy": 0.9}}, training_documents=10,
            training_pairs=80, parent_version=None)  # fmt: skip


def test_rollback_restores_the_previous_version_and_extraction_uses_it(ws: Workspace, tmp_path: Path) -> None:
    from extractors.context import ExtractionContext
    from idp_app.learning.extract import LearnedExtract
    from idp_app.samples.corpus import make_invoice

    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-one"))
    add(reg, model_preferring(1, "v-two"))
    assert [v.status for v in reg.list()] == [Status.RETIRED, Status.PROMOTED]
    pdf = tmp_path / "inv.pdf"
    make_invoice(pdf, seed=3)
    extract = LearnedExtract(ws.config.models_dir)
    ctx = ExtractionContext(use_einvoice=False)
    assert extract(pdf, ctx).model_version == "v-two"
    with pytest.raises(PermissionDeniedError):
        reg.rollback("clerk")
    assert reg.rollback("sup") == "v-one"
    assert reg.active() is not None and reg.active().version == "v-one"  # type: ignore[union-attr]
    assert reg.load_active().version == "v-one"
    assert extract(pdf, ctx).model_version == "v-one"
    assert reg.rollback("sup") == "default"
    assert reg.active() is None
    reg.promote("v-two", "boss")
    assert extract(pdf, ctx).model_version == "v-two"
    promoted = len([e for e in ws.audit.records(limit=1000) if e.action == "model_promoted"])
    with pytest.raises(IllegalTransitionError, match="v-two is in use already"):  # no second promotion written
        reg.promote("v-two", "boss", reason="again")
    assert len([e for e in ws.audit.records(limit=1000) if e.action == "model_promoted"]) == promoted
    assert reg.rollback("sup") == "default"  # and rolling back still goes where it went


def test_a_run_reads_every_document_with_the_model_it_started_with(config: AppConfig, tmp_path: Path) -> None:
    from idp_app.samples.corpus import make_invoice

    folder = tmp_path / "in"
    folder.mkdir()
    for seed in (3, 4, 5):
        make_invoice(folder / f"inv{seed}.pdf", seed=seed)
    with Workspace.open(config, upgrade=True) as desk:  # extracts with what the desk learned
        reg = Registry(desk.db, desk.config)
        add(reg, model_preferring(0, "v-one"))

        def promote_after_the_first(done: int, total: int, name: str) -> None:
            if done == 1:
                add(reg, model_preferring(1, "v-two"))  # promoted at this desk while the run reads

        desk.ingest.ingest([folder], workers=0, progress=promote_after_the_first)
        with desk.db.read() as s:
            assert set(s.execute(select(Document.model_version)).scalars()) == {"v-one"}
        make_invoice(folder / "next.pdf", seed=6)
        desk.ingest.ingest([folder / "next.pdf"], workers=0)
        with desk.db.read() as s:
            after = s.execute(select(Document.model_version).where(Document.filename == "next.pdf")).scalar_one()
        assert after == "v-two"  # the next run reads with the model promoted


def test_a_corrupted_model_file_is_refused_and_the_previous_good_one_used(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-good"))
    add(reg, model_preferring(1, "v-bad"))
    path = reg.get("v-bad").path
    data = bytearray(path.read_bytes())
    i = data.index(b"5.0", data.index(b'"coef"'))
    data[i] = ord("6")  # one weight changed by one byte: still JSON, no longer the model that was written
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        read_model(path)
    loaded = reg.load_active()
    assert loaded.version == "v-good"
    assert any("v-bad refused" in m and "previous good model" in m for m in loaded.messages)
    from idp_app.learning.extract import learned_state

    model, _, messages = learned_state(ws.config.models_dir)
    assert model.version == "v-good" and messages
    from idp_app.learning.extract import refresh

    refresh(ws)  # the damaged copy written again from the database: a process running on takes it again
    model, _, messages = learned_state(ws.config.models_dir)
    assert model.version == "v-bad" and not messages


def test_a_replaced_model_file_fails_the_registry_checksum(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-a"))
    add(reg, model_preferring(1, "v-b"))
    # a valid model file, but not the one registered: its own checksum passes, the registry's does not
    model_preferring(2, "v-b").save(reg.get("v-b").path)
    loaded = reg.load_active()
    assert loaded.version == "v-a"
    assert "registry" in loaded.messages[0]


# ---- permissions and when retraining is due --------------------------------------------------------------------


def approve_docs(ws: Workspace, inbox: Path, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        write_doc(inbox, f"d{i}.json", invoice(f"INV-{i}", conf=0.5))  # low confidence: reviewed
    ws.ingest.ingest([inbox], workers=0)
    for item in ws.queue.list():
        ws.queue.claim(item.id, "sup")
        try:
            ws.review.approve(item.id, "sup")
        except RuleFailedError:
            ws.review.approve(item.id, "sup", override_reason="test")


def test_only_supervisors_and_admins_retrain(ws: Workspace) -> None:
    with pytest.raises(PermissionDeniedError):
        retrain(ws, "clerk")
    assert retrain(ws, "sup", settings=LearningSettings(retrain_after_documents=5)).status == "not_due"
    too_few = retrain(ws, "boss", force=True)
    assert too_few.status == "too_few"
    assert "at least 11, 3 of them held out" in too_few.reasons[0]  # a fifth held out: 3 of 11, 8 to train on


def test_the_model_shipped_is_named_default_with_its_build_wherever_it_is_shown() -> None:
    from extractors.pipeline import load_model
    from idp_app.learning.registry import shown_version

    build = load_model(None).version
    assert build.startswith("fields-")
    assert shown_version(None) == shown_version("default") == shown_version(build) == f"default ({build})"
    assert shown_version("fields-0ld") == "default (fields-0ld)"  # an earlier release's, as its documents record it
    assert shown_version("v0003-abcd1234") == "v0003-abcd1234"


def test_too_few_documents_counts_the_golden_set_apart(ws: Workspace, inbox: Path) -> None:
    approve_docs(ws, inbox, 3)
    Registry(ws.db, ws.config).golden_add(1, "sup")
    too_few = retrain(ws, "sup", force=True, read=json_read)
    assert too_few.status == "too_few" and too_few.golden_documents == 1
    assert too_few.reasons[0].startswith("2 approved documents besides the 1 of the golden set: too few")
    assert "(at least 11 besides it, 3 of them held out" in too_few.reasons[0]


def test_a_retraining_with_nothing_new_registers_nothing_and_versions_are_numbered_in_order(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import idp_app.learning.retrain as retraining

    fits: list[int] = []
    fit = retraining.fit_model
    monkeypatch.setattr(retraining, "fit_model", lambda pairs, *a, **k: fits.append(len(pairs)) or fit(pairs, *a, **k))
    approve_docs(ws, inbox, 12)
    first = retrain(ws, "sup", force=True, read=json_read)
    assert len(fits) == 1
    assert first.status in ("promoted", "rejected") and first.version and first.version.startswith("v0001-")
    write_doc(inbox, "o.json", {"fields": {}, "doc_type": "other"})  # approved, but nothing a model learns from
    ws.ingest.ingest([inbox / "o.json"], workers=0)
    [other] = [i.id for i in ws.queue.list() if i.filename == "o.json"]
    ws.queue.claim(other, "sup")
    ws.review.approve(other, "sup")
    assert due(ws, LearningSettings(retrain_after_documents=1))[0]
    again = retrain(ws, "sup", force=True, read=json_read)
    assert (again.status, again.version) == ("unchanged", first.version)
    assert len(fits) == 1  # the same inputs: known unchanged before anything is trained
    assert again.reasons[0].startswith(f"nothing new since {first.version}: the same model measured on the same")
    monkeypatch.setattr(retraining, "_code_version", lambda: "an upgrade")
    upgraded = retrain(ws, "sup", force=True, read=json_read)
    assert len(fits) == 2 and upgraded.status == "unchanged"  # other code: trained, and found the same model
    assert [v.version for v in Registry(ws.db, ws.config).list()] == [first.version]
    assert not due(ws, LearningSettings(retrain_after_documents=1))[0]  # not due again for what it found nothing in
    approve_docs(ws, inbox, 1, start=12)  # one more held out: measured again
    assert retrain(ws, "sup", force=True, read=json_read).version.startswith("v0002-")  # type: ignore[union-attr]


def test_a_new_shipped_model_is_trained_against_though_its_name_is_the_same(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped model is "default" whatever its release: a retraining after an upgrade that ships another one
    has new inputs."""
    import extractors.pipeline as pipeline
    import idp_app.learning.retrain as retraining

    fits: list[int] = []
    fit = retraining.fit_model
    monkeypatch.setattr(retraining, "fit_model", lambda pairs, *a, **k: fits.append(len(pairs)) or fit(pairs, *a, **k))
    approve_docs(ws, inbox, 12)
    registry = Registry(ws.db, ws.config)
    retrain(ws, "sup", force=True, read=json_read)
    if registry.active() is not None:
        registry.rollback("sup")  # the shipped model in use again
    assert retrain(ws, "sup", force=True, read=json_read).status == "unchanged" and len(fits) == 1
    shipped = pipeline.load_model(None)
    upgrade = FieldModel({}, {}, ConfidenceModel.identity(), version="fields-next")
    monkeypatch.setattr(pipeline, "load_model", lambda path=None: upgrade if path is None else shipped)
    retrain(ws, "sup", force=True, read=json_read)
    assert len(fits) == 2


def test_model_files_a_killed_retraining_left_half_written_are_removed_later(ws: Workspace) -> None:
    import os
    import time

    ws.config.models_dir.mkdir(parents=True, exist_ok=True)
    old = ws.config.models_dir / ".field-model-v0001-abcd.xyz"
    fresh = ws.config.models_dir / ".field-model-v0002-abcd.xyz"  # another desk writing it now
    for f in (old, fresh):
        f.write_bytes(b"half a model")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    add(Registry(ws.db, ws.config), model_preferring(0, "v-one"))
    assert not old.exists() and fresh.exists()
    assert (ws.config.models_dir / "field-model-v-one.json").is_file()


def test_retraining_is_due_after_n_approved_documents_or_on_schedule(ws: Workspace, inbox: Path) -> None:
    settings = LearningSettings(retrain_after_documents=3)
    assert due(ws, settings)[0] is False
    approve_docs(ws, inbox, 2)
    is_due, why = due(ws, settings)
    assert not is_due and "2 of 3" in why
    approve_docs(ws, inbox, 1, start=2)
    assert due(ws, settings)[0] is True
    Registry(ws.db, ws.config).add(model_preferring(0, "v-x"), by="sup", status=Status.REJECTED, metrics={},
                                   training_documents=3, training_pairs=9, parent_version=None)  # fmt: skip
    assert due(ws, settings)[0] is False  # counted from the last retraining, promoted or not
    approve_docs(ws, inbox, 1, start=3)
    scheduled = LearningSettings(retrain_after_documents=3, retrain_every_days=7)
    assert due(ws, scheduled)[0] is False
    assert due(ws, scheduled, now=datetime.now(UTC) + timedelta(days=8))[0] is True


def test_learning_settings_come_from_the_routing_file(ws: Workspace) -> None:
    (ws.config.home / "routing.toml").write_text("[learning]\nretrain_after_documents = 7\n", encoding="utf-8")
    assert LearningSettings.for_workspace(ws).retrain_after_documents == 7
    assert LearningSettings.for_workspace(ws).max_chance == 0.2
    (ws.config.home / "routing.toml").write_text("[learning]\nmax_chance = 0.05\n", encoding="utf-8")
    assert LearningSettings.for_workspace(ws).max_chance == 0.05
    from idp_app.errors import ConfigError

    for bad in (
        "holdout_share = 2",
        "retrain_every_days = -3",
        "max_field_drop = -1",
        "retrain_after_documents = 2.7",
        'retrain_after_documents = "ten"',
        "max_chance = true",
    ):
        (ws.config.home / "routing.toml").write_text(f"[learning]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=bad.split(" = ")[0]):
            LearningSettings.for_workspace(ws)
    (ws.config.home / "routing.toml").write_text("[learning]\nretrain_every_days = 0\n", encoding="utf-8")
    assert LearningSettings.for_workspace(ws).retrain_every_days is None  # by count only


def test_pointer_file_names_the_chain(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-1"))
    add(reg, model_preferring(1, "v-2"))
    data = json.loads((ws.config.models_dir / "active_model.json").read_text())
    assert [c["version"] for c in data["chain"]] == ["v-2", "v-1"]


# ---- fitting in worker processes ------------------------------------------------------------------------------------


def synthetic_pairs(n_docs: int) -> list[ScorerPair]:
    """Documents whose right invoice number is the candidate with the highest first feature (noisy)."""
    rng = np.random.default_rng(3)
    out = []
    for d in range(n_docs):
        values = tuple(f"INV-{d}-{k}" for k in range(12))
        X = rng.normal(size=(len(values), N_FEATURES))
        right = int(rng.integers(len(values)))
        X[right, 0] += 2.5
        fc = FieldCandidates("invoice_number", "identifier", values, X)
        out.append(ScorerPair(f"doc-{d}", {"invoice_number": fc}, {"invoice_number": values[right]}))
    return out


def test_fitting_in_worker_processes_gives_the_model_fitted_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.pipeline import load_model
    from idp_app.learning import retrain as retraining

    pairs, base = synthetic_pairs(60), load_model(None)
    alone = retraining.fit_model(pairs, base, min_positive=5, workers=1)
    monkeypatch.setattr(retraining, "PARALLEL_FROM_DOCUMENTS", 0)
    shared = retraining.fit_model(pairs, base, min_positive=5, workers=2)
    learned = alone.per_field["invoice_number"].to_dict()
    assert learned != base.per_field["invoice_number"].to_dict()  # the new scorer chose better out of fold
    assert shared.per_field["invoice_number"].to_dict() == learned
    assert alone.confidence.to_dict() == shared.confidence.to_dict()


# ---- measured as extraction gives values: the layout rules' fixed values count ----------------------------------


def test_measure_counts_the_value_a_receipts_layout_rules_fix_not_the_scorers_choice() -> None:
    from idp_app.learning.retrain import measure

    model = model_preferring(0, "m")
    X = np.zeros((2, N_FEATURES))
    X[0, 0] = 1.0  # the scorer chooses "5.00"
    fc = FieldCandidates("total_amount", "amount", ("5.00", "12.60"), X)
    chosen_wrong = ScorerPair("r1", {"total_amount": fc}, {"total_amount": "12.60"}, {"total_amount": "12.60"})
    chosen_right = ScorerPair("r2", {"total_amount": fc}, {"total_amount": "5.00"}, {"total_amount": "12.60"})
    no_rule = ScorerPair("r3", {"total_amount": fc}, {"total_amount": "5.00"})
    assert measure(model, [chosen_wrong]).accuracy == 1.0
    assert measure(model, [chosen_right]).accuracy == 0.0
    assert measure(model, [no_rule]).accuracy == 1.0


def test_a_scorer_better_only_where_the_rules_fix_the_value_is_not_taken() -> None:
    from dataclasses import replace

    from extractors.pipeline import load_model
    from idp_app.learning.retrain import fit_model

    base = load_model(None)
    fixed = [replace(p, fixed=dict(p.truth)) for p in synthetic_pairs(60)]
    model = fit_model(fixed, base, min_positive=5, workers=1)
    # out of fold the new scorer chose better, but extraction gives the rules' value either way
    assert model.per_field["invoice_number"].to_dict() == base.per_field["invoice_number"].to_dict()
    # clerks' pairs do not say which fields a document lacks: the missing-field calibration is the base's
    assert base.absent is not None and model.absent is not None
    assert model.absent.per_field.keys() == base.absent.per_field.keys()


def test_cached_candidates_keep_the_rules_values_and_an_older_cache_is_read_again(tmp_path: Path) -> None:
    from extractors.context import ExtractionContext
    from extractors.document import Document, Page, Token
    from extractors.geometry import BBox
    from idp_app.learning.dataset import FEATURE_VERSION, CandidateCache

    lines = ["KEDAI RUNCIT MAJU SDN BHD", "NO. 12, JALAN MAWAR 3, 47300 PETALING JAYA", "Date: 05/03/2018",
             "BREAD 3.50", "TOTAL RM 12.60", "CASH RM 20.00"]  # fmt: skip
    tokens = []
    for r, text in enumerate(lines):
        x = 10.0
        for word in text.split():
            tokens.append(
                Token(word, BBox(x, 20.0 + 12 * r, x + 5 * len(word), 28.0 + 12 * r), 0, 0.95, index=len(tokens))
            )
            x += 5 * len(word) + 4
    doc = Document("r.png", (Page(0, 220.0, 100.0, tuple(tokens)),), "image/png")
    reads = []

    def read(path: Path, ctx: ExtractionContext) -> Document:
        reads.append(path)
        return doc

    sha, ctx = "f" * 64, ExtractionContext(use_einvoice=False)
    old = tmp_path / f"{sha}-receipt-{FEATURE_VERSION}.json"
    old.write_text(
        json.dumps({"total_amount": {"type": "amount", "values": [], "features": [], "ocr": [], "spans": []}})
    )
    found = CandidateCache(tmp_path).found(sha, "receipt", Path("r.png"), ctx, read)
    assert len(reads) == 1  # the older file, without the rules' values, was not used
    assert found.fixed["total_amount"] == "12.60" and found.fixed["invoice_date"] == "2018-03-05"
    assert "12.60" in found.rows["total_amount"].values
    again = CandidateCache(tmp_path).found(sha, "receipt", Path("r.png"), ctx, read)
    assert len(reads) == 1 and again.fixed == found.fixed
    assert again.rows["total_amount"].values == found.rows["total_amount"].values
    for name, rows in found.rows.items():  # the run that computed them trains on what a later run reads back
        assert np.array_equal(rows.features, again.rows[name].features), name


def test_only_approved_invoices_receipts_and_contracts_join_the_golden_set(ws: Workspace, inbox: Path) -> None:
    write_doc(inbox, "a.json", invoice("A", conf=0.5))
    ws.ingest.ingest([inbox], workers=0)
    [doc_id] = [i.id for i in ws.queue.list(limit=10)]
    registry = Registry(ws.db, ws.config)
    with pytest.raises(InvalidValueError, match=rf"document {doc_id} is not approved \(needs review\): only approved"):
        registry.golden_add(doc_id, "sup")
    ws.queue.claim(doc_id, "clerk")
    ws.review.approve(doc_id, "clerk")
    registry.golden_add(doc_id, "sup")
    assert registry.golden() == {doc_id}
    with pytest.raises(PermissionDeniedError):
        registry.golden_add(doc_id, "clerk")
    fields = {"parties": ["ACME GmbH; Beta AG", 0.5], "effective_date": ["2024-01-01", 0.5]}
    write_doc(inbox, "c.json", {"fields": fields, "doc_type": "contract"})
    ws.ingest.ingest([inbox], workers=0)
    [contract] = [i.id for i in ws.queue.list(limit=10) if i.filename == "c.json"]
    ws.queue.claim(contract, "clerk")
    ws.review.approve(contract, "clerk")
    registry.golden_add(contract, "sup")
    assert registry.golden() == {doc_id, contract}
    write_doc(inbox, "o.json", {"fields": {}, "doc_type": "other"})
    ws.ingest.ingest([inbox], workers=0)
    [other] = [i.id for i in ws.queue.list(limit=10) if i.filename == "o.json"]
    ws.queue.claim(other, "clerk")
    ws.review.approve(other, "clerk")
    with pytest.raises(InvalidValueError, match="is of type other: models are measured on invoices, receipts and"):
        registry.golden_add(other, "sup")


def test_a_golden_document_reopened_is_named_where_it_is_left_out(ws: Workspace, inbox: Path) -> None:
    approve_docs(ws, inbox, 12)
    registry = Registry(ws.db, ws.config)
    first = 1  # approved first
    registry.golden_add(first, "sup")
    ws.review.reopen(first, "sup", "the total was misread")
    report = retrain(ws, "sup", force=True)
    assert report.golden_documents == 0
    assert any(m.startswith(f"golden document {first} left out") for m in report.messages), report.messages
    from typer.testing import CliRunner

    from idp_app.cli import app

    env = {"IDP_HOME": str(ws.config.home), "IDP_DATABASE_URL": ws.config.database_url,
           "IDP_FILES_DIR": str(ws.config.files_dir)}  # fmt: skip
    listed = CliRunner().invoke(app, ["model", "golden", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"document {first} (needs review): not measured on until it is approved again" in listed.stdout


def test_payment_terms_read_by_their_wording_are_what_the_models_are_measured_on(tmp_path: Path) -> None:
    """Extraction keeps the terms the wording rule reads whatever the scorer ranks; so does the measurement."""
    from extractors.context import ExtractionContext
    from extractors.pipeline import load_model
    from idp_app.learning.dataset import compute_candidates
    from idp_app.samples.corpus import make_invoice
    from idp_app.samples.invoice_spec import random_invoice_spec

    spec = random_invoice_spec(random.Random("terms/learning"), layout="inv-01", country="GB")
    if spec.due_date is None:
        spec = dataclasses.replace(spec, due_date=spec.invoice_date + timedelta(days=30))
    truth = make_invoice(tmp_path / "t.pdf", spec=dataclasses.replace(spec, terms_only=True))
    found = compute_candidates(tmp_path / "t.pdf", "invoice", ExtractionContext(use_einvoice=False))
    assert found.fixed["payment_terms"] == truth.fields["payment_terms"]
    # the due date extraction works out from them counts as extraction gives it
    truth_due = {"due_date": truth.fields["due_date"], "invoice_date": truth.fields["invoice_date"]}
    pair = ScorerPair("t", found.rows, truth_due, found.fixed)
    assert measure(load_model(None), [pair]).per_field["due_date"] == 1.0
    plain = make_invoice(tmp_path / "p.pdf", spec=dataclasses.replace(spec, terms_only=False))
    assert "payment_terms" not in compute_candidates(tmp_path / "p.pdf", "invoice", ExtractionContext()).fixed
    assert plain.fields.get("payment_terms") is None


# ---- desks sharing one database ----------------------------------------------------------------------------------


def second_desk(config: AppConfig, tmp_path: Path) -> AppConfig:
    """Another desk on the same database and originals folder: its own home, models directory and caches."""
    home = tmp_path / "desk-b"
    home.mkdir()
    (home / "routing.toml").write_text((config.home / "routing.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return dataclasses.replace(AppConfig.for_directory(home, config.database_url), files_dir=config.files_dir)


def test_a_model_trained_on_one_desk_is_used_on_every_desk_sharing_the_database(
    ws: Workspace, config: AppConfig, tmp_path: Path
) -> None:
    from idp_app.learning.extract import learned_state, refresh

    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-one"))
    add(reg, model_preferring(1, "v-two"))
    other = Workspace.open(second_desk(config, tmp_path), extract=json_extract)
    try:
        refresh(other)  # what a desk does when it starts and before each extraction run
        model, _, messages = learned_state(other.config.models_dir)
        assert (model.version, messages) == ("v-two", ())
        theirs = Registry(other.db, other.config)
        assert theirs.get("v-two").path.read_bytes() == reg.get("v-two").path.read_bytes()
        assert theirs.rollback("sup") == "v-one"  # the older file too, written from the database
        assert learned_state(other.config.models_dir)[0].version == "v-one"
        refresh(ws)
        assert learned_state(ws.config.models_dir)[0].version == "v-one"  # and the first desk follows
    finally:
        other.close()


def test_what_one_desk_learns_of_a_vendor_reaches_the_other(
    ws: Workspace, config: AppConfig, tmp_path: Path, inbox: Path
) -> None:
    from idp_app.learning.extract import learned_state
    from idp_app.learning.memory_store import remember
    from idp_app.samples.corpus import make_invoice

    desk_a = Workspace.open(config)  # extraction with what was learned, memory learned on approval
    make_invoice(inbox / "inv.pdf", seed=3)
    desk_a.ingest.ingest([inbox], workers=0)
    with ws.db.read() as s:
        [doc_id] = s.execute(select(Document.id)).scalars()
    desk_a.queue.claim(doc_id, "sup")
    desk_a.review.approve(doc_id, "sup", override_reason="test")
    assert learned_state(config.models_dir)[1].entries
    desk_b = Workspace.open(second_desk(config, tmp_path))  # starting, it takes what the database holds
    try:
        memory = learned_state(desk_b.config.models_dir)[1]
        assert [e.documents for e in memory.entries] == [[ws.documents.get(doc_id).sha256]]
        (desk_b.config.models_dir / "vendor_memory.json").write_text("{}", encoding="utf-8")  # an old copy
        assert remember(desk_b, doc_id)  # learned on top of what the database holds, not of its own copy
        assert len(learned_state(desk_b.config.models_dir)[1].entries) == 1
    finally:
        desk_a.close()
        desk_b.close()


def test_two_retrainings_registering_one_version_at_once_leave_the_first_intact(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v0001-same"))
    first = reg.get("v0001-same").path.read_bytes()
    again = model_preferring(0, "v0001-same")
    with pytest.raises(DuplicateError, match="another retraining"):
        reg.add(again, by="sup", status=Status.REJECTED, metrics={"other": 1}, training_documents=1,
                training_pairs=1, parent_version=None)  # fmt: skip
    assert reg.get("v0001-same").path.read_bytes() == first
    assert reg.load_active().version == "v0001-same" and not reg.load_active().messages
    assert not [p for p in ws.config.models_dir.iterdir() if p.name.startswith(".")]


def test_a_models_directory_that_cannot_be_written_is_one_clear_error(ws: Workspace) -> None:
    import shutil

    reg = Registry(ws.db, ws.config)
    shutil.rmtree(ws.config.models_dir, ignore_errors=True)
    ws.config.models_dir.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot write to the models directory"):
        add(reg, model_preferring(0, "v-one"))
    assert reg.list() == []


def test_a_damaged_copy_is_put_right_from_the_database_and_a_version_damaged_there_too_is_passed_over(
    ws: Workspace,
) -> None:
    from idp_app.learning.models import StoredFile

    reg = Registry(ws.db, ws.config)
    for i, v in enumerate(("v-a", "v-b", "v-c", "v-d")):
        add(reg, model_preferring(i, v))
    good = reg.get("v-c").path.read_bytes()
    reg.get("v-c").path.write_bytes(good + b" ")  # this desk's copy only: the database still holds the file
    assert reg.rollback("sup") == "v-c"
    assert reg.get("v-c").path.read_bytes() == good and reg.load_active().version == "v-c"
    with ws.db.write() as s:  # damaged in the database as well: nothing to put it right from
        s.get(StoredFile, reg.get("v-b").path.name).content += b" "  # type: ignore[union-attr]
    path = reg.get("v-b").path
    path.write_bytes(path.read_bytes() + b" ")
    restored = reg.rollback("sup")
    assert restored.startswith("v-a") and "v-b passed over" in restored
    assert reg.active().version == "v-a"  # type: ignore[union-attr]
    assert reg.load_active().version == "v-a"


def test_while_the_model_in_use_cannot_be_loaded_retraining_is_refused_and_the_list_says_so(
    ws: Workspace, inbox: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its file damaged here and in the database: extraction falls back to the shipped model. A retraining measured
    against that fall-back would record it as the model then in use; the list would call the damaged one in use."""
    from typer.testing import CliRunner

    from idp_app.cli import app
    from idp_app.learning.models import StoredFile

    approve_docs(ws, inbox, 12)
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-a"))
    reg.get("v-a").path.unlink()  # this desk's copy alone lost: it is put right from the database
    assert retrain(ws, "sup", force=True).status != "model_unreadable"
    with ws.db.write() as s:
        s.get(StoredFile, reg.get("v-a").path.name).content += b" "  # type: ignore[union-attr]
    path = reg.get("v-a").path
    path.write_bytes(path.read_bytes() + b" ")
    report = retrain(ws, "sup", force=True)
    assert report.status == "model_unreadable" and "v-a" in report.reasons[0] and "rollback" in report.reasons[0]
    assert [v.version for v in reg.list()] == ["v-a"]  # nothing registered
    monkeypatch.setenv("IDP_HOME", str(ws.config.home))
    monkeypatch.setenv("IDP_DATABASE_URL", ws.config.database_url)
    monkeypatch.setenv("IDP_FILES_DIR", str(ws.config.files_dir))
    result = CliRunner().invoke(app, ["model", "list"])
    assert result.exit_code == 0, result.output
    assert "refused" in result.stdout and "extraction uses default" in " ".join(result.stderr.split())


def test_documents_whose_originals_cannot_be_read_are_not_counted_towards_a_retraining(
    ws: Workspace, inbox: Path
) -> None:
    approve_docs(ws, inbox, 12)

    def unreadable(path: Path, ctx: object) -> object:
        raise OSError(f"{path.name}: no such file")

    report = retrain(ws, "sup", force=True, read=unreadable)  # type: ignore[arg-type]
    assert report.status == "too_few" and "cannot be read" in report.reasons[0]
    assert len(report.messages) == 12 and "left out" in report.messages[0]
    assert Registry(ws.db, ws.config).list() == []  # nothing registered: the next one is still due


def test_a_reopened_document_is_taken_out_of_the_vendor_memory(ws: Workspace, config: AppConfig, inbox: Path) -> None:
    """What it taught is forgotten; what the vendor's other approved documents taught is learned again from them."""
    from idp_app.learning.extract import learned_state
    from idp_app.samples.corpus import make_invoice
    from idp_app.samples.invoice_spec import random_invoice_spec

    spec = random_invoice_spec(random.Random("memory/reopen"), layout="inv-01", country="DE")
    make_invoice(inbox / "a.pdf", spec=spec)
    make_invoice(inbox / "b.pdf", spec=dataclasses.replace(spec, invoice_number=spec.invoice_number + "7"))
    desk = Workspace.open(config)
    try:
        desk.ingest.ingest([inbox], workers=0)
        with ws.db.read() as s:
            first, second = s.execute(select(Document.id).order_by(Document.id)).scalars()
        shas = [desk.documents.get(i).sha256 for i in (first, second)]
        for doc_id in (first, second):
            desk.queue.claim(doc_id, "sup")
            desk.review.approve(doc_id, "sup", override_reason="test")
        assert sorted(d for e in learned_state(config.models_dir)[1].entries for d in e.documents) == sorted(shas)
        desk.review.reopen(second, "sup", "the total was wrong")
        [entry] = learned_state(config.models_dir)[1].entries
        assert entry.documents == [shas[0]]
        assert entry.fields["invoice_number"].value == spec.invoice_number  # as the first one taught it
        desk.review.reopen(first, "sup", "the total was wrong")
        desk.queue.claim(first, "sup")
        desk.review.reject(first, "sup", "not ours")
        assert learned_state(config.models_dir)[1].entries == []
    finally:
        desk.close()


def test_a_version_that_did_not_measure_better_is_put_in_use_only_with_a_reason(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-good"))
    reg.add(model_preferring(1, "v-worse"), by="sup", status=Status.REJECTED, metrics={}, training_documents=1,
            training_pairs=1, parent_version="v-good", note="accuracy does not rise")  # fmt: skip
    with pytest.raises(InvalidValueError, match=r"accuracy does not rise\): putting it in use needs a reason"):
        reg.promote("v-worse", "sup")
    assert reg.active().version == "v-good"  # type: ignore[union-attr]
    reg.promote("v-worse", "sup", reason="the golden set is out of date")
    assert reg.active().version == "v-worse"  # type: ignore[union-attr]
    reg.rollback("sup")
    with pytest.raises(InvalidValueError, match="needs a reason"):  # however its status changed since
        reg.promote("v-worse", "sup")
    entry = next(e for e in ws.audit.records(None) if e.action == "model_promoted")  # the newest
    assert entry.details["reason"] == "the golden set is out of date"


def two_approved(config: AppConfig, inbox: Path) -> tuple[Workspace, list[str]]:
    """A workspace that learns, with two approved invoices of two vendors and layouts; their SHA-256."""
    from idp_app.samples.corpus import make_invoice

    make_invoice(inbox / "a.pdf", seed=3, layout="inv-01")
    make_invoice(inbox / "b.pdf", seed=4, layout="inv-06")
    desk = Workspace.open(config)
    desk.ingest.ingest([inbox], workers=0)
    with desk.db.read() as s:
        ids = list(s.execute(select(Document.id).order_by(Document.id)).scalars())
    for doc_id in ids:
        desk.queue.claim(doc_id, "sup")
        desk.review.approve(doc_id, "sup", override_reason="test")
    return desk, [desk.documents.get(i).sha256 for i in ids]


def test_what_each_desk_learned_before_the_database_kept_the_memory_is_kept(
    ws: Workspace, config: AppConfig, tmp_path: Path, inbox: Path
) -> None:
    from extractors.memory import VendorMemory
    from idp_app.learning.extract import learned_state, refresh
    from idp_app.learning.memory_store import SHARED_MARK, memory_path
    from idp_app.learning.models import StoredFile

    desk_a, shas = two_approved(config, inbox)
    desk_b = Workspace.open(second_desk(config, tmp_path))
    try:
        team = learned_state(config.models_dir)[1]
        assert sorted(d for e in team.entries for d in e.documents) == sorted(shas)
        # as an older version left them: each desk's own file, none in the database
        for desk, sha in ((desk_a, shas[0]), (desk_b, shas[1])):
            own = VendorMemory([e for e in team.entries if sha in e.documents])
            memory_path(desk.config.models_dir).write_text(json.dumps(own.to_json()), encoding="utf-8")
            (desk.config.models_dir / SHARED_MARK).unlink(missing_ok=True)
        with ws.db.write() as s:
            s.delete(s.get(StoredFile, "vendor_memory.json"))
        refresh(desk_a)
        refresh(desk_b)
        refresh(desk_a)
        for desk in (desk_a, desk_b):
            memory = learned_state(desk.config.models_dir)[1]
            assert sorted(d for e in memory.entries for d in e.documents) == sorted(shas)
    finally:
        desk_a.close()
        desk_b.close()


def test_a_stored_memory_that_cannot_be_read_is_learned_again_not_replaced(
    ws: Workspace, config: AppConfig, inbox: Path
) -> None:
    from idp_app.learning.extract import learned_state
    from idp_app.learning.memory_store import remember
    from idp_app.learning.models import StoredFile

    desk, shas = two_approved(config, inbox)
    try:
        with ws.db.write() as s:
            s.get(StoredFile, "vendor_memory.json").content = b"{not json"  # type: ignore[union-attr]
        with ws.db.read() as s:
            first = s.execute(select(Document.id).order_by(Document.id)).scalars().first()
        assert first is not None and remember(desk, first)
        memory = learned_state(config.models_dir)[1]
        assert sorted({d for e in memory.entries for d in e.documents}) == sorted(shas)
    finally:
        desk.close()


def test_a_model_measured_against_one_no_longer_in_use_is_not_promoted(ws: Workspace) -> None:
    reg = Registry(ws.db, ws.config)
    add(reg, model_preferring(0, "v-a"))
    add(reg, model_preferring(1, "v-b"))
    reg.rollback("sup")  # while v-c trained against v-b
    view = reg.add(model_preferring(2, "v-c"), by="sup", status=Status.PROMOTED, metrics={"fingerprint": "f"},
                   training_documents=9, training_pairs=9, parent_version="v-b",
                   note="accuracy 0.90 -> 0.95")  # fmt: skip
    assert view.status == Status.REJECTED and "changed while it trained (v-b -> v-a)" in view.note
    assert "fingerprint" not in view.metrics  # measured again, not "nothing new", once v-b is back in use
    assert reg.active().version == "v-a"  # type: ignore[union-attr]
    with pytest.raises(InvalidValueError, match="needs a reason"):
        reg.promote("v-c", "sup")


def test_two_retrainings_measured_against_the_shipped_default_at_once_promote_one(ws: Workspace) -> None:
    """While the shipped default is in use there is no active row to lock: the second retraining must still see
    the first one's promotion, and not put its own model in use beside it."""
    import threading
    import time

    from idp_app.db.models import utcnow
    from idp_app.learning.models import ModelVersion

    reg = Registry(ws.db, ws.config)
    held = threading.Event()

    def first_promotion() -> None:  # as Registry.add does, holding its transaction open a moment
        with ws.db.write() as s:
            assert reg._in_use(s) == "default"
            row = ModelVersion(version="v-a", path="field-model-v-a.json", sha256="0" * 64, status=Status.PROMOTED,
                               active=False, metrics={}, training_documents=1, training_pairs=1,
                               parent_version="default", created_by="sup", note="", created_at=utcnow())  # fmt: skip
            s.add(row)
            s.flush()
            reg._activate(s, row, "sup")
            held.set()
            time.sleep(1.0)  # the second retraining is registering meanwhile

    thread = threading.Thread(target=first_promotion)
    thread.start()
    assert held.wait(30)
    view = reg.add(model_preferring(1, "v-b"), by="sup", status=Status.PROMOTED, metrics={}, training_documents=9,
                   training_pairs=9, parent_version="default", note="")  # fmt: skip
    thread.join()
    assert view.status == Status.REJECTED and "(default -> v-a)" in view.note
    assert [v.version for v in reg.list() if v.active] == ["v-a"]


def test_a_document_the_classifier_could_not_type_is_set_to_an_invoice_by_its_clerk_and_learned(
    ws: Workspace, config: AppConfig, tmp_path: Path
) -> None:
    """No word on it says "invoice": it is "other", whose corrections were never learned. Its clerk says what it
    is; it is read again as an invoice, approved, and remembered; extracted again, it stays an invoice."""
    from idp_app.errors import ClaimError, IllegalTransitionError
    from idp_app.learning.extract import learned_state
    from tests.extractors.test_memory import FIRST, VENDOR, odd_invoice

    folder = tmp_path / "odd"
    folder.mkdir()
    odd_invoice(folder / "a.pdf", VENDOR, FIRST, [("Canvas tent", "250.00"), ("Rope 20 m", "60.00")])
    with Workspace.open(config) as desk:
        desk.ingest.ingest([folder], workers=0)
        [item] = desk.queue.list()
        assert desk.documents.get(item.id).doc_type == "other"
        with pytest.raises(ClaimError):
            desk.ingest.set_type(item.id, "invoice", "clerk")  # not claimed
        desk.queue.claim(item.id, "clerk")
        with pytest.raises(InvalidValueError):
            desk.ingest.set_type(item.id, "memo", "clerk")
        with pytest.raises(ClaimError):
            desk.ingest.set_type(item.id, "invoice", "clerk2")  # another clerk's document
        desk.review.correct(item.id, "net_amount", FIRST["net"], "clerk")  # before: kept over the new reading
        report = desk.ingest.set_type(item.id, "invoice", "clerk")
        assert report.extracted == 1
        doc = desk.documents.get(item.id)
        assert doc.fields["net_amount"].value == "310.00" and doc.fields["net_amount"].corrected
        assert (doc.doc_type, doc.status.value) == ("invoice", "needs_review")
        assert "unknown_type" not in {r.code for r in doc.reasons}
        assert "type_set" in {r.code for r in doc.reasons}  # to a person, not approved unseen
        [entry] = [r for r in desk.audit.records(item.id) if r.action == "type_set"]
        assert (entry.actor, entry.details["old"], entry.details["new"]) == ("clerk", "other", "invoice")
        desk.queue.claim(item.id, "clerk")
        for name, key in (("net_amount", "net"), ("tax_amount", "tax"), ("total_amount", "total")):
            desk.review.correct(item.id, name, FIRST[key], "clerk")
        desk.review.approve(item.id, "clerk")
        assert learned_state(config.models_dir)[1].entries  # the vendor's layout is remembered
        with pytest.raises(IllegalTransitionError):
            desk.ingest.set_type(item.id, "receipt", "clerk")  # approved: its type stands
        desk.review.reopen(item.id, "sup", "read it again")
        desk.ingest.reextract(item.id, "sup")
        assert desk.documents.get(item.id).doc_type == "invoice"  # the type a person set holds


def test_a_type_the_document_cannot_be_read_as_leaves_it_as_it_was_in_review(
    ws: Workspace, config: AppConfig, inbox: Path
) -> None:
    """Reading it as the type given fails: it is read as before and stays in review, its clerk told why (it was
    left failed, of the new type, with the old type's fields, and its type could be set no more)."""
    from extractors.context import ExtractionContext
    from extractors.errors import ExtractionError

    def picky(path: Path, ctx: ExtractionContext) -> object:
        if ctx.doc_type == "receipt":
            raise ExtractionError("no till receipt layout on this page")
        return json_extract(path, ctx)

    write_doc(inbox, "a.json", invoice("A", conf=0.5))
    with Workspace.open(config, extract=picky) as desk:  # type: ignore[arg-type]
        desk.ingest.ingest([inbox], workers=0)
        [item] = desk.queue.list()
        desk.queue.claim(item.id, "clerk")
        with pytest.raises(ExtractionError, match=r"could not be read as receipt .*read as invoice again"):
            desk.ingest.set_type(item.id, "receipt", "clerk")
        doc = desk.documents.get(item.id)
        assert (doc.doc_type, doc.status.value) == ("invoice", "needs_review")
        assert doc.fields["invoice_number"].value == "A" and "type_set" not in {r.code for r in doc.reasons}
        desk.queue.claim(item.id, "clerk")
        desk.ingest.set_type(item.id, "contract", "clerk")  # its type can still be set
        assert desk.documents.get(item.id).status.value == "needs_review"
