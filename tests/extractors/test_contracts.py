"""Contract field extraction on small contracts drawn with reportlab and read back through the PDF reader."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext
from extractors.contracts import CONTRACT_FIELDS, extract_contract_fields
from extractors.document import Document, Page
from extractors.geometry import BBox
from extractors.readers import read_document
from extractors.results import FieldValue

CTX = ExtractionContext(use_einvoice=False)

NDA_PAGES = [
    [
        "MUTUAL NON-DISCLOSURE AGREEMENT",
        "",
        'This Mutual Non-Disclosure Agreement (the "Agreement") is entered into as of March 5, 2021',
        'by and between Acme Widgets, Inc., a Delaware corporation ("Acme"), and Globex Trading Ltd.,',
        'a company registered in England ("Globex"). Each is a "Party".',
        "",
        "1. Confidential Information. Each Party may disclose information to the other Party.",
        "2. Term. This Agreement shall remain in effect for a period of two (2) years from the",
        "Effective Date and shall renew automatically for successive periods of one (1) year.",
        "3. Termination. Either Party may terminate this Agreement upon thirty (30) days' prior",
        "written notice to the other Party.",
        "4. Fees. The Recipient shall pay a total contract value of USD 25,000.00 for the services.",
    ],
    [
        "5. Remedies. Each Party acknowledges that damages may not be an adequate remedy.",
        "6. Governing Law. This Agreement shall be governed by and construed in accordance with",
        "the laws of the State of New York, without regard to its conflict of laws principles.",
        "",
        "IN WITNESS WHEREOF, the Parties have executed this Agreement as of the date first written above.",
        "",
        "ACME WIDGETS, INC.",
        "By: /s/ Jane Roe",
        "Title: Chief Executive Officer",
        "",
        "GLOBEX TRADING LTD.",
        "By: /s/ John Doe",
        "Title: Director",
    ],
]


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Draw each page's lines top to bottom in 10 pt Helvetica."""
    c = canvas.Canvas(str(path), pagesize=LETTER)
    for lines in pages:
        y = LETTER[1] - 72
        for line in lines:
            c.setFont("Helvetica", 10)
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


def read_pdf(tmp_path: Path, pages: list[list[str]], name: str = "contract.pdf") -> Document:
    return read_document(write_pdf(tmp_path / name, pages), CTX)


@pytest.fixture(scope="module")
def nda(tmp_path_factory: pytest.TempPathFactory) -> tuple[Document, dict[str, FieldValue], list[str]]:
    doc = read_pdf(tmp_path_factory.mktemp("nda"), NDA_PAGES)
    fields, warnings = extract_contract_fields(doc, CTX)
    return doc, fields, warnings


def words_in(page: Page, box: BBox, words: list[str]) -> bool:
    """Whether each of ``words`` is printed on ``page`` as a token lying inside ``box``."""
    for word in words:
        hits = [t for t in page.tokens if t.text.strip(",.;:()\"'") == word]
        if not any(t.bbox_pt.overlap_ratio(box.expanded(0.5)) > 0.99 for t in hits):
            return False
    return True


def test_every_contract_field_is_returned(nda: tuple[Document, dict[str, FieldValue], list[str]]) -> None:
    _, fields, warnings = nda
    assert set(fields) == set(CONTRACT_FIELDS)
    assert warnings == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("parties", ("Acme Widgets Inc.", "Globex Trading Ltd.")),
        ("effective_date", "2021-03-05"),
        ("term", "2 years"),
        ("renewal_term", "1 year"),
        ("notice_period", "30 days"),
        ("governing_law", "New York"),
        ("contract_value", "25000.00"),
        ("currency", "USD"),
    ],
)
def test_values_of_a_plain_nda(
    nda: tuple[Document, dict[str, FieldValue], list[str]], name: str, value: str | tuple[str, ...]
) -> None:
    _, fields, _ = nda
    assert fields[name].value == value
    assert fields[name].confidence >= 0.5
    assert fields[name].evidence


