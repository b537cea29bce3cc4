"""fields a person confirmed or set in review

Revision ID: 0004_field_checked
Revises: 0003_vendor_name_keys
Create Date: 2026-11-22 16:00:00.000000

A field the clerk accepted as it was, or corrected back to what was read, kept its low confidence and so stayed
"check". ``checked`` marks a value a person confirmed or set; it is then as sure as a correction. Fields with a
confirmation or correction recorded since the document was last extracted are marked from the corrections
table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004_field_checked"
down_revision = "0003_vendor_name_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("checked", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        """
        UPDATE fields SET checked = TRUE WHERE EXISTS (
            SELECT 1 FROM corrections c
            WHERE c.document_id = fields.document_id AND c.field_name = fields.name
              AND COALESCE(c.line_item_index, -1) = fields.row
              AND c.created_at >= (SELECT d.extracted_at FROM documents d WHERE d.id = fields.document_id)
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("fields") as batch:
        batch.drop_column("checked")
