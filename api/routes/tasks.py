"""My inbox and decisions on tasks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query

from api import visibility
from api.deps import MetricsDep, PrincipalDep, SettingsDep, TemporalClientDep
from api.errors import ApiError
from api.schemas import DecisionCreate, DecisionPublic, TasksPublic
from shenpi.auth_tokens import Principal
from workflows.contracts import UPDATE_DECIDE, DecisionInput, DecisionResult

router = APIRouter(tags=["tasks"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat it on a retry: the decision then takes effect once.",
    ),
]


@router.get("/tasks")
async def list_tasks(
    client: TemporalClientDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Instances to scan")] = 200,
) -> TasksPublic:
    """My inbox: open tasks I may act on, as assignee, candidate, or member of a candidate group."""
    data = await visibility.inbox(client, principal, limit=limit)
    return TasksPublic(data=data, count=len(data))


@router.post("/instances/{instance_id}/tasks/{task_id}/decision")
async def decide(
    instance_id: str,
    task_id: str,
    body: DecisionCreate,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    idempotency_key: IdempotencyKey = None,
) -> DecisionPublic:
    """Approve, reject or claim a task; 403 if it is not mine, 409 if it is no longer open."""
    if body.to is not None:
        raise ApiError(400, "invalid_request", f"'to' is not used by action {body.action!r}")
    decision = DecisionInput(
        task_id=task_id,
        action=body.action,
        actor=principal.sub,
        groups=list(principal.groups),
        comment=body.comment,
        variables=body.variables,
    )
    handle = client.get_workflow_handle(instance_id)
    # Bounded twice: per RPC by the SDK, and as a whole here (the SDK re-polls until accepted).
    async with asyncio.timeout(settings.update_timeout_seconds):
        result: DecisionResult = await handle.execute_update(
            UPDATE_DECIDE,
            decision,
            id=_update_id(principal, idempotency_key),
            result_type=DecisionResult,
            rpc_timeout=timedelta(seconds=settings.update_timeout_seconds),
        )
    metrics.observe_decision(body.action, result)
    return DecisionPublic.model_validate(result.model_dump())


def _update_id(principal: Principal, idempotency_key: str | None) -> str:
    # Scoped by user: one user's key can neither collide with nor replay another user's decision.
    return f"{principal.sub}:{idempotency_key}" if idempotency_key else str(uuid.uuid4())
