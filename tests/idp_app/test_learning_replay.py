"""The replay simulator on generated invoices, and the learning commands of the CLI."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from idp_app.learning.simulate import DocumentOutcome, Replay, SimulationReport
from idp_app.samples.corpus import make_invoice
from idp_app.samples.invoice_layouts import LAYOUT_IDS
from idp_app.samples.invoice_spec import random_invoice_spec
from idp_app.samples.truth import write_truth
from idp_app.services.training import training_pairs


def vendor_corpus(folder: Path, order: list[int]) -> Path:
    """Invoices of a few vendors, each vendor always in its own layout, in the given order."""
    (folder / "docs").mkdir(parents=True)
    layouts = [LAYOUT_IDS[0], LAYOUT_IDS[5]]
    vendors = [random_invoice_spec(random.Random(f"vendor{v}"), layout=layouts[v % 2]) for v in set(order)]
    truths = []
    for i, v in enumerate(order):
        base = vendors[v]
        spec = random_invoice_spec(random.Random(f"doc{i}"), layout=base.layout)
        keep = ("vendor", "language", "label_variant", "date_style", "amount_style", "currency_placement", "currency")
        spec = dataclasses.replace(spec, **{k: getattr(base, k) for k in keep})
        truth = make_invoice(folder / "docs" / f"{i:02d}.pdf", spec=spec)
        truths.append(dataclasses.replace(truth, file=f"docs/{i:02d}.pdf"))
    write_truth(folder / "truth.jsonl", truths)
    return folder


def test_replay_stores_the_truth_and_memory_recognises_the_vendor(tmp_path: Path) -> None:
    from extractors.evaluation import load_truth

    dataset = vendor_corpus(tmp_path / "set", [0, 1, 0, 1, 0])
    replay = Replay(dataset, retrain_every=100, home=tmp_path / "home")
    try:
        report = replay.run(load_truth(dataset))
        assert [o.error for o in report.outcomes] == [None] * 5
        assert not report.outcomes[0].memory_hit and not report.outcomes[1].memory_hit
        assert all(o.memory_hit for o in report.outcomes[2:])  # each vendor's later documents
        pairs = training_pairs(replay.ws)
        assert {p.document_id for p in pairs} == set(range(1, 6))
        assert sum(o.corrections for o in report.outcomes) == sum(p.kind.value == "correction" for p in pairs
                                                                  if p.line_item_index is None)  # fmt: skip
        assert report.window(0, 5)["documents"] == 5
        # the fields each document needed corrected, and their count over the replay
        corrected = sorted(name for o in report.outcomes for name in o.corrected)
        assert corrected == sorted(p.field_name for p in pairs
                                   if p.kind.value == "correction" and p.line_item_index is None)  # fmt: skip
        by_field = report.corrected_fields(0, 5)
        assert report.summary()["last"]["corrected_fields"] == report.corrected_fields(3, 5)
        assert sum(by_field.values()) == len(corrected) and list(by_field.values()) == sorted(by_field.values())[::-1]
    finally:
        replay.close()


def test_learning_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from idp_app.cli import app
    from idp_app.config import AppConfig
    from idp_app.services import Workspace

    monkeypatch.setenv("IDP_HOME", str(tmp_path / "home"))
    with Workspace.open(AppConfig.from_env()) as ws:
        ws.users.add("boss", "pw-1234", "admin")
        ws.users.add("sup", "pw-1234", "supervisor", by="boss")
        ws.users.add("clerk", "pw-1234", "clerk", by="boss")
    runner = CliRunner()
    result = runner.invoke(app, ["retrain", "--if-due", "--user", "sup"])
    assert result.exit_code == 0 and "not due" in result.output
    result = runner.invoke(app, ["retrain", "--user", "clerk"])
    assert result.exit_code == 23 and "Traceback" not in result.output
    result = runner.invoke(app, ["model", "list"])
    assert result.exit_code == 0 and "no trained model yet: default (fields-" in result.output
    result = runner.invoke(app, ["model", "rollback", "--user", "sup"])
    assert result.exit_code == 24 and "nothing to roll back" in result.output
    result = runner.invoke(app, ["model", "promote", "v9", "--user", "sup"])
    assert result.exit_code == 21
    result = runner.invoke(app, ["simulate", str(tmp_path / "nowhere")])
    assert result.exit_code == 32 and "truth.jsonl" in result.output


def _outcome(index: int, corrections: int, fields: int = 4, score: float = 4.0) -> DocumentOutcome:
    return DocumentOutcome(index, str(index), fields, corrections, score, 0, 0, "m", False)


def test_the_corrections_ratio_is_of_the_counts_not_of_rounded_rates() -> None:
    report = SimulationReport("d", [_outcome(1, 1), *(_outcome(i, 0) for i in range(2, 7)), _outcome(7, 2)])
    report.outcomes += [_outcome(i, 0) for i in range(8, 13)]
    summary = report.summary(edge=6)
    assert (
        summary["first"]["corrections_per_document"] == 0.167 and summary["last"]["corrections_per_document"] == 0.333
    )
    assert summary["corrections_ratio"] == 2.0  # 2 / 1, not 0.333 / 0.167
    assert SimulationReport("d", [_outcome(1, 0)]).summary()["corrections_ratio"] is None


def test_the_plot_marks_a_retraining_only_where_a_model_was_trained() -> None:
    from idp_app.learning.curve import retraining_lines
    from idp_app.learning.retrain import RetrainReport

    report = SimulationReport("d", [_outcome(i, 0) for i in range(1, 9)])
    for after, status in ((2, "too_few"), (4, "rejected"), (6, "promoted"), (8, "unchanged")):
        report.retrains.append((after, RetrainReport(status)))
    assert retraining_lines(report) == [(4, False), (6, True)]
    assert [w["model_version"] for w in report.curve(4)] == ["m", "m"]


@pytest.mark.parametrize("lost_in_conversion", [False, True])
def test_a_value_the_clerk_cleared_counts_as_a_wrong_field_in_the_accuracy(
    tmp_path: Path, lost_in_conversion: bool
) -> None:
    """The truth of the first invoice leaves out its printed number (as a dataset does where it marks none): the
    clerk clears the number read, and that field counts, wrong, in the accuracy. Where the record's original
    values hold more than its fields (SROIE's "fields_raw": a date its conversion could not read), a field without
    truth may be printed: nothing is cleared."""
    import json

    from extractors.evaluation import load_truth

    dataset = vendor_corpus(tmp_path / "set", [0, 1])
    rows = [json.loads(line) for line in (dataset / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    number = rows[0]["fields"].pop("invoice_number")
    rows[0]["fields_raw"] = {**rows[0]["fields"], **({"number": number} if lost_in_conversion else {})}
    (dataset / "truth.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    replay = Replay(dataset, retrain_every=100, home=tmp_path / "home")
    try:
        first, _ = replay.run(load_truth(dataset)).outcomes
        read = replay.ws.documents.get(1).extraction["fields"]
        sure = {n for n, f in read.items() if f and f.get("confidence", 0.0) >= replay.ws.policy.threshold(n)}
    finally:
        replay.close()
    named = len([k for k in rows[0]["fields"] if k != "line_items"])
    if lost_in_conversion:
        assert "invoice_number" not in first.corrected and first.fields == named
    else:
        assert "invoice_number" in first.corrected
        assert first.fields == named + 1 and first.score <= named
        # each field corrected or cleared that was sure enough to pass unseen passed wrong: the number among them
        assert "invoice_number" in sure
        assert first.passing_wrong == len(sure & set(first.corrected))


def test_a_document_read_by_other_readers_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader mended since (a turned text page once read sideways) is not served its old reading, in a replay's
    read documents nor in retraining's cached candidates and contract groups."""
    from extractors.context import ExtractionContext
    from idp_app.learning import dataset, doc_cache

    make_invoice(tmp_path / "a.pdf", seed=4)
    ctx = ExtractionContext()
    doc_cache.DocumentCache(tmp_path / "cache").read(tmp_path / "a.pdf", ctx)
    reads: list[Path] = []

    def counted(path: Path, ctx: ExtractionContext) -> Any:
        reads.append(path)
        return real(path, ctx)

    import extractors.readers

    real = extractors.readers.read_document
    monkeypatch.setattr(extractors.readers, "read_document", counted)
    doc_cache.DocumentCache(tmp_path / "cache").read(tmp_path / "a.pdf", ctx)
    assert reads == []  # kept by these readers: not read again
    versions = (dataset._feature_version(), dataset._contract_version())
    monkeypatch.setattr(doc_cache, "reader_version", lambda: "mended")
    monkeypatch.setattr(dataset, "reader_version", lambda: "mended")
    doc_cache.DocumentCache(tmp_path / "cache").read(tmp_path / "a.pdf", ctx)
    assert reads == [tmp_path / "a.pdf"]
    again = (dataset._feature_version(), dataset._contract_version())
    assert again[0] != versions[0] and again[1] != versions[1]


def test_a_document_kept_from_another_copy_is_given_as_of_the_file_asked_for(tmp_path: Path) -> None:
    """A replay reads its copies of the documents; the copy first read is gone by the next run, and a second OCR look
    at a page (which reads the file the document names) found nothing: receipts' dates went missing."""
    from extractors.context import ExtractionContext
    from idp_app.learning.doc_cache import DocumentCache

    (tmp_path / "run1").mkdir()
    (tmp_path / "run2").mkdir()
    make_invoice(tmp_path / "run1" / "a.pdf", seed=4)
    (tmp_path / "run2" / "a.pdf").write_bytes((tmp_path / "run1" / "a.pdf").read_bytes())
    ctx = ExtractionContext()
    DocumentCache(tmp_path / "cache").read(tmp_path / "run1" / "a.pdf", ctx)
    (tmp_path / "run1" / "a.pdf").unlink()
    cache = DocumentCache(tmp_path / "cache")
    for _ in range(2):  # kept on disk, then in memory
        doc = cache.read(tmp_path / "run2" / "a.pdf", ctx)
        assert doc.path == str(tmp_path / "run2" / "a.pdf") and Path(doc.path).is_file()