def test_the_currency_is_the_one_printed_with_the_value_and_as_sure(
    nda: tuple[Document, dict[str, FieldValue], list[str]],
) -> None:
    _, fields, _ = nda
    value, currency = fields["contract_value"], fields["currency"]
    assert (currency.confidence, currency.page, currency.bbox_pt) == (value.confidence, value.page, value.bbox_pt)


@pytest.mark.parametrize(("printed", "code"), [("€295,700.00", "EUR"), ("£1,500", "GBP"), ("CHF 12,000.00", "CHF")])
def test_a_contract_value_in_other_currencies(tmp_path: Path, printed: str, code: str) -> None:
    pages = [[*NDA_PAGES[0][:-1], f"4. Fees. The Recipient shall pay a total contract value of {printed}."]]
    fields, _ = extract_contract_fields(read_pdf(tmp_path, pages), CTX)
    assert fields["currency"].value == code


def test_no_value_no_currency(tmp_path: Path) -> None:
    fields, _ = extract_contract_fields(read_pdf(tmp_path, [NDA_PAGES[0][:-1]]), CTX)
    assert fields["contract_value"].value is None
    assert fields["currency"].value is None
    assert fields["currency"].confidence == fields["contract_value"].confidence


def test_expiration_date_is_not_invented(nda: tuple[Document, dict[str, FieldValue], list[str]]) -> None:
    _, fields, _ = nda
    assert fields["expiration_date"].value is None


@pytest.mark.parametrize(
    ("name", "page", "words"),
    [
        ("governing_law", 1, ["New", "York"]),
        ("effective_date", 0, ["March", "5", "2021"]),
        ("term", 0, ["two", "(2)", "years"]),
        ("notice_period", 0, ["thirty", "(30)", "days'"]),
        ("parties", 0, ["Acme", "Widgets", "Globex", "Trading", "Ltd"]),
    ],
)
def test_boxes_cover_the_printed_value(
    nda: tuple[Document, dict[str, FieldValue], list[str]], name: str, page: int, words: list[str]
) -> None:
    doc, fields, _ = nda
    fv = fields[name]
    assert fv.page == page
    assert fv.bbox_pt is not None
    assert words_in(doc.pages[page], fv.bbox_pt, [w.strip("'(),") or w for w in words])
    tokens = [doc.pages[page].tokens[i] for i in fv.token_ids]
    assert fv.bbox_pt == BBox.union_of(t.bbox_pt for t in tokens)


def test_printed_text_comes_from_the_value_tokens(nda: tuple[Document, dict[str, FieldValue], list[str]]) -> None:
    doc, fields, _ = nda
    fv = fields["governing_law"]
    assert fv.text == "New York"
    assert [doc.pages[1].tokens[i].text.rstrip(",") for i in fv.token_ids] == ["New", "York"]


def test_a_party_list_box_spans_both_names(nda: tuple[Document, dict[str, FieldValue], list[str]]) -> None:
    doc, fields, _ = nda
    fv = fields["parties"]
    assert fv.bbox_pt is not None
    texts = {doc.pages[0].tokens[i].text.strip(",") for i in fv.token_ids}
    assert {"Acme", "Widgets", "Globex", "Trading"} <= texts
    assert "Delaware" not in texts


def test_alternatives_are_at_most_three_and_less_confident(
    nda: tuple[Document, dict[str, FieldValue], list[str]],
) -> None:
    _, fields, _ = nda
    for fv in fields.values():
        assert len(fv.alternatives) <= 3
        if fv.found:
            assert all(a.confidence <= fv.confidence for a in fv.alternatives)


def test_a_document_without_contract_clauses_finds_nothing(tmp_path: Path) -> None:
    memo = [
        [
            "Weekly team memo",
            "Please remember to water the plants on Friday and to bring cake for the meeting.",
            "The printer on the second floor is out of toner; a new cartridge has been ordered.",
            "Parking spaces 4 and 5 are reserved for visitors this week.",
        ]
    ]
    fields, _ = extract_contract_fields(read_pdf(tmp_path, memo), CTX)
    assert all(fv.value is None for fv in fields.values())
    for name in ("parties", "governing_law", "effective_date"):
        assert fields[name].confidence < 0.35
        assert fields[name].bbox_pt is None


