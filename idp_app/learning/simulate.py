"""Replay a benchmark folder (``docs/`` and ``truth.jsonl``) in file order, as a clerk would meet it.

Each document is ingested into a temporary workspace and extracted with the model in use and the vendor memory;
the fields that differ from the truth are what the clerk must correct. The simulated clerk claims the document,
applies the truth through the review service (corrections with the box where the true value is printed,
confirmations for the rest; a field the dataset marks where printed is cleared where the document prints none),
and approves it (a supervisor overrides where a rule fails). Every K documents the
supervisor retrains through :func:`idp_app.learning.retrain.retrain` with its promotion rules. The learning
curve (corrections per document, field accuracy, share of fields that would pass without review) is kept
per window of documents.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.context import ExtractionContext
from extractors.document import Document
from extractors.evaluation import TruthRecord, load_truth, score_document, value_type_of
from extractors.geometry import BBox
from extractors.pipeline import FROM_MEMORY, WHERE_BEFORE
from extractors.results import ExtractionResult
from idp_app.config import AppConfig
from idp_app.domain import Correction
from idp_app.errors import AppError, RuleFailedError
from idp_app.learning.doc_cache import DocumentCache
from idp_app.learning.extract import LearnedExtract, install
from idp_app.learning.registry import shown_version
from idp_app.learning.retrain import LearningSettings, RetrainReport, retrain

CLERK, SUPERVISOR, ADMIN = "replay-clerk", "replay-supervisor", "replay-admin"
DUPLICATE = "duplicate of an earlier document"
POLICY = "[rules]\nqa_sample_rate = 1.0\n"
"""Every document goes to the clerk (a replay measures what review would find, so nothing skips it)."""


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    index: int
    doc_id: str
    fields: int
    """The fields the truth names, and those read where the truth has none (which the clerk clears)."""
    corrections: int
    score: float
    """Sum of field scores (1/0, or F1 for lists of names); a value cleared scores 0."""
    passing: int
    """Fields at or above their routing threshold (they would pass without review)."""
    passing_wrong: int
    model_version: str
    memory_hit: bool
    error: str | None = None
    corrected: tuple[str, ...] = ()
    """The fields the clerk had to correct."""


@dataclass(slots=True)
class SimulationReport:
    dataset: str
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    retrains: list[tuple[int, RetrainReport]] = field(default_factory=list)

    def window(self, start: int, end: int) -> dict[str, Any]:
        rows = self.outcomes[start:end]
        n = max(len(rows), 1)
        fields = max(sum(r.fields for r in rows), 1)
        return {
            "first": start + 1,
            "last": start + len(rows),
            "documents": len(rows),
            "corrections_per_document": round(sum(r.corrections for r in rows) / n, 3),
            "field_accuracy": round(sum(r.score for r in rows) / fields, 4),
            "pass_without_review": round(sum(r.passing for r in rows) / fields, 4),
            "wrong_among_passing": round(sum(r.passing_wrong for r in rows) / max(sum(r.passing for r in rows), 1), 4),
            # the model most of the window was read with (a contract's own version is not the field model's)
            "model_version": shown_version(Counter(r.model_version for r in rows).most_common(1)[0][0]) if rows else "",
        }

    def _corrections(self, start: int, end: int) -> float:
        """Corrections per document in ``start:end``, unrounded."""
        rows = self.outcomes[start:end]
        return sum(r.corrections for r in rows) / max(len(rows), 1)

    def curve(self, size: int) -> list[dict[str, Any]]:
        return [self.window(i, i + size) for i in range(0, len(self.outcomes), size)]

    def corrected_fields(self, start: int, end: int) -> dict[str, int]:
        """How many documents in ``start:end`` needed each field corrected, most first."""
        counts = Counter(name for r in self.outcomes[start:end] for name in r.corrected)
        return dict(counts.most_common())

    def summary(self, edge: int = 50) -> dict[str, Any]:
        n = len(self.outcomes)
        k = min(edge, n // 2) if n >= 2 else n
        first, last = self.window(0, k), self.window(n - k, n)
        return {
            "documents": n,
            "edge": k,
            "first": {**first, "corrected_fields": self.corrected_fields(0, k)},
            "last": {**last, "corrected_fields": self.corrected_fields(n - k, n)},
            "corrections_ratio": round(self._corrections(n - k, n) / self._corrections(0, k), 3)
            if self._corrections(0, k)
            else None,
            "accuracy_gain": round(last["field_accuracy"] - first["field_accuracy"], 4),
            "retrains": [
                {"after": i, "status": r.status, "version": r.version, "reasons": list(r.reasons)}
                for i, r in self.retrains
            ],
        }


def _truth_fields(dataset: Path) -> frozenset[str]:
    """The fields the dataset's truth names: the only ones the replayed clerk checks."""
    return frozenset(k for r in load_truth(dataset) for k in r.fields if k != "line_items")


