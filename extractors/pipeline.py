"""Extraction pipeline: read a document, decide its type, find candidates, score them, calibrate confidence.

``extract(path, ctx)`` reads the file (text layer first, OCR otherwise) and returns an :class:`ExtractionResult`;
``extract_document(doc, ctx)`` does the same for an already read :class:`Document`.
Extra candidate sources (a vendor memory, say) are passed as ``sources``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from extractors.context import ExtractionContext
from extractors.document import Document, DocumentType, TokenSource
from extractors.errors import ExtractionError
from extractors.fields import candidates as cmod
from extractors.fields.candidates import Candidate, CandidateSource, DocView
from extractors.fields.decide import NOT_FOUND_LOGIT, Decision, FieldInput, decide
from extractors.fields.doctype import classify
from extractors.fields.features import FeatureBuilder
from extractors.fields.line_items import extract_line_items
from extractors.fields.payment_terms import merge_payment_terms
from extractors.fields.schema import Schema, ValueType, load_schema
from extractors.fields.scorer import ConfidenceModel, FieldCandidates, FieldModel
from extractors.geometry import BBox
from extractors.results import Alternative, ExtractionResult, FieldValue

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "resources" / "models" / "field_model.json"

_CANDIDATE_TYPE = {
    ValueType.PERIOD: ValueType.TEXT,
    ValueType.PARTY_LIST: ValueType.NAME,
}


@lru_cache(maxsize=4)
def _load_cached(path: Path) -> FieldModel:
    return FieldModel.load(path)


def load_model(path: Path | None = None) -> FieldModel:
    """The field model at ``path``, or the default model shipped in ``resources/models``.

    Without a shipped model (a source checkout before training) fields are ranked by label words alone.
    """
    if path is None and not DEFAULT_MODEL_PATH.exists():
        return FieldModel({}, {}, ConfidenceModel.identity(), version="labels-only")
    return _load_cached(Path(path) if path is not None else DEFAULT_MODEL_PATH)


def field_candidates(
    doc: Document, schema: Schema, ctx: ExtractionContext, sources: Sequence[CandidateSource] | None = None
) -> tuple[dict[str, list[Candidate]], dict[str, FieldCandidates]]:
    """Each field's candidates and their feature rows: what the scorer ranks and what training learns from."""
    view = DocView.of(doc)
    found = cmod.collect(view, ctx, cmod.DEFAULT_SOURCES if sources is None else sources)
    labels: dict[str, set[str]] = {}
    for spec in schema.fields:
        labels.setdefault(_CANDIDATE_TYPE.get(spec.value_type, spec.value_type), set()).update(spec.all_labels())
    found = [c for c in found if not _only_a_label(c, labels)]
    led = _label_led(labels)
    found = [c for c in found if not (c.value_type == ValueType.ADDRESS and c.for_field is None and led(c.value))]
    in_dates = {(c.page, t) for c in found if c.value_type == ValueType.DATE for t in c.token_ids}
    found = [c for c in found if not _part_of_a_date(c, in_dates)]
    builder = FeatureBuilder(view, schema, found)
    per_field: dict[str, list[Candidate]] = {}
    rows: dict[str, FieldCandidates] = {}
    for spec in schema.fields:
        ctype = _CANDIDATE_TYPE.get(spec.value_type, spec.value_type)
        cands = [c for c in found if c.value_type == ctype and c.for_field in (None, spec.name)]
        per_field[spec.name] = cands
        rows[spec.name] = FieldCandidates(
            spec.name,
            str(spec.value_type),
            tuple(c.value for c in cands),
            builder.matrix(spec, cands),
            tuple(c.ocr_confidence for c in cands),
            tuple((c.page, c.token_ids) for c in cands),
        )
    return per_field, rows


_WORDS_ONLY = frozenset({ValueType.NAME, ValueType.ADDRESS, ValueType.TEXT})


def _only_a_label(c: Candidate, labels: Mapping[str, set[str]]) -> bool:
    """A name, address or text that is nothing but the label of a field of its type ("Afleveradres", the
    customer's, as a name). A name that is another type's label stays ("Netto", "Total": shops' names too)."""
    own = labels.get(c.value_type, set())
    return c.value_type in _WORDS_ONLY and c.for_field is None and c.value.lower().strip(" :.#") in own


