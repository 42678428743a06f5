"""decision_definitions: deployed DMN files, versioned like processes (docs/dmn.md)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_definitions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("decision_requirements_id", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("decision_ids", sa.JSON(), nullable=False),
        sa.Column("dmn_xml", sa.LargeBinary(), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("deployed_by", sa.String(255), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "decision_requirements_id", "version", name="uq_decision_definitions_drg_version"
        ),
    )
    op.create_index(
        "ix_decision_definitions_decision_requirements_id",
        "decision_definitions",
        ["decision_requirements_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_decision_definitions_decision_requirements_id", table_name="decision_definitions"
    )
    op.drop_table("decision_definitions")
