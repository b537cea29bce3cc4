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


FIELD_KEYS = ("type", "labels", "required", "expected")


def _words(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ValueError(f'{where} must be a list of words, as ["total", "amount due"]')
    return tuple(value)


def _labels(where: str, value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError(f'{where} must be a table of languages, as labels.en = ["total"]')
    return {str(lang): _words(f"{where}.{lang}", words) for lang, words in value.items()}


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false (without quotes), not {value!r}")
    return value


def _unknown(where: str, key: str, known: tuple[str, ...]) -> ValueError:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
    return ValueError(f"{where}: no key {key!r} ({hint})")


def parse_schema(data: dict[str, object], doc_type: str) -> Schema:
    """Build a schema from parsed TOML. What cannot be used is refused (ValueError) naming the field and what is
    wrong: a missing or unknown type, labels that are not lists of words, ``required = "false"`` (a string, which
    would have counted as true), a misspelt key."""
    for key in data:
        if key not in ("doc_type", "fields", "line_items"):
            raise _unknown("the schema", key, ("doc_type", "fields", "line_items"))
    raw_fields = data.get("fields", {})
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise ValueError("[fields] must be a table with one [fields.NAME] table per field")
    types = ", ".join(t.value for t in ValueType)
    specs = []
    for name, entry in raw_fields.items():
        where = f"fields.{name}"
        if not isinstance(entry, dict):
            raise ValueError(f'{where} must be a table, as [fields.{name}] with type = "text"')
        for key in entry:
            if key not in FIELD_KEYS:
                raise _unknown(where, key, FIELD_KEYS)
        if "type" not in entry:
            raise ValueError(f"{where} has no type (one of {types})")
        try:
            vtype = ValueType(entry["type"])
        except ValueError:
            raise ValueError(f"{where}.type {entry['type']!r} is none of {types}") from None
        labels = _labels(f"{where}.labels", entry.get("labels", {}))
        required = _flag(f"{where}.required", entry.get("required", False))
        expected = _flag(f"{where}.expected", entry.get("expected", required))
        specs.append(FieldSpec(name, vtype, labels, required, expected))
    items: dict[str, tuple[str, ...]] = {}
    raw_items = data.get("line_items", {})
    if not isinstance(raw_items, dict):
        raise ValueError("[line_items] must be a table, as description.labels = [...]")
    for column, entry in raw_items.items():
        where = f"line_items.{column}"
        if not isinstance(entry, dict) or set(entry) - {"labels"}:
            raise ValueError(f'{where} must be a table holding only labels, as {column}.labels = ["..."]')
        items[column] = tuple(w.lower() for w in _words(f"{where}.labels", entry.get("labels", [])))
    return Schema(str(data.get("doc_type", doc_type)), tuple(specs), items)


def read_schema(path: Path, doc_type: str) -> Schema:
    """The schema in ``path``; a file that cannot be used is a SchemaFileError naming it (in its message: the
    document being read is not the file at fault), and the line where the TOML itself is wrong."""
    from extractors.errors import SchemaFileError

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise SchemaFileError(f"{path}: field schema cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SchemaFileError(f"{path}: field schema is not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemaFileError(f"{path}: field schema is not valid TOML: {exc}") from None
    try:
        return parse_schema(data, doc_type)
    except ValueError as exc:
        raise SchemaFileError(f"{path}: field schema: {exc}") from None


def load_schema(doc_type: str, schema_dir: Path | None = None) -> Schema:
    """The schema for ``doc_type`` (invoice, receipt, contract) from ``schema_dir`` (default: :data:`SCHEMA_DIR`),
    read once per process."""
    return _load(doc_type, schema_dir or SCHEMA_DIR)


@cache
def _load(doc_type: str, schema_dir: Path) -> Schema:
    return read_schema(schema_dir / f"{doc_type}.toml", doc_type)


SCHEMA_TYPES = ("invoice", "receipt", "contract")


def check_schemas(schema_dir: Path | None = None) -> None:
    """Read every schema afresh (not the copies loaded before): SchemaFileError for the first that cannot be
    used."""
    for doc_type in SCHEMA_TYPES:
        read_schema((schema_dir or SCHEMA_DIR) / f"{doc_type}.toml", doc_type)
