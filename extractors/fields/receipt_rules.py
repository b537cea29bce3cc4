"""Layout rules for till receipts: the header block names the shop, the labelled total closes the sale.

A till receipt prints its seller as the first text lines (shop name, then its address up to the phone or
registration line) and its amounts as a column of labelled lines (SUBTOTAL, TAX, TOTAL, ROUNDING, CASH,
CHANGE). These rules read that layout from the document's lines; the pipeline compares their answer with
the scorer's and lets agreement raise, disagreement lower, the confidence.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from extractors.document import Document, Page
from extractors.fields.normalise import find_dates, format_amount


@dataclass(frozen=True, slots=True)
class RuleLine:
    text: str
    page: int
    token_ids: tuple[int, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class RuleAnswer:
    """A rule's value for one field, the lines it was read from, and how sure the rule is (0..1)."""

    value: str
    text: str
    page: int
    token_ids: tuple[int, ...]
    strength: float


# Lines that head a receipt without naming the seller.
_TITLE_RE = re.compile(
    r"^\W*(?:(?:simplified\s+|full\s+)?tax\s*invoice|invoice|receipt|official\s+receipt|cash\s+(?:sale|bill|receipt)|"
    r"bill|sales?\s+receipt|welcome|copy|duplicate|reprint|cash|customer\s+copy)\W*$",
    re.IGNORECASE,
)
# Lines that end the seller's address block.
_STOP_RE = re.compile(
    r"\b(?:tel|tele?phone|phone|ph|fax|hp|mobile|h/p|e-?mail|www|http|gst|sst|tax\s*invoice|invoice|receipt|"
    r"cashier|date|time|table|bill|order|counter|member|doc(?:ument)?\s*no|co\.?\s*(?:reg|no))\b|@",
    re.IGNORECASE,
)
# Registration numbers printed under the name: "(CO.REG : 860671-D)", "( 801580-T )", "Co. No. 1234-X".
_REG_RE = re.compile(
    r"^\W*(?:\(?\s*(?:co(?:mpany)?\.?\s*(?:reg(?:istration)?|no)\.?[\s:.]*(?:no\.?)?[\s:.]*)?[\dA-Z]{0,4}\d{4,}[\s-]*[A-Z]?\s*\)?)\W*$",
    re.IGNORECASE,
)
_LEGAL_RE = re.compile(
    r"\b(?:sdn\.?\s*bhd|bhd|berhad|enterprise|trading|restaurant|restoran|store|mart|market|supermarket|"
    r"hardware|pharmacy|bakery|cafe|café|kitchen|company|co\.|corporation|holdings|industries|services|"
    r"ltd|limited|llc|inc|gmbh|plc|pte|s\.a\.|s\.?a\.?r\.?l|b\.v\.)(?!\w)",
    re.IGNORECASE,
)
_TRAILING_REG_RE = re.compile(
    r"\s*[\(\[{]\s*(?:co\.?\s*(?:reg|no)\.?[\s:.]*)?[\dA-Z-]*\d{4,}[\dA-Z-]*\s*[\)\]}]?\W*$", re.I
)
_STRONG_LEGAL_RE = re.compile(
    r"\b(?:sdn\.?\s*bhd|bhd|berhad|s/b|enterprise|trading|company|corporation|holdings|ltd|limited|llc|inc|gmbh|plc|pte)(?!\w)",
    re.IGNORECASE,
)
# Everyday OCR misreadings of the Malaysian legal form "SDN BHD" ("SIN BHD", "SDN EHD", "SEN 3HD", "SDN BILD") and
# of "(M)" before it.
_LEGAL_FIXES = (
    (re.compile(r"\b[S5][O0DEI][NM](\.?)(\s*)(?:[B8E3][HN]|B[IE]L)[D0O]\b"), r"SDN\1\2BHD"),
    (re.compile(r"(?<![A-Za-z(])CM\)"), "(M)"),
    (re.compile(r"(?<=[A-Z] )[S56]\s?/\s?[B8]\b"), "S/B"),
)

