"""wechat_bindings (WeChat identity -> user) and wechat_nonces (callback replay protection),
wechat_messages (where a chat decision went, for redeliveries)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_bindings",
        sa.Column("wechat_userid", sa.String(255), primary_key=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_bindings_user", "wechat_bindings", ["user"])
    op.create_table(
        "wechat_nonces",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_nonces_seen_at", "wechat_nonces", ["seen_at"])
    op.create_table(
        "wechat_messages",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_messages_created_at", "wechat_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_wechat_messages_created_at", table_name="wechat_messages")
    op.drop_table("wechat_messages")
    op.drop_index("ix_wechat_nonces_seen_at", table_name="wechat_nonces")
    op.drop_table("wechat_nonces")
    op.drop_index("ix_wechat_bindings_user", table_name="wechat_bindings")
    op.drop_table("wechat_bindings")
