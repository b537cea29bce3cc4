"""Line items from the layout: find the header row by its label words, take its columns, read the rows below,
and carry the columns on to the next page when the table continues there."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from extractors.document import Document, Token, TokenSource
from extractors.fields.candidates import EUROPEAN_CODE, THOUSANDS_GAP_OCR, LineView, page_lines
from extractors.fields.normalise import format_amount, parse_amount
from extractors.fields.schema import Schema
from extractors.geometry import BBox
from extractors.results import FieldValue, LineItem

NUMERIC_COLUMNS = ("quantity", "unit_price", "amount", "tax_rate")
KEY_COLUMNS = ("position", "article_number")
"""Columns that name a row rather than describe it: the position number (not kept) and the article number."""
SCHEME_TAG = re.compile(r"^\((?:gtin|gln|ean|upc|isbn|sku)\)$", re.IGNORECASE)
"""The name of an identifier scheme printed beside or under an article number: "(GTIN)"."""
BRACKET_CODE = re.compile(r"^(?:\[([^\]\s]{2,40})\]|\*([^*\s]{2,40})\*)$")
"""A description's first word that is an article number in brackets or a barcode's asterisks: "[FURN_7777] Office
Chair", "*987123* Olive Oil"."""
END_WORDS = re.compile(
    r"(?<!\w)(sub ?total|total|summe|zwischensumme|gesamt\w*|total ht|sous-total|subtotaal|totaal|"
    r"rechnungssumme|nettobetrag gesamt|umsatzsteuer|steuerbetrag|belegsummen|\w*steueraufschlüsselung|"
    r"(?:vat|tax) (?:breakdown|summary)|zahlungsbedingungen|payment terms|conditions de paiement|"
    r"betalingsvoorwaarden|zu- ?und abschläge|ab- ?und zuschläge|allowances? (?:and|&) charges?|"
    r"charges? (?:and|&) allowances?|remises et majorations)(?!\w)",
    re.IGNORECASE,
)
ALLOWANCE = re.compile(
    r"^(abschlag|zuschlag|rabatt|nachlass|allowance|surcharge|remise(?!\s+(?:en|à|a)\b)|majoration|korting|toeslag)"
    r"(?!\w)",
    re.IGNORECASE,
)
"""A row that starts by naming an allowance or a charge ("Abschlag Rechnungsrabatt 2 -5,00 19 % 0,05") lowers or
raises the item above it or the whole invoice: no item, unless it has an item's quantity, price and amount and
the amount is not below zero ("Zuschlag Nachtarbeit 4 12,50 50,00" is billed work)."""
SUBTOTAL = re.compile(r"(?<!\w)(sub ?total|zwischensumme|sous-total|subtotaal)(?!\w)", re.IGNORECASE)
NUMBER = re.compile(r"^[-−]?[$€£]?\d[\d.,' ]*%?$")
IDENTIFIER = re.compile(r"^\d{8,}$")
"""A run of eight or more digits without a separator is an article number, GTIN or GLN, never an amount."""
DETAIL_LINE = re.compile(r"^[^\W\d][\w .()/-]*:\s*(?:[-−]?\d[\d.,]*|[A-Z]*\d[\w./-]*)(\s+\S+)?$")
"""A line that is one label, a colon and a number or a code ("Gross price: 9,90", "Base quantity: 1 pc",
"Serial number: SDMPP373MPP15")."""
LABEL_FIRST = re.compile(r"^[^\W\d][\w.()/-]*(?: [^\W\d][\w.()/-]*)?\s?:(?:\s|$)")
"""A line that opens with a label of one or two words and its colon ("Zählerstand von-bis: "), or ends there
("Preisbasismenge:", its value on the line below)."""
RULE_MARK = re.compile(r"^[|\[\]]+$")
"""A table's ruled line read by OCR as a character."""
DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})[;,]?$")
"""A date ("11.09.2018;") is no number of an item, though it is made of digits and dots."""
MISREAD_LABEL_MIN = 7
"""The least length of a header word read by OCR that is matched to a column's label though a letter is off."""
SPLIT_LABEL_MIN = 4
"""The least length of a header word OCR split in two ("T otal") that is joined to match a column's label."""
MISREAD_LABEL_AMONG = 2
"""A misread label is looked for only on a line where this many labels were read right (a header row)."""
MISREAD_LABEL_SIMILARITY = 0.85
"""The least character similarity of such a word to the label ("dexcription" and "description": 0.91)."""
UNREAD_LABEL_MIN = 5
"""A header word OCR could not read is this long at least, and mostly letters: the description's label, when no
other word names it ("NMäeimation")."""
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
    an item, whatever its description starts with ("Tax advisory"), unless it is an allowance (:func:`_allowance`)."""
    wanted = [c.name for c in columns if c.name in NUMERIC_COLUMNS and c.name != "tax_rate"]
    return len(wanted) >= 2 and all(name in cells for name in wanted)


def _allowance(text: str, cells: dict[str, list[int]], columns: list[Column], tokens: tuple[Token, ...]) -> bool:
    """Whether a row is an allowance or charge rather than an item (see :data:`ALLOWANCE`)."""
    if not ALLOWANCE.match(text):
        return False
    amount = " ".join(tokens[i].text for i in cells.get("amount", []))
    return not _item_like(cells, columns) or amount.lstrip().startswith(("-", "−"))


def _misread(word: str, label: str) -> bool:
    if abs(len(word) - len(label)) > 2 or word == label:
        return False
    return SequenceMatcher(None, word, label, autojunk=False).ratio() >= MISREAD_LABEL_SIMILARITY


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

    def overlaps(self, box: BBox) -> bool:
        return box.x0 < self.x1 and self.x0 < box.x1


def _outside(box: BBox, columns: list[Column]) -> float:
    """How far ``box`` stands outside the span of ``columns`` (0 within it)."""
    x0, x1 = min(c.x0 for c in columns), max(c.x1 for c in columns)
    return max(0.0, x0 - box.x1, box.x0 - x1)


def _labels(lv: LineView, schema: Schema, tokens: tuple[Token, ...], taken: dict[str, Column]) -> dict[str, Column]:
    """The columns whose label words stand in ``lv``, other than those already ``taken``."""
    text = lv.text.lower()
    cols: dict[str, Column] = {}
    used: list[tuple[int, int]] = []
    # The description is placed first: a word such as "Artikel" heads the description unless the row has a
    # description word of its own ("Artikel | Omschrijving"), when it heads the article numbers.
    spans = sorted(
        ((name, w) for name, words in schema.line_item_labels.items() for w in words),
        key=lambda p: (p[0] != "description", -len(p[1])),
    )
    for name, word in spans:
        if name in cols or name in taken:
            continue
        found: list[tuple[BBox, tuple[int, int]]] = []
        # "USt" of "USt-ID" or "USt-IdNr." (a VAT id's label) heads no tax column; "MwSt-Satz" does
        for m in re.finditer(r"(?<!\w)" + re.escape(word) + r"(?!\w|" + VAT_ID_LABEL_END + ")", text):
            if any(m.start() < e and m.end() > s for s, e in used):
                continue
            ids = lv.tokens_in_chars(m.start(), m.end())
            if not ids:
                continue
            box = BBox.union_of(tokens[i].bbox_pt for i in ids)
            if any(c.overlaps(box) for c in taken.values()):
                continue  # a label word of a column already placed
            found.append((box, (m.start(), m.end())))
        if found:
            # a word twice on the header's line ("TVA intracom." in a side panel, "TVA" over the rates): the one
            # among the labels placed already; the first where none is nearer
            placed = [*taken.values(), *cols.values()]
            box, span = min(found, key=lambda f: _outside(f[0], placed)) if placed else found[0]
            cols[name] = Column(name, box.x0, box.x1)
            used.append(span)
    if len(cols) >= MISREAD_LABEL_AMONG:  # a header row already: a misread word among its labels
        cols.update(_misread_labels(lv, schema, tokens, {**taken, **cols}))
        if "description" not in cols and "description" not in taken:
            cols.update(_unread_description(lv, tokens, {**taken, **cols}))
    return cols


def _wordlike(text: str) -> bool:
    return len(text) >= UNREAD_LABEL_MIN and sum(ch.isalpha() for ch in text) >= 0.6 * len(text)


def _unread_description(lv: LineView, tokens: tuple[Token, ...], taken: dict[str, Column]) -> dict[str, Column]:
    """The description's column under a header word OCR garbled past recognition ("NMäeimation" for
    "Désignation"): on a header row without a description label, the one OCR word, mostly letters, that stands
    in no other column left of the prices and amounts (two such words: no telling which)."""
    prices = [c.x0 for c in taken.values() if c.name in ("unit_price", "amount")]
    if not prices:
        return {}
    found = [
        tokens[i].bbox_pt
        for i in lv.token_ids
        if tokens[i].source == TokenSource.OCR
        and _wordlike(tokens[i].text)
        and tokens[i].bbox_pt.x1 <= min(prices)
        and not any(c.overlaps(tokens[i].bbox_pt) for c in taken.values())
    ]
    if len(found) != 1:
        return {}
    return {"description": Column("description", found[0].x0, found[0].x1)}


def _misread_labels(
    lv: LineView, schema: Schema, tokens: tuple[Token, ...], taken: dict[str, Column]
) -> dict[str, Column]:
    """Columns whose one-word label OCR misread by a letter or so ("Dexcription", "Quantlty") or split in two
    ("T otal") on a line that holds other labels: a word read by OCR, long enough that a near match is no other
    word (a split word must join into the label exactly), and not inside a column already placed."""
    cols: dict[str, Column] = {}
    ids = [i for i in lv.token_ids if tokens[i].source == TokenSource.OCR]
    for k, i in enumerate(ids):
        tok = tokens[i]
        word = tok.text.lower().strip(":.()")
        box = tok.bbox_pt
        split = False
        if k + 1 < len(ids):
            after = tokens[ids[k + 1]]
            if after.bbox_pt.x0 - box.x1 < 0.5 * max(box.height, 1.0) and len(word) < MISREAD_LABEL_MIN:
                word, box, split = word + after.text.lower().strip(":.()"), box.union(after.bbox_pt), True
        if len(word) < (SPLIT_LABEL_MIN if split else MISREAD_LABEL_MIN):
            continue
        if any(c.overlaps(box) for c in (*taken.values(), *cols.values())):
            continue
        # the description first, as for labels read right ("Artlkel" heads the descriptions, as "Artikel" does)
        for name, words in sorted(schema.line_item_labels.items(), key=lambda nw: nw[0] != "description"):
            if name in taken or name in cols:
                continue
            if any((word == w.lower()) if split else _misread(word, w.lower()) for w in words if " " not in w):
                cols[name] = Column(name, box.x0, box.x1)
                break
    return cols


def _header(
    lines: list[LineView], k: int, schema: Schema, tokens: tuple[Token, ...]
) -> tuple[list[Column], int] | None:
    """The columns of a table whose header starts at line ``k``, and the index of the first line below it.

    A header may run over several lines ("Positions- / betrag / ohne USt."): the lines right below it that hold
    no number add the labels they carry.
    """
    cols = _labels(lines[k], schema, tokens, {})
    amount, desc = cols.get("amount"), cols.get("description")
    if amount is not None and desc is not None and amount.x0 < desc.x0 and "quantity" not in cols:
        # "Amount | Product | VAT | Price | Total": an amount left of the description is the quantity
        cols["quantity"] = Column("quantity", amount.x0, amount.x1)
        del cols["amount"]
        cols.update(_labels(lines[k], schema, tokens, cols))
    numeric = [n for n in cols if n in NUMERIC_COLUMNS]
    content = [n for n in cols if n not in KEY_COLUMNS]
    if not (len(content) >= 3 and (len(numeric) >= 2 or ("description" in cols and len(numeric) >= 1))):
        return None
    end = k + 1
    while end < len(lines) and _next_line(lines[end - 1].bbox_pt, lines[end].bbox_pt):
        if any(NUMBER.match(tokens[i].text) for i in lines[end].token_ids):
            break
        cols.update(_labels(lines[end], schema, tokens, cols))
        end += 1
    return sorted(cols.values(), key=lambda c: c.x0), end


def _cell(name: str, text: str, box: BBox, page: int, ids: tuple[int, ...], conf: float) -> FieldValue:
    value: str | None = text
    if name in ("unit_price", "amount"):
        parsed = parse_amount(text.replace("%", ""))
        value = format_amount(parsed) if parsed is not None else None
    elif name in ("quantity", "tax_rate"):
        parsed = parse_amount(text.replace("%", "").strip())
        if name == "tax_rate" and parsed is not None and not 0 <= parsed <= 100:
            parsed = None  # no rate: a postcode or an amount under the rate column
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
    item_above = False  # whether the table goes on from an item at the foot of the page before
    found_header = False
    page_rows: list[list[LineView]] = []
    for page in doc.pages:
        lines = page_lines(page)
        page_rows.append(lines)
        start = 0
        for k in range(len(lines)):
            header = _header(lines, k, schema, page.tokens)
            if header:
                columns, start = header
                break
        if columns is None:
            continue
        found_header = True
        current: dict[str, list[int]] | None = None
        previous: BBox | None = None
        text_goes_on = False  # whether a line of text still continues the current item's description
        for k, lv in enumerate(lines[start:], start):
            cells, numeric = _cells(lv.token_ids, page.tokens, columns)
            # what the row prints under the table: a sidebar beside it ("USt-IdNr. ATU47243406") is no part of it
            inside = [i for i in lv.token_ids if page.tokens[i].bbox_pt.x1 > columns[0].x0 - TABLE_MARGIN_PT]
            text = " ".join(page.tokens[i].text for i in inside)
            first_is_number = any(NUMBER.match(page.tokens[i].text) for i in inside[:1])
            if _ends_table(text, first_is_number, bool(numeric), _item_like(cells, columns), totals):
                if current:
                    items.append(_row(page.index, current, page.tokens))
                current, text_goes_on = None, False
                if SUBTOTAL.search(lv.text) and _items_follow(lines[k + 1 : k + 3], page.tokens, columns, totals):
                    continue  # a group's subtotal inside the table: more items follow it
                columns = None
                break
            if _footer_row(cells, page.tokens):  # the page's footer (bank account, VAT id) under a table going on
                text_goes_on = False
                continue
            if previous is not None and not _next_line(previous, lv.bbox_pt):
                text_goes_on = False  # a note set apart below an item is no part of its description
            previous = lv.bbox_pt
            if (current is not None or item_above) and (
                _is_detail(lv, page.tokens)
                or _labelled_note(lv.text, cells, columns, current)
                or _allowance(lv.text, cells, columns, page.tokens)
            ):
                text_goes_on = False  # the description comes before its details; text after them is a note
                continue  # "Gross price: 9,90" under an item tells about that item, it is not one
            numbers = {n for n in cells if n in NUMERIC_COLUMNS}
            has_values = any(n in cells for n in ("amount", "unit_price")) or (
                "quantity" in numbers and "description" in cells and len(numbers) >= 2
            )
            if not has_values and "article_number" in cells:
                code = cells.pop("article_number")
                if current is not None and text_goes_on and "article_number" not in current:
                    current["article_number"] = code  # printed under the row's first line
                # else a GTIN under the article number of the row above
            if has_values and current is not None and not numbers & current.keys():
                # the rest of the current item's numbers, printed on its next line (its amount, say)
                for name in numbers:
                    current[name] = cells[name]
            elif has_values and (
                len(numbers) >= 2 or (("description" in cells or "article_number" in cells) and "amount" in numbers)
            ):
                # an item bills an amount beside its description, or prints two of its numbers: a lone number
                # ("1 Stk" under "Preisbasismenge:") or a price alone ("Inklusiv-Kilometer 873,00") starts no item
                if current:
                    items.append(_row(page.index, current, page.tokens))
                current, text_goes_on, item_above = cells, True, False
            elif current is not None and text_goes_on and "description" in cells and len(numeric) == 0:
                more = _under_description(cells["description"], current.get("description", []), page.tokens)
                current.setdefault("description", []).extend(more)
        if current:
            items.append(_row(page.index, current, page.tokens))
        item_above = columns is not None and (current is not None or item_above)
    if not items and not found_header:
        items = _headerless_items(doc, page_rows, totals)
    return tuple(items)


PRICE = re.compile(r"^[-−]?[$€£]?\d{1,3}(?:[.,' ]?\d{3})*[.,]\d{2}$")
"""A money amount as items print it: two decimals ("1,053.46", "4,30")."""
PERCENT = re.compile(r"^\d{1,2}(?:[.,]\d{1,2})?\s?%$")
"""A tax rate as a row prints it: "20%", "5,5 %"."""
POSITION = re.compile(r"^\d{1,3}[.)]?$")
"""A row's position number: "3", "12.", "4)"."""
VAT_ID_LABEL_END = r"[-.]?\s?(?:id|idnr|id-nr|nr)\b"
"""What follows a tax word in a VAT id's label ("USt-IdNr.", "MwSt-Nr."), not in a tax rate's ("MwSt-Satz")."""


