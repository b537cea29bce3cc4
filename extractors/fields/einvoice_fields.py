"""Fields from an embedded e-invoice (Factur-X, ZUGFeRD, XRechnung, UBL): confidence 1.0, boxes from the page.

The e-invoice package parses the XML and finds where each value is printed; this module only merges its fields
and line items into the page's extraction result (fields the XML lacks keep their page values).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from extractors.document import Document, DocumentType, TokenSource
from extractors.einvoice.parse import HEADER_FIELDS, UNREADABLE
from extractors.results import ExtractionResult, FieldValue, LineItem


def _einvoice_data(path: Path, doc: Document) -> Any | None:
    try:
        from extractors import einvoice
    except ImportError:
        return None
    xml = doc.einvoice_xml
    if xml is None:
        xml = einvoice.find_einvoice_xml(path)
    if not xml:
        return None
    data = einvoice.parse_einvoice(xml)
    return einvoice.locate_values(data, doc)


def merge_einvoice(path: Path, doc: Document, result: ExtractionResult) -> ExtractionResult:
    """The result with every field the e-invoice carries taken from it."""
    try:
        data = _einvoice_data(path, doc)
    except Exception as exc:  # a broken XML must not lose what the page says
        return replace(result, warnings=(*result.warnings, f"embedded e-invoice not read: {exc}"))
    if data is None:
        return result
    fields = dict(result.fields)
    taken = 0
    for name, fv in dict(getattr(data, "fields", {})).items():
        if isinstance(fv, FieldValue) and fv.found:
            fields[name] = fv
            taken += 1
    unread = dict(getattr(data, "unread", ()))
    if not doc.pages:  # a bare e-invoice: what its XML does not give, of what is read from it, it does not have
        for name, fv in fields.items():
            if not fv.found and name in HEADER_FIELDS:
                stated = name in unread  # stated in a form it cannot have: certainly not absent
                fields[name] = FieldValue(
                    name,
                    None,
                    text=unread.get(name, ""),
                    confidence=0.0 if stated else 1.0,
                    source=TokenSource.EINVOICE,
                    evidence=(UNREADABLE if stated else NOT_IN_XML,),
                )
    warnings = tuple(
        f"the e-invoice states {name} {text!r} in a form it cannot have: "
        + ("the page's reading is kept" if doc.pages else "left empty")
        for name, text in unread.items()
    )
    items: tuple[LineItem, ...] = tuple(getattr(data, "line_items", ())) or result.line_items
    doc_type, type_confidence = result.doc_type, result.type_confidence
    if taken and doc_type != DocumentType.CONTRACT and result.type_confidence < 1.0:
        doc_type, type_confidence = DocumentType.INVOICE, 1.0  # an e-invoice says what it is
    return replace(
        result,
        doc_type=doc_type,
        type_confidence=type_confidence,
        fields=fields,
        line_items=items,
        warnings=(*result.warnings, *warnings),
    )


NOT_IN_XML = "not in the e-invoice"
"""Evidence of a field a bare e-invoice XML does not give."""
