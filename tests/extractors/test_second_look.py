"""The second look: a required field missing or doubtful on a scanned page is looked for on the page read again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from extractors.context import ExtractionContext
from extractors.document import Document, DocumentType, Page
from extractors.pipeline import DOUBTFUL_BELOW, READ_AGAIN, READ_SPARSE, _kept_of_two, _second_look, extract_document
from extractors.readers import read_document, read_page_again
from extractors.readers.layout import assemble_page
from extractors.results import FieldValue
from tests.extractors.test_readers_docs import draw_scan, text_pdf

pytestmark = pytest.mark.slow

RECEIPT_LINES = (
    ("CORNER SHOP SDN BHD", 60, 60),
    ("12 Jalan Mawar, Kuala Lumpur", 60, 90),
    ("Receipt No. 88213", 60, 130),
    ("Date: 14/03/2024", 60, 160),
    ("Total RM 15.50", 60, 220),
)
CTX = ExtractionContext(ocr_languages="eng", ocr_dpi=200)


def _scan(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.png"
    Image.fromarray(draw_scan(RECEIPT_LINES, dpi=200, page_pt=(400, 260))).save(path, dpi=(200, 200))
    return path


def _without_line(doc: Document, word: str) -> Document:
    """The document as if the first read had lost the line holding ``word``."""
    page = doc.pages[0]
    lost = next(ln for ln in page.lines if any(word in page.tokens[i].text for i in ln.token_ids))
    kept = [t for i, t in enumerate(page.tokens) if i not in lost.token_ids]
    again = assemble_page(page.index, page.width_pt, page.height_pt, kept, source=page.source, image_dpi=page.image_dpi)
    return replace(doc, pages=(again,))


def test_a_date_line_the_first_read_lost_is_found_on_the_page_read_again(tmp_path: Path) -> None:
    path = _scan(tmp_path)
    full = read_document(path, CTX)
    assert extract_document(full, CTX).fields["invoice_date"].value == "2024-03-14"
    date_box = next(t.bbox_pt for t in full.pages[0].tokens if "2024" in t.text)

    lost = _without_line(full, "2024")
    assert "2024" not in lost.text()
    without = extract_document(lost, replace(CTX, second_look=False))
    assert without.fields["invoice_date"].value is None

    result = extract_document(lost, CTX)
    date = result.fields["invoice_date"]
    assert date.value == "2024-03-14"
    assert READ_AGAIN in date.evidence
    assert date.page == 0 and date.bbox_pt is not None and date.bbox_pt.overlap_ratio(date_box) > 0.5
    assert date.token_ids == ()  # those tokens are not the document's
    assert "second_look" in result.timing_ms
    # fields the first read found as surely keep their value and their tokens
    assert result.fields["total_amount"].value == without.fields["total_amount"].value == "15.50"
    assert result.fields["total_amount"].token_ids == without.fields["total_amount"].token_ids


def test_a_receipt_whose_number_the_first_read_lost_is_read_again(tmp_path: Path) -> None:
    """A receipt may be approved without a number (not required), but most print one (expected): its loss is a
    sign of a bad read."""
    lost = _without_line(read_document(_scan(tmp_path), CTX), "88213")
    receipt = DocumentType.RECEIPT
    assert (
        extract_document(lost, replace(CTX, second_look=False), doc_type=receipt).fields["invoice_number"].value is None
    )
    result = extract_document(lost, CTX, doc_type=receipt)
    assert "second_look" in result.timing_ms
    number = result.fields["invoice_number"]
    assert number.value == "88213" and READ_AGAIN in number.evidence


def test_a_value_both_reads_agree_on_keeps_its_tokens_and_the_higher_confidence(tmp_path: Path) -> None:
    lost = _without_line(read_document(_scan(tmp_path), CTX), "2024")
    page = lost.pages[0]
    unsure = tuple(replace(t, confidence=0.2) if "15.50" in t.text else t for t in page.tokens)
    lost = replace(lost, pages=(replace(page, tokens=unsure),))
    first = extract_document(lost, replace(CTX, second_look=False)).fields["total_amount"]
    assert first.value == "15.50"
    total = extract_document(lost, CTX).fields["total_amount"]
    assert total.value == "15.50" and total.confidence > first.confidence
    assert total.token_ids == first.token_ids and READ_AGAIN not in total.evidence


def test_two_readings_that_differ_lower_the_kept_one_by_its_rival() -> None:
    assert _kept_of_two(0.98, 0.0) == pytest.approx(0.98)
    assert _kept_of_two(0.98, 0.85) == pytest.approx(0.98 * 0.15 / (1 - 0.98 * 0.85))  # about 0.88
    assert _kept_of_two(0.98, 0.85) < _kept_of_two(0.98, 0.3) < 0.98
    assert _kept_of_two(0.6, 0.6) == pytest.approx(0.375)  # an even contest leaves neither likely


def test_a_doubtful_field_sends_the_page_for_a_second_look_and_a_sure_one_does_not(tmp_path: Path) -> None:
    doc = read_document(_scan(tmp_path), CTX)
    once = replace(CTX, second_look=False)
    first = extract_document(doc, once).fields
    required = ["vendor_name", "invoice_date", "total_amount"]
    assert first["total_amount"].value == "15.50"

    def misread(confidence: float) -> dict[str, FieldValue]:
        """The first read's fields, but its total misread as 15.80 with the given confidence."""
        total = replace(first["total_amount"], value="15.80", text="15.80", confidence=confidence)
        return {**first, "total_amount": total}

    def again(d: Document) -> dict[str, FieldValue]:
        return extract_document(d, once).fields

    timing: dict[str, float] = {}
    fields = _second_look(doc, CTX, misread(DOUBTFUL_BELOW - 0.2), required, again, [], timing)
    total = fields["total_amount"]
    assert total.value == "15.50" and READ_AGAIN in total.evidence
    assert "second_look" in timing
    read_again = again(replace(doc, pages=(read_page_again(Path(doc.path), doc.pages[0], CTX),)))["total_amount"]
    assert total.confidence == pytest.approx(_kept_of_two(read_again.confidence, DOUBTFUL_BELOW - 0.2))
    rival = total.alternatives[0]  # the clerk's drop-down offers what the first read saw
    assert rival.value == "15.80" and rival.confidence == pytest.approx(
        _kept_of_two(DOUBTFUL_BELOW - 0.2, read_again.confidence)
    )

    sure: dict[str, float] = {}
    assert all(first[n].confidence >= DOUBTFUL_BELOW for n in required if n != "total_amount")
    fields = _second_look(doc, CTX, misread(DOUBTFUL_BELOW + 0.2), required, again, [], sure)
    assert fields["total_amount"].value == "15.80" and "second_look" not in sure


