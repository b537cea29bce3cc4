"""a document's type as a person set it

Revision ID: 0006_type_set_by
Revises: 0005_stored_files
Create Date: 2026-11-23 00:00:00.000000

A document the classifier could not type ("other") kept the invoice fields a clerk corrected, but was never
learned from, and no one could say what it was. ``type_set_by`` names who set its type in review; extracting it
again reads it as that type.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_type_set_by"
down_revision = "0005_stored_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("type_set_by", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("type_set_by")
