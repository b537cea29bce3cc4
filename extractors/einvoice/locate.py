"""Where on the page an e-invoice's values are printed, from the text-layer (or OCR) tokens.

The XML says what the values are; the clerk wants to see them on the page. Each value is looked for in the
forms it is usually printed in (``1.234,56`` and ``1,234.56`` for an amount, ``05.06.2018`` for a date, ...)
as a run of consecutive tokens on one line; the first match (the last one for totals, which close the page)
gives the field its page, box and token ids.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from extractors.document import Document, Page
from extractors.einvoice.parse import AMOUNT_FIELDS, DATE_FIELDS, EInvoiceData
from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem

MAX_SPAN_TOKENS = 12
_CURRENCY = re.compile(r"[€$£¥]|EUR|USD|GBP|CHF", re.IGNORECASE)
LAST_MATCH_FIELDS = frozenset({"total_amount", "tax_amount", "net_amount"})


def _key(text: str, keep_currency: bool = False) -> str:
    """Text reduced for matching: case-folded, accents kept, spaces (and currency marks) dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not keep_currency:
        text = _CURRENCY.sub("", text)
    return re.sub(r"\s+", "", text)


def amount_forms(value: str) -> set[str]:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return {value}
    plain = f"{abs(amount):.2f}"
    whole, frac = plain.split(".")
    grouped = f"{int(whole):,}"
    forms = {plain, f"{whole},{frac}", f"{grouped}.{frac}", f"{grouped.replace(',', '.')},{frac}"}
    forms |= {f"{grouped.replace(',', ' ')},{frac}", f"{grouped.replace(',', chr(39))}.{frac}"}
    if amount < 0:
        forms |= {"-" + f for f in forms} | {f + "-" for f in forms}
    return forms


def date_forms(value: str) -> set[str]:
    try:
        d = dt.date.fromisoformat(value)
    except ValueError:
        return {value}
    forms = {
        d.isoformat(),
        d.strftime("%d.%m.%Y"),
        d.strftime("%d/%m/%Y"),
        d.strftime("%m/%d/%Y"),
        d.strftime("%d-%m-%Y"),
        d.strftime("%Y%m%d"),
        d.strftime("%d.%m.%y"),
        d.strftime("%d/%m/%y"),
        d.strftime("%d-%m-%y"),
        f"{d.day}.{d.month}.{d.year}",
        d.strftime("%d %B %Y"),
        d.strftime("%B %d, %Y"),
        d.strftime("%d %b %Y"),
        d.strftime("%d. %B %Y"),
    }
    return forms


def quantity_forms(value: str) -> set[str]:
    try:
        q = Decimal(value)
    except InvalidOperation:
        return {value}
    short = format(q.normalize(), "f")
    forms = {value, short, short.replace(".", ",")}
    for places in (2, 3, 4):
        text = f"{q:.{places}f}"
        forms |= {text, text.replace(".", ",")}
    return forms


def _forms(name: str, fv: FieldValue) -> set[str]:
    value = fv.value if isinstance(fv.value, str) else ""
    if name == "quantity":
        forms = quantity_forms(value)
    elif name in AMOUNT_FIELDS:
        forms = amount_forms(value)
        if fv.text and fv.text != value:
            forms |= quantity_forms(fv.text.strip())  # a price printed with all its places: 3,3333
    elif name in DATE_FIELDS:
        forms = date_forms(value) | ({fv.text} if fv.text else set())
    else:
        forms = {value, fv.text}
    return {_key(f) for f in forms if f and _key(f)}


def _address_parts(fv: FieldValue) -> list[set[str]]:
    value = fv.value if isinstance(fv.value, str) else ""
    return [{_key(part)} for part in value.split(", ") if _key(part)]


def _lines(page: Page, within: BBox | None) -> Iterable[Sequence[int]]:
    if page.lines:
        for line in page.lines:
            if within is None or line.bbox_pt.intersection_area(within) > 0:
                yield line.token_ids
    else:
        yield tuple(range(len(page.tokens)))


def find_span(
    pages: Sequence[Page], forms: set[str], last: bool = False, within: tuple[int, BBox] | None = None
) -> tuple[int, tuple[int, ...]] | None:
    """The (page, token ids) of a run of tokens on one line whose text is one of ``forms``.

    ``within`` limits the search to the lines of one page that touch a box (a line item's row).
    """
    hits: list[tuple[int, tuple[int, ...]]] = []
    longest = max((len(f) for f in forms), default=0)
    for page in pages:
        if within is not None and page.index != within[0]:
            continue
        keys = [_key(t.text) for t in page.tokens]
        for ids in _lines(page, within[1] if within else None):
            for start in range(len(ids)):
                joined = ""
                for end in range(start, min(len(ids), start + MAX_SPAN_TOKENS)):
                    joined += keys[ids[end]]
                    if len(joined) > longest + 4:
                        break
                    stripped = joined.strip(":;,")
                    if joined in forms or stripped in forms:
                        hits.append((page.index, tuple(ids[start : end + 1])))
                        if not last:
                            return hits[0]
                        break
    return hits[-1] if hits else None


