"""Training sets from approved documents: the clerks' truth beside the candidates extraction saw.

:func:`build_training_set` is pure (no database, no files): training pairs and each document's candidates in,
the scorer's :class:`~extractors.fields.scorer.Dataset` out. Corrected values are the truth; confirmations
count as positives for the value the clerk confirmed. The candidates of a document are found again from the
stored original (:func:`extractors.pipeline.field_candidates`) and cached per document hash and feature version.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from extractors.context import ExtractionContext
from extractors.contracts.learning import (
    ContractExample,
    GroupRow,
    contract_groups,
    groups_from_json,
    groups_to_json,
)
from extractors.document import Document
from extractors.fields.features import FEATURES
from extractors.fields.schema import SCHEMA_DIR, load_schema
from extractors.fields.scorer import Dataset, FieldCandidates, build_dataset
from extractors.fields.scorer import TrainingPair as ScorerPair
from extractors.reader_version import reader_version
from idp_app.services.storage import write_atomically
from idp_app.services.training import TrainingPair

LEARNED_TYPES = ("invoice", "receipt")
"""Document types whose fields the field scorer ranks (contracts have their own extractor)."""
CONTRACT = "contract"
MODEL_TYPES = (*LEARNED_TYPES, CONTRACT)
"""Document types a model version learns from and is measured on: the field scorer's and the contract scorer's."""

ReadFn = Callable[[Path, ExtractionContext], Document]
T = TypeVar("T")
ContractGroups = Mapping[str, Sequence[GroupRow]]
"""A contract's value groups per field (:func:`extractors.contracts.learning.contract_groups`)."""
CandidateMap = Mapping[str, Mapping[str, FieldCandidates]]
"""Candidates of each document (by SHA-256), per field."""
FixedMap = Mapping[str, Mapping[str, str]]
"""The values each document's layout rules fix (by SHA-256), per field: what extraction keeps whatever the
scorer ranks first (a receipt's seller, address, total and date, see ``extractors.pipeline.merge_receipt_rules``;
the payment terms, see ``extractors.fields.payment_terms``)."""


RULE_MODULES = ("extractors.fields.receipt_rules", "extractors.fields.payment_terms")
"""The rules whose values are fixed (:func:`compute_candidates`): their source is part of the version."""
FEATURE_MODULES = ("extractors.fields.candidates", "extractors.fields.features", "extractors.fields.normalise")
"""Where candidates and their features are computed: their source is part of the version too (a feature computed
otherwise, say a value's frequency, makes cached rows another model's)."""


TERMS_KEY = "due_date@terms"
"""Under this key of a document's fixed values, the payment terms that give its due date where none is printed
(JSON: what :class:`extractors.fields.payment_terms.PaymentTerms` needs for it): the due date depends on the
invoice date the model chooses, so it is worked out where the model is measured (``terms_due_date``)."""

CANDIDATES_FORMAT = 2
"""Changes with what a cached document's candidates hold (2: the payment terms' due date)."""


def _feature_version() -> str:
    h = hashlib.sha256(f"{CANDIDATES_FORMAT}|".encode() + "|".join(FEATURES).encode())
    for doc_type in LEARNED_TYPES:
        path = SCHEMA_DIR / f"{doc_type}.toml"
        if path.is_file():
            h.update(path.read_bytes())
    for module in (*RULE_MODULES, *FEATURE_MODULES):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            h.update(Path(spec.origin).read_bytes())
    h.update(reader_version().encode())  # what the candidates were found in
    return h.hexdigest()[:12]


FEATURE_VERSION = _feature_version()
"""Changes when the features (their names and the code computing them), the schemas, the rules whose values are
fixed or the readers change: cached candidates of another version are not used."""


@dataclass(frozen=True, slots=True)
class DocumentTruth:
    """What the clerks made true on one approved document."""

    document_id: int
    sha256: str
    doc_type: str
    truth: dict[str, str | None]
    corrections: int
    confirmations: int
    approved_order: int
    """Position of the document's last correction among all (a proxy for when it was approved)."""


def documents_of(pairs: Sequence[TrainingPair]) -> list[DocumentTruth]:
    """The approved documents of ``pairs`` with their header fields' truth, oldest first. Pure."""
    grouped: dict[str, list[TrainingPair]] = {}
    for p in pairs:
        if p.line_item_index is None:
            grouped.setdefault(p.sha256, []).append(p)
    out = []
    for sha, rows in grouped.items():
        doc_type = rows[0].doc_type or "invoice"
        out.append(
            DocumentTruth(
                rows[0].document_id,
                sha,
                doc_type,
                {p.field_name: p.true_value for p in rows},
                sum(p.kind.value == "correction" for p in rows),
                sum(p.kind.value == "confirmation" for p in rows),
                int(max(p.created_at for p in rows).timestamp() * 1000),
            )
        )
    out.sort(key=lambda d: (d.approved_order, d.document_id))
    return out


