"""The vendor register: vendors known from approved documents, matched by VAT id, IBAN or normalised name."""

from __future__ import annotations

import builtins
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from idp_app.db.engine import Database
from idp_app.db.models import Document, Vendor, utcnow
from idp_app.domain import DocumentStatus
from idp_app.services.routing import VendorFacts, normal_iban
from idp_app.services.values import wrong_code

_LEGAL_FORMS = {
    "gmbh", "ag", "kg", "ohg", "ug", "mbh", "co", "ltd", "limited", "inc", "llc", "plc", "corp", "corporation",
    "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "company", "the", "und", "and", "et", "cie",
}  # fmt: skip


def name_key(name: str | None) -> str:
    """A vendor name reduced for matching: accents, case, punctuation and legal forms removed. Letters of every
    script are kept ("Αλφα Εμπορική" is "αλφα εμπορικη", "Łódź" is "łodz", "Straße" is "strasse")."""
    if not name:
        return ""
    text = "".join(c for c in unicodedata.normalize("NFKD", name).casefold() if not unicodedata.combining(c))
    words = [w for w in re.split(r"[\W_]+", text) if w and w not in _LEGAL_FORMS]
    return " ".join(words)


def vat_key(vat: str | None) -> str | None:
    """The VAT id compacted; a Swiss one without its MWST/TVA/IVA marker (stored either way over time)."""
    key = re.sub(r"[^A-Z0-9]", "", vat.upper()) if vat else ""
    return (re.sub(r"(MWST|TVA|IVA)$", "", key) if key.startswith("CHE") else key) or None


@dataclass(frozen=True, slots=True)
class VendorInfo:
    id: int
    name: str
    vat_id: str | None
    iban: str | None
    address: str | None
    documents_count: int


def _info(v: Vendor) -> VendorInfo:
    return VendorInfo(v.id, v.name, v.vat_id, v.iban, v.address, v.documents_count)


def match(session: Session, name: str | None, vat_id: str | None, iban: str | None) -> Vendor | None:
    """The registered vendor with this VAT id, else this normalised name, else this IBAN. A vendor on file with
    another VAT id than the document's is another company ("Chantemerle Analytics GmbH" and "... KG" share a name
    key), not matched by name or IBAN."""
    vat = vat_key(vat_id)
    if vat:
        v = session.execute(select(Vendor).where(Vendor.vat_id == vat).limit(1)).scalar_one_or_none()
        if v is not None:
            return v
    others = (Vendor.vat_id.is_(None) | (Vendor.vat_id == vat)) if vat else None
    key = name_key(name)
    if key:
        stmt = select(Vendor).where(Vendor.name_key == key)
        v = session.execute((stmt if others is None else stmt.where(others)).limit(1)).scalar_one_or_none()
        if v is not None:
            return v
    ib = normal_iban(iban)
    if ib:
        stmt = select(Vendor).where(Vendor.iban == ib)
        return session.execute((stmt if others is None else stmt.where(others)).limit(1)).scalar_one_or_none()
    return None


def _same_vendor(
    vat: str | None, key: str, vendor: Vendor | None, other_vat: str | None, other_key: str, other_vendor: int | None
) -> bool:
    """Whether an earlier document with the same invoice number has this document's vendor: the same VAT id where
    both print one (two VAT ids are two vendors, whatever the names), else the same name or the same registered
    vendor (matched by VAT id, IBAN or name), so that a copy whose VAT id was not read is still found."""
    if vat and other_vat:
        return vat == other_vat
    if key and key == other_key:
        return True
    return vendor is not None and other_vendor is not None and vendor.id == other_vendor


def document_key(name: str | None, vat_id: str | None) -> str | None:
    """What identifies the vendor of a document for duplicate detection: its VAT id, else its name."""
    vat = vat_key(vat_id)
    if vat:
        return f"vat:{vat}"
    key = name_key(name)
    return f"name:{key}" if key else None


_NOT_DUPLICATES = (DocumentStatus.FAILED.value, DocumentStatus.REJECTED.value)


def facts(
    session: Session, doc_id: int, name: str | None, vat_id: str | None, iban: str | None, invoice_number: str | None
) -> tuple[VendorFacts, Vendor | None]:
    """What the register and earlier documents say about this document's vendor."""
    vendor = match(session, name, vat_id, iban)
    duplicate_of = None
    if invoice_number and invoice_number.strip():
        earlier = session.execute(
            select(Document.id, Document.vendor_key, Document.vendor_name, Document.vendor_id)
            .where(
                or_(  # "inv-7" is "INV-7" (the database folds ASCII letters only: exact matches count too)
                    Document.invoice_number == invoice_number,
                    func.upper(func.trim(Document.invoice_number)) == invoice_number.strip().upper(),
                ),
                Document.id != doc_id,
                Document.status.not_in(_NOT_DUPLICATES),
            )
            .order_by(Document.id)
        ).all()
        vat, key = vat_key(vat_id), name_key(name)
        for other_id, other_key, other_name, other_vendor in earlier:
            other_vat = other_key[4:] if other_key and other_key.startswith("vat:") else None
            if _same_vendor(vat, key, vendor, other_vat, name_key(other_name), other_vendor):
                duplicate_of = int(other_id)
                break
    return (
        VendorFacts(
            known=vendor is not None,
            vendor_name=vendor.name if vendor else None,
            iban_on_file=vendor.iban if vendor else None,
            duplicate_of=duplicate_of,
        ),
        vendor,
    )


def register(
    session: Session, name: str | None, vat_id: str | None, iban: str | None, address: str | None
) -> Vendor | None:
    """Add or update the vendor of an approved document; the approved IBAN and address become those on file."""
    if not (name or vat_id or iban):
        return None
    vendor = match(session, name, vat_id, iban)
    if vendor is None:
        vendor = Vendor(name=name or vat_id or iban or "", name_key=name_key(name), documents_count=0)
        session.add(vendor)
    if name and not vendor.name:
        vendor.name = name
    if name and not vendor.name_key:
        vendor.name_key = name_key(name)
    # a code wrong for its country (approved by an override) never becomes the one on file
    if vat_id and wrong_code("vat_id", vat_id) is None:
        vendor.vat_id = vat_key(vat_id) or vendor.vat_id
    if iban and wrong_code("iban", iban) is None:
        vendor.iban = normal_iban(iban) or vendor.iban
    vendor.address = address or vendor.address
    vendor.documents_count = (vendor.documents_count or 0) + 1
    vendor.updated_at = utcnow()
    session.flush()
    return vendor


class VendorService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, search: str | None = None, limit: int = 200) -> builtins.list[VendorInfo]:
        with self._db.read() as s:
            stmt = select(Vendor).order_by(Vendor.name).limit(limit)
            if search:
                stmt = stmt.where(Vendor.name_key.contains(name_key(search)))
            return [_info(v) for v in s.execute(stmt).scalars()]

    def find(self, name: str | None = None, vat_id: str | None = None, iban: str | None = None) -> VendorInfo | None:
        with self._db.read() as s:
            v = match(s, name, vat_id, iban)
            return _info(v) if v else None
