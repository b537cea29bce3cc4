"""Line items from the layout: find the header row by its label words, take its columns, read the rows below,
and carry the columns on to the next page when the table continues there."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.document import Document, Token, TokenSource
from extractors.fields.candidates import LineView, page_lines
from extractors.fields.normalise import format_amount, parse_amount
from extractors.fields.schema import Schema
from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem

NUMERIC_COLUMNS = ("quantity", "unit_price", "amount", "tax_rate")
END_WORDS = re.compile(
    r"(?<!\w)(sub ?total|total|summe|zwischensumme|gesamt\w*|total ht|sous-total|subtotaal|totaal|"
    r"rechnungssumme|nettobetrag gesamt|umsatzsteuer|steuerbetrag|belegsummen)(?!\w)",
    re.IGNORECASE,
)
NUMBER = re.compile(r"^[-−]?[$€£]?\d[\d.,' ]*%?$")
IDENTIFIER = re.compile(r"^\d{8,}$")
DETAIL_LINE = re.compile(r"^[^\W\d][\w .()/-]*:\s*[-−]?\d[\d.,]*(\s+\S+)?$")
"""A line that is one label, a colon and a number ("Gross price: 9,90", "Base quantity: 1 pc")."""
"""A run of eight or more digits without a separator is an article number, GTIN or GLN, never an amount."""
PAGE_FOOTER = re.compile(r"^(page|seite|pagina)\s+\d+\s*(of|von|sur|/|van)\s*\d+", re.IGNORECASE)
TOTAL_FIELDS = ("net_amount", "tax_amount", "total_amount")


def _totals_label(schema: Schema) -> re.Pattern[str] | None:
    """A line that starts with a label of the document's totals ("Net amount", "Sales Tax", "Amount due") ends
    the item table."""
    words = sorted(
        {w for name in TOTAL_FIELDS if name in schema.names() for w in schema.field(name).all_labels()},
        key=len,
        reverse=True,
    )
    if not words:
        return None
    return re.compile(r"^(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)


def _item_like(cells: dict[str, list[int]], columns: list[Column]) -> bool:
    """A row that fills every number column of the table but the tax rate (a quantity, a price and an amount) is
    an item, whatever its description starts with ("Tax advisory")."""
    wanted = [c.name for c in columns if c.name in NUMERIC_COLUMNS and c.name != "tax_rate"]
    return len(wanted) >= 2 and all(name in cells for name in wanted)


def _ends_table(
    text: str, first_is_number: bool, has_number: bool, item_like: bool, totals: re.Pattern[str] | None
) -> bool:
    if first_is_number:
        return False
    if (END_WORDS.search(text) and not item_like) or PAGE_FOOTER.match(text):
        return True
    return has_number and not item_like and totals is not None and totals.match(text) is not None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    x0: float
    x1: float


def _header(lv: LineView, schema: Schema, tokens: tuple[object, ...]) -> list[Column] | None:
    text = lv.text.lower()
    cols: dict[str, Column] = {}
    used: list[tuple[int, int]] = []
    spans = sorted(
        ((name, w) for name, words in schema.line_item_labels.items() for w in words), key=lambda p: -len(p[1])
    )
    for name, word in spans:
        if name in cols:
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text):
            if any(m.start() < e and m.end() > s for s, e in used):
                continue
            ids = lv.tokens_in_chars(m.start(), m.end())
            if not ids:
                continue
            box = BBox.union_of(tokens[i].bbox_pt for i in ids)  # type: ignore[attr-defined]
            cols[name] = Column(name, box.x0, box.x1)
            used.append((m.start(), m.end()))
            break
    numeric = [n for n in cols if n in NUMERIC_COLUMNS]
    if ("description" in cols and len(numeric) >= 1 and len(cols) >= 3) or (len(numeric) >= 2 and len(cols) >= 3):
        return sorted(cols.values(), key=lambda c: c.x0)
    return None


def _cell(name: str, text: str, box: BBox, page: int, ids: tuple[int, ...], conf: float) -> FieldValue:
    value: str | None = text
    if name in ("unit_price", "amount"):
        parsed = parse_amount(text.replace("%", ""))
        value = format_amount(parsed) if parsed is not None else None
    elif name in ("quantity", "tax_rate"):
        parsed = parse_amount(text.replace("%", "").strip())
        value = format(parsed.normalize(), "f") if parsed is not None else None
    source = TokenSource.OCR if conf < 1.0 else TokenSource.TEXT_LAYER
    return FieldValue(name, value, text, min(max(conf, 0.0), 1.0) * 0.8, page, box, source=source, token_ids=ids)


def extract_line_items(doc: Document, schema: Schema) -> tuple[LineItem, ...]:
    """The rows of the document's item table(s), each cell with its own box."""
    if not schema.line_item_labels:
        return ()
    items: list[LineItem] = []
    columns: list[Column] | None = None
    totals = _totals_label(schema)
    for page in doc.pages:
        lines = page_lines(page)
        start = 0
        for k, lv in enumerate(lines):
            header = _header(lv, schema, page.tokens)
            if header:
                columns, start = header, k + 1
                break
        if columns is None:
            continue
        current: dict[str, list[int]] | None = None
        for lv in lines[start:]:
            numeric = _numeric_cells(lv.token_ids, page.tokens, columns)
            cells: dict[str, list[int]] = {}
            numbers_from = _first_number_x0(columns)
            for i in lv.token_ids:
                box = page.tokens[i].bbox_pt
                if i not in numeric and box.x0 >= numbers_from:
                    continue  # a unit ("Stk") or a sign ("%") under a number column is no part of the description
                col = _column_of(box, columns, i in numeric)
                cells.setdefault(col, []).append(i)
            first_is_number = any(NUMBER.match(page.tokens[i].text) for i in lv.token_ids[:1])
            if _ends_table(lv.text, first_is_number, bool(numeric), _item_like(cells, columns), totals):
                if current:
                    items.append(_row(page.index, current, page.tokens))
                current = None
                columns = None
                break
            if current is not None and DETAIL_LINE.match(lv.text):
                continue  # "Gross price: 9,90" under an item tells about that item, it is not one
            has_values = any(n in cells for n in ("amount", "unit_price"))
            numbers = {n for n in cells if n != "description"}
            if has_values and current is not None and not numbers & current.keys():
                # the rest of the current item's numbers, printed on its next line (its amount, say)
                for name in numbers:
                    current[name] = cells[name]
            elif has_values:
                if current:
                    items.append(_row(page.index, current, page.tokens))
                current = cells
            elif current is not None and "description" in cells and len(numeric) == 0:
                current.setdefault("description", []).extend(cells["description"])
        if current:
            items.append(_row(page.index, current, page.tokens))
    return tuple(items)