def _label_led(labels: Mapping[str, set[str]]) -> Callable[[str], bool]:
    """Whether a text starts with the label of a field that is no address, or a document's title: "Rechnungsnummer:
    2023/65112 Kundennummer", "Invoice #: IN25-37569 Date" are a column of labels and values, no address. Labels
    under five letters do not count: streets start "An der", "De Ruijterkade", "Van Baerlestraat"."""
    words = {w for t, ws in labels.items() if t != ValueType.ADDRESS for w in ws if len(w) >= 5} | cmod.TITLE_WORDS
    pattern = re.compile(r"(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")
    return lambda text: pattern.match(text.lower()) is not None


def _part_of_a_date(c: Candidate, in_dates: set[tuple[int, int]]) -> bool:
    """An identifier read from words of a printed date ("2014" of "August 3, 2014") is no number of its own."""
    return c.value_type == ValueType.IDENTIFIER and all((c.page, t) in in_dates for t in c.token_ids)


def decide_rows(
    model: FieldModel | None, rows: Mapping[str, FieldCandidates], required: frozenset[str] = frozenset()
) -> dict[str, Decision]:
    """Each field's decision from its candidates' feature rows (what training replays on held-out documents)."""
    inputs = {
        name: FieldInput(
            name,
            fc.value_type,
            fc.values,
            fc.spans or tuple((-1, (i,)) for i in range(len(fc.values))),
            fc.features,
            fc.ocr_confidence or (1.0,) * len(fc.values),
        )
        for name, fc in rows.items()
    }
    return decide(model, inputs, required)


def _field_value(
    name: str,
    cands: Sequence[Candidate],
    decision: Decision,
    confidence: float,
    rows: FieldCandidates,
    model: FieldModel | None,
    doc_type: str = "invoice",
) -> FieldValue:
    if decision.chosen is None:
        if model is not None and model.absent is not None:  # the chance that nothing is printed for it
            absent = model.absent(name, float(decision.conf_features[0]), str(doc_type))
            return FieldValue(name, None, confidence=absent)
        return FieldValue(name, None, confidence=0.5)  # a model without it: nothing is known
    best = cands[decision.chosen]
    alternatives: list[Alternative] = []
    seen = {best.value}
    z = np.exp(decision.logits - decision.logits.max())
    share = z / z.sum()
    for j in decision.order:
        c = cands[j]
        if c.value in seen:
            continue
        seen.add(c.value)
        alternatives.append(
            Alternative(c.value, c.text, float(np.clip(share[j] * confidence, 0.0, 1.0)), c.page, c.bbox_pt)
        )
        if len(alternatives) == 3:
            break
    return FieldValue(
        name,
        best.value,
        best.text,
        float(np.clip(confidence, 0.0, 1.0)),
        best.page,
        best.bbox_pt,
        tuple(alternatives),
        _evidence(rows, decision),
        TokenSource.OCR if best.ocr_confidence < 1.0 else TokenSource.TEXT_LAYER,
        best.token_ids,
    )


def _evidence(rows: FieldCandidates, decision: Decision) -> tuple[str, ...]:
    from extractors.fields.features import FEATURES

    assert decision.chosen is not None
    f = dict(zip(FEATURES, rows.features[decision.chosen], strict=True))
    out = []
    if f["lab_left"]:
        out.append("label on the left")
    if f["lab_above"]:
        out.append("label above")
    elif f["lab_section"]:
        out.append("label in the section above")
    if f["valid"] and rows.value_type in (ValueType.IBAN, ValueType.VAT_ID):
        out.append("checksum valid")
    elif not f["valid"]:
        out.append(CHECKSUM_FAILED)
    if decision.rule == 1.0:
        out.append("net + tax = total: passed")
    elif decision.rule == 0.0:
        out.append("net + tax = total: failed")
    if f["prior"] >= 1.0:
        out.append(FROM_MEMORY)
    elif f["prior"] > 0:
        out.append(WHERE_BEFORE)
    return tuple(out)


FROM_MEMORY = "known from earlier documents"
"""Evidence of a value a person confirmed on an earlier document of the same vendor and layout."""
WHERE_BEFORE = "where earlier documents had it"
"""Evidence of a value printed where a person confirmed this field on an earlier document of the same layout."""