def _truth_text(value: Any) -> str | None:
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _truth_box(
    result: ExtractionResult, name: str, truth: str, doc: Document, value_type: str
) -> tuple[int | None, BBox | None]:
    """Where the true value is printed: the extracted box or an alternative's if it carries the truth (what
    the clerk's pick gives), else where it is printed, in the forms of its type or with a misread letter (the
    box the clerk draws around it)."""
    from extractors.evaluation import names_match
    from extractors.fields.locate import locate_value

    fv = result.fields.get(name)
    if fv is not None:
        options = [(fv.value, fv.page, fv.bbox_pt)] + [(a.value, a.page, a.bbox_pt) for a in fv.alternatives]
        for value, page, box in options:
            if isinstance(value, str) and box is not None and (value == truth or names_match(value, truth)):
                return page, box
    found = locate_value(doc, value_type, truth)
    return found if found is not None else (None, None)


class Replay:
    """One replay over a temporary workspace (kept in ``home`` for inspection when given)."""

    def __init__(
        self,
        dataset: Path,
        *,
        retrain_every: int,
        home: Path | None = None,
        cache_dir: Path | None = None,
        ctx: ExtractionContext | None = None,
        use_memory: bool = True,
        settings: LearningSettings | None = None,
    ) -> None:
        from idp_app.services import Workspace

        self.dataset = Path(dataset)
        self.retrain_every = retrain_every
        self.ctx = ctx or ExtractionContext(use_einvoice=False)
        self._tmp = tempfile.TemporaryDirectory(prefix="idp-replay-") if home is None else None
        self.home = Path(self._tmp.name) if self._tmp is not None else Path(str(home))
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "routing.toml").write_text(POLICY, encoding="utf-8")
        self.cache = DocumentCache(cache_dir)
        config = AppConfig.for_directory(self.home)
        self.ws = Workspace.open(config, read=self.cache.read, upgrade=True)
        install(self.ws)
        self.extractor = LearnedExtract(config.models_dir, use_memory=use_memory)
        self.ws.ingest.extract = self._extract
        self.ws.ingest.context = self.ctx
        self.settings = settings or LearningSettings(retrain_after_documents=retrain_every, min_holdout_documents=3)
        self.settings = dataclasses.replace(self.settings, fields=_truth_fields(self.dataset))
        self.ws.users.add(ADMIN, "replay", "admin")
        self.ws.users.add(CLERK, "replay", "clerk", by=ADMIN)
        self.ws.users.add(SUPERVISOR, "replay", "supervisor", by=ADMIN)
        self._results: dict[str, tuple[ExtractionResult, Document]] = {}

    def _extract(self, path: Path, ctx: ExtractionContext) -> ExtractionResult:
        doc = self.cache.read(path, ctx)
        result = self.extractor.extract_document(doc, ctx)
        self._results[str(path)] = (result, doc)
        return result

    def close(self) -> None:
        self.ws.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def run(
        self,
        records: Sequence[TruthRecord],
        progress: Callable[[int, int, DocumentOutcome], None] | None = None,
        on_retrain: Callable[[int, RetrainReport], None] | None = None,
        checkpoint: Callable[[SimulationReport], object] | None = None,
    ) -> SimulationReport:
        report = SimulationReport(str(self.dataset))
        for i, record in enumerate(records, start=1):
            outcome = self.one(i, record)
            if outcome.error == DUPLICATE:
                continue  # the same file twice in the dataset: the clerk meets it once
            report.outcomes.append(outcome)
            if progress:
                progress(i, len(records), outcome)
            if i % self.retrain_every == 0 and i < len(records):
                r = retrain(self.ws, SUPERVISOR, force=True, settings=self.settings, read=self.cache.read, ctx=self.ctx)
                report.retrains.append((i, r))
                if on_retrain:
                    on_retrain(i, r)
                if checkpoint:
                    checkpoint(report)
        return report

    def one(self, index: int, record: TruthRecord) -> DocumentOutcome:
        ws = self.ws
        truths = {k: v for k, v in record.fields.items() if k != "line_items" and v not in (None, "", [])}
        report = ws.ingest.ingest([record.file], workers=0)
        doc_id = self._doc_id(record.file)
        if report.duplicates:
            return DocumentOutcome(index, record.id, 0, 0, 0.0, 0, 0, "", False, DUPLICATE)
        if report.failed or doc_id is None:
            return DocumentOutcome(
                index, record.id, len(truths), len(truths), 0.0, 0, 0, "", False, "extraction failed"
            )
        view = ws.documents.get(doc_id)
        stored = self._stored(view)
        result, doc = stored
        outcomes = score_document(record, view.extraction or {})
        passing = passing_wrong = 0
        for o in outcomes:
            if o.predicted not in (None, "", []) and o.confidence >= ws.policy.threshold(o.name):
                passing += 1
                passing_wrong += not o.correct
        memory_hit = any(FROM_MEMORY in fv.evidence or WHERE_BEFORE in fv.evidence for fv in result.fields.values())
        wrong = [o for o in outcomes if not o.correct]
        extracted = (view.extraction or {}).get("fields", {})
        spurious = (
            [  # a field the dataset marks where printed, found where this document prints none
                name
                for name in sorted(self.settings.fields or ())
                if name not in truths and (extracted.get(name) or {}).get("value") not in (None, "", [])
            ]
            if not record.incomplete
            else []
        )  # a truth that lost values the document prints: nothing known to clear
        for name in spurious:  # a value that should not be there, sure enough to pass, passed wrong
            if float((extracted.get(name) or {}).get("confidence", 0.0)) >= ws.policy.threshold(name):
                passing += 1
                passing_wrong += 1
        ws.queue.claim(doc_id, CLERK)
        for o in wrong:
            self._correct(doc_id, view, o.name, _truth_text(o.truth), result, doc)
        for name in spurious:
            self._correct(doc_id, view, name, None, result, doc)
        try:
            ws.review.approve(doc_id, CLERK)
        except RuleFailedError:
            ws.queue.release(doc_id, CLERK)
            ws.queue.claim(doc_id, SUPERVISOR)
            ws.review.approve(doc_id, SUPERVISOR, override_reason="replay: the values are the dataset's truth")
        return DocumentOutcome(
            index,
            record.id,
            len(outcomes) + len(spurious),  # a value the clerk cleared was a field wrong too
            len(wrong) + len(spurious),
            sum(o.score for o in outcomes),
            passing,
            passing_wrong,
            result.model_version,
            memory_hit,
            corrected=(*(o.name for o in wrong), *spurious),
        )

    def _stored(self, view: Any) -> tuple[ExtractionResult, Document]:
        path = self.ws.documents.file_path(view.id)
        return self._results[str(path)]

    def _doc_id(self, path: Path) -> int | None:
        from sqlalchemy import select

        from idp_app.db.models import Document as DocRow
        from idp_app.services.storage import sha256_of

        with self.ws.db.read() as s:
            found: int | None = s.execute(
                select(DocRow.id).where(DocRow.sha256 == sha256_of(path))
            ).scalar_one_or_none()
            return found

    def _correct(
        self, doc_id: int, view: Any, name: str, truth: str | None, result: ExtractionResult, doc: Document
    ) -> None:
        current = self.ws.documents.get(doc_id).fields.get(name)
        old_value = current.value if current else None
        old_box = current.bbox_pt if current else None
        vtype = value_type_of(name, view.doc_type or "invoice")
        page, box = (None, None) if truth is None else _truth_box(result, name, truth, doc, vtype)
        # a truth the field's type refuses (a foreign format): the clerk leaves the field as it is
        with contextlib.suppress(AppError):
            self.ws.review.apply(
                Correction(
                    document_id=doc_id,
                    field_name=name,
                    old_value=old_value,
                    new_value=truth,
                    old_bbox_pt=old_box,
                    new_bbox_pt=box,
                    page=page,
                    user=CLERK,
                    seconds_spent=5.0,
                )
            )


def simulate(
    dataset: Path,
    *,
    retrain_every: int = 25,
    limit: int | None = None,
    workers: int = 1,
    cache_dir: Path | None = None,
    use_memory: bool = True,
    progress: Callable[[int, int, DocumentOutcome], None] | None = None,
    on_retrain: Callable[[int, RetrainReport], None] | None = None,
    on_prefetch: Callable[[int], None] | None = None,
    checkpoint: Callable[[SimulationReport], object] | None = None,
) -> SimulationReport:
    """Replay ``dataset`` in file order with retraining every ``retrain_every`` documents."""
    records = load_truth(dataset)
    if limit is not None:
        records = records[:limit]
    replay = Replay(dataset, retrain_every=retrain_every, cache_dir=cache_dir, use_memory=use_memory)
    try:
        replay.cache.prefetch([r.file for r in records], replay.ctx, workers=workers, progress=on_prefetch)
        return replay.run(records, progress, on_retrain, checkpoint)
    finally:
        replay.close()
