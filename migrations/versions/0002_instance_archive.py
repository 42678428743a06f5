"""instance archive and archived decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_archive",
        sa.Column("instance_id", sa.String(255), primary_key=True),
        sa.Column("process_id", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("initiator", sa.String(255), nullable=False),
        sa.Column("business_key", sa.String(255), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_instance_archive_process_id", "instance_archive", ["process_id"])
    op.create_index("ix_instance_archive_initiator", "instance_archive", ["initiator"])
    op.create_table(
        "archived_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("process_id", sa.String(255), nullable=False),
        sa.Column("node_id", sa.String(255), nullable=True),
        sa.Column("task_id", sa.String(255), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_archived_decisions_instance_id", "archived_decisions", ["instance_id"])
    op.create_index("ix_archived_decisions_process_id", "archived_decisions", ["process_id"])


def downgrade() -> None:
    op.drop_index("ix_archived_decisions_process_id", table_name="archived_decisions")
    op.drop_index("ix_archived_decisions_instance_id", table_name="archived_decisions")
    op.drop_table("archived_decisions")
    op.drop_index("ix_instance_archive_initiator", table_name="instance_archive")
    op.drop_index("ix_instance_archive_process_id", table_name="instance_archive")
    op.drop_table("instance_archive")