def extract_document(
    doc: Document,
    ctx: ExtractionContext,
    *,
    model: FieldModel | None = None,
    sources: Sequence[CandidateSource] | None = None,
    doc_type: DocumentType | None = None,
) -> ExtractionResult:
    """Fields, line items and type of a read document, each field with a box and a calibrated confidence."""
    timing: dict[str, float] = dict(doc.timing_ms)
    t0 = time.perf_counter()
    if doc_type is None and ctx.doc_type:
        doc_type = DocumentType(ctx.doc_type)  # as a person set it
    if doc_type is None:
        dtype, type_conf = classify(doc)
    else:
        dtype, type_conf = doc_type, 1.0
    if model is None:
        model = load_model(ctx.model_path)
    warnings = list(doc.warnings)
    if dtype == DocumentType.CONTRACT:
        fields, extra, version = _contract_fields(doc, ctx, model)
        warnings.extend(extra)
        schema = load_schema(str(DocumentType.CONTRACT))
        added = tuple(spec for spec in schema.fields if spec.name not in fields)
        if added:  # fields a user added to the contract schema: label words and value type, as on invoices
            fields.update(_fields(doc, ctx, replace(schema, fields=added), dtype, model, sources, timing))
            version = f"{version}+{model.version}" if version and version != model.version else model.version
        timing["fields"] = (time.perf_counter() - t0) * 1000
        return ExtractionResult(
            doc.path, dtype, type_conf, doc.page_count, fields, (), tuple(warnings), timing, version
        )
    schema = load_schema(str(DocumentType.RECEIPT if dtype == DocumentType.RECEIPT else DocumentType.INVOICE))
    fields = _fields(doc, ctx, schema, dtype, model, sources, timing)
    if ctx.second_look:
        expected = [s.name for s in schema.fields if s.expected]
        again = partial(_fields, ctx=ctx, schema=schema, dtype=dtype, model=model, sources=sources)
        fields = _second_look(doc, ctx, fields, expected, again, warnings, timing)
    fields = merge_payment_terms(doc, fields)  # after the looks: a printed due date outranks one worked out
    t1 = time.perf_counter()
    items = extract_line_items(doc, schema)
    timing["line_items"] = (time.perf_counter() - t1) * 1000
    timing["fields"] = (time.perf_counter() - t0) * 1000
    return ExtractionResult(
        doc.path, dtype, type_conf, doc.page_count, fields, items, tuple(warnings), timing, model.version
    )


def _fields(
    doc: Document,
    ctx: ExtractionContext,
    schema: Schema,
    dtype: DocumentType,
    model: FieldModel,
    sources: Sequence[CandidateSource] | None,
    timing: dict[str, float] | None = None,
) -> dict[str, FieldValue]:
    t0 = time.perf_counter()
    per_field, rows = field_candidates(doc, schema, ctx, sources)
    if timing is not None:
        timing["candidates"] = (time.perf_counter() - t0) * 1000
    expected = frozenset(s.name for s in schema.fields if s.expected)
    decisions = decide_rows(model, rows, expected)
    confidences = model.confidence(np.vstack([decisions[n].conf_features for n in schema.names()]))
    buyers = _buyers_addresses(per_field, decisions, dict(zip(schema.names(), confidences, strict=True)))
    if buyers:
        # decided again without them, the best of the rest however weak (its confidence says how weak): the
        # seller's address is printed, and the scorer ranked the buyer's first
        keep = [j for j in range(len(per_field[SELLER_ADDRESS])) if j not in buyers]
        per_field[SELLER_ADDRESS] = [per_field[SELLER_ADDRESS][j] for j in keep]
        rows[SELLER_ADDRESS] = _rows_subset(rows[SELLER_ADDRESS], keep)
        decisions = decide_rows(model, rows, expected | {SELLER_ADDRESS})
        confidences = model.confidence(np.vstack([decisions[n].conf_features for n in schema.names()]))
        forced = decisions[SELLER_ADDRESS]
        if forced.chosen is not None and forced.logits[forced.chosen] < NOT_FOUND_LOGIT:
            # a value the scorer would have called missing: the calibration never saw one taken, so no surer
            # than a coin toss
            at = schema.names().index(SELLER_ADDRESS)
            confidences[at] = min(float(confidences[at]), SET_ASIDE_CONFIDENCE)
    fields = {
        name: _field_value(name, per_field[name], decisions[name], float(confidences[i]), rows[name], model, dtype)
        for i, name in enumerate(schema.names())
    }
    if dtype == DocumentType.RECEIPT:
        fields = merge_receipt_rules(doc, fields)
    return _doubt_misread_codes(_doubt_two_way_amounts(doc, fields))


