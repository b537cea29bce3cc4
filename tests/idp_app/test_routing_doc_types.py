"""Which rules apply to which document type: vendor rules for invoices and receipts, value limit for contracts."""

from __future__ import annotations

from pathlib import Path

from fake_extractors import write_doc
from test_routing import KNOWN, LINES, NOT_SAMPLED, POLICY, REQUIRED, codes, fields

from extractors.results import FieldValue
from idp_app.domain import DocumentStatus, ReviewState
from idp_app.services import Workspace
from idp_app.services.routing import RoutingPolicy, VendorFacts, check_rules, field_review, route

CONTRACT_REQUIRED = {"parties": True, "effective_date": True}
UNKNOWN = VendorFacts(known=False)
SUSPICIOUS = VendorFacts(known=True, vendor_name="ACME GmbH", iban_on_file="GB29NWBK60161331926819", duplicate_of=3)


def contract(conf: float = 0.99, **values: str | None) -> dict[str, FieldValue]:
    base: dict[str, str | None] = {
        "parties": "ACME GmbH; Beta AG",
        "effective_date": "2024-01-01",
        "governing_law": "German law",
        "contract_value": "5000.00",
    }
    base.update(values)
    return {k: FieldValue(k, v, v or "", conf if v else 0.0) for k, v in base.items()}


def test_a_clean_contract_is_not_checked_against_the_vendor_register() -> None:
    decision = route(contract(), [], UNKNOWN, POLICY, NOT_SAMPLED, CONTRACT_REQUIRED, "contract")
    assert not decision.needs_review, decision.reasons
    assert check_rules(contract(), [], SUSPICIOUS, POLICY, "contract") == []


def test_a_contract_is_routed_by_confidence_with_every_reason() -> None:
    f = contract(effective_date=None)
    f["governing_law"] = FieldValue("governing_law", "German law", "German law", 0.4)
    decision = route(f, [], UNKNOWN, POLICY, NOT_SAMPLED, CONTRACT_REQUIRED, "contract")
    assert decision.needs_review
    assert sorted(codes(decision.reasons)) == ["low_confidence", "missing_field"]
    assert not any("vendor" in r.message or "register" in r.message for r in decision.reasons)


def test_a_contract_that_expires_before_it_takes_effect_fails() -> None:
    reasons = check_rules(contract(expiration_date="2023-12-31"), [], UNKNOWN, POLICY, "contract")
    assert codes(reasons) == ["date_order"]
    assert set(reasons[0].fields) == {"effective_date", "expiration_date"}
    review = field_review(contract(expiration_date="2023-12-31"), [], UNKNOWN, POLICY, CONTRACT_REQUIRED, "contract")
    assert review.states["expiration_date"] is ReviewState.ERROR
    assert check_rules(contract(expiration_date="2026-12-31"), [], UNKNOWN, POLICY, "contract") == []


def test_contract_value_above_the_limit() -> None:
    reasons = check_rules(contract(contract_value="250000.00"), [], UNKNOWN, POLICY, "contract")
    assert codes(reasons) == ["value_above_limit"]
    assert reasons[0].fields == ("contract_value",) and "250000.00" in reasons[0].message
    assert not reasons[0].blocks_approval
    higher = RoutingPolicy.from_dict({"rules": {"max_contract_value": "500000"}})
    assert check_rules(contract(contract_value="250000.00"), [], UNKNOWN, higher, "contract") == []
    review = field_review(contract(contract_value="250000.00"), [], UNKNOWN, POLICY, CONTRACT_REQUIRED, "contract")
    assert review.states["contract_value"] is ReviewState.OK  # sent to a clerk, but the value is not wrong


def test_receipts_and_untyped_documents_keep_the_vendor_rules() -> None:
    for doc_type in ("invoice", "receipt", None):
        assert codes(check_rules(fields(), LINES, UNKNOWN, POLICY, doc_type)) == ["unknown_vendor"]
        assert codes(check_rules(fields(), LINES, SUSPICIOUS, POLICY, doc_type)) == [
            "iban_changed",
            "duplicate_invoice",
        ]
    assert codes(check_rules(fields(), LINES, UNKNOWN, POLICY, "other")) == []


def test_a_missing_vendor_name_is_said_plainly() -> None:
    decision = route(fields(vendor_name=None), LINES, UNKNOWN, POLICY, NOT_SAMPLED, REQUIRED, "invoice")
    by_code = {r.code: r.message for r in decision.reasons}
    assert by_code["missing_field"] == "vendor_name was not found"
    assert by_code["unknown_vendor"] == "vendor name not found, so the vendor cannot be checked against the register"
    assert "(no name)" not in " ".join(by_code.values())
    named = check_rules(fields(vendor_name="Beta AG"), LINES, UNKNOWN, POLICY, "invoice")
    assert named[0].message == "vendor Beta AG is not in the register"
    assert check_rules(fields(vendor_name=None), LINES, KNOWN, POLICY, "invoice") == []


def test_an_ingested_contract_has_no_vendor_reason_and_can_be_approved(ws: Workspace, inbox: Path) -> None:
    data = {
        "doc_type": "contract",
        "fields": {
            "parties": ["ACME GmbH; Beta AG", 0.99],
            "effective_date": ["2024-01-01", 0.99],
            "contract_value": ["250000.00", 0.99],
            "governing_law": ["German law", 0.5],
        },
    }
    write_doc(inbox, "contract.json", data)
    ws.ingest.ingest([inbox], workers=0)
    (item,) = ws.queue.list()
    assert sorted(item.reason_codes) == ["low_confidence", "value_above_limit"]
    assert not any("vendor" in m for m in item.reasons)
    ws.queue.claim(item.id, "clerk")
    doc = ws.documents.get(item.id)
    assert [r.code for r in doc.failed_rules] == ["value_above_limit"]
    ws.review.approve(item.id, "clerk")  # no blocking rule: a clerk may approve it
    assert ws.documents.get(item.id).status is DocumentStatus.APPROVED
