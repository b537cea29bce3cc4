"""Fields from an embedded e-invoice (Factur-X, ZUGFeRD, XRechnung, UBL): confidence 1.0, boxes from the page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from extractors.document import Document, TokenSource
from extractors.fields.candidates import DocView, collect
from extractors.fields.schema import load_schema
from extractors.fields.scorer import same_value
from extractors.results import ExtractionResult, FieldValue, LineItem


def _einvoice_data(path: Path, doc: Document) -> tuple[dict[str, Any], list[Any]] | None:
    try:
        from extractors import einvoice  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    find = getattr(einvoice, "find_einvoice_xml", None)
    parse = getattr(einvoice, "parse_einvoice", None)
    if parse is None:
        return None
    xml = doc.einvoice_xml
    if xml is None and find is not None:
        xml = find(path)
    if not xml:
        return None
    parsed = parse(xml)
    if isinstance(parsed, tuple):
        fields, items = parsed[0], list(parsed[1]) if len(parsed) > 1 else []
    else:
        fields, items = getattr(parsed, "fields", {}), list(getattr(parsed, "line_items", []))
    return dict(fields), items


def merge_einvoice(path: Path, doc: Document, result: ExtractionResult) -> ExtractionResult:
    """The result with every field the e-invoice carries taken from it, located on the page where printed."""
    try:
        data = _einvoice_data(path, doc)
    except Exception as exc:  # a broken XML must not lose what the page says
        return replace(result, warnings=(*result.warnings, f"embedded e-invoice not read: {exc}"))
    if data is None:
        return result
    xml_fields, xml_items = data
    schema = load_schema(str(result.doc_type) if str(result.doc_type) in ("invoice", "receipt") else "invoice")
    view = DocView.of(doc)
    from extractors.context import ExtractionContext

    cands = collect(view, ExtractionContext())
    fields = dict(result.fields)
    for name, raw in xml_fields.items():
        if isinstance(raw, FieldValue):
            fields[name] = raw
            continue
        if raw is None or raw == "":
            continue
        value = str(raw)
        try:
            vtype = str(schema.field(name).value_type)
        except KeyError:
            vtype = "text"
        hit = next((c for c in cands if c.value_type == vtype and same_value(vtype, c.value, value)), None)
        fields[name] = FieldValue(
            name,
            value,
            hit.text if hit else value,
            1.0,
            hit.page if hit else None,
            hit.bbox_pt if hit else None,
            evidence=("read from the embedded e-invoice",),
            source=TokenSource.EINVOICE,
            token_ids=hit.token_ids if hit else (),
        )
    items: tuple[LineItem, ...] = result.line_items
    if xml_items and all(isinstance(i, LineItem) for i in xml_items):
        items = tuple(xml_items)
    return replace(result, fields=fields, line_items=items, doc_type=result.doc_type)
