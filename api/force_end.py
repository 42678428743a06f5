"""An admin's forced cancel (``POST /instances/{id}/cancel?force=true``) that always ends it.

Temporal first asks the workflow to cancel: a healthy instance records that itself, archives
itself and closes within moments. An instance that cannot run (every workflow task fails, its
version has no worker, it deadlocks) never takes that request, so after a short wait it is
terminated, and the API archives what is known: the last state the instance answered a query
with, else what its start event holds, else its search attributes (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from shenpi.db import archive
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import QUERY_STATE, InstanceState, StartInput, TimelineEntry

log = logging.getLogger(__name__)

# How long a cancel request may take to close a healthy instance before it is terminated.
CANCEL_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.2
# A state query of a broken instance fails or hangs: bounded well below the request's own bound.
_QUERY_SECONDS = 2.0


async def force_cancel(
    client: Client, session: AsyncSession, instance_id: str, actor: str, reason: str
) -> str:
    """Cancel ``instance_id``, terminating it if it does not close in time; returns how it
    ended: ``cancelled`` (the workflow did it) or ``terminated`` (forced and archived here)."""
    handle = client.get_workflow_handle(instance_id)
    await handle.cancel()
    if await _closes_within(handle, CANCEL_GRACE_SECONDS):
        return "cancelled"
    state = await _known_state(client, handle)
    await handle.terminate(reason=reason)
    state.status, state.outcome = "cancelled", "cancelled"
    state.timeline.append(
        TimelineEntry(
            at=datetime.now(UTC),
            event="force_terminated",
            actor=actor,
            comment=reason,
            details={"why": f"the instance did not take the cancel in {CANCEL_GRACE_SECONDS} s"},
        )
    )
    await archive.archive_instance(session, instance_id, state, archived_at=datetime.now(UTC))
    return "terminated"


async def _closes_within(handle: WorkflowHandle[Any, Any], seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            return True
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS)


async def _known_state(client: Client, handle: WorkflowHandle[Any, Any]) -> InstanceState:
    """The best account of an instance that cannot run. Every source may fail on a broken
    instance (that is why it is being forced), so each failure falls through to the next."""
    try:
        async with asyncio.timeout(_QUERY_SECONDS):
            state: InstanceState = await handle.query(
                QUERY_STATE,
                result_type=InstanceState,
                rpc_timeout=timedelta(seconds=_QUERY_SECONDS),
            )
        return state
    except Exception as err:
        log.info("forced end of %s: no state from a query (%s)", handle.id, err)
    description = await handle.describe()
    attrs = description.typed_search_attributes
    version = (attrs.get(sa.VERSION) or ":0").rpartition(":")[2]
    fallback = InstanceState(
        process_id=description.workflow_type,
        version=int(version) if version.isdigit() else 0,
        initiator=attrs.get(sa.INITIATOR) or "",
        business_key=attrs.get(sa.BUSINESS_KEY),
    )
    try:
        start = await _start_input(client, handle)
    except Exception as err:
        log.info("forced end of %s: start input unreadable (%s)", handle.id, err)
        return fallback
    return fallback.model_copy(
        update={"variables": dict(start.variables), "request_fields": sorted(start.variables)}
    )


async def _start_input(client: Client, handle: WorkflowHandle[Any, Any]) -> StartInput:
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        values = await client.data_converter.decode(payloads, [StartInput])
        start: StartInput = values[0]
        return start
    raise LookupError("no history")