def scorer_pairs(
    docs: Sequence[DocumentTruth], candidates_by_doc: CandidateMap, fixed_by_doc: FixedMap | None = None
) -> list[ScorerPair]:
    """The scorer's training pairs: each learned document's candidates with the clerks' truth, and the values its
    layout rules fix (``fixed_by_doc``, by SHA-256). Pure."""
    out = []
    for d in docs:
        cands = candidates_by_doc.get(d.sha256)
        if d.doc_type not in LEARNED_TYPES or cands is None:
            continue
        fixed = dict((fixed_by_doc or {}).get(d.sha256, {}))
        out.append(ScorerPair(d.sha256, cands, {k: v for k, v in d.truth.items() if k in cands}, fixed))
    return out


def build_training_set(pairs: Sequence[TrainingPair], candidates_by_doc: CandidateMap) -> Dataset:
    """Rows of candidate features, labelled 1 where a candidate carries the value a clerk approved. Pure."""
    return build_dataset(scorer_pairs(documents_of(pairs), candidates_by_doc))


# ---- candidates, cached ----------------------------------------------------------------------------------------

CACHE_FORMAT = 2
"""2: the layout rules' values beside the candidates."""


@dataclass(frozen=True, slots=True)
class DocumentCandidates:
    """What extraction finds in one document before the scorer ranks: each field's candidates, and the values the
    layout rules fix."""

    rows: dict[str, FieldCandidates]
    fixed: dict[str, str]


def _to_json(found: DocumentCandidates) -> dict[str, Any]:
    return {
        "format": CACHE_FORMAT,
        "fixed": found.fixed,
        "fields": {
            name: {
                "type": fc.value_type,
                "values": list(fc.values),
                "features": fc.features.round(6).tolist(),
                "ocr": list(fc.ocr_confidence),
                "spans": [[p, list(t)] for p, t in fc.spans],
            }
            for name, fc in found.rows.items()
        },
    }


def _from_json(data: Mapping[str, Any]) -> DocumentCandidates:
    if data.get("format") != CACHE_FORMAT:
        raise ValueError("candidates of another format")
    rows = {
        name: FieldCandidates(
            name,
            str(f["type"]),
            tuple(f["values"]),
            np.asarray(f["features"], dtype=float).reshape(len(f["values"]), len(FEATURES)),
            tuple(float(x) for x in f["ocr"]),
            tuple((int(p), tuple(int(i) for i in t)) for p, t in f["spans"]),
        )
        for name, f in data["fields"].items()
    }
    return DocumentCandidates(rows, {str(k): str(v) for k, v in data["fixed"].items()})


