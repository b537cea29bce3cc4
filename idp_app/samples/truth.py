"""The truth written beside each sample document, in the format of the shared benchmark corpora.

One JSON object per document (``truth.jsonl``): ``id``, ``file``, ``type``, ``fields`` (normalised
values: ISO dates, plain decimals with two places), ``line_items`` and ``scan`` as in the shared
corpora, plus what only a generator knows: ``fields_raw`` (each value as printed), ``boxes`` (page and
``bbox_pt``, PDF points with the origin at the top-left of the page, for every field, every party and
every line-item cell), ``layout``, ``language``, ``pages``, ``page_size_pt`` and, for scans,
``scan_params``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp_app.samples.canvas import PlacedBox

INVOICE_FIELDS = (
    "invoice_number", "invoice_date", "due_date", "payment_terms", "vendor_name", "vendor_address", "vendor_vat_id",
    "vendor_iban", "customer_name", "currency", "net_amount", "tax_amount", "total_amount", "po_number",
)  # fmt: skip
CONTRACT_FIELDS = (
    "parties", "effective_date", "governing_law", "term", "expiration_date", "renewal_term", "notice_period",
    "contract_value", "currency",
)  # fmt: skip
LINE_ITEM_COLUMNS = ("description", "quantity", "unit_price", "amount", "tax_rate")


@dataclass(frozen=True, slots=True)
class SampleTruth:
    """What is true of one sample document, and where on its pages each value is printed."""

    id: str
    file: str
    type: str
    fields: dict[str, Any]
    fields_raw: dict[str, Any]
    line_items: list[dict[str, str]]
    boxes: dict[str, Any]
    layout: str
    language: str
    pages: int
    page_size_pt: tuple[float, float]
    scan: bool = False
    scan_params: dict[str, Any] | None = None
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of one line of ``truth.jsonl`` (keys of the shared format first)."""
        out: dict[str, Any] = {"id": self.id, "file": self.file, "type": self.type, "fields": self.fields}
        if self.type == "invoice":
            out["line_items"] = self.line_items
        out["fields_raw"] = self.fields_raw
        out["scan"] = self.scan
        out["boxes"] = self.boxes
        out["layout"] = self.layout
        out["language"] = self.language
        out["pages"] = self.pages
        out["page_size_pt"] = [round(v, 2) for v in self.page_size_pt]
        if self.scan_params is not None:
            out["scan_params"] = self.scan_params
        out["seed"] = self.seed
        out["source"] = f"IDP Desk sample generator, seed {self.seed}"
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SampleTruth:
        seed = data.get("seed")
        return cls(
            id=data["id"],
            file=data["file"],
            type=data["type"],
            fields=dict(data["fields"]),
            fields_raw=dict(data.get("fields_raw", {})),
            line_items=list(data.get("line_items", [])),
            boxes=dict(data.get("boxes", {})),
            layout=data.get("layout", ""),
            language=data.get("language", ""),
            pages=int(data.get("pages", 1)),
            page_size_pt=(float(data["page_size_pt"][0]), float(data["page_size_pt"][1])),
            scan=bool(data.get("scan", False)),
            scan_params=data.get("scan_params"),
            seed=int(seed) if seed is not None else None,
        )


def _entry(placed: PlacedBox, text: str) -> dict[str, Any]:
    return {"page": placed.page, "bbox_pt": placed.bbox_pt.to_list(), "text": text}


def boxes_from_canvas(
    placed: Mapping[str, PlacedBox], fields_raw: Mapping[str, Any], items_raw: list[dict[str, str]]
) -> dict[str, Any]:
    """Assemble the ``boxes`` object from a canvas's recorded keys.

    Keys are field names (``total_amount``), list members (``parties.1``) or line-item cells
    (``line_items.3.amount``); each entry carries the page, ``bbox_pt`` and the text as printed.
    """
    boxes: dict[str, Any] = {}
    for name, raw in fields_raw.items():
        if isinstance(raw, list):
            entries = [_entry(placed[f"{name}.{i}"], r) for i, r in enumerate(raw) if f"{name}.{i}" in placed]
            if entries:
                boxes[name] = entries
        elif name in placed:
            boxes[name] = _entry(placed[name], raw)
    if items_raw:
        rows = []
        for i, row in enumerate(items_raw):
            cells = {}
            for column, text in row.items():
                key = f"line_items.{i}.{column}"
                if key in placed:
                    cells[column] = _entry(placed[key], text)
            rows.append(cells)
        boxes["line_items"] = rows
    return boxes


def write_truth(path: Path, truths: Iterable[SampleTruth]) -> None:
    """Write ``truth.jsonl``: one object per line, UTF-8, keys in a stable order."""
    with path.open("w", encoding="utf-8") as fh:
        for truth in truths:
            fh.write(json.dumps(truth.to_json(), ensure_ascii=False) + "\n")


def read_truth(path: Path) -> list[SampleTruth]:
    with path.open(encoding="utf-8") as fh:
        return [SampleTruth.from_json(json.loads(line)) for line in fh if line.strip()]