def _footer_row(cells: dict[str, list[int]], tokens: tuple[Token, ...]) -> bool:
    """A page footer's line read as a row: its description prints a bank account or VAT id (or its label), and it
    bills no amount (an item's "Laptop SN 2305 1234 | 1 | 900,00 | 900,00" does)."""
    described = " ".join(tokens[i].text for i in cells.get("description", []))
    if not (EUROPEAN_CODE.search(described) or BANK_LABEL.search(described)):
        return False
    amount = " ".join(tokens[i].text for i in cells.get("amount", []))
    return not PRICE.fullmatch(amount.strip())


BANK_LABEL = re.compile(r"(?<!\w)(?:iban|bic|swift)\s*:", re.IGNORECASE)
"""A bank account's label ("IBAN:"): a page footer's, which an item's description does not print."""
TABLE_MARGIN_PT = 6.0
"""How far left of its first column a row's words still belong to the table."""

HEADERLESS_MIN_ROWS = 2
"""A table without a header row is at least this many item rows in a run."""
HEADERLESS_ALIGN_PT = 12.0
"""How far apart the right edges of the amounts of a header-less table's rows may be."""


def _headerless_items(doc: Document, page_rows: list[list[LineView]], totals: re.Pattern[str] | None) -> list[LineItem]:
    """The items of a table whose header row is missing or unreadable: a run of lines that each end in a unit
    price and an amount with a description before them (and a quantity first, or between description and price),
    their amounts standing in one column, and where a quantity is read, quantity times price giving the amount.
    Only for a document where no header row was found at all."""
    items: list[LineItem] = []
    for page, lines in zip(doc.pages, page_rows, strict=True):
        run: list[dict[str, list[int]]] = []
        right: float | None = None
        for lv in lines:
            cells = _headerless_row(lv, page.tokens)
            if cells is not None and (END_WORDS.search(lv.text) or (totals and totals.match(lv.text))):
                cells = None  # a line of the totals
            edge = page.tokens[cells["amount"][0]].bbox_pt.x1 if cells is not None else None
            if cells is not None and edge is not None and (right is None or abs(edge - right) <= HEADERLESS_ALIGN_PT):
                run.append(cells)
                right = edge
                continue
            if len(run) >= HEADERLESS_MIN_ROWS:
                items.extend(_row(page.index, c, page.tokens) for c in run)
            run, right = ([cells], edge) if cells is not None else ([], None)
        if len(run) >= HEADERLESS_MIN_ROWS:
            items.extend(_row(page.index, c, page.tokens) for c in run)
    return items