def _read_cached(file: Path, decode: Callable[[Any], T]) -> T | None:
    """What a cache file holds, or None where it is missing or damaged (it is then computed again)."""
    if not file.is_file():
        return None
    try:
        return decode(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class CandidateCache:
    """Each document's candidates as JSON in ``folder``, keyed by SHA-256 and :data:`FEATURE_VERSION`.

    A damaged cache file is read again from the original; an in-memory copy makes repeated retraining cheap.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._memory: dict[str, DocumentCandidates] = {}

    def _path(self, sha256: str, doc_type: str) -> Path:
        return self.folder / f"{sha256}-{doc_type}-{FEATURE_VERSION}.json"

    def get(
        self, sha256: str, doc_type: str, path: Path, ctx: ExtractionContext, read: ReadFn | None = None
    ) -> dict[str, FieldCandidates]:
        """The document's candidates per field (read from the original where not cached)."""
        return self.found(sha256, doc_type, path, ctx, read).rows

    def found(
        self, sha256: str, doc_type: str, path: Path, ctx: ExtractionContext, read: ReadFn | None = None
    ) -> DocumentCandidates:
        """The document's candidates and the values its layout rules fix."""
        key = f"{sha256}-{doc_type}"
        if key in self._memory:
            return self._memory[key]
        file = self._path(sha256, doc_type)
        found = _read_cached(file, _from_json)
        if found is None:
            found = self._write(file, _to_json(compute_candidates(path, doc_type, ctx, read)))
        self._memory[key] = found
        return found

    def put(
        self, sha256: str, doc_type: str, rows: dict[str, FieldCandidates], fixed: Mapping[str, str] | None = None
    ) -> None:
        found = DocumentCandidates(rows, dict(fixed or {}))
        self._memory[f"{sha256}-{doc_type}"] = self._write(self._path(sha256, doc_type), _to_json(found))

    @staticmethod
    def _write(file: Path, data: dict[str, Any]) -> DocumentCandidates:
        """Store ``data``; the candidates as stored, which a later run reads back."""
        return _stored(file, data, _from_json)


def _stored(file: Path, data: Any, decode: Callable[[Any], T]) -> T:
    """Write ``data`` to ``file`` and return it decoded from what was written (features rounded as stored), so
    that a run that computed them trains exactly as a run that reads them from the cache."""
    encoded = json.dumps(data, separators=(",", ":")).encode("utf-8")
    write_atomically(file, encoded)
    return decode(json.loads(encoded))


def compute_candidates(
    path: Path, doc_type: str, ctx: ExtractionContext, read: ReadFn | None = None
) -> DocumentCandidates:
    """Read the original again and find its candidates (without memory: the scorer learns the page itself) and
    the values rules fix: a receipt's layout rules, the payment terms read by their wording."""
    from extractors.fields.payment_terms import payment_terms
    from extractors.fields.receipt_rules import receipt_answers
    from extractors.pipeline import field_candidates

    if read is None:
        from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

        read = read_document
    doc = read(path, ctx)
    _, rows = field_candidates(doc, load_schema("receipt" if doc_type == "receipt" else "invoice"), ctx)
    fixed = {n: a.value for n, a in receipt_answers(doc).items() if n in rows} if doc_type == "receipt" else {}
    terms = payment_terms(doc) if "payment_terms" in rows else None
    if terms is not None:
        fixed["payment_terms"] = terms.text
        if "due_date" in rows:
            fixed[TERMS_KEY] = json.dumps(
                {
                    "net_days": terms.net_days,
                    "net_months": terms.net_months,
                    "dates": list(terms.dates),
                    "month_end": terms.month_end,
                    "from_invoice": terms.from_invoice,
                }
            )
    return DocumentCandidates(rows, fixed)


def terms_due_date(fixed: Mapping[str, str], invoice_date: str | None) -> str | None:
    """The due date a document's payment terms give (where it prints none), from the invoice date chosen."""
    from extractors.fields.payment_terms import PaymentTerms

    raw = fixed.get(TERMS_KEY)
    if raw is None:
        return None
    t = json.loads(raw)
    terms = PaymentTerms("", 0, (), t["net_days"], tuple(t["dates"]), t["month_end"], t["from_invoice"],
                         t["net_months"])  # fmt: skip
    return terms.due_date(invoice_date)


# ---- contracts -------------------------------------------------------------------------------------------------

CONTRACT_MODULES = ("candidates", "extract", "normalize", "parties", "scoring", "text", "learning")
"""The contract modules whose source makes a contract's value groups: part of the cached groups' version."""


def _contract_version() -> str:
    h = hashlib.sha256(b"contract-groups-1")
    for name in CONTRACT_MODULES:
        spec = importlib.util.find_spec(f"extractors.contracts.{name}")
        if spec is not None and spec.origin:
            h.update(Path(spec.origin).read_bytes())
    h.update(reader_version().encode())
    return h.hexdigest()[:12]


CONTRACT_VERSION = _contract_version()


def contract_examples(
    docs: Sequence[DocumentTruth], groups_by_doc: Mapping[str, ContractGroups], fields: Sequence[str]
) -> list[ContractExample]:
    """The contract scorer's examples: each approved contract's value groups with the clerks' truth. A field the
    clerk approved empty is true as none. Pure."""
    return [
        ContractExample(groups_by_doc[d.sha256], {n: d.truth.get(n) for n in fields})
        for d in docs
        if d.doc_type == CONTRACT and d.sha256 in groups_by_doc
    ]


class ContractGroupCache:
    """Each contract's value groups as JSON in ``folder``, keyed by SHA-256 and :data:`CONTRACT_VERSION`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._memory: dict[str, ContractGroups] = {}

    def groups(self, sha256: str, path: Path, ctx: ExtractionContext, read: ReadFn | None = None) -> ContractGroups:
        if sha256 in self._memory:
            return self._memory[sha256]
        file = self.folder / f"{sha256}-contract-{CONTRACT_VERSION}.json"
        found: ContractGroups | None = _read_cached(file, groups_from_json)
        if found is None:
            if read is None:
                from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]

                read = read_document
            found = _stored(file, groups_to_json(contract_groups(read(path, ctx), ctx)), groups_from_json)
        self._memory[sha256] = found
        return found