SELLER_ADDRESS, SELLER_NAME, BUYER_NAME = "vendor_address", "vendor_name", "customer_name"
BUYER_NAME_SURE = 0.5
"""How sure the buyer's name must be for the address printed under it to be set aside as the buyer's."""


def _buyers_addresses(
    per_field: Mapping[str, Sequence[Candidate]], decisions: Mapping[str, Decision], confidence: Mapping[str, float]
) -> set[int]:
    """The seller's address candidates that are the buyer's, where the seller's address chosen starts on the
    buyer's name or right under it, in its column, and the buyer's name is more likely right than wrong and not
    the seller's: every block of that column from the buyer's label down past the chosen address. An invoice that
    prints the buyer's block above the seller's (a sidebar of the seller's details) otherwise gives the buyer's
    address as the seller's: the address printed first.

    The scorer's training and calibration replay decisions without this (their candidates carry no boxes)."""
    if not all(n in decisions for n in (SELLER_ADDRESS, SELLER_NAME, BUYER_NAME)):
        return set()
    buyer, seller, address = decisions[BUYER_NAME], decisions[SELLER_NAME], decisions[SELLER_ADDRESS]
    if buyer.chosen is None or address.chosen is None or confidence[BUYER_NAME] < BUYER_NAME_SURE:
        return set()
    name = per_field[BUYER_NAME][buyer.chosen]
    if seller.chosen is not None:
        own = per_field[SELLER_NAME][seller.chosen]
        if own.page == name.page and own.bbox_pt.y0 <= name.bbox_pt.y1 and name.bbox_pt.y0 <= own.bbox_pt.y1:
            return set()  # the two names on one line: no telling whose block is whose
    n = name.bbox_pt
    under = {
        j
        for j, c in enumerate(per_field[SELLER_ADDRESS])
        if c.page == name.page
        and n.y0 - 1.0 <= c.bbox_pt.y0 <= n.y1 + 1.5 * n.height
        and abs(c.bbox_pt.x0 - n.x0) <= ALIGNED_PT
    }
    if address.chosen not in under:
        return set()
    # the buyer's whole block: from its label above the name down past the chosen address (a country line)
    bottom = per_field[SELLER_ADDRESS][address.chosen].bbox_pt.y1 + 1.5 * n.height
    return {
        j
        for j, c in enumerate(per_field[SELLER_ADDRESS])
        if c.page == name.page
        and abs(c.bbox_pt.x0 - n.x0) <= ALIGNED_PT
        and (n.y0 - 1.0 <= c.bbox_pt.y0 <= bottom or c.bbox_pt.y0 <= n.y0 <= c.bbox_pt.y1)
    }


SET_ASIDE_CONFIDENCE = 0.5
"""The most a seller's address taken below the scorer's threshold, once the buyer's were set aside, is given: on 230
generated invoices, all scanned (``idp samples`` seeds 7 and 11), the buyer's block was set aside on 12, and 11 of
the addresses then taken were right, too few to calibrate on."""
ALIGNED_PT = 12.0
"""Lines whose left edges are this close are one column (as address blocks are followed down a page)."""


def _rows_subset(rows: FieldCandidates, keep: Sequence[int]) -> FieldCandidates:
    return replace(
        rows,
        values=tuple(rows.values[j] for j in keep),
        features=rows.features[list(keep)],
        ocr_confidence=tuple(rows.ocr_confidence[j] for j in keep) if rows.ocr_confidence else (),
        spans=tuple(rows.spans[j] for j in keep) if rows.spans else (),
    )


TWO_WAYS = re.compile(r"(?<![\d.,'’ ])\d{1,3}([.,])\d{3}(?![\d.,'’])")
"""An amount with one separator and three digits after it, and no cents: "45.000" is 45000 where the dot groups
thousands (German) and 45 where it marks decimals."""
CENTS = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,' ’]\d{3})*([.,])\d{2}(?![\d.,])")
"""An amount printed with its cents, alone in its word ("1.250,50", "12.50"; not "05.03.2024")."""
TWO_WAYS_CONFIDENCE = 0.5
TWO_WAYS_EVIDENCE = "reads two ways (thousands or decimals) and nothing on the page tells which"