def _headerless_row(lv: LineView, tokens: tuple[Token, ...]) -> dict[str, list[int]] | None:
    """A line read as an item row without a header: [position or quantity] description [quantity] unit price
    [tax rate] amount, where quantity times unit price must make the amount (or the price is the amount). Ruled
    lines read as bars are passed over; an allowance or charge is no item."""
    if ALLOWANCE.match(lv.text):
        return None
    ids = [i for i in lv.token_ids if not RULE_MARK.match(tokens[i].text)]
    cells: dict[str, list[int]] = {}
    if len(ids) >= 4 and PERCENT.match(tokens[ids[-2]].text):
        cells["tax_rate"] = [ids[-2]]
        ids = ids[:-2] + ids[-1:]
    if len(ids) < 3 or not (PRICE.match(tokens[ids[-1]].text) and PRICE.match(tokens[ids[-2]].text)):
        return None
    price, amount = parse_amount(tokens[ids[-2]].text), parse_amount(tokens[ids[-1]].text)
    if price is None or amount is None:
        return None
    body = ids[:-2]
    cells.update({"unit_price": [ids[-2]], "amount": [ids[-1]]})
    for k in (len(body) - 1, 0):  # a quantity right before the price, or first
        q = parse_amount(tokens[body[k]].text) if NUMBER.match(tokens[body[k]].text) else None
        if q is not None and q > 0 and abs(q * price - amount) <= Decimal("0.01") * max(Decimal(1), q):
            cells["quantity"] = [body[k]]
            body = body[1:] if k == 0 else body[:-1]
            break
    if "quantity" not in cells and price != amount:
        return None  # no quantity to make the amount
    if len(body) > 1 and POSITION.match(tokens[body[0]].text):
        first, second = tokens[body[0]].bbox_pt, tokens[body[1]].bbox_pt
        if second.x0 - first.x1 > max(first.height, 1.0):
            body = body[1:]  # the row's position number, in a column of its own ("3 Nächte Hotel" keeps its 3)
    if not body or not any(any(ch.isalpha() for ch in tokens[i].text) for i in body):
        return None
    cells["description"] = body
    return cells


