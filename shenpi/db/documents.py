"""Who may read a document: its uploaders, and the instances whose variables refer to it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.inserts import insert_new
from shenpi.db.models import DocumentReference, DocumentUpload


async def record_upload(
    session: AsyncSession, document_id: str, uploader: str, *, name: str | None, now: datetime
) -> None:
    """Remember that ``uploader`` uploaded ``document_id`` (the first name they gave stays).
    Commits."""
    row = {"document_id": document_id, "uploader": uploader, "name": name, "uploaded_at": now}
    await insert_new(session, DocumentUpload, [row])
    await session.commit()


async def upload_by(
    session: AsyncSession, document_id: str, uploader: str
) -> DocumentUpload | None:
    """``uploader``'s upload of ``document_id``, if they uploaded it."""
    return await session.get(DocumentUpload, (document_id, uploader))


async def record_references(
    session: AsyncSession,
    instance_id: str,
    document_ids: Iterable[str],
    *,
    added_by: str,
    now: datetime,
) -> None:
    """Remember that ``instance_id`` refers to each of ``document_ids`` (once each). Commits."""
    rows = [
        {"document_id": d, "instance_id": instance_id, "added_by": added_by, "added_at": now}
        for d in sorted(set(document_ids))
    ]
    await insert_new(session, DocumentReference, rows)
    await session.commit()


async def referring_instances(session: AsyncSession, document_id: str, *, limit: int) -> list[str]:
    """Ids of the instances that refer to ``document_id``, the most recent reference first."""
    stmt = (
        select(DocumentReference.instance_id)
        .where(DocumentReference.document_id == document_id)
        .order_by(DocumentReference.added_at.desc(), DocumentReference.instance_id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
