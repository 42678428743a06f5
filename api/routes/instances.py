"""Start, list, read and cancel process instances."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from api import visibility
from api.deps import MetricsDep, PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.errors import ApiError
from api.schemas import (
    InstanceCancel,
    InstanceCancelled,
    InstanceCreate,
    InstancePublic,
    InstancesPublic,
    InstanceStarted,
)
from shenpi import search_attributes as sa
from shenpi.auth_tokens import Principal
from shenpi.db import repository
from shenpi.settings import Settings
from workflows.contracts import (
    MEMO_PROCESS_ID,
    QUERY_STATE,
    InstanceState,
    InstanceStatus,
    StartInput,
)

router = APIRouter(tags=["instances"])


@router.post("/processes/{process_id}/instances", status_code=201)
async def start_instance(
    process_id: str,
    body: InstanceCreate,
    session: SessionDep,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> InstanceStarted:
    """Start an instance of the latest (or the given) version of a deployed process."""
    definition = await repository.get_definition(session, process_id, body.version)
    if definition is None:
        raise ApiError(404, "not_found", f"no deployed process {process_id!r} {body.version or ''}")
    key = body.business_key
    instance_id = f"{process_id}:{key}" if key else f"{process_id}:{uuid.uuid4().hex}"
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.VERSION, f"{process_id}:{definition.version}"),
        SearchAttributePair(sa.STATUS, "running"),
        SearchAttributePair(sa.INITIATOR, principal.sub),
        SearchAttributePair(sa.PENDING_ACTORS, []),
    ]
    if key:
        pairs.append(SearchAttributePair(sa.BUSINESS_KEY, key))
    start = StartInput(
        plan=repository.load_plan(definition),
        version=definition.version,
        variables=body.variables,
        initiator=principal.sub,
        business_key=key,
    )
    await client.start_workflow(
        process_id,
        start,
        id=instance_id,
        task_queue=settings.task_queue,
        search_attributes=TypedSearchAttributes(pairs),
        memo={MEMO_PROCESS_ID: process_id},
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        rpc_timeout=_bound(settings),
    )
    metrics.instances_started.labels(process_id).inc()
    return InstanceStarted(
        instance_id=instance_id, process_id=process_id, version=definition.version
    )


@router.get("/instances")
async def list_instances(
    client: TemporalClientDep,
    principal: PrincipalDep,
    process_id: str | None = None,
    status: InstanceStatus | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> InstancesPublic:
    """Instances I started or am asked to act on (admins: all), newest first."""
    query = visibility.instances_query(principal, process_id=process_id, status=status, mine=mine)
    data = await visibility.list_instances(client, query, limit=limit)
    return InstancesPublic(data=data, count=len(data))


@router.get("/instances/{instance_id}")
async def get_instance(
    instance_id: str, client: TemporalClientDep, principal: PrincipalDep, settings: SettingsDep
) -> InstancePublic:
    """Status, outcome, variables, tasks, timeline and incidents of one instance."""
    handle = client.get_workflow_handle(instance_id)
    state, description = await asyncio.gather(
        _state(handle, settings), handle.describe(rpc_timeout=_bound(settings))
    )
    if not visibility.may_read(state, principal):
        raise ApiError(403, "forbidden", "only its initiator, its actors and admins may read it")
    # Temporal may have closed the execution without the workflow recording it (cancelled before
    # it could react, terminated from outside): its own status then wins over the state's.
    status = visibility.listed_status(description.status, state.status)
    outcome = state.outcome or ("cancelled" if status == "cancelled" else None)
    body = state.model_dump(exclude={"tokens", "counters", "status", "outcome"})
    return InstancePublic(instance_id=instance_id, status=status, outcome=outcome, **body)


@router.post("/instances/{instance_id}/cancel", status_code=202)
async def cancel_instance(
    instance_id: str,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: InstanceCancel | None = None,
) -> InstanceCancelled:
    """Ask a running instance to cancel (initiator or admin); it records who and why."""
    handle = client.get_workflow_handle(instance_id)
    description = await handle.describe(rpc_timeout=_bound(settings))
    _require_initiator_or_admin(description.typed_search_attributes.get(sa.INITIATOR), principal)
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise ApiError(409, "instance_closed", "the instance is not running")
    reason = f"cancelled by {principal.sub}" + (f": {body.reason}" if body and body.reason else "")
    await handle.cancel(reason=reason, rpc_timeout=_bound(settings))
    return InstanceCancelled(instance_id=instance_id)


def _require_initiator_or_admin(initiator: str | None, principal: Principal) -> None:
    if not principal.is_admin and initiator != principal.sub:
        raise ApiError(403, "forbidden", "only the initiator or an admin may do this")


async def _state(handle: WorkflowHandle[Any, Any], settings: Settings) -> InstanceState:
    # The query needs a worker: bounded, so a missing worker is a 503, not a hung request.
    async with asyncio.timeout(settings.update_timeout_seconds):
        state: InstanceState = await handle.query(
            QUERY_STATE, result_type=InstanceState, rpc_timeout=_bound(settings)
        )
    return state


def _bound(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.update_timeout_seconds)
