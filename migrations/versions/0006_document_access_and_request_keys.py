"""document_uploads and document_references (who may read a document), idempotency_keys (the
request a key was first used for), wechat_nonces.digest (an exact redelivery is not a replay),
wechat_messages.task_name (a redelivery answers as the first delivery did)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_uploads",
        sa.Column("document_id", sa.String(80), primary_key=True),
        sa.Column("uploader", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "document_references",
        sa.Column("document_id", sa.String(80), primary_key=True),
        sa.Column("instance_id", sa.String(255), primary_key=True),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_document_references_added_at", "document_references", ["added_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("instance_id", sa.String(255), primary_key=True),
        sa.Column("principal", sa.String(255), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    with op.batch_alter_table("wechat_nonces") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
    with op.batch_alter_table("wechat_messages") as batch:
        batch.add_column(sa.Column("task_name", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wechat_messages") as batch:
        batch.drop_column("task_name")
    with op.batch_alter_table("wechat_nonces") as batch:
        batch.drop_column("digest")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_document_references_added_at", table_name="document_references")
    op.drop_table("document_references")
    op.drop_table("document_uploads")
