"""WeChat bindings (WeChat identity → Shenpi user) and the nonces of callbacks already seen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.inserts import insert_new
from shenpi.db.models import WeChatBinding, WeChatMessage, WeChatNonce

BindingSource = Literal["api", "directory"]
MP_PREFIX = "mp:"  # Official Account followers are bound as "mp:<openid>"


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    kept: int  # bound by an admin: the directory does not override them


NonceSeen = Literal["new", "redelivery", "replay"]


async def remember_nonce(
    session: AsyncSession,
    channel: str,
    nonce: str,
    digest: str,
    *,
    now: datetime,
    keep: timedelta,
) -> NonceSeen:
    """Record ``nonce`` with the ``digest`` of what came with it: ``new``; ``redelivery`` when it
    was seen with the same digest (WeChat sending the very same request again); ``replay`` when
    it was seen with another (or none recorded). Prunes rows older than ``keep``: a callback
    that old is refused by its timestamp before its nonce matters."""
    async with session.begin():
        await session.execute(delete(WeChatNonce).where(WeChatNonce.seen_at < now - keep))
        row = {"channel": channel, "nonce": nonce, "seen_at": now, "digest": digest}
        # The primary key is the check, so two replicas racing on one nonce cannot both be new.
        if await insert_new(session, WeChatNonce, [row]):
            return "new"
        seen = await session.get(WeChatNonce, (channel, nonce))
    return "redelivery" if seen is not None and seen.digest == digest else "replay"


async def message_target(session: AsyncSession, key: str) -> WeChatMessage | None:
    """Where the decision of message ``key`` went, if it was delivered before."""
    return await session.get(WeChatMessage, key)


async def record_message(
    session: AsyncSession,
    key: str,
    *,
    instance_id: str,
    task_id: str,
    outcome: str,
    task_name: str | None = None,
    now: datetime,
    keep: timedelta,
) -> bool:
    """Remember (or update) where message ``key`` went; True if this call recorded it first
    (of concurrent deliveries, exactly one gets True). Prunes records older than ``keep``."""
    try:
        async with session.begin():
            stale = WeChatMessage.created_at < now - keep
            await session.execute(delete(WeChatMessage).where(stale))
            row = await session.get(WeChatMessage, key)
            created = row is None
            if row is None:
                row = WeChatMessage(
                    key=key, instance_id=instance_id, task_id=task_id, created_at=now
                )
                session.add(row)
            row.outcome = outcome
            row.task_name = task_name or row.task_name
    except IntegrityError:
        return False  # another replica recorded a concurrent delivery of the same message
    return created


async def user_of(session: AsyncSession, wechat_userid: str) -> str | None:
    """The Shenpi user bound to a WeChat identity, or None."""
    row = await session.get(WeChatBinding, wechat_userid)
    return row.user if row is not None else None


async def bound_ids(session: AsyncSession, user: str) -> list[str]:
    """The WeChat identities bound to ``user``: an admin's bindings first, then by id."""
    rows = await session.scalars(select(WeChatBinding).where(WeChatBinding.user == user))
    return [
        r.wechat_userid for r in sorted(rows, key=lambda r: (r.source != "api", r.wechat_userid))
    ]


async def list_bindings(session: AsyncSession) -> list[WeChatBinding]:
    rows = await session.scalars(select(WeChatBinding).order_by(WeChatBinding.wechat_userid))
    return list(rows)


async def put_binding(
    session: AsyncSession,
    wechat_userid: str,
    user: str,
    *,
    source: BindingSource,
    by: str,
    now: datetime,
) -> tuple[WeChatBinding, bool]:
    """Bind (or re-bind) ``wechat_userid`` to ``user``; ``(binding, created)``. Commits."""
    async with session.begin():
        row = await session.get(WeChatBinding, wechat_userid)
        created = row is None
        if row is None:
            row = WeChatBinding(wechat_userid=wechat_userid)
            session.add(row)
        row.user, row.source, row.updated_by, row.updated_at = user, source, by, now
    return row, created


async def delete_binding(session: AsyncSession, wechat_userid: str) -> bool:
    """Remove a binding; False if there was none. Commits."""
    async with session.begin():
        result = await session.execute(
            delete(WeChatBinding).where(WeChatBinding.wechat_userid == wechat_userid)
        )
    return bool(getattr(result, "rowcount", 0))


async def sync_from_directory(
    session: AsyncSession, wanted: Mapping[str, str], *, by: str, now: datetime
) -> SyncReport:
    """Make the directory's bindings (``wechat_userid -> user``) the table's ``directory`` rows.

    Bindings an admin wrote stay as they are (they exist to correct or extend the directory);
    directory rows whose userid left the directory are removed.
    """
    added = updated = removed = kept = 0
    async with session.begin():
        existing = {r.wechat_userid: r for r in await session.scalars(select(WeChatBinding))}
        for wechat_userid, user in wanted.items():
            row = existing.get(wechat_userid)
            if row is None:
                session.add(
                    WeChatBinding(
                        wechat_userid=wechat_userid,
                        user=user,
                        source="directory",
                        updated_by=by,
                        updated_at=now,
                    )
                )
                added += 1
            elif row.source == "api":
                kept += 1
            elif row.user != user:
                row.user, row.updated_by, row.updated_at = user, by, now
                updated += 1
        for wechat_userid, row in existing.items():
            if row.source == "directory" and wechat_userid not in wanted:
                await session.delete(row)
                removed += 1
    return SyncReport(added=added, updated=updated, removed=removed, kept=kept)
