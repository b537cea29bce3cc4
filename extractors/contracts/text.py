"""The document's text as one string, with every character mapped back to the token it came from.

Patterns run over plain text; a match is only useful to the clerk if it can be shown on the page. ``DocText``
joins tokens with single spaces and lines with newlines, pages with a form feed, and keeps for every character
the (page, token) it belongs to, so any character span gives its tokens, page and box.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from extractors.document import Document, Page
from extractors.geometry import BBox

PAGE_BREAK = "\n\f\n"


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the document text resolved to the tokens it covers, on the page holding most of them."""

    start: int
    end: int
    text: str
    page: int | None
    token_ids: tuple[int, ...]
    bbox_pt: BBox | None


class DocText:
    """Plain text of a document with a char-offset -> (page, token index) map.

    ``owner[i]`` is ``-1`` for separator characters, otherwise an index into ``refs`` whose entries are
    ``(page_index, token_index)``.
    """

    def __init__(self, doc: Document) -> None:
        parts: list[str] = []
        owner: list[int] = []
        refs: list[tuple[int, int]] = []
        page_starts: list[int] = []
        pos = 0
        for page_no, page in enumerate(doc.pages):
            if page_no:
                parts.append(PAGE_BREAK)
                owner.extend([-1] * len(PAGE_BREAK))
                pos += len(PAGE_BREAK)
            page_starts.append(pos)
            for line_no, token_ids in enumerate(_page_lines(page)):
                if line_no:
                    parts.append("\n")
                    owner.append(-1)
                    pos += 1
                for k, tid in enumerate(token_ids):
                    text = page.tokens[tid].text
                    if not text:
                        continue
                    if k:
                        parts.append(" ")
                        owner.append(-1)
                        pos += 1
                    parts.append(text)
                    owner.extend([len(refs)] * len(text))
                    refs.append((page.index if page.index >= 0 else page_no, tid))
                    pos += len(text)
        self.doc = doc
        self.text = "".join(parts)
        self.owner = owner
        self.refs = refs
        self.page_starts = page_starts
        self._page_by_index = {(p.index if p.index >= 0 else i): p for i, p in enumerate(doc.pages)}

    def page(self, index: int) -> Page:
        """The page whose :attr:`Page.index` is ``index``."""
        return self._page_by_index[index]

    def page_of(self, offset: int) -> int:
        """The page number a character offset falls on."""
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
        return page

    def span(self, start: int, end: int) -> Span:
        """Resolve ``text[start:end]`` (whitespace trimmed) to its tokens and the box they cover."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        seen: list[int] = []
        for i in range(start, end):
            ref = self.owner[i]
            if ref >= 0 and (not seen or seen[-1] != ref):
                seen.append(ref)
        if not seen:
            return Span(start, end, self.text[start:end], None, (), None)
        pages = Counter(self.refs[r][0] for r in seen)
        page_no = pages.most_common(1)[0][0]
        token_ids = tuple(dict.fromkeys(self.refs[r][1] for r in seen if self.refs[r][0] == page_no))
        page = self._page_by_index[page_no]
        box = BBox.union_of(page.tokens[t].bbox_pt for t in token_ids)
        return Span(start, end, self.text[start:end], page_no, token_ids, box)


def _page_lines(page: Page) -> list[tuple[int, ...]]:
    """Token indices per line: the page's lines if the reader made them, else rows of tokens by their boxes."""
    if page.lines:
        return [line.token_ids for line in page.lines]
    rows: list[list[int]] = []
    last: BBox | None = None
    for i, tok in enumerate(page.tokens):
        box = tok.bbox_pt
        same_row = (
            last is not None
            and box.x0 >= last.x0 - 1
            and abs(box.center[1] - last.center[1]) < 0.5 * max(box.height, 1.0)
        )
        if rows and same_row:
            rows[-1].append(i)
        else:
            rows.append([i])
        last = box
    return [tuple(r) for r in rows]
