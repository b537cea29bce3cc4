"""vendor name keys keep letters of every script

Revision ID: 0003_vendor_name_keys
Revises: 0002_model_registry
Create Date: 2026-11-22 16:20:00.000000

Vendor names were matched by a key of their ASCII letters only: a Greek or Cyrillic name had an empty key (no
vendor match, no duplicate check by name), "Łódź" or "Straße" lost letters, and "Dupont S.A." was not "Dupont SA"
(a dotted legal form made words of its letters). The keys stored in the vendor
register and on documents are computed again from the stored names with the key as it is now (copied here, so
that this revision always does what it did when it was written).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op


revision = "0003_vendor_name_keys"
down_revision = "0002_model_registry"
branch_labels = None
depends_on = None

_LEGAL_FORMS = {
    "gmbh", "ag", "kg", "ohg", "ug", "mbh", "co", "ltd", "limited", "inc", "llc", "plc", "corp", "corporation",
    "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "company", "the", "und", "and", "et", "cie",
}  # fmt: skip


def _key(name: str | None) -> str:
    if not name:
        return ""
    text = "".join(c for c in unicodedata.normalize("NFKD", name).casefold() if not unicodedata.combining(c))
    text = text.replace(".", "")
    return " ".join(w for w in re.split(r"[\W_]+", text) if w and w not in _LEGAL_FORMS)


def _ascii_key(name: str | None) -> str:
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _LEGAL_FORMS)


def _rekey(key_of: Callable[[str | None], str]) -> None:
    conn = op.get_bind()
    vendors = sa.table(
        "vendors", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_key", sa.String)
    )
    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("vendor_name", sa.String),
        sa.column("vendor_key", sa.String),
    )
    for vid, name in conn.execute(sa.select(vendors.c.id, vendors.c.name)).all():
        conn.execute(vendors.update().where(vendors.c.id == vid).values(name_key=key_of(name)))
    rows = conn.execute(
        sa.select(documents.c.id, documents.c.vendor_name, documents.c.vendor_key).where(
            sa.or_(documents.c.vendor_key.is_(None), documents.c.vendor_key.like("name:%"))
        )
    ).all()
    for did, name, old in rows:
        key = key_of(name)
        new = f"name:{key}" if key else None
        if new != old:
            conn.execute(documents.update().where(documents.c.id == did).values(vendor_key=new))


def upgrade() -> None:
    _rekey(_key)


def downgrade() -> None:
    _rekey(_ascii_key)
