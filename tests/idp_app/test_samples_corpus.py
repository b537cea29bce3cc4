"""Sample corpora: the truth file's format (against the shared corpora where present), determinism, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from idp_app.cli import app
from idp_app.samples import SampleError, generate_corpus, read_truth
from idp_app.samples.truth import CONTRACT_FIELDS, INVOICE_FIELDS, LINE_ITEM_COLUMNS

AMOUNT = re.compile(r"\d+\.\d{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMATS = {
    "invoice_date": DATE, "due_date": DATE, "effective_date": DATE, "expiration_date": DATE,
    "net_amount": AMOUNT, "tax_amount": AMOUNT, "total_amount": AMOUNT, "contract_value": AMOUNT,
    "currency": re.compile(r"[A-Z]{3}"), "vendor_iban": re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}"),
    "vendor_vat_id": re.compile(r"[A-Z]{2}[0-9A-Z]{8,12}"), "term": re.compile(r"\d+ (years?|months?)"),
    "renewal_term": re.compile(r"\d+ (years?|months?)"), "notice_period": re.compile(r"\d+ days"),
}  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "samples"
    generate_corpus(out, invoices=8, contracts=3, scanned_share=0.3, seed=21)
    return out


def _lines(corpus: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


def _check_box(entry: dict[str, Any], pages: int, size: list[float]) -> None:
    assert set(entry) == {"page", "bbox_pt", "text"}
    assert 0 <= entry["page"] < pages
    x0, y0, x1, y1 = entry["bbox_pt"]
    assert 0 <= x0 <= x1 <= size[0] + 0.01 and 0 <= y0 <= y1 <= size[1] + 0.01
    assert entry["text"].strip()


def test_truth_lines_follow_the_schema(corpus: Path) -> None:
    lines = _lines(corpus)
    assert len(lines) == 11
    for d in lines:
        assert (corpus / d["file"]).is_file()
        assert d["file"].startswith("docs/")
        assert d["type"] in ("invoice", "contract")
        allowed = INVOICE_FIELDS if d["type"] == "invoice" else CONTRACT_FIELDS
        assert set(d["fields"]) <= set(allowed)
        assert set(d["fields_raw"]) == set(d["fields"])
        for name, value in d["fields"].items():
            if name in FORMATS:
                assert FORMATS[name].fullmatch(value), (name, value)
            if FORMATS.get(name) is DATE:
                dt.date.fromisoformat(value)
        assert isinstance(d["scan"], bool) and isinstance(d["layout"], str) and d["language"] in ("en", "de", "fr")
        for name, entry in d["boxes"].items():
            if name == "line_items":
                assert len(entry) == len(d["line_items"])
                for row in entry:
                    assert set(row) <= set(LINE_ITEM_COLUMNS)
                    for cell in row.values():
                        _check_box(cell, d["pages"], d["page_size_pt"])
            else:
                for item in entry if isinstance(entry, list) else [entry]:
                    _check_box(item, d["pages"], d["page_size_pt"])
        if d["type"] == "invoice":
            assert {"invoice_number", "invoice_date", "total_amount"} <= set(d["boxes"])
            assert all(set(item) == set(LINE_ITEM_COLUMNS) for item in d["line_items"])
        else:
            assert isinstance(d["fields"]["parties"], list) and len(d["fields"]["parties"]) >= 2
        if d["scan"]:
            assert d["scan_params"]["dpi"] in range(150, 301)
            assert abs(d["scan_params"]["rotation_deg"]) <= 3.0
            assert Path(d["file"]).suffix in (".pdf", ".png", ".jpg")
    assert sum(d["scan"] for d in lines) == round(0.3 * 11)


def test_truth_round_trips_through_read_truth(corpus: Path) -> None:
    truths = read_truth(corpus / "truth.jsonl")
    assert [t.to_json() for t in truths] == _lines(corpus)
    assert all(t.seed == 21 for t in truths)


def test_keys_and_value_formats_match_the_shared_corpora(corpus: Path, shared_data: Path) -> None:
    ours = {d["type"]: d for d in _lines(corpus)}
    for folder, kind in (("zugferd", "invoice"), ("invoice2data", "invoice"), ("kleister-nda", "contract")):
        with (shared_data / folder / "truth.jsonl").open(encoding="utf-8") as fh:
            theirs = json.loads(fh.readline())
        mine = ours[kind]
        for key, value in theirs.items():
            if key == "embedded_xml":  # only e-invoices carry XML
                continue
            assert key in mine, f"{folder}: key {key!r} missing"
            assert type(mine[key]) is type(value), f"{folder}: {key} is {type(mine[key])}, theirs {type(value)}"
        for name, value in theirs["fields"].items():
            if name in mine["fields"]:
                assert type(mine["fields"][name]) is type(value)
                if name in FORMATS:
                    assert FORMATS[name].fullmatch(value), f"the shared {name} {value!r} has another format"
        for item in theirs.get("line_items", []):
            assert set(item) <= set(mine["line_items"][0])
            for column in ("quantity", "unit_price", "amount"):
                if column in item:
                    places = len(item[column].split(".")[1])
                    assert len(mine["line_items"][0][column].split(".")[1]) == places


def test_same_seed_same_corpus_other_seed_other_corpus(tmp_path: Path) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    generate_corpus(tmp_path / "a", 3, 1, 0.5, seed=5)
    generate_corpus(tmp_path / "b", 3, 1, 0.5, seed=5)
    generate_corpus(tmp_path / "c", 3, 1, 0.5, seed=6)
    a, b, c = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert a == b
    assert a["truth.jsonl"] != c["truth.jsonl"]
    assert a["docs/inv-0001.pdf"] != c.get("docs/inv-0001.pdf")


@pytest.mark.parametrize(
    ("args", "message"),
    [((-1, 1, 0.0), "negative"), ((0, 0, 0.0), "nothing to generate"), ((1, 0, 1.5), "between 0 and 1")],
)
def test_bad_arguments_are_refused_before_anything_is_written(
    tmp_path: Path, args: tuple[int, int, float], message: str
) -> None:
    with pytest.raises(SampleError, match=message):
        generate_corpus(tmp_path / "out", *args, seed=0)
    assert not (tmp_path / "out").exists()


def test_an_existing_corpus_is_not_overwritten_without_asking(corpus: Path) -> None:
    before = (corpus / "truth.jsonl").read_bytes()
    with pytest.raises(SampleError, match="already holds"):
        generate_corpus(corpus, 1, 0, 0.0, seed=0)
    assert (corpus / "truth.jsonl").read_bytes() == before


def test_cli_writes_a_corpus_and_reports_it(tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = CliRunner().invoke(app, ["samples", str(out), "--invoices", "2", "--contracts", "1", "--scanned", "0",
                                      "--seed", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 3 documents" in result.output
    assert len((out / "truth.jsonl").read_text().splitlines()) == 3
    assert sorted(p.name for p in (out / "docs").iterdir()) == ["con-0001.pdf", "inv-0001.pdf", "inv-0002.pdf"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--scanned", "1.5"], "scanned"), (["--invoices", "-2"], "invoices"), (["--invoices", "0", "--contracts", "0"],
     "nothing to generate")],
)  # fmt: skip
def test_cli_bad_input_prints_one_clear_line(tmp_path: Path, args: list[str], needle: str) -> None:
    result = CliRunner().invoke(app, ["samples", str(tmp_path / "s"), *args])
    assert result.exit_code == (32 if needle == "nothing to generate" else 2)  # bad input; the parser's refusals
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s" / "truth.jsonl").exists()


def test_cli_refuses_an_existing_corpus(corpus: Path) -> None:
    result = CliRunner().invoke(app, ["samples", str(corpus), "--invoices", "1"])
    assert result.exit_code == 32  # bad input, as the exit table has it
    assert "already holds a corpus" in result.output
    assert "Traceback" not in result.output


def test_overwriting_a_corpus_removes_the_documents_it_no_longer_lists(tmp_path: Path) -> None:
    out = tmp_path / "s"
    generate_corpus(out, 4, 0, 1.0, seed=2)
    first = {p.name for p in (out / "docs").iterdir()}
    generate_corpus(out, 2, 0, 0.0, seed=2, overwrite=True)
    assert {p.name for p in (out / "docs").iterdir()} == {"inv-0001.pdf", "inv-0002.pdf"}
    assert len(first) == 4
