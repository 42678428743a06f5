"""ai_results: the callback job a row waits for, and when that job started

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ai_results") as batch:
        batch.add_column(sa.Column("job_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("job_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ai_results") as batch:
        batch.drop_column("job_started_at")
        batch.drop_column("job_id")