def _placed(
    fv: FieldValue, pages: Sequence[Page], forms: set[str], last: bool, within: tuple[int, BBox] | None = None
) -> FieldValue:
    if not forms:
        return fv
    hit = find_span(pages, forms, last, within)
    if hit is None:
        return fv
    page_index, ids = hit
    page = next(p for p in pages if p.index == page_index)
    box = BBox.union_of(page.tokens[i].bbox_pt for i in ids)
    return replace(fv, page=page_index, bbox_pt=box, token_ids=ids)


def _placed_currency(fv: FieldValue, pages: Sequence[Page]) -> FieldValue:
    code = fv.value if isinstance(fv.value, str) else ""
    symbols = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
    forms = {_key(code, keep_currency=True)} | ({symbols[code]} if code in symbols else set())
    hit = None
    for page in pages:
        for i, tok in enumerate(page.tokens):
            if _key(tok.text, keep_currency=True) in forms:
                hit = (page, i)
                break
        if hit:
            break
    if hit is None:
        return fv
    page, i = hit
    return replace(fv, page=page.index, bbox_pt=page.tokens[i].bbox_pt, token_ids=(i,))


def _placed_address(
    fv: FieldValue, pages: Sequence[Page], near: FieldValue | None, parts: list[set[str]] | None = None
) -> FieldValue:
    """An address (or a name) printed over several lines: its first line (near ``near`` if known), then the rest
    below it."""
    parts = _address_parts(fv) if parts is None else parts
    if not parts:
        return fv
    within = None
    if near is not None and near.page is not None and near.bbox_pt is not None:
        b = near.bbox_pt
        within = (near.page, BBox(b.x0 - 150.0, b.y0 - 2.0, b.x1 + 300.0, b.y1 + 80.0))
    first = find_span(pages, parts[0], within=within)
    if first is None:
        return fv
    page_index, ids = first
    page = next(p for p in pages if p.index == page_index)
    box = BBox.union_of(page.tokens[i].bbox_pt for i in ids)
    all_ids = list(ids)
    for forms in parts[1:]:
        area = (page_index, BBox(box.x0 - 20.0, box.y0 - 2.0, box.x1 + 250.0, box.y1 + 3.0 * max(box.height, 8.0)))
        hit = find_span(pages, forms, within=area)
        if hit is not None:
            all_ids.extend(hit[1])
            box = box.union(BBox.union_of(page.tokens[i].bbox_pt for i in hit[1]))
    return replace(fv, page=page_index, bbox_pt=box, token_ids=tuple(all_ids))


def _placed_description(fv: FieldValue, pages: Sequence[Page]) -> FieldValue:
    """A description may wrap over lines: its longest leading run of words found on one line.

    At least two words, or one distinctive word (six letters or more) when the description wraps after it.
    """
    words = (fv.text or "").split()
    shortest = 1 if len(words) <= 1 or len(words[0]) >= 6 else 2
    for n in range(len(words), max(shortest, 1) - 1, -1):
        hit = find_span(pages, {_key(" ".join(words[:n]))})
        if hit is not None:
            page = next(p for p in pages if p.index == hit[0])
            box = BBox.union_of(page.tokens[i].bbox_pt for i in hit[1])
            return replace(fv, page=hit[0], bbox_pt=box, token_ids=hit[1])
    return fv


def locate_values(data: EInvoiceData, document: Document) -> EInvoiceData:
    """``data`` with each value's page, box and token ids where it is printed on the document's pages."""
    pages = document.pages
    fields: dict[str, FieldValue] = {}
    for name, fv in data.fields.items():
        lines = [line for line in (fv.text or "").splitlines() if _key(line)]
        if name == "currency":
            fields[name] = _placed_currency(fv, pages)
        elif name != "vendor_address" and len(lines) > 1:
            fields[name] = _placed_address(fv, pages, None, [{_key(line)} for line in lines])
        elif name != "vendor_address":
            fields[name] = _placed(fv, pages, _forms(name, fv), name in LAST_MATCH_FIELDS)
    if "vendor_address" in data.fields:
        fields["vendor_address"] = _placed_address(data.fields["vendor_address"], pages, fields.get("vendor_name"))
    fields = {name: fields[name] for name in data.fields}
    items = []
    for item in data.line_items:
        cells: dict[str, FieldValue] = {}
        row: tuple[int, BBox] | None = None
        desc = item.cells.get("description")
        if desc is not None:
            found = _placed_description(desc, pages)
            if found.bbox_pt is not None and found.page is not None:
                cells["description"] = replace(desc, page=found.page, bbox_pt=found.bbox_pt, token_ids=found.token_ids)
                b = found.bbox_pt
                row = (found.page, BBox(0.0, b.y0 - 2.0, 10_000.0, b.y1 + 2.0 * max(b.height, 8.0)))
        for name, fv in item.cells.items():
            if name not in cells:
                cells[name] = _placed(fv, pages, _forms(name, fv), False, row) if row else fv
        boxes = [c.bbox_pt for c in cells.values() if c.bbox_pt is not None]
        page = next((c.page for c in cells.values() if c.page is not None), None)
        items.append(LineItem(cells=cells, page=page, bbox_pt=BBox.union_of(boxes) if boxes else None))
    return replace(data, fields=fields, line_items=tuple(items))


def read_einvoice(document: Document) -> EInvoiceData | None:
    """The e-invoice a read document carries, parsed, with each value located on its pages; None if there is none."""
    if not document.einvoice_xml:
        return None
    from extractors.einvoice.parse import parse_einvoice

    return locate_values(parse_einvoice(document.einvoice_xml), document)
