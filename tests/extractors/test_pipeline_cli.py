"""`idp extract` end to end: JSON per document, one error line per bad file, the exit status; and the
pipeline on generated invoices compared with the generator's truth (the golden values)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.context import ExtractionContext
from extractors.document import DocumentType

pytest.importorskip("extractors.readers")
samples = pytest.importorskip("idp_app.samples.corpus")

from extractors.evaluation import TruthRecord, score_document  # noqa: E402
from extractors.pipeline import extract  # noqa: E402
from idp_app.cli import app  # noqa: E402

GOLDEN_FIELDS = ("invoice_number", "invoice_date", "total_amount", "net_amount", "tax_amount", "currency")


@pytest.fixture(scope="module")
def invoices(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, object]]]:
    out = tmp_path_factory.mktemp("invoices")
    made = []
    for seed, layout in ((11, None), (12, None), (13, None)):
        path = out / f"inv{seed}.pdf"
        truth = samples.make_invoice(path, seed=seed, layout=layout)
        made.append((path, truth.fields))
    return made


def test_generated_invoices_match_their_truth(invoices: list[tuple[Path, dict[str, object]]]) -> None:
    ctx = ExtractionContext(use_einvoice=False)
    for path, truth in invoices:
        result = extract(path, ctx)
        assert result.doc_type == DocumentType.INVOICE
        record = TruthRecord(path.name, path, "invoice", {k: truth[k] for k in GOLDEN_FIELDS if truth.get(k)})
        outcomes = score_document(record, result.to_json())
        wrong = [(o.name, o.truth, o.predicted) for o in outcomes if not o.correct]
        assert not wrong, f"{path.name}: {wrong}"
        for name in GOLDEN_FIELDS:
            fv = result.fields[name]
            if fv.found:
                assert fv.bbox_pt is not None and fv.page is not None and 0 <= fv.page < result.page_count
                assert 0.0 < fv.confidence <= 1.0
                assert len(fv.alternatives) <= 3


def test_fields_a_generated_invoice_does_not_print_are_reported_missing_with_a_high_confidence(
    invoices: list[tuple[Path, dict[str, object]]],
) -> None:
    """A field reported missing carries the chance that the document prints none; these print none."""
    ctx = ExtractionContext(use_einvoice=False)
    missing = []
    for path, truth in invoices:
        result = extract(path, ctx)
        missing += [fv for fv in result.fields.values() if fv.value is None and not truth.get(fv.name)]
    assert len(missing) >= 3
    for fv in missing:  # each more likely absent than not; most with no doubt
        assert fv.confidence > 0.5, (fv.name, fv.confidence)
    assert sum(fv.confidence for fv in missing) / len(missing) >= 0.85


def test_bad_files_get_one_line_each_and_the_rest_is_printed(
    invoices: list[tuple[Path, dict[str, object]]], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not a pdf body")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    good = invoices[0][0]
    runner = CliRunner()
    res = runner.invoke(app, ["extract", "--no-einvoice", str(bad), str(good), str(empty), str(tmp_path / "none.pdf")])
    assert res.exit_code != 0
    out_lines = [line for line in res.stdout.splitlines() if line.strip()]
    assert len(out_lines) == 1
    data = json.loads(out_lines[0])
    assert data["file"] == str(good) and "total" in data["timing_ms"]
    assert set(data["fields"]) >= set(GOLDEN_FIELDS)
    err_lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err_lines) == 3
    assert all(line.startswith("error [") for line in err_lines)
    assert "Traceback" not in res.stderr


def test_a_damaged_pdf_is_one_line_on_stderr_outside_the_test_runner_too(tmp_path: Path) -> None:
    """Without pytest's logging capture, pypdf's own warnings ("EOF marker not found") would reach stderr."""
    bad = tmp_path / "corrupt.pdf"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n")
    code = "import sys; from idp_app.cli import main; sys.argv = ['idp', 'extract', sys.argv[1]]; main()"
    done = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 12 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error [corrupt_file] {bad}: cannot open the PDF")


def test_all_good_files_exit_zero(invoices: list[tuple[Path, dict[str, object]]]) -> None:
    res = CliRunner().invoke(app, ["extract", str(invoices[1][0]), "--format", "table"])
    assert res.exit_code == 0, res.stderr
    assert "total_amount" in res.stdout