_TOTAL_WORD = re.compile(r"t\s*[o0]\s*t\s*a\s*[l1i|]", re.IGNORECASE)
_NOT_TOTAL = re.compile(
    r"sub\s*-?\s*t[o0]tal|excl|\btotal\s*(?:qty|quantity|items?|item\(s\)|disc(?:ount)?|savings?|gst|sst|tax|vat|excl|"
    r"before|pcs|units|no\.?\s+of)|\b(?:qty|items?|gst|sst|tax|vat|disc(?:ount)?|saving)\s+total",
    re.IGNORECASE,
)
_FINAL_TOTAL = re.compile(
    r"round|after\s+adj|nett?\s+(?:total|amt|amount)|amount\s+due|amt\.?\s+due|total\s+due|payable",
    re.IGNORECASE,
)
_MAIN_TOTAL = re.compile(
    r"grand|incl|inclusive|total\s+amount|total\s+sales|total\s*[\(\{\[]?\s*rm|^\W*total\W*$|^\W*total\s*:",
    re.IGNORECASE,
)
# The parts a receipt's total is made of: the subtotal (or supplies at each tax rate) and the tax.
_PART = re.compile(r"sub\s*-?\s*t[o0]tal|\bexcl|\bsupplies\b|^\W*(?:total\s+)?(?:gst|sst|tax|vat)\b", re.IGNORECASE)
# A line stating the tax a total includes ("TOTAL INCLUDES 6% GST 3.98", "GST @6% included in total RM 0.28").
_TAX_INCLUDED = re.compile(
    r"\bincludes\s+\d+(?:[.,]\d+)?\s*%\s*(?:gst|sst|tax|vat)\b|\b(?:gst|sst|tax|vat)\b.*\bincluded\b", re.IGNORECASE
)
# An amount whose last digit OCR lost ("Total 0% supplies: 27.4"): no part to add up.
_LAST_DIGIT_LOST = re.compile(r"\d[.,]\d\s*$")
_SUMMARY = re.compile(r"\b(?:gst|sst|tax|vat)\s*summary|\bsummary\b", re.IGNORECASE)
_DUE_RE = re.compile(
    r"\b(?:amount\s+due|amt\.?\s+due|balance\s+due|total\s+payable|amount\s+payable|tl|nett?\s+amt|nett?\s+amount)\b",
    re.IGNORECASE,
)
_CASH_RE = re.compile(r"^\W*(?:cash|tunai|paid|tendered|payment|visa|master|card|credit)\b", re.IGNORECASE)
_CHANGE_RE = re.compile(r"^\W*(?:cash\s+)?(?:change|baki|balance)\b", re.IGNORECASE)
_ROUNDING_RE = re.compile(r"\bround", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"(?<![\d.,])-?(?:RM|\$|€|£)?\s*-?(\d{1,3}(?:[,.]\d{3})*|\d+)\s?[.,]\s?(\d{2})(?![\d%])")
# A whole amount after its currency ("Grand Total Rs 1939"), as receipts in rupees or yen print them.
_WHOLE_AMOUNT_RE = re.compile(
    r"(?<![-−\w])(?:(?:Rs\.?|INR|RM|JPY)|[₹$€£¥])\s?(\d{1,3}(?:,\d{3})+|\d{1,7})(?![\d.,:]*\s?\d)(?!\s?%)",
    re.IGNORECASE,
)
_LOOSE_AMOUNT_RE = re.compile(r"(?<![\d.,])(\d{1,6})(?:\s?[.,:]\s?|\s)(\d{2})\s*$|(?<![\d.,])(\d{1,6})[.,](\d)\s*$")
_OCR_DIGITS = str.maketrans({"§": "5", "O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})


def receipt_lines(doc: Document) -> list[RuleLine]:
    """The document's lines in reading order, each with its token ids and mean OCR confidence."""
    out: list[RuleLine] = []
    for page in doc.pages:
        for ids in _line_token_ids(page):
            toks = [page.tokens[i] for i in ids if 0 <= i < len(page.tokens)]
            text = " ".join(t.text for t in toks).strip()
            if not text:
                continue
            conf = sum(t.confidence for t in toks) / len(toks)
            out.append(RuleLine(text, page.index, ids, conf))
    return out


def _line_token_ids(page: Page) -> list[tuple[int, ...]]:
    """The page's lines; a page read without lines is grouped into lines by the tokens' vertical centres."""
    if page.lines:
        return [tuple(ln.token_ids) for ln in page.lines]
    rows: list[list[int]] = []
    centre: list[float] = []
    for i in sorted(range(len(page.tokens)), key=lambda k: (page.tokens[k].bbox_pt.y0, page.tokens[k].bbox_pt.x0)):
        b = page.tokens[i].bbox_pt
        c = (b.y0 + b.y1) / 2
        if rows and abs(c - centre[-1]) <= max(2.0, (b.y1 - b.y0) / 2):
            rows[-1].append(i)
        else:
            rows.append([i])
            centre.append(c)
    return [tuple(sorted(r, key=lambda k: page.tokens[k].bbox_pt.x0)) for r in rows]


# "OWNED BY:" before the registered name of the company that runs a branded shop.
_OWNER_RE = re.compile(r"^\W*(?:own(?:ed)?|operated|managed)\s+by\s*:?\s*", re.IGNORECASE)
# A line that continues the name on the line above ("THE COFFEE BEAN" / "& TEA LEAF (M) SDN. BHD.").
_CONTINUED_RE = re.compile(r"^\s*(?:&|and\b)", re.IGNORECASE)
# The registered forms that end a company's name; "CO" may still follow ("SAM SAM TRADING CO").
_REGISTERED = r"sdn\.?\s*bhd|bhd|berhad|s/b|ltd|limited|llc|inc|gmbh|plc|pte"
_REGISTERED_RE = re.compile(rf"\b(?:{_REGISTERED})(?!\w)", re.IGNORECASE)
_CO_RE = re.compile(r"\W*(?:co|company)\W*", re.IGNORECASE)
# What names no one in particular: registered forms, "CO." and a bracketed letter ("(M)").
_NO_NAME_RE = re.compile(rf"\b(?:{_REGISTERED}|co|company)\b\.?|\(\s*[A-Z]\s*\)", re.IGNORECASE)


def _name_words(text: str) -> list[str]:
    """The words of three letters or more left once legal forms and "(M)" are taken out."""
    return re.findall(r"[A-Za-z]{3,}", _LEGAL_RE.sub(" ", re.sub(r"\(\s*[A-Z]\s*\)", " ", text)))


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _is_annotation(text: str) -> bool:
    """Handwritten or stamped notes above the print: lower-case words only."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.islower() for c in letters)


def fix_legal_form(text: str) -> str:
    for rx, rep in _LEGAL_FIXES:
        text = rx.sub(rep, text)
    return text


def _header_lines(lines: Sequence[RuleLine], limit: int = 14) -> list[int]:
    """Indices of the first lines that may name the seller (notes, titles and noise skipped)."""
    out = []
    for i, ln in enumerate(lines[:limit]):
        t = ln.text
        if _letters(t) < 3 or _is_annotation(t) or _TITLE_RE.match(t) or ln.confidence < 0.55:
            continue
        out.append(i)
    return out


def vendor_rule(lines: Sequence[RuleLine]) -> tuple[RuleAnswer | None, int]:
    """The seller's name and the index of its last line (-1 when none)."""
    heads = _header_lines(lines)
    if not heads:
        return None, -1
    first = heads[0]
    # A legal form within the first few header lines marks the registered name (a logo line may precede it).
    chosen = first
    for i in heads[:4]:
        if _STOP_RE.search(lines[i].text) and i != first:
            break
        if _STRONG_LEGAL_RE.search(fix_legal_form(lines[i].text)):
            chosen = i
            break
    if _STOP_RE.search(lines[chosen].text) and not _LEGAL_RE.search(lines[chosen].text):
        return None, -1
    if _address_line(lines[chosen].text) and not _LEGAL_RE.search(lines[chosen].text):
        return None, -1  # the name's lines lost to OCR: the header starts with the address ("U13, 40170 SHAH ALAM,")
    last = chosen
    printed = fix_legal_form(lines[chosen].text)
    text = _OWNER_RE.sub("", printed)
    owned = text != printed  # "OWNED BY: ..." names the company that runs the shop whose brand is above
    first_line = chosen
    continued = bool(_CONTINUED_RE.match(text))
    if chosen != first and chosen - 1 in heads and not owned and (continued or len(_name_words(text)) <= 1):
        prev = lines[chosen - 1].text
        if not _STOP_RE.search(prev) and not _REG_RE.match(prev) and not _OWNER_RE.fullmatch(prev):
            text, first_line = f"{fix_legal_form(prev)} {text}", chosen - 1
    # A name broken over two lines: the legal form alone on the next line ("SINNATHAMBY HOLDINGS" / "SDN. BHD.").
    nxt = chosen + 1
    if nxt < len(lines) and not _REGISTERED_RE.search(text):
        nt = fix_legal_form(lines[nxt].text)
        m = _LEGAL_RE.match(nt.strip(" .,"))
        if m and len(nt.strip(" .,")) <= 16 and (not _LEGAL_RE.search(text) or _REGISTERED_RE.match(nt.strip(" .,"))):
            text, last = f"{text} {nt}", nxt
    text = _TRAILING_REG_RE.sub("", text)
    forms = list(_STRONG_LEGAL_RE.finditer(text))
    if forms and re.search(r"\w", text[forms[-1].end() :]):
        tail, form = text[forms[-1].end() :], forms[-1].group(0)
        if not (_CO_RE.fullmatch(tail) and not _REGISTERED_RE.fullmatch(form)):  # "SAM SAM TRADING CO"
            text = text[: forms[-1].end()]  # what follows a legal form is a branch code, registration or speck
    strength = 0.8 if _LEGAL_RE.search(text) else 0.55
    if len(re.findall(r"\w", _NO_NAME_RE.sub(" ", text))) < 2:
        return None, last  # a legal form alone ("CO. (M) SDN BHD", its brand line lost) names no one
    ln = lines[first_line]
    ids = tuple(i for k in range(first_line, last + 1) for i in lines[k].token_ids)
    return RuleAnswer(text.strip(), text, ln.page, ids, strength * min(1.0, ln.confidence + 0.15)), last


_REG_ANY = re.compile(
    r"\b(?:c[o0](?:[mn]pany)?\.?\s*-?\s*(?:reg|no)|reg(?:istration)?\.?\s*no|roc\s*no|business\s+reg|brn)\b|"
    r"\(\s*no\.?\s*[\dA-Z]*\d{4,}-?[A-Z]?\s*\)",
    re.IGNORECASE,
)
_ADDRESS_START = re.compile(
    r"^\W*(?:no\b|no\.|lot\b|unit\b|level\b|lvl\b|block\b|blk\b|jalan\b|jln\b|suite\b|ground\b|\d)", re.IGNORECASE
)
_ADDRESS_WORD = re.compile(
    r"\b(?:jalan|jln|taman|tmn|lot|flr|floor|level|block|blk|lorong|persiaran|lebuh|road|rd|street|st|avenue|ave)\b",
    re.IGNORECASE,
)
_TAX_REG = re.compile(r"\b(?:gst|sst|tax)\s*(?:reg|res|id|no)", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<![\w-])\d{5}(?![\w-])")  # not a lot number ("PT15944", "12345-A")
# What a short line below the postcode may be and still belong to the address: a place or country without
# numbers ("MALAYSIA", "(TESCO PUTRA NILAI)"), or a branch's number and place ("1237-TMN INDAH PERDANA").
_AFTER_POSTCODE = re.compile(r"^\W*(?:\d{3,4}\s?-\s?)?[^\W\d_][^\d]*$")
_NOT_PLACE = re.compile(
    r"\b(?:number|no|receipt|invoice|chit|cashier|counter|table|order|bill|member|tel|fax|phone)\b", re.IGNORECASE
)
"""Words of a label, not of a place: "PREPAY CHIT NUMBER" below the postcode is not the address's last line."""
_PREAMBLE = re.compile(
    r"^\W*(?:formerly|previously|licensee|franchisee|a\s+member\s+of|a\s+subsidiary|(?:owned|operated|managed)\b)",
    re.IGNORECASE,
)
"""A line about the company, not its address ("formerly known as", "Licensee of McDonald's")."""
_LABELLED_NUMBER = re.compile(r"^\W*([^\W\d_][^\W\d_ .]*)\.?\s*:\s*[\w-]*\d[\w-]*\W*$")
"""A label and a number on a line of their own ("Site: 1046"), above the address."""
_PLACE_LABEL = re.compile(
    r"^(?:pt|ptd|hs|geran|lot|plot|stall|gerai|kiosk|unit|no|block|blok|blk|level|lvl|suite|shop|lorong|jalan|jln|"
    r"taman|tmn|kg|kampung|batu|bt|km|house|floor|flr|alamat|address)$",
    re.IGNORECASE,
)
"""Labels of a number that is part of an address ("PT: 5678", "Stall: 12")."""
_COMPANY_NUMBER = re.compile(r"(?<![\w-])\d{5,12}\s?-\s?[A-Z](?![\w.-])")
"""A Malaysian company number ("801580-T", "360671-D"), however its label was misread."""
_LAND_TITLE = re.compile(r"\b(?:pt|ptd|hs\s*\(?[dm]\)?|geran|lot)\b", re.IGNORECASE)
_STATE_WORDS = """johor kedah kelantan melaka malacca negeri sembilan pahang penang pulau pinang perak perlis sabah
sarawak selangor terengganu kuala lumpur putrajaya labuan wilayah persekutuan darul ehsan takzim aman makmur naim
khusus ridzuan iman malaysia singapore"""
_STATES = frozenset(_STATE_WORDS.split())
"""Words of the states and federal territories of Malaysia (with their honorifics) and the countries that follow
the place on a receipt's address: what may continue a place line that ends in a comma."""


def _company_number_line(text: str) -> bool:
    """A line that gives the company number, with its label or alone ("Co- ai: 360671-D", "( 801580-T j")."""
    m = _COMPANY_NUMBER.search(text)
    if m is None or _ADDRESS_WORD.search(text) or _LAND_TITLE.search(text):
        return False
    rest = text[: m.start()] + text[m.end() :]
    return _letters(rest) <= 2 or (":" in text[: m.start()] and _letters(text[m.end() :]) <= 2)


def _labelled_number_line(text: str) -> bool:
    """A label and a number alone on a line that is not part of an address ("Site: 1046", not "PT: 5678,")."""
    m = _LABELLED_NUMBER.match(text)
    return m is not None and not _PLACE_LABEL.match(m.group(1))


def _a_state(text: str) -> bool:
    """A line that names a state, a federal territory or a country, and nothing else."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return bool(words) and all(w in _STATES for w in words)


def _address_line(text: str) -> bool:
    """A line of an address by its postcode, with a comma or an address word beside it."""
    return bool(_POSTCODE.search(text)) and ("," in text or bool(_ADDRESS_WORD.search(text)))


def address_rule(lines: Sequence[RuleLine], after: int, max_lines: int = 5) -> RuleAnswer | None:
    """The address block under the seller's name: registration numbers, branch names and stray dates before it
    are passed over; it ends at the phone, tax or registration line, or one short line after the postcode."""
    if after < 0:
        return None
    parts: list[RuleLine] = []
    window = list(lines[after + 1 : after + 1 + max_lines + 4])
    postcode_at = -1
    for k, ln in enumerate(window):
        t = ln.text.strip()
        before = not parts and (
            find_dates(t)
            or ln.confidence < 0.5
            or _TAX_REG.search(t)
            or _STRONG_LEGAL_RE.search(fix_legal_form(t))
            or _PREAMBLE.match(t)
            or _labelled_number_line(t)
            or _company_number_line(t)
        )
        if _REG_ANY.search(t) or _REG_RE.match(t) or before:
            if parts and not _REG_ANY.search(t[:3]):
                break
            continue
        if (
            _STOP_RE.search(t)
            or _TITLE_RE.match(t)
            or find_dates(t)
            or (_letters(t) < 2 and not re.search(r"\d{2}", t))
        ):
            break
        if postcode_at >= 0:
            place = len(t.split()) <= 5 and len(t) <= 40 and _AFTER_POSTCODE.match(t) and not _NOT_PLACE.search(t)
            if place and ln.confidence >= 0.2 and (len(parts) - postcode_at == 1 or _a_state(t)):
                parts.append(ln)
                if t.endswith(",") and len(parts) - postcode_at == 2 and len(parts) < max_lines:
                    continue  # "CAMERON HIGHLANDS," goes on to its state on the next line
            break
        branch = not _ADDRESS_START.match(t) and not _ADDRESS_WORD.search(t) and not re.search(r"\d{2}", t)
        if not parts and branch and any(_ADDRESS_START.match(n.text) for n in window[k + 1 : k + 3]):
            continue
        parts.append(ln)
        if _POSTCODE.search(t):
            postcode_at = len(parts) - 1
        if len(parts) == max_lines:
            break
    if not parts:
        return None
    text = " ".join(p.text.strip() for p in parts)
    strength = 0.75 if postcode_at >= 0 else 0.45
    conf = sum(p.confidence for p in parts) / len(parts)
    ids = tuple(i for p in parts for i in p.token_ids)
    return RuleAnswer(text, text, parts[0].page, ids, strength * min(1.0, conf + 0.15))


def amounts_in(text: str, loose: bool = False) -> list[Decimal]:
    """Amounts printed on a line, OCR letter-for-digit slips mended ("6O.30", "RM60,30"); ``loose`` also reads
    a line ending in a split amount ("73. 00", "10 00")."""
    fixed = re.sub(
        r"(?<=\d)[OoDIl|SB](?=[\d.,])|(?<=[\d.,])[OoDIl|SB](?=\d|\b)|§(?=\d)",
        lambda m: m.group(0).translate(_OCR_DIGITS),
        text,
    )
    out = [Decimal(re.sub(r"\D", "", m.group(1)) + "." + m.group(2)) for m in _AMOUNT_RE.finditer(fixed)]
    if not out:  # whole amounts only on a line without any amount with decimals ("TOTAL 12.61 SAVED $1")
        out = [Decimal(m.group(1).replace(",", "")) for m in _WHOLE_AMOUNT_RE.finditer(fixed)]
    tail = _LOOSE_AMOUNT_RE.search(fixed) if loose else None
    if tail is not None:
        value = Decimal(f"{tail.group(1)}.{tail.group(2)}" if tail.group(1) else f"{tail.group(3)}.{tail.group(4)}0")
        if not out or out[-1] != value:
            out.append(value)
    return out


ROUNDING_STEP = Decimal("0.05")
"""Cash sales are rounded to this step (Malaysia, and others since their smallest coins went): a receipt may
print the total before rounding, the adjustment, and the rounded total that was paid."""


def _rounded(amount: Decimal) -> bool:
    return amount % ROUNDING_STEP == 0


def total_rule(lines: Sequence[RuleLine]) -> RuleAnswer | None:
    """The amount of the sale: the final labelled total, checked against cash paid minus change.

    Where the sale was rounded, the total is the rounded amount: one printed on a "Rounding" line next to the
    total, or the total plus a printed adjustment, or cash paid minus change when that is within one rounding
    step of the labelled total.
    """
    labelled: list[tuple[int, int, Decimal]] = []  # (priority, line index, amount)
    cash: Decimal | None = None
    cash_at = 0
    change: Decimal | None = None
    adjustment: Decimal | None = None
    rounded_sale = False
    parts: list[tuple[int, Decimal]] = []  # (line index, amount) of subtotals and tax lines
    summary_at = len(lines)
    for i, ln in enumerate(lines):
        t = ln.text
        if labelled and _SUMMARY.search(t):
            summary_at = i
            break
        amts = amounts_in(t, loose=True)
        rounded_sale = rounded_sale or bool(_ROUNDING_RE.search(t))
        if amts and _PART.search(t) and not _TAX_INCLUDED.search(t) and not _LAST_DIGIT_LOST.search(t):
            parts.append((i, amts[-1]))
        if _CHANGE_RE.match(t) and amts:
            change = amts[-1]
            continue
        if _CASH_RE.match(t) and amts and cash is None:
            cash, cash_at = amts[-1], i
            continue
        if _ROUNDING_RE.search(t) and not (_TOTAL_WORD.search(t) or _DUE_RE.search(t)) and amts:
            rounding = amts[-1]
            if rounding < ROUNDING_STEP:
                adjustment = rounding
            elif labelled and _rounded(rounding) and abs(rounding - labelled[-1][2]) < ROUNDING_STEP:
                labelled.append((3, i, rounding))  # "Rounding 42.35" under "Total 42.33"
            continue
        if not (_TOTAL_WORD.search(t) or _DUE_RE.search(t)) or _NOT_TOTAL.search(t) or _TAX_INCLUDED.search(t):
            continue
        amount = amts[-1] if amts else None
        if amount is None and i + 1 < len(lines):
            nxt = amounts_in(lines[i + 1].text)
            if nxt and not _letters(re.sub(r"RM|rm", "", lines[i + 1].text)) > 3:
                amount = nxt[-1]
        if amount is None:
            continue
        prio = 3 if _FINAL_TOTAL.search(t) else 2 if _MAIN_TOTAL.search(t) else 1
        labelled.append((prio, i, amount))
    paid = cash - change if cash is not None and change is not None and cash >= change else None
    best = max(labelled, key=lambda r: (r[0], r[1])) if labelled else None
    sums = _sums_of_parts([p for p in parts if best is None or p[0] < best[1]])
    if paid is not None:
        for _p, i, amount in labelled:
            if amount == paid:
                return _amount_answer(lines[i], amount, 0.95)
        summed = sums | _summary_sums(lines[summary_at:])
        # the labelled total that the parts or the tax summary add up to outweighs a misread cash line, unless the
        # cash is that total rounded (a rounded cash sale)
        total_adds_up = (
            best is not None and best[2] in summed and paid not in summed and abs(paid - best[2]) >= ROUNDING_STEP
        )
        if change == 0 and paid > 0 and labelled and not total_adds_up:
            # paid exactly: the amount tendered is the total, however the total line was misread
            return _amount_answer(lines[cash_at], paid, 0.6)
    if best is not None:
        printed = best[2]
        if printed not in sums and not rounded_sale and paid is None:
            slips = [q for q in sums if _one_digit_apart(printed, q)]
            if len(slips) == 1:
                # "TOTAL 11.66" under "Sub Total 10.94" and "GST 0.66": a digit of the total misread
                return _amount_answer(lines[best[1]], slips[0], 0.7)
        if not _rounded(printed) and best[0] < 3:
            if adjustment is not None:
                fits = [a for a in (printed + adjustment, printed - adjustment) if _rounded(a)]
                if len(fits) == 1:
                    return _amount_answer(lines[best[1]], fits[0], 0.8)
            if paid is not None and _rounded(paid) and abs(paid - printed) < ROUNDING_STEP:
                return _amount_answer(lines[best[1]], paid, 0.8)
        strength = 0.8 if best[0] >= 2 or len({a for _p, _i, a in labelled}) == 1 else 0.6
        return _amount_answer(lines[best[1]], printed, strength)
    if paid is not None and paid > 0:
        for ln in lines:
            if paid in amounts_in(ln.text):
                return _amount_answer(ln, paid, 0.6)
        return RuleAnswer(format_amount(paid), "", lines[0].page, (), 0.4)
    if parts:
        # no total label could be read: the amount below the parts that they add up to
        for ln in lines[max(i for i, _a in parts) + 1 :]:
            found = [a for a in amounts_in(ln.text, loose=True) if a in sums]
            if found:
                return _amount_answer(ln, found[-1], 0.6)
    return None


def _sums_of_parts(parts: Sequence[tuple[int, Decimal]]) -> set[Decimal]:
    """What two of a receipt's parts (subtotal, tax, supplies at each rate) add up to."""
    return {a + b for k, (_i, a) in enumerate(parts) for _j, b in parts[k + 1 :]}


def _summary_sums(lines: Sequence[RuleLine]) -> set[Decimal]:
    """What the tax summary's lines add up to: each line's amount plus its tax ("SR 6.00 16.98 1.02")."""
    out = set()
    for ln in lines:
        amts = amounts_in(ln.text)
        if len(amts) >= 2:
            out.add(amts[-2] + amts[-1])
    return out


def _one_digit_apart(a: Decimal, b: Decimal) -> bool:
    """Whether two amounts differ in one printed digit only (an OCR slip: "11.66" for "11.60")."""
    x, y = format_amount(a), format_amount(b)
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) == 1


def _amount_answer(ln: RuleLine, amount: Decimal, strength: float) -> RuleAnswer:
    return RuleAnswer(format_amount(amount), ln.text, ln.page, ln.token_ids, strength * min(1.0, ln.confidence + 0.15))


_DATE_LABEL = re.compile(
    # or one letter misread, before a colon and a number ("Dare: 18/09/2017"), though not a rate
    r"\b(?:date|tarikh|dated|dt)\b|\b(?!rate)(?:[a-z]ate|d[a-z]te|da[a-z]e|dat[a-z])\s?:\s*\d",
    re.IGNORECASE,
)
GUESSED = 3
"""Rank of a date whose month had a digit guessed: below a labelled date (0), one with a time (1) or any (2)."""
LAST_RESORT = 4
"""Rank of a date read with a separator lost ("2703/2018"), tried only when no other date is found."""
_TIME = re.compile(r"\b\d{1,2}\s?:\s?\d{2}\b")
# A day-first date whose separators OCR read as "1" or "7", or split by a space: "10103/2018", "21-03- 2018",
# "6/172018" (6/1/2018).
_FUZZY_DATE = re.compile(r"(?<!\d)(\d{1,2})\s?([/\-.]|[17])\s?(\d{1,2})\s?([/\-.]|[17])\s?(20\d{2})(?!\d)")


_ONE_SEPARATOR_DATE = re.compile(
    r"(?<![\d/.-])(\d{2})(\d{2})[/\-.](20\d{2})(?!\d)|(?<![\d/.-])(\d{2})[/\-.](\d{2})(20\d{2})(?!\d)"
)
# Both separators lost ("27032018 No. : CS-20242"): a word of eight digits, day, month and a year of this century.
_NO_SEPARATOR_DATE = re.compile(r"(?<![\w/.-])(\d{2})(\d{2})(20[0-3]\d)(?![\w/.-])")


def _fuzzy_dates(text: str) -> list[tuple[str, bool]]:
    """Day-first dates with misread separators, each with whether a digit of its month had to be guessed."""
    out = []
    for m in _FUZZY_DATE.finditer(text):
        if m.group(2) in "17" and m.group(4) in "17":
            continue
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(5))
        guessed = month > 12
        if guessed:
            # a month's first digit misread ("18/69/2017"): a month ending in 3-9 can only be 03-09, one ending in
            # 0 only 10; one ending in 1 or 2 could be 01/11 or 02/12 and is left unread
            if month % 10 in (1, 2):
                continue
            month = month % 10 or 10
        with contextlib.suppress(ValueError):
            out.append((date(year, month, day).isoformat(), guessed))
    return out


