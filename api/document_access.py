"""Who may read a document (docs/documents.md): its uploaders, admins, and whoever may read an
instance that refers to it (``visibility.may_read``). References are recorded where variables
enter an instance (a start, a decision), and only to documents the sender may read themselves:
naming an id one cannot read, say the hash of a file one has, must grant (and tell) nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError

from api import visibility
from api.deps import PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from shenpi.auth_tokens import Principal
from shenpi.blobs import BlobNotFound, parse_document_id
from shenpi.db import archive
from shenpi.db import documents as db
from shenpi.settings import Settings
from shenpi_core.contracts import QUERY_STATE, InstanceState

log = logging.getLogger(__name__)

# Instances looked at per read, the most recent references first: a document that hundreds of
# requests carry (a form template) is read through its latest ones.
MAX_CHECKED_INSTANCES = 50
# A read never waits long on a stuck instance's query; one that does not answer grants nothing.
QUERY_SECONDS = 5.0


_NO_STATE = (
    RPCError,
    RPCTimeoutOrCancelledError,
    TimeoutError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)


@dataclass(frozen=True)
class Readable:
    """Leave to read a document; ``own_name`` is the name the reader uploaded it under (theirs
    to see), None when they read it as an admin or through an instance."""

    uploaded: bool
    own_name: str | None = None


def referenced_documents(variables: Any) -> set[str]:
    """Every document id in ``variables``: a ``BlobRef``'s ``document_id`` or a bare id string,
    at any depth (walked without recursion: the API's depth limit is not this module's)."""
    found: set[str] = set()
    for value in _values(variables):
        if isinstance(value, str):
            try:
                parse_document_id(value)
            except BlobNotFound:
                continue
            found.add(value)
    return found


def _values(root: Any) -> Iterator[Any]:
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        else:
            yield value


class DocumentAccess:
    """The document rules for one request's principal."""

    def __init__(
        self, session: AsyncSession, client: Client, settings: Settings, principal: Principal
    ) -> None:
        self._session = session
        self._client = client
        self._settings = settings
        self._principal = principal

    async def record_upload(self, document_id: str, name: str | None) -> None:
        await db.record_upload(
            self._session, document_id, self._principal.sub, name=name, now=datetime.now(UTC)
        )

    async def record(self, instance_id: str, variables: Any) -> None:
        """Record that ``instance_id`` refers to the documents in ``variables`` that the sender
        may read; the others are left out, silently (a refusal would tell which exist)."""
        readable = [d for d in referenced_documents(variables) if await self.readable(d)]
        if readable:
            await db.record_references(
                self._session,
                instance_id,
                readable,
                added_by=self._principal.sub,
                now=datetime.now(UTC),
            )

    async def readable(self, document_id: str) -> Readable | None:
        """Leave to read ``document_id``, or None (the caller answers as for an unknown id)."""
        try:
            parse_document_id(document_id)
        except BlobNotFound:
            return None
        upload = await db.upload_by(self._session, document_id, self._principal.sub)
        if upload is not None:
            return Readable(uploaded=True, own_name=upload.name)
        if self._principal.is_admin:
            return Readable(uploaded=False)
        instance_ids = await db.referring_instances(
            self._session, document_id, limit=MAX_CHECKED_INSTANCES
        )
        if await self._reads_any(instance_ids):
            return Readable(uploaded=False)
        return None

    async def _reads_any(self, instance_ids: list[str]) -> bool:
        running: list[str] = []
        for instance_id in instance_ids:
            archived = await archive.get_archived(self._session, instance_id)
            if archived is None:
                running.append(instance_id)
            elif visibility.may_read(archived, self._principal):
                return True
        if not running:
            return False
        states = await asyncio.gather(*(self._state(i) for i in running))
        return any(s is not None and visibility.may_read(s, self._principal) for s in states)

    async def _state(self, instance_id: str) -> InstanceState | None:
        """The state of an instance not archived (yet); None if it cannot be had in time."""
        seconds = min(QUERY_SECONDS, self._settings.update_timeout_seconds)
        handle = self._client.get_workflow_handle(instance_id)
        try:
            async with asyncio.timeout(seconds):
                state: InstanceState = await handle.query(
                    QUERY_STATE, result_type=InstanceState, rpc_timeout=timedelta(seconds=seconds)
                )
        except _NO_STATE as err:  # gone, no worker in time: it grants nothing either way
            log.info("document read: no state of %s: %r", instance_id, err)
            return None
        return state


def document_access(
    session: SessionDep, client: TemporalClientDep, settings: SettingsDep, principal: PrincipalDep
) -> DocumentAccess:
    return DocumentAccess(session, client, settings, principal)


DocumentAccessDep = Annotated[DocumentAccess, Depends(document_access)]
