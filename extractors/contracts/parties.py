"""The parties to a contract: names read from the opening clause ("by and between X ... and Y") and from
the signature blocks ("ACME, INC. / By: ..."), cleaned to the name as printed.

Cleaning keeps the printed words but drops commas, descriptors ("a Delaware corporation") and honorifics
("M.D."), and title-cases names printed in capitals ("NIKE, INC." -> "Nike Inc."); "&" and the legal form stay
as printed ("Ltd" or "Ltd.").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from extractors.contracts.candidates import Candidate
from extractors.contracts.text import DocText

COMPANY_SUFFIXES = (
    "Inc.", "Inc", "Incorporated", "LLC", "L.L.C.", "Ltd.", "Ltd", "Limited", "LP", "L.P.", "LLP", "L.L.P.",
    "Corporation", "Corp.", "Corp", "Co.", "Company", "GmbH", "AG", "S.A.", "SA", "N.V.", "NV", "B.V.", "BV",
    "plc", "PLC", "P.L.C.", "N.A.", "S.p.A.", "SpA", "S.A.S.", "SAS", "S.r.l.", "A/S", "AB", "ASA", "Oy", "KG",
    "Pte.", "Pty.", "Trust", "Bancorp", "Holdings", "Group", "Partners", "LTD", "INC", "INC.", "CORP.", "LIMITED",
    "CORPORATION", "COMPANY", "CO.", "GROUP", "HOLDINGS", "PARTNERS", "TRUST",
)  # fmt: skip
_SUFFIX_SET = {s.lower() for s in COMPANY_SUFFIXES}
_COMMA_FOLLOWERS = _SUFFIX_SET | {"jr.", "jr", "sr.", "sr", "ii", "iii", "iv", "m.d.", "ph.d.", "esq.", "d/b/a"}
_DROP_WORDS = {"m.d.", "m.d", "ph.d.", "esq.", "esq", "mr.", "mrs.", "ms.", "dr."}
_KEEP_UPPER = {
    "llc", "l.l.c.", "lp", "l.p.", "llp", "l.l.p.", "plc", "n.a.", "ag", "gmbh", "nv", "n.v.", "bv",
    "b.v.", "sa", "s.a.", "usa", "us", "u.s.", "ii", "iii", "iv", "a/s", "ab", "kg", "spa", "sas",
}  # fmt: skip
_CONNECTORS = {"of", "de", "du", "des", "la", "le", "van", "von", "der", "den", "for", "y", "&", "and", "the"}
_ROLE_WORDS = {
    "company", "employee", "executive", "employer", "recipient", "you", "i", "me", "myself", "we", "us", "party",
    "parties", "undersigned", "the", "disclosing", "receiving", "consultant", "contractor", "buyer", "seller",
    "purchaser", "investor", "director", "agreement", "each", "both", "its", "his", "her", "their", "said",
    "other", "such", "certain", "one", "all", "any", "this", "that", "these", "individual", "corporation",
    "counterparty", "representative", "representatives", "witnesseth", "affiliates", "affiliated", "companies",
    "subsidiaries", "holder", "holders", "stockholder", "stockholders", "member", "members", "distributor",
    "licensee", "licensor", "client", "customer", "vendor", "supplier", "participant", "parent", "bank", "trustee",
}  # fmt: skip
_QUOTES = "“”\"'‘’"

_INTRO_RE = re.compile(
    r"\b(?:by\s+and\s+between|by\s+and\s+among|between|among|amongst)\b[\s\f:]+|\bPARTIES\s*:\s*", re.IGNORECASE
)
_CLAUSE_STOP = re.compile(
    r"\b(?:WHEREAS|RECITALS?|W\s?I\s?T\s?N\s?E\s?S\s?S|BACKGROUND|PRELIMINARY)\b|\n\s*\n"
    r"|\n\s*(?:DATE|ADDRESS|EFFECTIVE DATE|TERM|RE)\s*:"
)
_TOKEN_RE = re.compile(r"\([^()]*\)|[^\s,();]+|[,;]")


_NO_END_WORDS = {"mr", "mrs", "ms", "dr", "st", "no", "jr", "sr", "messrs", "nos", "u.s", "n.a", "s.a"}


def _clause_end(text: str, start: int, limit: int = 900) -> int:
    """Where the sentence that opens at ``start`` ends: a full stop outside parentheses, or a recital heading.

    A full stop after an initial ("J.") or a title ("Mr.") never ends it; after a legal form ("Inc.") it does
    only when a capitalised word that is not another legal form follows.
    """
    end = min(len(text), start + limit)
    stop = _CLAUSE_STOP.search(text, start, end)
    if stop:
        end = stop.start()
    depth = 0
    for i in range(start, end):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c in ".:" and depth == 0 and i + 1 < end and text[i + 1].isspace():
            if c == ":":
                if "PARTIES" in text[max(0, start - 10) : start]:
                    continue
                return i
            word = re.search(r"([\w.&'’-]*)$", text[max(start, i - 12) : i])
            prev = word.group(1).lower() if word else ""
            nxt_m = re.match(r"[\s\f]*([^\s]*)", text[i + 1 : i + 40])
            nxt = nxt_m.group(1) if nxt_m else ""
            if re.fullmatch(r"(?:[a-z]\.)*[a-z]", prev) or prev in _NO_END_WORDS:
                continue
            if nxt.lower().strip(",;") in _SUFFIX_SET or not nxt[:1].isupper():
                continue
            return i
    return end


def _joins_one_name(left: str, right: str, joint: str) -> bool:
    """Whether "X and Y" is one name ("Boston Safe Deposit and Trust Company") rather than two parties:
    a plain "and" between a short left part with no legal form and a right part that ends in one."""
    if "," in joint or ";" in joint:
        return False
    words = left.split()
    if not words or len(words) > 4 or words[-1].lower() in _SUFFIX_SET or ")" in left:
        return False
    head = re.split(r"[,(]", right, maxsplit=1)[0].split()
    return bool(head) and len(head) <= 4 and head[-1].lower() in _SUFFIX_SET and not left.strip().endswith(".")


def _chunks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a parties clause into one stretch per party: after a defined term "(the "Company")", at "and", ";"."""
    pos = start
    depth = 0
    i = start
    while i < end:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
            if depth == 0:
                opened = text.rfind("(", pos, i)
                inner = text[opened : i + 1] if opened >= 0 else ""
                if any(q in inner for q in _QUOTES):
                    yield pos, i + 1
                    pos = i + 1
        elif depth == 0:
            m = re.match(r",?[\s\f]+and[\s\f]+(?=[A-Z0-9“\"(])|;[\s\f]*(?:and[\s\f]+)?", text[i:end])
            if (
                m
                and (c in ",;" or c.isspace())
                and not _joins_one_name(text[pos:i], text[i + m.end() : end], m.group(0))
            ):
                yield pos, i
                pos = i + m.end()
                i = pos
                continue
        i += 1
    if pos < end:
        yield pos, end


