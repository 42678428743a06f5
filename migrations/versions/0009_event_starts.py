"""event_starts: the message and signal start events of each deployed version (docs/api.md)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No backfill: no plan deployed before this revision can hold a message or signal start
    # (the compiler refused them).
    op.create_table(
        "event_starts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "definition_id",
            sa.Integer(),
            sa.ForeignKey("definitions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("process_id", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(255), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
    )
    op.create_index("ix_event_starts_event_name", "event_starts", ["event", "name"])


def downgrade() -> None:
    op.drop_index("ix_event_starts_event_name", table_name="event_starts")
    op.drop_table("event_starts")
