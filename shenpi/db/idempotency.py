"""The request each ``Idempotency-Key`` was first used for (per instance and user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.inserts import insert_new
from shenpi.db.models import IdempotencyKey


async def claim_key(
    session: AsyncSession,
    *,
    instance_id: str,
    principal: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> str:
    """Bind ``key`` to ``fingerprint`` unless it is bound already; the fingerprint it is bound to.

    The primary key decides between concurrent requests: of two racing with one key, exactly one
    binds it, and the other reads that binding. Commits.
    """
    row = {
        "instance_id": instance_id,
        "principal": principal,
        "key": key,
        "fingerprint": fingerprint,
        "created_at": now,
    }
    await insert_new(session, IdempotencyKey, [row])
    bound = select(IdempotencyKey.fingerprint).where(
        IdempotencyKey.instance_id == instance_id,
        IdempotencyKey.principal == principal,
        IdempotencyKey.key == key,
    )
    found = (await session.execute(bound)).scalar_one()
    await session.commit()
    return found