def _items_follow(
    lines: list[LineView], tokens: tuple[Token, ...], columns: list[Column], totals: re.Pattern[str] | None
) -> bool:
    """Whether one of ``lines`` is an item row of the table (a quantity, a price and an amount), not a line of
    the totals ("Tax 15% on $ 112.90  $ 16.94")."""
    return any(
        _item_like(_cells(lv.token_ids, tokens, columns)[0], columns) and not (totals and totals.match(lv.text))
        for lv in lines
    )


def _under_description(ids: list[int], description: list[int], tokens: tuple[Token, ...]) -> list[int]:
    """The words of a line that go on an item's description: those that start where its description starts or
    right of it. A word far left of it ("Rabobank" in a side panel beside the table) is no part of it."""
    if not description:
        return ids
    start = min(tokens[i].bbox_pt.x0 for i in description)
    return [i for i in ids if tokens[i].bbox_pt.x0 >= start - 2.0 * max(tokens[i].bbox_pt.height, 1.0)]


def _is_detail(lv: LineView, tokens: tuple[Token, ...]) -> bool:
    """A line that tells about the item above it rather than being one: "Gross price: 9,90", or labelled values
    only ("Bruttopreis : 4,0000 Abschlag : 0,6667"), each number right after its label's colon."""
    if DETAIL_LINE.match(lv.text):
        return True
    ids = lv.token_ids
    numbers = [k for k, i in enumerate(ids) if NUMBER.match(tokens[i].text)]
    return bool(numbers) and all(k > 0 and tokens[ids[k - 1]].text.endswith(":") for k in numbers)


