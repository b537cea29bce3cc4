"""Contract fields (parties, dates, term, renewal, notice period, governing law, value) with boxes and
calibrated confidence. No database, no Qt.

:func:`extract_contract_fields` is the entry point the pipeline calls for documents classified as contracts;
:func:`evaluate` scores predictions against truth the way Kleister-NDA does.
"""

from extractors.contracts.evaluation import EvaluationReport, evaluate, expected_calibration_error
from extractors.contracts.extract import CONTRACT_FIELDS, extract_contract_fields

__all__ = ["CONTRACT_FIELDS", "EvaluationReport", "evaluate", "expected_calibration_error", "extract_contract_fields"]
