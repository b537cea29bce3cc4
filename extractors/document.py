"""The document model every reader produces: Document -> Page -> Token, with lines and blocks.

All geometry is in PDF points, origin top-left, per page (see :mod:`extractors.geometry`).
Lines and blocks can be viewed as layoutparser structures with :meth:`Page.layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from extractors.geometry import BBox

if TYPE_CHECKING:
    import layoutparser as lp


class TokenSource(StrEnum):
    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    EINVOICE = "einvoice"


class DocumentType(StrEnum):
    INVOICE = "invoice"
    RECEIPT = "receipt"
    CONTRACT = "contract"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Token:
    """One word on a page, with its box and how sure the reader is of its text (1.0 for a text layer)."""

    text: str
    bbox_pt: BBox
    page: int
    confidence: float = 1.0
    source: TokenSource = TokenSource.TEXT_LAYER
    font_size_pt: float | None = None
    bold: bool = False
    index: int = -1
    """Position of the token in its page's reading order; -1 until the page assigns it."""


@dataclass(frozen=True, slots=True)
class Line:
    """Tokens that share a baseline, left to right. ``token_ids`` index into :attr:`Page.tokens`."""

    token_ids: tuple[int, ...]
    bbox_pt: BBox


@dataclass(frozen=True, slots=True)
class Block:
    """Lines that belong together (a paragraph, an address, a table region). ``line_ids`` index into Page.lines."""

    line_ids: tuple[int, ...]
    bbox_pt: BBox
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its size in points, its tokens in reading order, and their lines and blocks."""

    index: int
    width_pt: float
    height_pt: float
    tokens: tuple[Token, ...] = ()
    lines: tuple[Line, ...] = ()
    blocks: tuple[Block, ...] = ()
    rotation: int = 0
    source: TokenSource = TokenSource.TEXT_LAYER
    image_dpi: float | None = None
    """For OCRed pages, the resolution the page image was read at."""
    skew_deg: float = 0.0
    """For OCRed pages, the skew the clean-up corrected."""
    upright_turn: int = 0
    """Clockwise degrees (0, 90, 180, 270) the page as rendered from its file is turned to stand upright: a scan
    fed in sideways or upside down. The page's size and every box are those of the upright page."""

    @property
    def bbox_pt(self) -> BBox:
        return BBox(0.0, 0.0, self.width_pt, self.height_pt)

    def line_text(self, line: Line) -> str:
        return " ".join(self.tokens[i].text for i in line.token_ids)

    def text(self) -> str:
        """The page's text, one layout line per text line."""
        if self.lines:
            return "\n".join(self.line_text(line) for line in self.lines)
        return " ".join(t.text for t in self.tokens)

    def tokens_in(self, box: BBox, min_overlap: float = 0.5) -> list[Token]:
        """Tokens whose box lies at least ``min_overlap`` inside ``box``, in reading order."""
        return [t for t in self.tokens if t.bbox_pt.overlap_ratio(box) >= min_overlap]

    def token_at(self, x_pt: float, y_pt: float) -> Token | None:
        for t in self.tokens:
            if t.bbox_pt.contains_point(x_pt, y_pt):
                return t
        return None

    def layout(self, level: str = "line") -> lp.Layout:
        """The page as a layoutparser ``Layout`` of ``TextBlock`` at ``level`` word, line or block."""
        import layoutparser as lp

        def text_block(box: BBox, text: str, kind: str, ident: int, score: float | None) -> Any:
            rect = lp.Rectangle(box.x0, box.y0, box.x1, box.y1)
            return lp.TextBlock(rect, text=text, id=ident, type=kind, score=score)

        blocks: list[Any] = []
        if level == "word":
            for i, t in enumerate(self.tokens):
                blocks.append(text_block(t.bbox_pt, t.text, "word", i, t.confidence))
        elif level == "line":
            for i, line in enumerate(self.lines):
                conf = min((self.tokens[j].confidence for j in line.token_ids), default=1.0)
                blocks.append(text_block(line.bbox_pt, self.line_text(line), "line", i, conf))
        elif level == "block":
            for i, block in enumerate(self.blocks):
                text = "\n".join(self.line_text(self.lines[j]) for j in block.line_ids)
                blocks.append(text_block(block.bbox_pt, text, block.kind, i, None))
        else:
            raise ValueError(f"unknown layout level {level!r}: word, line or block")
        return lp.Layout(blocks, page_data={"index": self.index, "width": self.width_pt, "height": self.height_pt})


@dataclass(frozen=True, slots=True)
class Document:
    """A read document: its pages, and anything a reader found beside the page text."""

    path: str
    pages: tuple[Page, ...]
    mime_type: str
    sha256: str = ""
    einvoice_xml: bytes | None = None
    """The Factur-X / ZUGFeRD / XRechnung / UBL XML embedded in (or making up) the document, if any."""
    warnings: tuple[str, ...] = ()
    timing_ms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def all_tokens(self) -> list[Token]:
        return [t for p in self.pages for t in p.tokens]

    def text(self) -> str:
        return "\n\f".join(p.text() for p in self.pages)