def _labelled_note(
    text: str, cells: dict[str, list[int]], columns: list[Column], current: dict[str, list[int]] | None
) -> bool:
    """A line that opens with a label and its colon ("Zählerstand von-bis: 543210 544420", "Bruttopreis : 1,50
    Abschlag : 0,03 Artikelrabatt 1"), without an amount billed, and without a number the item above still lacks
    (its amount, printed on the next line after "Basismenge: 1 Stk")."""
    if LABEL_FIRST.match(text) is None or _item_like(cells, columns) or "amount" in cells:
        return False  # an amount billed ("Hosting: März 2024  29,00", "Incl. Thuiskopieheffing: ... 1  4,24")
    return not (current is not None and any(n in cells and n not in current for n in NUMERIC_COLUMNS))


def _next_line(above: BBox, below: BBox) -> bool:
    """Whether ``below`` follows ``above`` at the table's line spacing, not after a blank line."""
    return below.y0 - above.y1 <= 0.8 * max(above.height, below.height)


def _numbers_from(columns: list[Column]) -> float:
    """Where the number columns right of the description begin (the first number column when there is no
    description column, or none right of it)."""
    desc = next((c.x0 for c in columns if c.name == "description"), None)
    xs = [c.x0 for c in columns if c.name in NUMERIC_COLUMNS]
    right = [x for x in xs if desc is None or x > desc]
    return min(right or xs, default=float("inf"))


