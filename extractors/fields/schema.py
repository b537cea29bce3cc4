"""Field schemas as data: ``resources/schemas/<doc_type>.toml``, one entry per field with its value type and labels."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "resources" / "schemas"


class ValueType(StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    TEXT = "text"
    IDENTIFIER = "identifier"
    IBAN = "iban"
    VAT_ID = "vat_id"
    CURRENCY = "currency"
    NAME = "name"
    ADDRESS = "address"
    PERIOD = "period"
    PARTY_LIST = "party_list"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a schema: what kind of value it holds and which printed labels announce it."""

    name: str
    value_type: ValueType
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    required: bool = False
    """A document of this type cannot be approved without it (routing and review)."""
    expected: bool = False
    """Nearly every document of this type prints it (every required field, and a receipt's number): extraction
    gives it its value first where two fields claim one, and a scan it is missing from is read again. Default:
    ``required``."""

    def all_labels(self) -> tuple[str, ...]:
        """Every label word, all languages, longest first (so that "invoice date" wins over "date")."""
        words = {w.lower() for ws in self.labels.values() for w in ws}
        return tuple(sorted(words, key=lambda w: (-len(w), w)))


@dataclass(frozen=True, slots=True)
class Schema:
    doc_type: str
    fields: tuple[FieldSpec, ...]
    line_item_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


def parse_schema(data: dict[str, object], doc_type: str) -> Schema:
    """Build a schema from parsed TOML; unknown value types are refused with the field's name."""
    raw_fields = data.get("fields", {})
    if not isinstance(raw_fields, dict):
        raise ValueError(f"schema {doc_type}: [fields] must be a table")
    specs = []
    for name, entry in raw_fields.items():
        try:
            vtype = ValueType(entry["type"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"schema {doc_type}: field {name} has no valid type") from exc
        labels = {lang: tuple(str(w) for w in words) for lang, words in dict(entry.get("labels", {})).items()}
        required = bool(entry.get("required", False))
        specs.append(FieldSpec(name, vtype, labels, required, bool(entry.get("expected", required))))
    items: dict[str, tuple[str, ...]] = {}
    raw_items = data.get("line_items", {})
    if isinstance(raw_items, dict):
        for column, entry in raw_items.items():
            items[column] = tuple(str(w).lower() for w in dict(entry).get("labels", []))
    return Schema(str(data.get("doc_type", doc_type)), tuple(specs), items)


@cache
def load_schema(doc_type: str, schema_dir: Path = SCHEMA_DIR) -> Schema:
    """The schema for ``doc_type`` (invoice, receipt, contract) from ``schema_dir``."""
    path = schema_dir / f"{doc_type}.toml"
    with path.open("rb") as fh:
        return parse_schema(tomllib.load(fh), doc_type)