def test_a_document_with_no_text_warns(tmp_path: Path) -> None:
    doc = Document(str(tmp_path / "blank.pdf"), (Page(0, 612.0, 792.0),), "application/pdf")
    fields, warnings = extract_contract_fields(doc, CTX)
    assert warnings and "no text" in warnings[0]
    assert not any(fv.found for fv in fields.values())


def test_day_of_dates_english_law_and_signature_parties(tmp_path: Path) -> None:
    pages = [
        [
            "CONFIDENTIALITY AGREEMENT",
            "THIS AGREEMENT is made this 6th day of January, 2012 between NORTHWIND TRADERS LIMITED",
            '("Northwind") and Contoso Pharma GmbH ("Contoso").',
            "The obligations of confidentiality shall continue for thirty-six months.",
        ],
        [
            "This Agreement shall be governed by the laws of England and Wales.",
            "Signed for and on behalf of the Parties.",
        ],
    ]
    fields, _ = extract_contract_fields(read_pdf(tmp_path, pages), CTX)
    assert fields["effective_date"].value == "2012-01-06"
    assert fields["parties"].value == ("Northwind Traders Limited", "Contoso Pharma GmbH")
    assert fields["governing_law"].value == "England and Wales"
    assert fields["governing_law"].page == 1


def test_numeric_dates_are_read_day_first_when_the_document_says_so(tmp_path: Path) -> None:
    pages = [
        [
            "SERVICE AGREEMENT dated as of 03/05/2022 between Alpha Systems LLC and Beta Labs Inc.",
            "Invoices issued on 25/05/2022 are payable within thirty days.",
            "This Agreement is governed by German law.",
        ]
    ]
    fields, _ = extract_contract_fields(read_pdf(tmp_path, pages), CTX)
    assert fields["effective_date"].value == "2022-05-03"
    assert fields["governing_law"].value == "Germany"
    assert fields["parties"].value == ("Alpha Systems LLC", "Beta Labs Inc.")


@pytest.mark.parametrize(
    ("address", "effective"),
    [
        ("Acme Widgets Ltd, 1 King Street, London EC2V 8AU", "2023-05-03"),
        ("Acme Widgets Inc., 100 Congress Avenue, Austin, TX 78701", "2023-03-05"),
        ("Acme Widgets Inc., 100 Congress Avenue, Austin, Texas 78701, and its affiliates", "2023-03-05"),
        ("Acme Widgets Inc., a Delaware corporation", "2023-03-05"),
        ("Acme Widgets Ltd, registered in England, VAT GB 574 1082 06, Austin, TX 78701", "2023-05-03"),
    ],
)
def test_without_a_governing_law_numeric_dates_are_day_first_unless_the_parties_are_american(
    tmp_path: Path, address: str, effective: str
) -> None:
    pages = [
        [
            "NON-DISCLOSURE AGREEMENT entered into as of 03/05/2023 by and between Acme Widgets Ltd and Globex GmbH.",
            address,
            "The term of this Agreement is two (2) years.",
        ]
    ]
    fields, _ = extract_contract_fields(read_pdf(tmp_path, pages), CTX)
    assert fields["governing_law"].value is None
    assert fields["effective_date"].value == effective


def test_kleister_governing_law_on_a_few_real_ndas(shared_data: Path) -> None:
    import json

    truth_file = shared_data / "kleister-nda" / "truth.jsonl"
    if not truth_file.is_file():
        pytest.skip("Kleister-NDA not present")
    rows = [json.loads(line) for line in truth_file.read_text(encoding="utf-8").splitlines()[:2]]
    for row in rows:
        doc = read_document(shared_data / "kleister-nda" / row["file"], CTX)
        fields, _ = extract_contract_fields(doc, CTX)
        law = fields["governing_law"]
        assert law.value == row["fields"]["governing_law"]
        assert law.page is not None and law.bbox_pt is not None
        printed = " ".join(doc.pages[law.page].tokens[i].text for i in law.token_ids)
        assert str(law.value).split()[0] in printed