DESCRIPTION_LEAD_PT = 12.0
"""How far left of its header a description may start when no column stands before it."""


def _description_from(columns: list[Column]) -> float | None:
    """Where the description column begins: halfway from the column before it, or a little left of its header
    (a description may start left of its own header); None without a description column."""
    for k, col in enumerate(columns):
        if col.name == "description":
            return (columns[k - 1].x0 + col.x0) / 2 if k else col.x0 - DESCRIPTION_LEAD_PT
    return None


def _key_column(box: BBox, columns: list[Column]) -> str | None:
    """The position or article-number column a token stands in: a token that starts nearer its header's left
    edge than the next column's (both are printed flush left; a description may start left of its own header,
    and a header such as "Art-Nr-Kunde" may be wider than its column)."""
    for k, col in enumerate(columns):
        if col.name not in KEY_COLUMNS:
            continue
        end = (col.x0 + columns[k + 1].x0) / 2 if k + 1 < len(columns) else float("inf")
        if col.x0 - 4.0 <= box.x0 < end:
            return col.name
    return None


def _cells(
    ids: tuple[int, ...], tokens: tuple[Token, ...], columns: list[Column]
) -> tuple[dict[str, list[int]], list[int]]:
    """A row's tokens by column, and those that are numbers in a number column.

    A number printed inside a description ("Monitor 27 inch", "Cable set, Cat. 6") follows a description word at
    the distance of a word space, or starts a line of it, left of the first number column: it stays in the
    description. A unit ("Stk") or a sign ("%") under a number column is no part of it.
    """
    numbers_from = _numbers_from(columns)
    desc_from = _description_from(columns)
    desc = next((c for c in columns if c.name == "description"), None)
    numbers_before_description = desc is not None and any(
        c.name in NUMERIC_COLUMNS and c.x0 < desc.x0 for c in columns
    )  # "Qty | Description | ..."
    cells: dict[str, list[int]] = {}
    numeric: list[int] = []
    previous_in_text: Token | None = None
    # a side panel beside the table ("IBAN BE76 7258"): words left of all its headers, set off by a wide gap (a
    # description under a centred header may start left of it too, but runs on at word spaces)
    table_x0 = min(c.x0 for c in columns)
    panel = 0
    # (without a description header read, the descriptions themselves stand left of every header: no panel)
    for pos in range(len(ids) - 1 if desc is not None else 0):
        a, b = tokens[ids[pos]].bbox_pt, tokens[ids[pos + 1]].bbox_pt
        if a.x1 < table_x0 and b.x0 - a.x1 > 3 * max(a.height, 1.0):
            panel = pos + 1
    for pos, i in enumerate(ids):
        if pos < panel:
            continue
        tok = tokens[i]
        box = tok.bbox_pt
        key = _key_column(box, columns)
        if key is not None:
            if not SCHEME_TAG.match(tok.text):
                cells.setdefault(key, []).append(i)
            previous_in_text = None
            continue
        is_number = bool(NUMBER.match(tok.text)) and not IDENTIFIER.match(tok.text) and not DATE.match(tok.text)
        if is_number and desc_from is not None and box.x1 <= desc_from and not numbers_before_description:
            previous_in_text = None
            continue  # a position number in a column without a header of its own
        if is_number and box.x1 < numbers_from:
            space = max(box.height, 1.0)
            after_word = previous_in_text is not None and box.x0 - previous_in_text.bbox_pt.x1 < space
            # a line of the description starting with a number ("2 Nächte Hotel", "12 x 1,0l PET"): the number
            # stands where descriptions start and a word follows it at a word space
            nxt = tokens[ids[pos + 1]] if pos + 1 < len(ids) else None
            starts_text = (
                desc is not None
                and abs(box.x0 - desc.x0) <= DESCRIPTION_LEAD_PT
                and nxt is not None
                and not NUMBER.match(nxt.text)
                and nxt.bbox_pt.x0 - box.x1 < space
            )
            is_number = not (after_word or starts_text)
        if is_number:
            numeric.append(i)
            previous_in_text = None
            continue
        previous_in_text = tok
        if box.x0 < numbers_from and not SCHEME_TAG.match(tok.text) and not RULE_MARK.match(tok.text):
            cells.setdefault("description", []).append(i)
    groups = _thousands_groups(numeric, tokens, columns)
    boxes = [BBox.union_of(tokens[i].bbox_pt for i in g) for g in groups]
    for group, name in zip(groups, _number_columns(boxes, columns), strict=True):
        cells.setdefault(name, []).extend(group)
    return cells, numeric