def _first_number_x0(columns: list[Column]) -> float:
    """Where the table's first number column begins."""
    return min((c.x0 for c in columns if c.name != "description"), default=float("inf"))


def _numeric_cells(ids: tuple[int, ...], tokens: tuple[Token, ...], columns: list[Column]) -> list[int]:
    """The tokens of a row that stand in a number column.

    A number printed inside a description ("Monitor 27 inch", "Cable set, Cat. 6") follows a description word at
    the distance of a word space and lies left of the first number column: it stays in the description.
    """
    first_number_x0 = _first_number_x0(columns)
    out: list[int] = []
    previous_in_text: Token | None = None
    for i in ids:
        tok = tokens[i]
        if not NUMBER.match(tok.text) or IDENTIFIER.match(tok.text):
            previous_in_text = tok
            continue
        word_space = previous_in_text is not None and tok.bbox_pt.x0 - previous_in_text.bbox_pt.x1 < max(
            tok.bbox_pt.height, 1.0
        )
        if word_space and tok.bbox_pt.x1 < first_number_x0:
            previous_in_text = tok
            continue
        out.append(i)
        previous_in_text = None
    return out


def _column_of(box: BBox, columns: list[Column], numeric: bool) -> str:
    if not numeric:
        return "description"
    candidates = [c for c in columns if c.name != "description"] or columns
    cx = box.x1
    return min(candidates, key=lambda c: min(abs(cx - c.x1), abs(box.center[0] - (c.x0 + c.x1) / 2))).name


def _row(page: int, cells: dict[str, list[int]], tokens: tuple[object, ...]) -> LineItem:
    out: dict[str, FieldValue] = {}
    for name, ids in cells.items():
        toks = [tokens[i] for i in ids]
        text = " ".join(t.text for t in toks)  # type: ignore[attr-defined]
        box = BBox.union_of(t.bbox_pt for t in toks)  # type: ignore[attr-defined]
        conf = min(t.confidence for t in toks)  # type: ignore[attr-defined]
        if name != "description":
            text = toks[-1].text  # type: ignore[attr-defined]
            box = toks[-1].bbox_pt  # type: ignore[attr-defined]
            ids = ids[-1:]
        out[name] = _cell(name, text, box, page, tuple(ids), conf)
    boxes = [c.bbox_pt for c in out.values() if c.bbox_pt is not None]
    return LineItem(out, page, BBox.union_of(boxes) if boxes else None)
