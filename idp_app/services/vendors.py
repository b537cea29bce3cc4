"""The vendor register: vendors known from approved documents, matched by VAT id, IBAN or normalised name."""

from __future__ import annotations

import builtins
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

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
    text = text.replace(".", "")  # "S.A." is "SA", "B.V." is "BV": legal forms and initials however dotted
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
    """The registered vendor with this VAT id, else this normalised name, else this IBAN under a like name.

    A vendor on file with another VAT id than the document's is another company ("Chantemerle Analytics GmbH" and
    "... KG" share a name key): it is not matched by name or IBAN alone (:func:`lookalike` names it, for routing),
    only by both (the same name paid to the same account: a misread or changed VAT id). Where several vendors on
    file share the name, the one with the document's IBAN is meant, else the first on file, so that an unknown IBAN
    under the name is checked against one (``iban_changed``) rather than taken for a new vendor."""
    vat = vat_key(vat_id)
    if vat:
        v = session.execute(select(Vendor).where(Vendor.vat_id == vat).order_by(Vendor.id).limit(1)).scalar()
        if v is not None:
            return v
    ib = normal_iban(iban)

    def allowed(v: Vendor) -> bool:
        return not vat or v.vat_id is None or v.vat_id == vat or bool(ib and v.iban == ib)

    key = name_key(name)
    if key:
        stmt = select(Vendor).where(Vendor.name_key == key).order_by(Vendor.id)
        named = [v for v in session.execute(stmt).scalars() if allowed(v)]
        if named:
            return next((v for v in named if ib and v.iban == ib), named[0])
    if ib:  # by the account alone: the same vendor only under a like name ("Acrne" for "Acme"), not a factoring client
        paid = session.execute(select(Vendor).where(Vendor.iban == ib).order_by(Vendor.id)).scalars()
        return next(
            (
                v
                for v in paid
                if (not vat or v.vat_id is None or v.vat_id == vat) and (not key or similar_names(key, v.name_key))
            ),
            None,
        )
    return None


def lookalike(session: Session, name: str | None, vat_id: str | None) -> Vendor | None:
    """A vendor on file under this name with another VAT id than the document's, not matched to it (another
    account too): a company of the same name, or someone using its name."""
    vat, key = vat_key(vat_id), name_key(name)
    if not (vat and key):
        return None
    stmt = select(Vendor).where(Vendor.name_key == key, Vendor.vat_id.is_not(None), Vendor.vat_id != vat)
    return session.execute(stmt.order_by(Vendor.id).limit(1)).scalar()


SAME_NAME = 0.8
"""Two printed names of one registered vendor compare at least this similar (character ratio of their keys): "Acrne
Handels" for "Acme Handels" paid to Acme's account is an OCR slip; "Beta Bau" paid to it is a factoring client."""


def similar_names(a: str, b: str) -> bool:
    return a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= SAME_NAME


def _same_vendor(vat: str | None, key: str, other_vat: str | None, other_key: str, same_register: bool) -> bool:
    """Whether an earlier document with the same invoice number has this document's vendor.

    - The same VAT id.
    - The same name where the VAT id is known on one side only: a copy whose VAT id was not read. Two VAT ids under
      one name are two companies ("Chantemerle Analytics GmbH" and "... KG" share a name key).
    - The same registered vendor (matched by VAT id, name and account, or account) under the same name, give or
      take an OCR slip: a copy whose VAT id or name was misread. Similar names alone ("Müller", "Möller"; a chain's
      "Filiale 12" and "Filiale 13") are two vendors; so are two names paid to one factoring account.
    """
    if vat and other_vat and vat == other_vat:
        return True
    if key and key == other_key and not (vat and other_vat):
        return True
    return same_register and (not key or not other_key or similar_names(key, other_key))


def document_key(name: str | None, vat_id: str | None) -> str | None:
    """What identifies the vendor of a document for duplicate detection: its VAT id, else its name."""
    vat = vat_key(vat_id)
    if vat:
        return f"vat:{vat}"
    key = name_key(name)
    return f"name:{key}" if key else None


_NOT_DUPLICATES = (DocumentStatus.FAILED.value, DocumentStatus.REJECTED.value)
DUPLICATE_LOOKBACK = 5000
"""How many of a vendor's latest documents an invoice number is compared with."""


def number_parts(number: str) -> tuple[str, ...]:
    """An invoice number's parts as printed between spaces, dashes, dots and slashes: in capitals, the leading zeros
    of a part of digits dropped ("re23-07564" is RE23, 7564)."""
    text = unicodedata.normalize("NFKC", number).upper().strip()
    return tuple((p.lstrip("0") or "0") if p.isdigit() else p for p in re.split(r"[\W_]+", text) if p)