def test_the_box_comes_from_the_governing_law_clause_not_an_earlier_mention(tmp_path: Path) -> None:
    pages = [
        [
            "SUPPLY AGREEMENT between Kronberg Handel AG, a company organised under the laws of Germany,",
            "and Solaris Maschinenbau GmbH, a company organised under the laws of Germany.",
        ],
        ["12. This Agreement shall be governed by the laws of Germany."],
    ]
    doc = read_pdf(tmp_path, pages)
    fields, _ = extract_contract_fields(doc, CTX)
    law = fields["governing_law"]
    assert law.value == "Germany"
    assert law.page == 1
    assert law.bbox_pt is not None
    assert words_in(doc.pages[1], law.bbox_pt, ["Germany"])
    assert "label: 'governed by the laws of'" in law.evidence


def test_doc_text_maps_spans_to_tokens_without_reader_lines() -> None:
    from extractors.contracts.text import DocText
    from extractors.document import Token

    def tok(text: str, x: float, y: float, page: int) -> Token:
        return Token(text, BBox(x, y, x + 8 * len(text), y + 10), page)

    p0 = Page(0, 612.0, 792.0, (tok("governed", 72, 100, 0), tok("by", 150, 100, 0), tok("Texas", 72, 120, 0)))
    p1 = Page(1, 612.0, 792.0, (tok("law.", 72, 100, 1),))
    dt = DocText(Document("x.pdf", (p0, p1), "application/pdf"))
    assert dt.text.startswith("governed by\nTexas")
    start = dt.text.index("by")
    span = dt.span(start, dt.text.index("law.") + 4)
    assert span.page == 0
    assert span.token_ids == (1, 2)
    assert span.bbox_pt == BBox(72, 100, 166, 130)
    assert dt.page_of(dt.text.index("law.")) == 1
    empty = dt.span(dt.text.index("\n"), dt.text.index("\n") + 1)
    assert empty.page is None and empty.bbox_pt is None


def test_fields_from_an_ocr_page_say_so() -> None:
    from extractors.document import Token, TokenSource

    words = ["This", "Agreement", "is", "governed", "by", "the", "laws", "of", "the", "State", "of", "Texas", "."]
    tokens = tuple(
        Token(w, BBox(72 + 40 * i, 100, 110 + 40 * i, 110), 0, confidence=0.9, source=TokenSource.OCR)
        for i, w in enumerate(words)
    )
    page = Page(0, 612.0, 792.0, tokens, source=TokenSource.OCR, image_dpi=300)
    fields, _ = extract_contract_fields(Document("scan.pdf", (page,), "application/pdf"), CTX)
    law = fields["governing_law"]
    assert law.value == "Texas"
    assert law.source == TokenSource.OCR
    assert law.token_ids == (words.index("Texas"),)


def test_a_field_added_to_the_contract_schema_is_extracted_without_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extractors.pipeline as pipeline
    from extractors.contracts.scoring import load_scorer
    from extractors.fields.schema import FieldSpec, ValueType, load_schema
    from extractors.pipeline import load_model

    shipped = load_schema("contract")
    added = FieldSpec("project_code", ValueType.IDENTIFIER, {"en": ("project code",)})
    with_added = replace(shipped, fields=(*shipped.fields, added))
    monkeypatch.setattr(pipeline, "load_schema", lambda doc_type: with_added if doc_type == "contract" else None)
    pages = [[*NDA_PAGES[0], "5. Project code: PX-4471"], NDA_PAGES[1]]
    result = pipeline.extract_document(read_pdf(tmp_path, pages), CTX)
    assert str(result.doc_type) == "contract"
    got = result.fields["project_code"]
    assert got.value == "PX-4471"
    assert got.page == 0 and got.bbox_pt is not None
    assert result.fields["governing_law"].value == "New York"  # the contract fields are still its own extractor's
    scorer = load_scorer().version
    assert result.model_version == f"{scorer}+{load_model(None).version}"  # and both models are named
    monkeypatch.undo()
    assert pipeline.extract_document(read_pdf(tmp_path, pages), CTX).model_version == scorer
