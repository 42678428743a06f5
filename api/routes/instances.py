"""Start, list and read process instances (ended ones from the audit archive)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api import task_forms, updates, visibility
from api.deps import MetricsDep, PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.document_access import DocumentAccessDep
from api.errors import ApiError
from api.form_schemas import TaskWithForm
from api.schemas import (
    InstanceCreate,
    InstancePublic,
    InstancesPublic,
    InstanceStarted,
)
from shenpi.auth_tokens import Principal
from shenpi.db import archive, repository
from shenpi.settings import Settings
from shenpi.starting import instance_start
from shenpi_core.contracts import (
    QUERY_STATE,
    InstanceState,
    InstanceStatus,
)
from workflows import priority

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
    documents: DocumentAccessDep,
) -> InstanceStarted:
    """Start an instance of the latest (or the given) version of a deployed process."""
    definition = await repository.get_definition(session, process_id, body.version)
    if definition is None:
        raise ApiError(404, "not_found", f"no deployed process {process_id!r} {body.version or ''}")
    key = body.business_key
    instance_id = f"{process_id}:{key}" if key else f"{process_id}:{uuid.uuid4().hex}"
    plan = repository.load_plan(definition)
    start = instance_start(
        plan,
        definition.version,
        variables=body.variables,
        initiator=principal.sub,
        settings=settings,
        business_key=key,
        chosen=body.priority,
    )
    await documents.record(instance_id, body.variables)  # before: approvers may read at once
    await client.start_workflow(
        process_id,
        start.arg,
        id=instance_id,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        rpc_timeout=updates.rpc_bound(settings),
        **start.options(settings),
    )
    metrics.instances_started.labels(process_id).inc()
    return InstanceStarted(
        instance_id=instance_id,
        process_id=process_id,
        version=definition.version,
        priority=start.priority,
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
    data = await visibility.list_instances(client, query, principal, limit=limit)
    return InstancesPublic(data=data, count=len(data))


@router.get("/instances/{instance_id}")
async def get_instance(
    instance_id: str,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    session: SessionDep,
) -> InstancePublic:
    """Status, outcome, variables, tasks, timeline and incidents; ended ones from the archive."""
    handle = client.get_workflow_handle(instance_id)
    description = await _describe(handle, settings)
    if description is None or description.status != WorkflowExecutionStatus.RUNNING:
        archived = await archive.get_archived(session, instance_id)
        if archived is not None:
            _require_reader(archived, principal)
            public = _public(instance_id, archived, archived.status, archived=True)
            return await _with_forms(session, public)
        if description is None:
            raise ApiError(404, "not_found", f"no instance {instance_id!r}")
    state = await _state(handle, settings)
    _require_reader(state, principal)
    # Temporal may have closed the execution without the workflow recording it (cancelled before
    # it could react, terminated from outside): its own status then wins over the state's.
    status = visibility.listed_status(description.status, state.status)
    return await _with_forms(session, _public(instance_id, state, status))


@router.get("/instances/{instance_id}/tasks/{task_id}")
async def get_task(
    instance_id: str,
    task_id: str,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    session: SessionDep,
) -> TaskWithForm:
    """One task of an instance, with the form it shows."""
    instance = await get_instance(instance_id, client, principal, settings, session)
    task = next((t for t in instance.tasks if t.task_id == task_id), None)
    if task is None:
        raise ApiError(404, "not_found", f"no task {task_id!r} in instance {instance_id!r}")
    return task


async def _with_forms(session: AsyncSession, public: InstancePublic) -> InstancePublic:
    tasks = await task_forms.with_forms(session, public.process_id, public.version, public.tasks)
    return public.model_copy(update={"tasks": tasks})


def _public(
    instance_id: str, state: InstanceState, status: Any, *, archived: bool = False
) -> InstancePublic:
    outcome = state.outcome or ("cancelled" if status == "cancelled" else None)
    body = state.model_dump(
        exclude={"tokens", "counters", "compensable", "status", "outcome", "incidents", "priority"}
    )
    # Incidents are numbered by position; states from before the numbering carry no id.
    incidents = [
        i.model_copy(update={"incident_id": i.incident_id or str(n)})
        for n, i in enumerate(state.incidents, start=1)
    ]
    return InstancePublic(
        instance_id=instance_id,
        status=status,
        outcome=outcome,
        archived=archived,
        incidents=incidents,
        priority=state.priority or priority.DEFAULT,
        **body,
    )


def _require_reader(state: InstanceState, principal: Principal) -> None:
    if not visibility.may_read(state, principal):
        raise ApiError(403, "forbidden", "only its initiator, its actors and admins may read it")


async def _describe(
    handle: WorkflowHandle[Any, Any], settings: Settings
) -> WorkflowExecutionDescription | None:
    """The execution's description; None once Temporal no longer has it (retention, deleted)."""
    try:
        return await handle.describe(rpc_timeout=updates.rpc_bound(settings))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _state(handle: WorkflowHandle[Any, Any], settings: Settings) -> InstanceState:
    # The query needs a worker: bounded, so a missing worker is a 503, not a hung request.
    async with asyncio.timeout(settings.update_timeout_seconds):
        state: InstanceState = await handle.query(
            QUERY_STATE, result_type=InstanceState, rpc_timeout=updates.rpc_bound(settings)
        )
    return state