def _name_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The leading name in ``text[start:end]``: capitalised words, connectors and legal suffixes."""
    m = re.match(r"[\s\f,;:]*(?:and[\s\f]+)?(?:\(\w{1,3}\)[\s\f]*)?(?:the[\s\f]+)?", text[start:end])
    pos = start + (m.end() if m else 0)
    toks = [(pos + t.start(), pos + t.end(), t.group(0)) for t in _TOKEN_RE.finditer(text[pos:end])]
    taken: list[tuple[int, int, str]] = []
    for k, (s, e, w) in enumerate(toks):
        low = w.lower()
        nxt = toks[k + 1][2] if k + 1 < len(toks) else ""
        if w.startswith("(") or low == "d/b/a" or low in ("f/k/a", "a/k/a", "dba"):
            break
        if w == ",":
            if nxt.lower().rstrip(",") in _COMMA_FOLLOWERS and taken:
                continue
            break
        if w == ";":
            break
        core = w.strip(_QUOTES)
        if not core:
            continue
        if low in _CONNECTORS and low != "and":
            if taken and nxt[:1].isupper():
                taken.append((s, e, w))
                continue
            break
        if core[0].isupper() or core[0].isdigit() or low in _SUFFIX_SET:
            taken.append((s, e, w))
            if len(taken) > 12:
                return None
            continue
        break
    while taken and (taken[-1][2].lower() in _CONNECTORS or taken[-1][2] == ","):
        taken.pop()
    if not taken:
        return None
    return taken[0][0], taken[-1][1]


_ABBREVIATED = frozenset({"inc", "ltd", "corp", "co"})


def _stop_kept(text: str, a: int, b: int) -> int:
    """The end of a name span, taking the full stop printed right after an abbreviated legal form ("Inc." ending a
    sentence): it is the abbreviation's, and a bare "Ltd" stays as printed."""
    words = text[a:b].split()
    return b + 1 if words and words[-1].lower() in _ABBREVIATED and text[b : b + 1] == "." else b