THOUSANDS_HEAD = re.compile(r"^[-−]?\d{1,3}$")
"""The first word of a number whose thousands a space sets off: "1" of "1 344,18"."""
THOUSANDS_MIDDLE = re.compile(r"^\d{3}$")
THOUSANDS_TAIL = re.compile(r"^\d{3}(?:[.,]\d{1,4})?$")
"""The words after it: groups of three digits, the last with the decimals."""
THOUSANDS_GAP = 0.8
"""The widest gap, in text heights, between the parts of a number whose thousands a space sets off."""


def _thousands_groups(numeric: list[int], tokens: tuple[Token, ...], columns: Sequence[Column] = ()) -> list[list[int]]:
    """Numbers with their thousands set off by a space and read as two or three words ("1 344,18", "1 000 000"),
    joined: a head of one to three digits followed, each within ``THOUSANDS_GAP`` text heights, by groups of three
    digits, only the last with decimals. A head under one column's header and a group under another's are two
    numbers (a quantity "5" beside a price "120,00")."""
    groups: list[list[int]] = []
    for i in numeric:
        if groups:
            tok = tokens[i]
            head = tokens[groups[-1][0]]
            gap = tok.bbox_pt.x0 - tokens[groups[-1][-1]].bbox_pt.x1
            widest = THOUSANDS_GAP_OCR if tok.source == TokenSource.OCR else THOUSANDS_GAP
            if (
                THOUSANDS_HEAD.match(head.text)
                and THOUSANDS_TAIL.match(tok.text)
                and len(groups[-1]) < 3
                and all(THOUSANDS_MIDDLE.match(tokens[j].text) for j in groups[-1][1:])
                and -1.0 <= gap < widest * max(tok.bbox_pt.height, 1.0)
                and not _under_two_headers(head.bbox_pt, tok.bbox_pt, columns)
            ):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _under_two_headers(a: BBox, b: BBox, columns: Sequence[Column]) -> bool:
    """Whether ``a`` and ``b`` stand under the headers of two different columns."""
    under_a = {c.name for c in columns if c.overlaps(a)}
    under_b = {c.name for c in columns if c.overlaps(b)}
    return bool(under_a) and bool(under_b) and not under_a & under_b


