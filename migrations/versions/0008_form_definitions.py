"""form_definitions: deployed Camunda Forms, versioned like processes (docs/compiler.md "Forms")

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_definitions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("form_id", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("form_json", sa.Text(), nullable=False),
        sa.Column("deployed_by", sa.String(255), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("form_id", "version", name="uq_form_definitions_form_version"),
    )
    op.create_index("ix_form_definitions_form_id", "form_definitions", ["form_id"])


def downgrade() -> None:
    op.drop_index("ix_form_definitions_form_id", table_name="form_definitions")
    op.drop_table("form_definitions")