def clean_party_name(raw: str) -> str | None:
    """The printed name without commas, descriptors or honorifics; None if it is a role word ("the Company")."""
    s = re.sub(r"[\s\f]+", " ", raw).strip(" ,;:-" + '“”"')
    last = s.split(" ")[-1] if s else ""
    if s.endswith(".") and not (last.lower() in _COMMA_FOLLOWERS or re.fullmatch(r"(?:[A-Za-z]\.)+", last)):
        s = s.rstrip(".")
    s = re.sub(r"^the\s+", "", s)
    words: list[str] = []
    for w in s.replace(",", " ").split():
        low = w.lower()
        if low in _DROP_WORDS:
            continue
        words.append(w)
    if not words:
        return None
    while len(words) > 1 and words[0].lower().strip(".:") in _ROLE_WORDS and words[0].lower() != "the":
        words = words[1:]
    if all(w.lower().strip(".") in _ROLE_WORDS | _CONNECTORS or re.fullmatch(r"(?i)party-?\w?\d*", w) for w in words):
        return None
    letters = [c for c in "".join(words) if c.isalpha()]
    if len(letters) < 2:
        return None
    shouting = sum(c.isupper() for c in letters) / len(letters) > 0.8
    return " ".join(_title(w) if _capitals(w, 3 if shouting else 4) else w for w in words)