def date_rule(lines: Sequence[RuleLine]) -> RuleAnswer | None:
    """The date of the sale, day first: a labelled date, else one printed with a time, else the first one."""
    found: list[tuple[int, int, str]] = []
    for i, ln in enumerate(lines):
        text = re.sub(r"(?<=\d)[Oo](?=\d)|(?<=\d)[Oo](?=[-/.])|(?<=[-/.])[Oo](?=\d)", "0", ln.text)
        rank = 0 if _DATE_LABEL.search(text) else 1 if _TIME.search(text) else 2
        isos = [(iso, rank) for _s, _e, iso in find_dates(text)]
        if not isos and rank < 2:
            # a guessed month ranks below every date read as printed
            isos = [(iso, GUESSED if guessed else rank) for iso, guessed in _fuzzy_dates(text)]
        found.extend((r, i, iso) for iso, r in isos if "2000" <= iso[:4] <= "2039")
    if not found:
        # last resort: one separator lost to OCR ("2703/2018"), or both ("27032018")
        for i, ln in enumerate(lines):
            for m in _ONE_SEPARATOR_DATE.finditer(ln.text):
                day, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
                with contextlib.suppress(ValueError):
                    when = date(int(m.group(3) or m.group(6)), int(month), int(day))
                    found.append((LAST_RESORT, i, when.isoformat()))
            for m in _NO_SEPARATOR_DATE.finditer(ln.text):
                with contextlib.suppress(ValueError):
                    when = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                    found.append((LAST_RESORT + 1, i, when.isoformat()))
    if not found:
        return None
    best = min(found)
    same = sum(1 for f in found if f[2] == best[2])
    strength = 0.9 if same == len(found) else 0.75 if best[0] < 2 else 0.6
    if best[0] >= GUESSED:
        strength = 0.5
    ln = lines[best[1]]
    return RuleAnswer(best[2], ln.text, ln.page, ln.token_ids, strength * min(1.0, ln.confidence + 0.15))


def receipt_answers(doc: Document) -> dict[str, RuleAnswer]:
    """The rules' answers for a receipt's seller, address, total and date (fields without one are left out)."""
    lines = receipt_lines(doc)
    out: dict[str, RuleAnswer] = {}
    vendor, last = vendor_rule(lines)
    if vendor is not None:
        out["vendor_name"] = vendor
    address = address_rule(lines, last)
    if address is not None:
        out["vendor_address"] = address
    total = total_rule(lines)
    if total is not None:
        out["total_amount"] = total
    when = date_rule(lines)
    if when is not None:
        out["invoice_date"] = when
    return out