def _number_columns(boxes: list[BBox], columns: list[Column]) -> list[str]:
    """The number column of each of a row's numbers (given left to right).

    Each number goes under the nearest column, but no two numbers of a row share a column while the row has
    columns enough, and their order is kept: "20 Stk 19 %" under "Menge" and a wide "Steuer" header gives the
    quantity 20 and the rate 19, though both numbers stand nearer "Menge".
    """
    cols = sorted((c for c in columns if c.name in NUMERIC_COLUMNS), key=lambda c: c.x0) or columns
    if (
        len(boxes) > len(cols)
        and cols
        and all(c.name != "amount" for c in cols)
        and boxes[-1].x0 > max(c.x1 for c in cols)
    ):
        # a number right of every number header, in a table whose amount header was not read (a header bar OCR
        # lost a word of): the line's amount, as the last column of an item table is
        return [*_number_columns(boxes[:-1], columns), "amount"]

    def cost(box: BBox, c: Column) -> float:
        return min(abs(box.x1 - c.x1), abs(box.center[0] - (c.x0 + c.x1) / 2))

    n, m = len(boxes), len(cols)
    if n > m:
        return [min(cols, key=lambda c: cost(b, c)).name for b in boxes]
    # best[i][j]: least cost of placing the first i numbers in the first j columns, in order
    inf = float("inf")
    best = [[0.0] * (m + 1)] + [[inf] * (m + 1) for _ in range(n)]
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            best[i][j] = min(best[i][j - 1], best[i - 1][j - 1] + cost(boxes[i - 1], cols[j - 1]))
    out: list[str] = []
    j = m
    for i in range(n, 0, -1):
        while best[i][j] == best[i][j - 1]:
            j -= 1
        out.append(cols[j - 1].name)
        j -= 1
    return out[::-1]


def _row(page: int, cells: dict[str, list[int]], tokens: tuple[Token, ...]) -> LineItem:
    out: dict[str, FieldValue] = {}
    for name, ids in cells.items():
        if name == "position":
            continue
        if name == "description" and "article_number" not in cells:
            ids = _split_code(page, ids, tokens, out)
        toks = [tokens[i] for i in ids]
        conf = min(t.confidence for t in toks)
        if name in ("description", "article_number"):
            out[name] = _cell(name, " ".join(t.text for t in toks), BBox.union_of(t.bbox_pt for t in toks), page,
                              tuple(ids), conf)  # fmt: skip
        else:  # a number column: its last number (a unit or a currency sign before it is no part of it)
            last = _thousands_groups(list(ids), tokens)[-1]
            text = "".join(tokens[i].text for i in last)
            box = BBox.union_of(tokens[i].bbox_pt for i in last)
            out[name] = _cell(name, text, box, page, tuple(last), conf)
    boxes = [c.bbox_pt for c in out.values() if c.bbox_pt is not None]
    return LineItem(out, page, BBox.union_of(boxes) if boxes else None)


def _split_code(page: int, ids: list[int], tokens: tuple[Token, ...], out: dict[str, FieldValue]) -> list[int]:
    """A description's tokens without the article number in brackets or asterisks that starts it, which goes to
    ``out`` as the item's article number."""
    first = tokens[ids[0]]
    m = BRACKET_CODE.match(first.text) if len(ids) > 1 else None
    if m is None:
        return ids
    out["article_number"] = _cell(
        "article_number", m.group(1) or m.group(2), first.bbox_pt, page, (ids[0],), first.confidence
    )
    return ids[1:]