def _capitals(word: str, min_letters: int) -> bool:
    """Whether ``word`` is printed in capitals that title case should soften ("NIKE" yes, "LLC" and "IBM" no)."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= min_letters and all(c.isupper() for c in letters) and word.lower() not in _KEEP_UPPER


def _title(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def intro_candidates(dt: DocText, window: int = 6000) -> Iterator[Candidate]:
    """Party lists from each "between ... and ..." clause near the start of the document."""
    text = dt.text
    limit = min(len(text), window)
    for n, m in enumerate(_INTRO_RE.finditer(text, 0, limit)):
        end = _clause_end(text, m.end())
        names: list[str] = []
        spans: list[tuple[int, int]] = []
        for a, b in _chunks(text, m.end(), end):
            span = _name_span(text, a, b)
            if span is None:
                continue
            name = clean_party_name(text[span[0] : _stop_kept(text, span[0], span[1])])
            if name and not any(_same_party(name, x) or _is_alias(name, x) for x in names):
                names.append(name)
                spans.append(span)
        if not names:
            continue
        head = text[max(0, m.start() - 250) : m.start()].lower()
        kind = "parties_label" if m.group(0).strip().upper().startswith("PARTIES") else "between"
        feats = {
            "offset": m.start() / max(len(text), 1),
            "order": float(n),
            "agreement_before": float(bool(re.search(r"agreement|entered|made|undertaking|letter", head))),
            "count": float(len(names)),
            "two_or_more": float(len(names) >= 2),
            "many": float(len(names) >= 5),
            "suffixes": float(sum(_has_suffix(x) for x in names)),
        }
        yield Candidate(
            "parties",
            tuple(names),
            spans[0][0],
            spans[-1][1],
            kind,
            f"pattern: {m.group(0).strip()} X and Y",
            feats,
            tuple(spans),
        )


def _has_suffix(name: str) -> bool:
    return name.split()[-1].lower() in _SUFFIX_SET


def split_at_company_commas(text: str) -> list[str]:
    """``"ACME GmbH, Beta AG"`` as two names: a comma splits only where a name with a legal form ends before it
    and what follows is a name of its own, not a legal form or title ("Acme, Inc.", "Acme Holdings, Inc.",
    "Smith, John" stay whole)."""
    names: list[str] = []
    for piece in text.split(","):
        words = piece.split()
        follows = bool(words) and words[0].lower() in _COMMA_FOLLOWERS
        if names and names[-1].split() and _has_suffix(names[-1]) and words and not follows:
            names.append(piece.strip())
        elif names:
            names[-1] = f"{names[-1]},{piece}"
        else:
            names.append(piece.strip())
    return [n.strip() for n in names]


_SIG_LINE_STOP = re.compile(r"(?i)\b(?:by|name|title|its|date|address|signature|print)\s*:")
_PERSON_RE = re.compile(r"^(?:[A-Z][a-z]+|[A-Z]\.)(?:[\s\f]+(?:[A-Z][a-z'’\-]+|[A-Z]\.|Jr\.?|Sr\.?|II|III|IV)){1,4}$")


_HARD_SUFFIXES = {
    "inc.", "inc", "incorporated", "llc", "l.l.c.", "ltd.", "ltd", "limited", "lp", "l.p.", "llp", "l.l.p.",
    "corporation", "corp.", "corp", "gmbh", "ag", "s.a.", "n.v.", "b.v.", "plc", "p.l.c.", "n.a.", "asa",
}  # fmt: skip


_SIG_ZONE = re.compile(
    r"IN\s+WITNESS\s+WHEREOF|Very\s+truly\s+yours|Sincerely|(?:ACCEPTED|ACKNOWLEDGED|CONFIRMED|AGREED)"
    r"(?:\s+(?:AND|&)\s+(?:AGREED|ACCEPTED|ACKNOWLEDGED))?(?:\s+TO)?\s*(?:AS\s+OF[^:\n]*)?:",
    re.IGNORECASE,
)


def _companies_in_line(line: str) -> list[tuple[int, int]]:
    """Company names on a signature-block line, split where a legal suffix ends (two-column blocks)."""
    found: list[tuple[int, int]] = []
    toks = [(t.start(), t.end(), t.group(0)) for t in re.finditer(r"[^\s]+", line)]
    begin: int | None = None
    for k, (a, b, w) in enumerate(toks):
        core = w.strip(",:;()")
        low = core.lower()
        if w.endswith(":") or re.fullmatch(r"\(\w{1,3}\)", w):
            begin = None
            continue
        capital = core[:1].isupper() or core[:1].isdigit()
        if begin is None:
            if capital and (low not in _CONNECTORS or low == "the"):
                begin = a
            continue
        if low in _SUFFIX_SET and capital:
            rest = [t[2].strip(",:;()") for t in toks[k + 1 : k + 4]]
            nxt = rest[0].lower() if rest else ""
            soft = low not in _HARD_SUFFIXES
            more = soft and any(r.lower() in _SUFFIX_SET for r in rest[1:]) and all(r[:1].isupper() for r in rest)
            if nxt not in _SUFFIX_SET and not more:
                found.append((begin, b - (len(w) - len(w.rstrip(",:;")))))
                begin = None
        elif not (capital or low in _CONNECTORS):
            begin = None
    covered = sum(b - a for a, b in found)
    if found and covered < 0.6 * len(re.sub(r"[\s_]+", "", line)):
        return []
    return found


def signature_candidates(dt: DocText) -> Iterator[Candidate]:
    """Names from the signature blocks: a company printed above a "By:" line, a person who signs for
    themselves ("/s/ Jane Doe" or a printed name with no "By:" and no title)."""
    text = dt.text
    names: list[str] = []
    spans: list[tuple[int, int]] = []

    def add(a: int, b: int, need_suffix: bool) -> None:
        name = clean_party_name(text[a : _stop_kept(text, a, b)])
        if not name or (need_suffix and not _has_suffix(name)):
            return
        if any(name.upper() == x.upper() for x in names):
            return
        names.append(name)
        spans.append((a, b))

    for by in re.finditer(r"(?m)^[^\n]*?\b(?:By|BY)\s*:", text):
        line_starts = [by.start()]
        for _ in range(3):
            prev = text.rfind("\n", 0, line_starts[-1] - 1)
            line_starts.append(prev + 1 if prev >= 0 else 0)
            if prev < 0:
                break
        for ls in reversed(line_starts[1:]):
            le = text.find("\n", ls)
            line = text[ls : le if le >= 0 else len(text)]
            if _SIG_LINE_STOP.search(line):
                continue
            for a, b in _companies_in_line(line):
                add(ls + a, ls + b, need_suffix=True)
    zone = _SIG_ZONE.search(text)
    if zone:
        ls = text.rfind("\n", 0, zone.start()) + 1
        zone_end = min(len(text), zone.end() + 1500)
        while 0 <= ls < zone_end:
            le = text.find("\n", ls)
            le = le if le >= 0 else len(text)
            line = text[ls:le]
            if not _SIG_LINE_STOP.search(line) and len(line) < 120:
                for a, b in _companies_in_line(line):
                    add(ls + a, ls + b, need_suffix=True)
            ls = le + 1
    for sig in re.finditer(r"(?:/s/|-s-)[\s\f]*([A-Z][A-Za-z.'’\- ]{2,40}?)[\s\f]*(?=\n|/s/|-s-|By:|$)", text):
        before = text[max(0, sig.start() - 40) : sig.start()]
        if re.search(r"(?i)witness", before):
            continue
        before = before[-12:]
        after = text[sig.end() : sig.end() + 120]
        if re.search(r"(?i)by\s*:?\s*$", before) or re.search(r"(?i)^[^\n]*\n?[^\n]*\b(?:title|its)\s*:", after):
            continue
        if re.search(r"(?i)^[\s\f]*\n?[^\n]*\bBy\s*:", after[:40]):
            continue
        if _PERSON_RE.match(sig.group(1).strip()) or sig.group(1).isupper():
            add(sig.start(1), sig.start(1) + len(sig.group(1).rstrip()), need_suffix=False)
    if names:
        feats = {"offset": spans[0][0] / max(len(text), 1), "count": float(len(names))}
        feats["suffixes"] = float(sum(_has_suffix(x) for x in names))
        feats["two_or_more"] = float(len(names) >= 2)
        feats["many"] = float(len(names) >= 5)
        yield Candidate(
            "parties", tuple(names), spans[0][0], spans[-1][1], "signature", "pattern: signature block", feats,
            tuple(spans),
        )  # fmt: skip


def _is_alias(short: str, full: str) -> bool:
    """Whether ``short`` is a defined-term alias of ``full`` (one of its words: "Azz" for "AZZ Inc.")."""
    words = short.upper().split()
    return len(words) == 1 and words[0] in full.upper().replace(",", " ").split()


def _same_party(a: str, b: str) -> bool:
    x, y = a.upper().replace(".", ""), b.upper().replace(".", "")
    return x == y or x.startswith(y + " ") or y.startswith(x + " ")


def party_candidates(dt: DocText) -> Iterator[Candidate]:
    """Every party list the document offers: each opening clause, the signature blocks, and the first
    opening clause completed with the signature names it lacks (letters name the addressee only there)."""
    intro = list(intro_candidates(dt))
    sig = list(signature_candidates(dt))
    yield from intro
    yield from sig
    if not intro or not sig:
        return
    base = intro[0]
    assert isinstance(base.value, tuple) and isinstance(sig[0].value, tuple)
    names, spans = list(base.value), list(base.spans)
    for name, span in zip(sig[0].value, sig[0].spans, strict=True):
        if not any(_same_party(name, x) for x in names):
            names.append(name)
            spans.append(span)
    if len(names) > len(base.value):
        feats = dict(base.features)
        feats["count"] = float(len(names))
        feats["suffixes"] = float(sum(_has_suffix(x) for x in names))
        feats["added"] = float(len(names) - len(base.value))
        feats["two_or_more"] = float(len(names) >= 2)
        feats["many"] = float(len(names) >= 5)
        yield Candidate(
            "parties", tuple(names), base.start, base.end, "between+signature",
            base.evidence + " + signature block", feats, tuple(spans),
        )  # fmt: skip
