from __future__ import annotations

from extractors.document import Block, Line, Page, Token
from extractors.geometry import BBox


def _page() -> Page:
    words = [
        ("Invoice", 50, 50, 95, 60),
        ("No.", 97, 50, 115, 60),
        ("4711", 120, 50, 145, 60),
        ("Total", 50, 80, 80, 90),
    ]
    tokens = tuple(
        Token(text=t, bbox_pt=BBox(x0, y0, x1, y1), page=0, confidence=0.9, index=i)
        for i, (t, x0, y0, x1, y1) in enumerate(words)
    )
    lines = (Line((0, 1, 2), BBox(50, 50, 145, 60)), Line((3,), BBox(50, 80, 80, 90)))
    blocks = (Block((0, 1), BBox(50, 50, 145, 90)),)
    return Page(index=0, width_pt=595, height_pt=842, tokens=tokens, lines=lines, blocks=blocks)


def test_page_text_follows_lines() -> None:
    assert _page().text() == "Invoice No. 4711\nTotal"


def test_tokens_in_box_and_at_point() -> None:
    page = _page()
    assert [t.text for t in page.tokens_in(BBox(100, 45, 150, 65))] == ["No.", "4711"]
    hit = page.token_at(130, 55)
    assert hit is not None and hit.text == "4711"
    assert page.token_at(300, 300) is None


def test_layout_is_layoutparser_structure() -> None:
    import layoutparser as lp

    page = _page()
    lines = page.layout("line")
    assert isinstance(lines, lp.Layout)
    assert [b.text for b in lines] == ["Invoice No. 4711", "Total"]
    words = page.layout("word")
    assert len(words) == 4 and words[2].text == "4711"
    assert words[2].coordinates == (120, 50, 145, 60)
    blocks = page.layout("block")
    assert blocks[0].text == "Invoice No. 4711\nTotal"