def test_no_second_look_for_a_text_layer_or_a_file_that_is_gone_or_changed(tmp_path: Path) -> None:
    pdf = text_pdf(tmp_path / "inv.pdf", pages=((("ACME Supplies GmbH", 72, 90), ("Total EUR 12.00", 72, 200)),))
    result = extract_document(read_document(pdf, CTX), CTX)
    assert result.fields["invoice_date"].value is None
    assert "second_look" not in result.timing_ms

    path = _scan(tmp_path)
    lost = _without_line(read_document(path, CTX), "2024")
    path.unlink()
    gone = extract_document(lost, CTX)
    assert gone.fields["invoice_date"].value is None
    assert "second_look" not in gone.timing_ms

    # another scan saved under the same name is not this document: its date must not be taken
    other = [(text.replace("14/03/2024", "02/01/2019"), x, y) for text, x, y in RECEIPT_LINES]
    Image.fromarray(draw_scan(other, dpi=200, page_pt=(400, 260))).save(path, dpi=(200, 200))
    changed = extract_document(lost, CTX)
    assert changed.fields["invoice_date"].value is None
    assert any("file has changed" in w for w in changed.warnings)


def test_a_date_the_block_read_also_misses_is_looked_for_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extractors.readers as readers

    path = _scan(tmp_path)
    lost = _without_line(read_document(path, CTX), "2024")
    real = readers.read_page_again
    psms: list[int] = []

    def block_read_loses_the_date(p: Path, page: Page, ctx: ExtractionContext, *, psm: int = 6) -> Page:
        psms.append(psm)
        again = real(p, page, ctx, psm=psm)
        return _without_line(replace(lost, pages=(again,)), "2024").pages[0] if psm == 6 else again

    monkeypatch.setattr(readers, "read_page_again", block_read_loses_the_date)
    result = extract_document(lost, CTX)
    date = result.fields["invoice_date"]
    assert psms == [6, 11]
    assert date.value == "2024-03-14" and READ_SPARSE in date.evidence and READ_AGAIN not in date.evidence
    assert "third_look" in result.timing_ms

    # a doubtful total alone is not read a third time: line by line, totals and names are misread more often
    psms.clear()
    found = extract_document(read_document(path, CTX), replace(CTX, second_look=False)).fields
    unsure_total = {**found, "total_amount": replace(found["total_amount"], confidence=DOUBTFUL_BELOW - 0.2)}
    required = ["vendor_name", "invoice_date", "total_amount"]

    def fields_of(d: Document) -> dict[str, FieldValue]:
        return {
            **extract_document(d, replace(CTX, second_look=False)).fields,
            "total_amount": unsure_total["total_amount"],
        }

    timing: dict[str, float] = {}
    _second_look(read_document(path, CTX), CTX, unsure_total, required, fields_of, [], timing)
    assert psms == [6] and "second_look" in timing and "third_look" not in timing
