"""What extraction returns: every field with its value, the box it came from, and a calibrated confidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extractors.document import DocumentType, TokenSource
from extractors.geometry import BBox

FieldScalar = str
FieldData = str | tuple[str, ...]
"""A normalised value: dates ISO ``YYYY-MM-DD``, amounts decimal strings, currency ISO 4217,
several values (contract parties) as a tuple."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """A runner-up candidate for a field: what the clerk sees in the drop-down."""

    value: FieldData
    text: str
    confidence: float
    page: int | None = None
    bbox_pt: BBox | None = None


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One extracted field.

    ``confidence`` is a calibrated probability that ``value`` is right: of fields at 0.9, about 90 % are.
    ``value`` is ``None`` when the field was not found (its confidence is then the probability that the
    document really has no such field).
    """

    name: str
    value: FieldData | None
    text: str = ""
    confidence: float = 0.0
    page: int | None = None
    bbox_pt: BBox | None = None
    alternatives: tuple[Alternative, ...] = ()
    evidence: tuple[str, ...] = ()
    source: TokenSource = TokenSource.TEXT_LAYER
    token_ids: tuple[int, ...] = ()
    """Indices into the page's tokens that the value was read from."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence of {self.name} out of [0, 1]: {self.confidence}")

    @property
    def found(self) -> bool:
        return self.value is not None and self.value != "" and self.value != ()

    def to_json(self) -> dict[str, Any]:
        return {
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "page": self.page,
            "bbox_pt": self.bbox_pt.to_list() if self.bbox_pt else None,
            "alternatives": [
                {
                    "value": list(a.value) if isinstance(a.value, tuple) else a.value,
                    "text": a.text,
                    "confidence": round(a.confidence, 4),
                    "page": a.page,
                    "bbox_pt": a.bbox_pt.to_list() if a.bbox_pt else None,
                }
                for a in self.alternatives
            ],
            "evidence": list(self.evidence),
            "source": str(self.source),
        }


@dataclass(frozen=True, slots=True)
class LineItem:
    """One row of an invoice's item table. Each cell is a FieldValue so that it keeps its own box."""

    cells: dict[str, FieldValue]
    page: int | None = None
    bbox_pt: BBox | None = None

    def value(self, name: str) -> str | None:
        cell = self.cells.get(name)
        if cell is None or cell.value is None:
            return None
        return cell.value if isinstance(cell.value, str) else ", ".join(cell.value)

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: self.value(name) for name in self.cells},
            "page": self.page,
            "bbox_pt": self.bbox_pt.to_list() if self.bbox_pt else None,
            "cells": {name: cell.to_json() for name, cell in self.cells.items()},
        }


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    """Everything extraction learned about one document."""

    file: str
    doc_type: DocumentType
    type_confidence: float
    page_count: int
    fields: dict[str, FieldValue]
    line_items: tuple[LineItem, ...] = ()
    warnings: tuple[str, ...] = ()
    timing_ms: dict[str, float] = field(default_factory=dict)
    model_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "type": str(self.doc_type),
            "type_confidence": round(self.type_confidence, 4),
            "pages": self.page_count,
            "fields": {name: fv.to_json() for name, fv in self.fields.items()},
            "line_items": [item.to_json() for item in self.line_items],
            "warnings": list(self.warnings),
            "timing_ms": {k: round(v, 1) for k, v in self.timing_ms.items()},
            "model_version": self.model_version,
        }
