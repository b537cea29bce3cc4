"""Retraining: a new model from every approved document so far, measured against the model in use on recent
documents and the golden set, and promoted only if it is better overall and no field loses more than a point.
Accuracy is measured as extraction gives values: where a receipt's layout rules fix a field's value, that value
counts, not the scorer's choice.

``retrain(ws, user, force=False, progress=None) -> RetrainReport`` is the one entry point (CLI, window, replay).
Retraining is *due* after N newly approved documents or when the schedule says so (``[learning]`` of the routing
policy: the team's, a desk's ``routing.toml``, the defaults; see :class:`LearningSettings`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from extractors.context import ExtractionContext
from extractors.contracts.learning import SCORED_FIELDS, ContractExample, fit_scorer
from extractors.contracts.learning import outcomes as contract_outcomes
from extractors.contracts.scoring import scorer_for
from extractors.fields.schema import load_schema
from extractors.fields.scorer import ConfidenceModel, Dataset, FieldModel, build_dataset, same_value, train
from extractors.fields.scorer import TrainingPair as ScorerPair
from extractors.parallel import safe_start_method
from extractors.pipeline import decide_rows
from idp_app.db.models import AuditEntry, Document
from idp_app.domain import DocumentStatus
from idp_app.errors import ConfigError
from idp_app.learning.dataset import (
    CONTRACT,
    CONTRACT_VERSION,
    FEATURE_VERSION,
    LEARNED_TYPES,
    MODEL_TYPES,
    CandidateCache,
    ContractGroupCache,
    ContractGroups,
    ReadFn,
    contract_examples,
    documents_of,
    scorer_pairs,
    terms_due_date,
)
from idp_app.learning.models import ModelVersion
from idp_app.learning.registry import ModelVersionView, Registry, Status
from idp_app.services import audit
from idp_app.services.training import training_pairs
from idp_app.services.users import Permission, User

ProgressFn = Callable[[int, int, str], None]
"""(done, total, what): called while candidates are gathered."""

_APPROVED = (DocumentStatus.APPROVED.value, DocumentStatus.EXPORTED.value)


@dataclass(frozen=True, slots=True)
class LearningSettings:
    retrain_after_documents: int = 50
    """Retraining is due once this many documents were approved since the last retraining."""
    retrain_every_days: float | None = None
    """And at least this often, if any document was approved since (None: only by count)."""
    holdout_share: float = 0.2
    """The most recently approved share of documents, held out to compare the new model with the current one."""
    min_holdout_documents: int = 3
    max_field_drop: float = 0.01
    """Promotion is refused when any field's accuracy drops by more than this (one point)."""
    max_chance: float = 0.2
    """Promotion is refused when chance alone would give a rise as large this often or more (see
    :func:`chance_of_rise`): on a few dozen held-out documents a rise of a field or two is noise."""
    min_positive: int = 5
    fields: frozenset[str] | None = None
    """Learn and measure only these fields (a replay: the fields its truth names); None: every field."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearningSettings:
        """The settings of a ``[learning]`` table; a value of the wrong kind or out of range is refused by its
        name (2.7 documents, -3 days, a negative drop), not rounded or taken."""
        every = data.get("retrain_every_days")
        s = cls(
            retrain_after_documents=_whole(data, "retrain_after_documents", 50, 1),
            retrain_every_days=None
            if (every in ("", 0) and not isinstance(every, bool)) or every is None
            else _number(data, "retrain_every_days", 0.0, 0.0),
            holdout_share=_number(data, "holdout_share", 0.2, 0.0),
            min_holdout_documents=_whole(data, "min_holdout_documents", 3, 1),
            max_field_drop=_number(data, "max_field_drop", 0.01, 0.0),
            max_chance=_number(data, "max_chance", 0.2, 0.0),
            min_positive=_whole(data, "min_positive", 5, 1),
        )
        if not 0.0 < s.holdout_share < 1.0:
            raise ConfigError(f"learning settings: holdout_share is a share between 0 and 1, not {s.holdout_share}")
        if not 0.0 < s.max_chance <= 1.0:
            raise ConfigError(f"learning settings: max_chance is a chance above 0 and at most 1, not {s.max_chance}")
        if s.max_field_drop >= 1.0:
            raise ConfigError(f"learning settings: max_field_drop is a share below 1, not {s.max_field_drop}")
        return s

    @classmethod
    def for_workspace(cls, ws: Any) -> LearningSettings:
        """``[learning]`` of the routing policy in use: the defaults, the desk's file, the team's policy."""
        return cls.from_dict(dict(ws.policies.data().get("learning", {})))


def _whole(data: Mapping[str, Any], key: str, default: int, least: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"learning settings: {key} is a whole number of at least {least}, not {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, default: float, least: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < least:
        raise ConfigError(f"learning settings: {key} is a number of at least {least:g}, not {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Field accuracy of one model on one set of documents."""

    accuracy: float
    per_field: dict[str, float]
    fields: int
    documents: int
    hits: tuple[bool, ...] = ()
    """Whether each measured field was right, in the order of the documents and fields measured (two models
    measured on the same documents line up)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "per_field": {k: round(v, 4) for k, v in self.per_field.items()},
            "fields": self.fields,
            "documents": self.documents,
        }


def measure(model: FieldModel, pairs: Sequence[ScorerPair], contracts: Sequence[ContractExample] = ()) -> Metrics:
    """How often extraction with ``model`` gives the true value, over every field with a truth in ``pairs``: the
    scorer's choice, or the value the document's layout rules fix (which extraction keeps whatever the scorer
    ranks first); and over every checked field of ``contracts``, with the model's contract scorer."""
    outcomes: list[tuple[str, bool]] = [(name, right) for name, right, _, _ in _outcomes(model, pairs)]
    if contracts:
        outcomes += contract_outcomes(scorer_for(model.contract, model.version), contracts)
    every = tuple(right for _, right in outcomes)
    by_field: dict[str, list[bool]] = {}
    for name, right in outcomes:
        by_field.setdefault(name, []).append(right)
    return Metrics(
        float(np.mean(every)) if every else 0.0,
        {name: float(np.mean(hits)) for name, hits in sorted(by_field.items())},
        len(every),
        len(pairs) + len(contracts),
        every,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    promote: bool
    reasons: tuple[str, ...]


def chance_of_rise(current: Metrics, candidate: Metrics) -> tuple[int, int, float] | None:
    """How the two models differ field by field on the same documents, and how likely chance alone is to give
    the candidate's rise: (fields the candidate has right that ``current`` had wrong, the reverse, the one-sided
    sign test's p-value). None when the two were not measured on the same fields."""
    from scipy.stats import binomtest

    if not current.hits or len(current.hits) != len(candidate.hits):
        return None
    gained = sum(new and not old for old, new in zip(current.hits, candidate.hits, strict=True))
    lost = sum(old and not new for old, new in zip(current.hits, candidate.hits, strict=True))
    if gained + lost == 0:
        return 0, 0, 1.0
    return gained, lost, float(binomtest(gained, gained + lost, 0.5, alternative="greater").pvalue)


def promotion_decision(
    current: Metrics,
    candidate: Metrics,
    golden_current: Metrics | None = None,
    golden_candidate: Metrics | None = None,
    max_field_drop: float = 0.01,
    max_chance: float = 1.0,
) -> Decision:
    """Promote only if overall accuracy rises, by more than chance alone would give at least ``max_chance`` of
    the time (a sign test over the fields the two models differ on), no field drops by more than
    ``max_field_drop`` and the golden set does not get worse. Pure."""
    reasons = []
    if candidate.fields == 0:
        return Decision(False, ("no held-out fields to measure on",))
    if candidate.accuracy <= current.accuracy:
        reasons.append(f"accuracy {candidate.accuracy:.2%} does not rise above {current.accuracy:.2%}")
    else:
        chance = chance_of_rise(current, candidate)
        if chance is not None and chance[2] >= max_chance:
            gained, lost, p = chance
            reasons.append(
                f"accuracy {current.accuracy:.2%} -> {candidate.accuracy:.2%} may be chance: {gained} fields "
                f"right that were wrong, {lost} wrong that were right (chance {p:.2f})"
            )
    for name, before in current.per_field.items():
        after = candidate.per_field.get(name, 0.0)
        if before - after > max_field_drop + 1e-9:
            reasons.append(f"{name} drops from {before:.2%} to {after:.2%}")
    if golden_current is not None and golden_candidate is not None and golden_candidate.fields:
        if golden_candidate.accuracy < golden_current.accuracy:
            reasons.append(
                f"golden set accuracy {golden_candidate.accuracy:.2%} is below {golden_current.accuracy:.2%}"
            )
        for name, before in golden_current.per_field.items():
            after = golden_candidate.per_field.get(name, 0.0)
            if before - after > max_field_drop + 1e-9:
                reasons.append(f"golden set: {name} drops from {before:.2%} to {after:.2%}")
    if reasons:
        return Decision(False, tuple(reasons))
    return Decision(True, (f"accuracy rises from {current.accuracy:.2%} to {candidate.accuracy:.2%}",))


def _learnable(ds: Dataset, min_positive: int) -> FieldModel:
    """Scorers for the fields whose candidates are not all right (a field with no wrong candidate teaches nothing)."""
    keep = np.ones(len(ds.y), dtype=bool)
    for name in set(ds.fields.tolist()):
        rows = ds.fields == name
        if ds.y[rows].all():
            keep &= ~rows
    return train(Dataset(*(a[keep] for a in ds)), min_positive=min_positive, max_negatives=None)


def _subsample(ds: Dataset, max_negatives: int = 60, seed: int = 0) -> Dataset:
    """Every positive row and at most ``max_negatives`` random negatives per (document, field), vectorised."""
    if len(ds.y) == 0:
        return ds
    keys = np.char.add(np.char.add(ds.groups.astype(str), "\x00"), ds.fields.astype(str))
    _, group = np.unique(keys, return_inverse=True)
    noise = np.random.default_rng(seed).random(len(ds.y))
    order = np.lexsort((noise, ds.y, group))  # by group, negatives first, in random order
    start = np.searchsorted(group[order], group[order], side="left")
    rank = np.empty(len(ds.y), dtype=np.int64)
    rank[order] = np.arange(len(ds.y)) - start
    keep = (ds.y == 1) | (rank < max_negatives)
    return Dataset(*(a[keep] for a in ds))


def required_fields(pair: ScorerPair) -> frozenset[str]:
    """The expected fields of the schema the pair's candidates were found for (what extraction passes on)."""
    for doc_type in LEARNED_TYPES:
        schema = load_schema(doc_type)
        if set(schema.names()) == set(pair.candidates):
            return frozenset(s.name for s in schema.fields if s.expected)
    return frozenset()


Outcome = tuple[str, bool, bool, np.ndarray]
"""A field's decision on a held-out document: the field, whether extraction's value is right (the layout rules'
where they fix one), whether the scorer's choice is right, and its confidence features (the confidence
calibrates the scorer's choice; merging with the rules adjusts it after)."""


def _outcomes(model: FieldModel, pairs: Sequence[ScorerPair]) -> list[Outcome]:
    out = []
    for pair in pairs:
        decisions = decide_rows(model, pair.candidates, required_fields(pair))
        for name, d in decisions.items():
            if name in pair.truth:
                fc = pair.candidates[name]
                truth = pair.truth[name]
                value = fc.values[d.chosen] if d.chosen is not None else None
                chosen = same_value(fc.value_type, value, truth)
                given = pair.fixed.get(name)
                if given is None and name == "due_date" and value is None:  # none printed: the terms give it
                    given = terms_due_date(pair.fixed, _given(pair, decisions, "invoice_date"))
                right = same_value(fc.value_type, given, truth) if given is not None else chosen
                out.append((name, right, chosen, d.conf_features))
    return out


def _given(pair: ScorerPair, decisions: Mapping[str, Any], name: str) -> str | None:
    """The value extraction gives ``name`` with these decisions: a rule's where one fixes it, else the scorer's."""
    if name in pair.fixed:
        return pair.fixed[name]
    d, fc = decisions.get(name), pair.candidates.get(name)
    return fc.values[d.chosen] if d is not None and fc is not None and d.chosen is not None else None


def _accuracy_by_field(outcomes: Sequence[Outcome]) -> dict[str, float]:
    by_field: dict[str, list[bool]] = {}
    for name, right, _, _ in outcomes:
        by_field.setdefault(name, []).append(right)
    return {name: float(np.mean(hits)) for name, hits in by_field.items()}


@dataclass(frozen=True, slots=True)
class _Job:
    pairs: Sequence[ScorerPair]
    everything: Dataset
    base: FieldModel
    min_positive: int
    folds: int


_JOB: _Job | None = None


def _set_job(job: _Job | None, one_thread: bool = False) -> None:
    global _JOB
    _JOB = job
    if one_thread:
        # Processes share the cores, so each fits with one thread: OpenMP and BLAS threads that wait by
        # spinning make two processes on two cores some ten times slower. The libraries are loaded first,
        # since a limit applies only to the libraries loaded when it is set.
        import sklearn.ensemble
        import sklearn.linear_model  # noqa: F401
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


def _run(k: int) -> FieldModel | tuple[list[Outcome], list[Outcome]]:
    """Task ``-1``: the model on every pair; task ``k``: the out-of-fold outcomes of fold ``k``'s model and
    of the base model."""
    job = _JOB
    assert job is not None, "no training job in this process"
    if k < 0:
        return _learnable(job.everything, job.min_positive)
    held = [p for i, p in enumerate(job.pairs) if i % job.folds == k]
    rest = [p.doc_id for i, p in enumerate(job.pairs) if i % job.folds != k]
    in_rest = np.isin(job.everything.groups, rest)
    fm = _learnable(Dataset(*(a[in_rest] for a in job.everything)), job.min_positive)
    fold = FieldModel(
        {**job.base.per_field, **fm.per_field},
        {**fm.per_type, **job.base.per_type},
        job.base.confidence,
        absent=job.base.absent,
    )
    return _outcomes(fold, held), _outcomes(job.base, held)


PARALLEL_FROM_DOCUMENTS = 200
"""Below this many documents training runs in this process (starting workers would cost more than it saves)."""


def _run_all(job: _Job, tasks: Sequence[int], workers: int) -> list[FieldModel | tuple[list[Outcome], list[Outcome]]]:
    if workers <= 1 or len(tasks) <= 1 or len(job.pairs) < PARALLEL_FROM_DOCUMENTS:
        _set_job(job)
        try:
            return [_run(k) for k in tasks]
        finally:
            _set_job(None)
    context = multiprocessing.get_context(safe_start_method())
    with ProcessPoolExecutor(min(workers, len(tasks)), context, initializer=_set_job, initargs=(job, True)) as pool:
        return list(pool.map(_run, tasks))


def fit_model(
    pairs: Sequence[ScorerPair],
    base: FieldModel,
    *,
    min_positive: int = 5,
    folds: int = 3,
    workers: int | None = None,
) -> FieldModel:
    """Train scorers on ``pairs`` and keep, field by field, the new scorer only where extraction with it is right
    more often than with ``base``'s on out-of-fold documents (cross-fitting; the values layout rules fix count as
    extraction gives them); confidence is calibrated on the same out-of-fold choices of the scorer. With too few
    documents for folds, new scorers are taken only for fields ``base`` has none for. The model and the fold
    models are trained in ``workers`` processes (default: one per core)."""
    everything = _subsample(build_dataset(pairs))  # labelled once; each fold takes its documents' rows
    with_folds = len(pairs) >= 5 * folds
    job = _Job(pairs, everything, base, min_positive, folds)
    results = _run_all(job, [-1, *range(folds)] if with_folds else [-1], workers or os.cpu_count() or 1)
    model = results[0]
    assert isinstance(model, FieldModel)
    per_field = dict(base.per_field)
    chosen = {n: s for n, s in model.per_field.items() if base.scorer_for(n, "") is None and n not in per_field}
    confidence = base.confidence
    if with_folds:
        new: list[Outcome] = []
        old: list[Outcome] = []
        for r in results[1:]:
            assert isinstance(r, tuple)
            new.extend(r[0])
            old.extend(r[1])
        new_acc, base_acc = _accuracy_by_field(new), _accuracy_by_field(old)
        for name, scorer in model.per_field.items():
            if new_acc.get(name, 0.0) > base_acc.get(name, 1.0):
                chosen[name] = scorer
        ok = [chosen for _, _, chosen, _ in new]
        if new and len(set(ok)) > 1:
            confidence = ConfidenceModel.fit(np.vstack([f for *_, f in new]), np.asarray(ok, dtype=int))
    per_field.update(chosen)
    per_type = {**model.per_type, **base.per_type}
    documents = tuple(sorted({p.doc_id for p in pairs}))
    result = FieldModel(per_field, per_type, confidence, training_documents=documents)
    if base.absent is not None:
        # a clerk's queue does not say which fields a document lacks: the absent calibration is the base model's,
        # by rate alone for a field scored otherwise now (its curve was of the old scorer's scores)
        types = {f.name: str(f.value_type) for t in ("invoice", "receipt") for f in load_schema(t).fields}
        changed = {n for n in base.absent.per_field if _scored_otherwise(result, base, n, types.get(n, ""))}
        result.absent = base.absent.without_curves(changed)
    return result


def _scored_otherwise(model: FieldModel, base: FieldModel, name: str, value_type: str) -> bool:
    return model.scorer_for(name, value_type) is not base.scorer_for(name, value_type)


@dataclass(slots=True)
class RetrainReport:
    status: str
    """``promoted``, ``rejected``, ``not_due``, ``too_few`` (not enough approved documents to measure),
    ``unchanged`` (the same model measured on the same documents as an earlier version: nothing registered) or
    ``model_unreadable``."""
    version: str | None = None
    reasons: tuple[str, ...] = ()
    training_documents: int = 0
    training_pairs: int = 0
    holdout_documents: int = 0
    golden_documents: int = 0
    current: dict[str, Any] = field(default_factory=dict)
    candidate: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    messages: tuple[str, ...] = ()

    @property
    def promoted(self) -> bool:
        return self.status == Status.PROMOTED


UNCHANGED = "retrain_unchanged"
"""The audit action of a retraining that found nothing new: retraining is due again counted from it."""


def _fingerprint(
    payload: bytes, compared_with: str, held: list[Any], golden: list[Any], settings: LearningSettings
) -> str:
    """What a retraining's decision follows from: the model trained, the model in use it is measured against, the
    documents it is measured on and their truth, and the promotion rule's settings."""
    measured = [[d.sha256, d.doc_type, d.truth] for d in (*held, *golden)]
    rule = [settings.max_field_drop, settings.max_chance]
    data = json.dumps([compared_with, measured, rule], sort_keys=True, default=str).encode()
    return hashlib.sha256(payload + data).hexdigest()


def _registered_with(registry: Registry, fingerprint: str, key: str = "fingerprint") -> ModelVersionView | None:
    """The version registered from the same model measured on the same documents (``key`` "inputs": trained and
    measured from the same inputs), if any."""
    return next((v for v in reversed(registry.list()) if v.metrics.get(key) == fingerprint), None)


LEARNING_CODE = ("extractors/fields", "extractors/contracts", "idp_app/learning", "extractors/pipeline.py")
"""The code a retraining's model and decision follow from, besides its inputs: training, calibration, candidates,
decisions and measuring."""


@functools.cache
def _code_version() -> str:
    root = Path(__file__).resolve().parent.parent.parent
    h = hashlib.sha256(b"learning-code-1")
    for part in LEARNING_CODE:
        path = root / part
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _libraries() -> list[str]:
    from importlib import metadata

    return [f"{name} {metadata.version(name)}" for name in ("numpy", "scipy", "scikit-learn")]


def _inputs(
    current: FieldModel, train: list[Any], held: list[Any], golden: list[Any], settings: LearningSettings
) -> str:
    """What a retraining follows from before anything is trained: the model in use (its weights: the shipped
    default changes with a release under the one name), the documents trained and measured on with their truth,
    the settings of training and promotion, the code and the numeric libraries. The same inputs train the
    same model to the same decision, so a retraining that finds them registered trains nothing."""
    docs = [[[d.sha256, d.doc_type, d.truth] for d in part] for part in (train, held, golden)]
    rule = [settings.max_field_drop, settings.max_chance, settings.min_positive, settings.fields]
    data = json.dumps(
        [
            current.to_dict(),
            scorer_for(current.contract, "in use").to_payload(),  # where the model has none, the one shipped
            docs,
            rule,
            [FEATURE_VERSION, CONTRACT_VERSION, _code_version(), _libraries()],
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(data.encode()).hexdigest()


def _unchanged(ws: Any, actor: str, report: RetrainReport, same: ModelVersionView, started: float) -> RetrainReport:
    why = (
        f"nothing new since {same.version}: the same model measured on the same documents "
        f"({'promoted' if same.metrics.get('decision') == Status.PROMOTED else 'not promoted'} then); "
        "nothing was registered"
    )
    report.status, report.version, report.reasons = "unchanged", same.version, (why,)
    with ws.db.write() as s:  # a retraining that found nothing new: not due again until more is approved
        audit.append(s, actor, UNCHANGED, None, version=same.version)
    report.seconds = time.perf_counter() - started
    return report


def due(ws: Any, settings: LearningSettings, now: datetime | None = None) -> tuple[bool, str]:
    """Whether retraining is due: N approved documents since the last retraining, or the schedule's time."""
    now = now or datetime.now(UTC)
    with ws.db.read() as s:
        last = s.execute(
            select(ModelVersion.created_at).order_by(ModelVersion.created_at.desc()).limit(1)
        ).scalar_one_or_none()
        checked = s.execute(
            select(AuditEntry.created_at).where(AuditEntry.action == UNCHANGED).order_by(AuditEntry.seq.desc()).limit(1)
        ).scalar_one_or_none()
        if checked is not None:  # the last retraining found nothing new to register
            at = datetime.fromisoformat(checked)
            last = at if last is None else max(last, at)
        stmt = select(func.count(Document.id)).where(Document.status.in_(_APPROVED))
        if last is not None:
            stmt = stmt.where(Document.decided_at > last)
        fresh = int(s.execute(stmt).scalar_one())
    if fresh >= settings.retrain_after_documents:
        return True, f"{fresh} documents approved since the last retraining"
    every = settings.retrain_every_days
    if every is not None and fresh > 0 and (last is None or now - last >= timedelta(days=every)):
        return True, f"scheduled every {settings.retrain_every_days:g} days, {fresh} new documents"
    return False, f"{fresh} of {settings.retrain_after_documents} documents approved since the last retraining"


def retrain(
    ws: Any,
    user: User | str,
    *,
    force: bool = False,
    progress: ProgressFn | None = None,
    settings: LearningSettings | None = None,
    read: ReadFn | None = None,
    ctx: ExtractionContext | None = None,
) -> RetrainReport:
    """Train a new model version on every training pair so far; promote it only if it measures better.

    Needs Permission.RETRAIN (supervisors, admins). Unless ``force``, does nothing when retraining is not due.
    """
    started = time.perf_counter()
    actor = ws.users.require(user, Permission.RETRAIN)
    settings = settings or LearningSettings.for_workspace(ws)
    if not force:
        is_due, why = due(ws, settings)
        if not is_due:
            return RetrainReport("not_due", reasons=(why,), seconds=time.perf_counter() - started)
    registry = Registry(ws.db, ws.config)
    from idp_app.learning.extract import refresh

    refresh(ws)  # this desk's copies as the database has them: a version promoted at another desk, a damaged copy
    loaded = registry.load_active()
    active = registry.active()
    if active is not None and loaded.version != active.version:
        # measured against a fall-back, a new model would be judged against what the registry does not have in use
        why = (
            f"the model in use, {active.version}, cannot be loaded ({'; '.join(loaded.messages)}): extraction uses "
            f"{loaded.version} meanwhile; roll back (idp model rollback) or promote another version, then retrain"
        )
        return RetrainReport("model_unreadable", reasons=(why,), seconds=time.perf_counter() - started)
    golden_ids = registry.golden()
    docs = [d for d in documents_of(training_pairs(ws)) if d.doc_type in MODEL_TYPES]
    if settings.fields is not None:
        keep = settings.fields
        docs = [dataclasses.replace(d, truth={k: v for k, v in d.truth.items() if k in keep}) for d in docs]
    cache = CandidateCache(ws.config.cache_dir / "learning" / "candidates")
    contract_cache = ContractGroupCache(ws.config.cache_dir / "learning" / "contracts")
    ctx = ctx or ExtractionContext(use_einvoice=False)
    candidates, fixed = {}, {}
    groups: dict[str, ContractGroups] = {}
    skipped: list[str] = []
    for i, d in enumerate(docs, start=1):
        path = ws.documents.file_path(d.document_id)
        try:
            if d.doc_type == CONTRACT:
                groups[d.sha256] = contract_cache.groups(d.sha256, path, ctx, read)
            else:
                found = cache.found(d.sha256, d.doc_type, path, ctx, read)
                candidates[d.sha256], fixed[d.sha256] = found.rows, found.fixed
        except Exception as exc:  # one unreadable original must not stop retraining
            skipped.append(f"document {d.document_id} left out: {exc}")
            if progress:
                progress(i, len(docs), f"skipped document {d.document_id}: {exc}")
            continue
        if progress:
            progress(i, len(docs), f"document {d.document_id}")
    docs = [d for d in docs if d.sha256 in candidates or d.sha256 in groups]  # only what can be read counts
    golden = [d for d in docs if d.document_id in golden_ids]
    rest = [d for d in docs if d.document_id not in golden_ids]
    n_hold = math.ceil(len(rest) * settings.holdout_share)
    train_docs, hold_docs = rest[: len(rest) - n_hold], rest[len(rest) - n_hold :]
    waiting = sorted(golden_ids - {d.document_id for d in golden})
    if waiting:  # reopened, or whose original cannot be read: measured on fewer, said so
        skipped.append(
            f"golden document{'s' if len(waiting) > 1 else ''} {', '.join(map(str, waiting))} left out: not approved "
            "now (reopened) or not readable"
        )
    report = RetrainReport(
        "too_few", holdout_documents=len(hold_docs), golden_documents=len(golden), messages=tuple(skipped)
    )
    if len(hold_docs) < settings.min_holdout_documents or not train_docs:
        unread = f" ({len(skipped)} more whose originals cannot be read)" if skipped else ""
        # the fewest with min_holdout_documents in the holdout share and one left to train on
        needed = next(
            n
            for n in itertools.count(1)
            if (held := math.ceil(n * settings.holdout_share)) >= settings.min_holdout_documents and n > held
        )
        besides = f" besides the {len(golden)} of the golden set" if golden else ""
        report.reasons = (
            f"{len(rest)} approved documents{besides}{unread}: too few to train and measure a model (at least "
            f"{needed}{' besides it' if golden else ''}, {settings.min_holdout_documents} of them held "
            "out to measure on)",
        )
        report.seconds = time.perf_counter() - started
        return report
    inputs = _inputs(loaded.model, train_docs, hold_docs, golden, settings)
    if (same := _registered_with(registry, inputs, "inputs")) is not None:
        return _unchanged(ws, actor.name, report, same, started)
    train_pairs = scorer_pairs(train_docs, candidates, fixed)
    hold_pairs = scorer_pairs(hold_docs, candidates, fixed)
    golden_pairs = scorer_pairs(golden, candidates, fixed)
    scored = [n for n in SCORED_FIELDS if settings.fields is None or n in settings.fields]
    train_contracts = contract_examples(train_docs, groups, scored)
    hold_contracts = contract_examples(hold_docs, groups, scored)
    golden_contracts = contract_examples(golden, groups, scored)
    current = loaded.model
    if train_pairs:
        model = fit_model(train_pairs, current, min_positive=settings.min_positive)
    else:  # contracts only: the field scorer stays as it is
        model = FieldModel(dict(current.per_field), dict(current.per_type), current.confidence, absent=current.absent)
    model.contract = current.contract
    if train_contracts:
        refit, changed = fit_scorer(scorer_for(current.contract, loaded.version), train_contracts)
        if changed:
            model.contract = refit.to_payload()
            learned = {e.sha256 for e in train_docs if e.doc_type == CONTRACT}
            model.training_documents = tuple(sorted({*model.training_documents, *learned}))
    payload = json.dumps(model.to_dict(), sort_keys=True).encode()
    model.version = hashlib.sha256(payload).hexdigest()[:8]  # numbered when registered
    fingerprint = _fingerprint(payload, loaded.version, hold_docs, golden, settings)
    if (same := _registered_with(registry, fingerprint)) is not None:
        return _unchanged(ws, actor.name, report, same, started)
    m_cur, m_new = measure(current, hold_pairs, hold_contracts), measure(model, hold_pairs, hold_contracts)
    has_golden = bool(golden_pairs or golden_contracts)
    g_cur = measure(current, golden_pairs, golden_contracts) if has_golden else None
    g_new = measure(model, golden_pairs, golden_contracts) if has_golden else None
    decision = promotion_decision(m_cur, m_new, g_cur, g_new, settings.max_field_drop, settings.max_chance)
    metrics: dict[str, Any] = {
        "holdout": m_new.to_json(),
        "holdout_current": m_cur.to_json(),
        "compared_with": loaded.version,
        "reasons": list(decision.reasons),
        "fingerprint": fingerprint,
        "inputs": inputs,
    }
    if g_cur is not None and g_new is not None:
        metrics["golden"], metrics["golden_current"] = g_new.to_json(), g_cur.to_json()
    n_pairs = sum(len(p.truth) for p in train_pairs) + sum(len(e.truth) for e in train_contracts)
    n_train = len(train_pairs) + len(train_contracts)
    view = registry.add(
        model,
        by=actor.name,
        status=Status.PROMOTED if decision.promote else Status.REJECTED,
        metrics=metrics,
        training_documents=n_train,
        training_pairs=n_pairs,
        parent_version=loaded.version,
        note="; ".join(decision.reasons),
        numbered=True,
    )
    return RetrainReport(
        view.status,
        view.version,
        tuple(view.note.split("; ")) if view.note else decision.reasons,
        n_train,
        n_pairs,
        len(hold_pairs) + len(hold_contracts),
        len(golden_pairs) + len(golden_contracts),
        m_cur.to_json(),
        m_new.to_json(),
        time.perf_counter() - started,
        (*skipped, *loaded.messages),
    )