def _doubt_two_way_amounts(doc: Document, fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Amounts printed as "45.000" are read as thousands; where no amount on the document prints cents with the
    other mark (which would make this one a thousands separator), that reading is no surer than a coin's toss."""
    marks: set[str] | None = None
    out = dict(fields)
    for name, fv in fields.items():
        if not fv.found or fv.confidence <= TWO_WAYS_CONFIDENCE or not isinstance(fv.value, str):
            continue
        m = TWO_WAYS.search(fv.text or "")
        if m is None or not re.fullmatch(r"-?\d+\.\d{2}", fv.value):
            continue
        if marks is None:
            marks = {c.group(1) for p in doc.pages for t in p.tokens if (c := CENTS.fullmatch(t.text.strip("€$£()")))}
        if marks and m.group(1) not in marks:
            continue  # "1.234,56" elsewhere: the dot groups thousands here too
        out[name] = replace(fv, confidence=TWO_WAYS_CONFIDENCE, evidence=(*fv.evidence, TWO_WAYS_EVIDENCE))
    return out


CHECKSUM_FAILED = "checksum failed"
MISREAD_CODE_CONFIDENCE = 0.1
"""The confidence of an IBAN or VAT id OCR read whose check digits fail. On 230 generated invoices, all scanned
(``idp samples`` seeds 7 and 11), 4 such values were chosen, at 0.73 to 0.84, and none was right: a digit misread
(letters read for digits are mended first, see :func:`~extractors.fields.normalise.mended_code`), or another number
(an IBAN taken for a VAT id). A text layer's code is as printed: a failed check there is the document's (a made-up
number in a test invoice, right as printed) and its confidence stays as calibrated."""
MISREAD_CODE_EVIDENCE = "read by OCR and its check digits fail: a digit is likely misread"


def _doubt_misread_codes(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    return {
        name: replace(
            fv,
            confidence=min(fv.confidence, MISREAD_CODE_CONFIDENCE),
            evidence=(*fv.evidence, MISREAD_CODE_EVIDENCE),
        )
        if fv.found and fv.source == TokenSource.OCR and CHECKSUM_FAILED in fv.evidence
        else fv
        for name, fv in fields.items()
    }


READ_AGAIN = "read again as one block of text"
"""Evidence of a value found on a second OCR pass over a scanned page."""
READ_SPARSE = "read again line by line"
"""Evidence of a value found on a third OCR pass, as sparse text, when the second left the date doubtful."""
LOOKS = (
    ("second_look", 6, READ_AGAIN, None),
    ("third_look", 11, READ_SPARSE, frozenset({"invoice_date"})),
)
"""Each look after the first: its timing key, its page segmentation, the evidence it gives its values, and the
fields it may mend (None: all). Read line by line, receipts gave 2 dates more but totals and names misread more often
than they were mended (SROIE: total -5 +1), so the third look is for the date alone."""

DOUBTFUL_BELOW = 0.5
"""An expected field (see ``FieldSpec.expected``) below this confidence (more likely wrong than right) sends a
scanned page for a second look."""


def _second_look(
    doc: Document,
    ctx: ExtractionContext,
    fields: dict[str, FieldValue],
    expected: Sequence[str],
    extract_fields: Callable[[Document], dict[str, FieldValue]],
    warnings: list[str],
    timing: dict[str, float],
) -> dict[str, FieldValue]:
    """A scanned document with an expected field missing or doubtful, read once more: each field keeps its better
    reading.

    Tesseract's automatic page segmentation sometimes drops or garbles a short line set apart from the rest (a
    till receipt's date line, most often) or a column of amounts; read as one block of text, the page usually
    gives them. Only the first and last scanned pages are read again. A missing field takes the value found on
    the second read; a field found on both reads keeps the more confident reading (confidences are calibrated
    probabilities, so the two compare), and when the two values differ its confidence is lowered by its rival's
    (see ``_kept_of_two``). Values from the second read have their boxes on the same page in the same points;
    their token ids are left empty, since those tokens are not the document's. A date still doubtful after the
    second look is looked for on a third read, line by line (see :data:`LOOKS`).
    """
    scanned = [p for p in doc.pages if p.source == TokenSource.OCR and p.tokens]
    if not scanned or not Path(doc.path).is_file():
        return fields
    checked = False
    for key, psm, evidence, mends in LOOKS:
        doubtful = [n for n in expected if fields[n].value is None or fields[n].confidence < DOUBTFUL_BELOW]
        if mends is not None:
            doubtful = [n for n in doubtful if n in mends]
        if not doubtful:
            break
        start = time.perf_counter()
        try:
            from extractors.readers import file_sha256, read_page_again  # type: ignore[attr-defined,unused-ignore]

            if not checked and doc.sha256 and file_sha256(Path(doc.path)) != doc.sha256:
                warnings.append("OCR pass skipped: the file has changed since it was read")
                return fields
            checked = True
            pages = scanned[:1] if len(scanned) == 1 else [scanned[0], scanned[-1]]
            again = {p.index: read_page_again(Path(doc.path), p, ctx, psm=psm) for p in pages}
        except ExtractionError as exc:
            warnings.append(f"another OCR pass was not possible: {exc}")
            return fields
        found = extract_fields(replace(doc, pages=tuple(again.get(p.index, p) for p in doc.pages)))
        timing[key] = (time.perf_counter() - start) * 1000
        if mends is not None:
            found = {n: v for n, v in found.items() if n in doubtful}
        fields = _better_reading(fields, found, evidence)
    return fields


def _better_reading(
    fields: dict[str, FieldValue], found: dict[str, FieldValue], evidence: str
) -> dict[str, FieldValue]:
    """Each field's better reading of two; see :func:`_second_look`."""
    out = dict(fields)
    for name, value in found.items():
        first = fields[name]
        if value.value is None:
            continue
        if first.value is None:
            out[name] = replace(value, token_ids=(), evidence=(*value.evidence, evidence))
        elif _same(name, first.value, value.value):
            out[name] = replace(first, confidence=max(first.confidence, value.confidence))
        else:
            kept, rival = (value, first) if value.confidence > first.confidence else (first, value)
            out[name] = _with_rival(kept, rival)
            if kept is value:
                out[name] = replace(out[name], token_ids=(), evidence=(*value.evidence, evidence))
    return out


def _with_rival(kept: FieldValue, rival: FieldValue) -> FieldValue:
    """``kept``, its confidence lowered by a rival reading of another value, which heads its alternatives (the
    clerk's drop-down offers what the other read saw)."""
    if rival.value is None:
        return kept
    alternative = Alternative(
        rival.value, rival.text, _kept_of_two(rival.confidence, kept.confidence), rival.page, rival.bbox_pt
    )
    others = tuple(a for a in kept.alternatives if not _same(kept.name, a.value, rival.value))
    return replace(
        kept, confidence=_kept_of_two(kept.confidence, rival.confidence), alternatives=(alternative, *others)
    )


def _kept_of_two(p: float, q: float) -> float:
    """The chance that the kept reading (confidence ``p``) is right when another reading of the same field
    (confidence ``q``) gives a different value: the two cannot both be right, so, taking the reads as independent,
    P(kept right | not both right) = p (1 - q) / (1 - p q). A close rival lowers the confidence; a weak one
    hardly does."""
    return p * (1.0 - q) / (1.0 - p * q) if p * q < 1.0 else 0.5


# Confidence of a receipt field, from how the layout rule and the scorer compare: the share of right values
# when both agree (per field: OCR slips in digits and addresses remain possible), the factor applied to the
# rule's own strength when they differ, and the factor on the scorer's confidence when the rule finds nothing.
RULE_AGREE = {"invoice_date": 0.9, "total_amount": 0.98, "vendor_name": 0.92, "vendor_address": 0.6}
RULE_DIFFERS = {"invoice_date": 1.05, "total_amount": 1.45, "vendor_name": 0.8, "vendor_address": 0.77}
RULE_SILENT = 0.3
RULE_MAX = 0.95


def _same(name: str, a: Any, b: Any) -> bool:
    from extractors.fields.normalise import name_tokens

    if a is None or b is None:
        return False
    if name in ("vendor_name", "vendor_address", "customer_name"):
        return name_tokens(str(a)) == name_tokens(str(b))
    return str(a) == str(b)


def merge_receipt_rules(doc: Document, fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """A receipt's seller, address, total and date from its layout rules, weighed against the scorer.

    Where both agree the confidence rises; where they differ the rule's value is kept (receipts follow
    their layout more closely than the scorer's generic features) with a lower confidence and the scorer's
    value as the first alternative, unless the scorer's value is one a person confirmed for this vendor
    (vendor memory), which outranks a generic rule.
    """
    from extractors.fields.receipt_rules import receipt_answers

    out = dict(fields)
    answers = receipt_answers(doc)
    for name in RULE_AGREE:
        current = fields.get(name)
        if current is not None and name not in answers and current.value is not None:
            out[name] = replace(current, confidence=current.confidence * RULE_SILENT)
    for name, ans in answers.items():
        current = fields.get(name)
        if current is None:
            continue
        page = doc.pages[ans.page] if 0 <= ans.page < len(doc.pages) else None
        boxes = [page.tokens[i].bbox_pt for i in ans.token_ids if page is not None and 0 <= i < len(page.tokens)]
        bbox = BBox.union_of(boxes) if boxes else None
        ocr = bool(page is not None and page.source == TokenSource.OCR)
        source = TokenSource.OCR if ocr else TokenSource.TEXT_LAYER
        if _same(name, current.value, ans.value):
            conf = RULE_AGREE.get(name, RULE_MAX) * (0.85 + 0.15 * min(1.0, ans.strength / 0.8))
            out[name] = replace(
                current,
                confidence=float(np.clip(conf, 0.0, 1.0)),
                evidence=(*current.evidence, "receipt layout agrees"),
            )
            continue
        if FROM_MEMORY in current.evidence and current.value is not None:
            rule_alt = Alternative(ans.value, ans.text, ans.strength * 0.5, ans.page if bbox else None, bbox)
            out[name] = replace(current, alternatives=(rule_alt, *current.alternatives)[:3])
            continue
        alts: list[Alternative] = []
        if current.value is not None:
            alts.append(
                Alternative(current.value, current.text, current.confidence * 0.5, current.page, current.bbox_pt)
            )
        alts.extend(a for a in current.alternatives if not _same(name, a.value, ans.value))
        conf = min(RULE_MAX, ans.strength * RULE_DIFFERS.get(name, 1.0))
        out[name] = FieldValue(
            name,
            ans.value,
            ans.text,
            float(np.clip(conf, 0.0, 1.0)),
            ans.page if bbox is not None else None,
            bbox,
            tuple(alts[:3]),
            ("receipt layout",),
            source,
            ans.token_ids,
        )
    return out


def _contract_fields(
    doc: Document, ctx: ExtractionContext, model: FieldModel
) -> tuple[dict[str, FieldValue], list[str], str]:
    """The contract extractor's fields, its warnings and the version of the contract scorer that ranked them: the
    one ``model`` learned from approved contracts, else the one shipped."""
    try:
        from extractors.contracts import extract_contract_fields  # type: ignore[attr-defined,unused-ignore]
        from extractors.contracts.scoring import scorer_for
    except ImportError:
        return {}, ["contract fields are not available in this installation"], ""
    scorer = scorer_for(model.contract, model.version)
    fields, warnings = extract_contract_fields(doc, ctx, scorer=scorer)
    return fields, warnings, scorer.version


def _read(path: Path, ctx: ExtractionContext) -> Document:
    try:
        from extractors.readers import read_document  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        raise ExtractionError("no document reader is installed", path=str(path)) from exc
    doc: Document = read_document(path, ctx)
    return doc


def extract(
    path: Path, ctx: ExtractionContext, *, sources: Sequence[CandidateSource] | None = None
) -> ExtractionResult:
    """Read ``path`` and extract its fields. E-invoice XML, when present and allowed, wins over the page text."""
    t0 = time.perf_counter()
    path = Path(path)
    doc = _read(path, ctx)
    result = extract_document(doc, ctx, sources=sources)
    if ctx.use_einvoice:
        from extractors.fields.einvoice_fields import merge_einvoice

        result = merge_einvoice(path, doc, result)
    result.timing_ms["total"] = (time.perf_counter() - t0) * 1000
    return result


def result_json(result: ExtractionResult) -> dict[str, Any]:
    return result.to_json()