def same_number(a: str, b: str) -> bool:
    """Whether two invoice numbers are one as OCR and a scan sent again print it: the same parts ("RE23 07564",
    "RE23-7564" of "re23-07564"), or one printed without separators as the other's parts run together
    ("RE2307564"). Parts that differ stay different numbers ("1/23" is not "12/3")."""
    pa, pb = number_parts(a), number_parts(b)
    if not pa or not pb:
        return False
    if pa == pb:
        return True
    if len(pa) == 1 or len(pb) == 1:
        raw = [re.split(r"[\W_]+", unicodedata.normalize("NFKC", n).upper().strip()) for n in (a, b)]
        return "".join(raw[0]) == "".join(raw[1])
    return False


def facts(
    session: Session, doc_id: int, name: str | None, vat_id: str | None, iban: str | None, invoice_number: str | None
) -> tuple[VendorFacts, Vendor | None]:
    """What the register and earlier documents say about this document's vendor."""
    vendor = match(session, name, vat_id, iban)
    duplicate_of = None
    vat, key = vat_key(vat_id), name_key(name)
    keys = [k for k in (f"vat:{vat}" if vat else "", f"name:{key}" if key else "") if k]
    if invoice_number and number_parts(invoice_number):
        of_vendor = or_(  # only documents that could be this vendor's: a number such as "1" recurs by the thousand
            Document.vendor_key.in_(keys),
            Document.vendor_id == (vendor.id if vendor is not None else -1),
            func.lower(Document.vendor_name) == (name or "").strip().lower(),  # one still in review
        )
        latest = session.execute(
            select(
                Document.id,
                Document.invoice_number,
                Document.vendor_key,
                Document.vendor_name,
                Document.vendor_id,
                Vendor.vat_id,
                Vendor.name_key,
            )
            .outerjoin(Vendor, Vendor.id == Document.vendor_id)
            .where(
                Document.invoice_number.is_not(None),
                of_vendor,
                Document.id != doc_id,
                Document.status.not_in(_NOT_DUPLICATES),
            )
            .where(
                or_(  # the same number as stored, whenever it came; printed otherwise, among the vendor's latest
                    Document.invoice_number == invoice_number,
                    func.upper(func.trim(Document.invoice_number)) == invoice_number.strip().upper(),
                    Document.id.in_(
                        select(Document.id)
                        .where(of_vendor, Document.invoice_number.is_not(None))
                        .order_by(Document.id.desc())
                        .limit(DUPLICATE_LOOKBACK)
                        .scalar_subquery()
                    ),
                )
            )
            .order_by(Document.id)
        ).all()
        earlier = [(r[0], *r[2:]) for r in latest if same_number(r[1] or "", invoice_number)]
        for other_id, other_key, other_name, other_vendor, registered_vat, registered_key in earlier:
            # the earlier document's VAT id as printed; else that of the vendor it was approved under, if that is
            # its vendor by name too (not a seller it was matched to by a shared IBAN)
            printed_vat = other_key[4:] if other_key and other_key.startswith("vat:") else None
            other_vat = printed_vat or (registered_vat if registered_key == name_key(other_name) else None)
            same_register = vendor is not None and other_vendor == vendor.id
            if _same_vendor(vat, key, other_vat, name_key(other_name), same_register):
                duplicate_of = int(other_id)
                break
    # a VAT id not on file under this name: another company of the name, or the vendor's own, changed or misread
    other = lookalike(session, name, vat_id) if vendor is None else None
    if vendor is not None and vat and vendor.vat_id and vendor.vat_id != vat:
        other = vendor
    return (
        VendorFacts(
            known=vendor is not None,
            vendor_name=vendor.name if vendor else None,
            iban_on_file=vendor.iban if vendor else None,
            duplicate_of=duplicate_of,
            lookalike_name=other.name if other else None,
            lookalike_vat=other.vat_id if other else None,
        ),
        vendor,
    )


NAME_CHARS = 300
"""The longest vendor name the register keeps (its column's length)."""


def register(
    session: Session, name: str | None, vat_id: str | None, iban: str | None, address: str | None
) -> Vendor | None:
    """Add or update the vendor of an approved document; the approved IBAN and address become those on file."""
    if not (name or vat_id or iban):
        return None
    name = name[:NAME_CHARS] if name else name  # a name read from a page may run longer than the register keeps
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
