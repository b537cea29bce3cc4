"""files every desk of a team needs, kept in the database

Revision ID: 0005_stored_files
Revises: 0004_field_checked
Create Date: 2026-11-22 18:00:00.000000

Trained model files and the vendor memory were kept only in the models directory of the desk that wrote them: on a
shared database, another desk found the model in use named in the registry but not its file, and used the shipped
model. ``stored_files`` keeps their bytes; each desk writes its own copy from there. A desk's existing files are
stored the next time it starts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stored_files"
down_revision = "0004_field_checked"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stored_files")),
    )


def downgrade() -> None:
    op.drop_table("stored_files")
