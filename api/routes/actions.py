"""Instance actions: withdraw (撤回), cancel (撤销) and urge (催办), each the ``instance_action``
update, so the workflow's validator authorises it and the actor lands in the timeline."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus

from api import force_end, updates
from api.deps import PrincipalDep, SessionDep
from api.errors import ApiError
from api.schemas import InstanceActionCreate, InstanceActionPublic
from api.updates import KeyedUpdate, KeyedUpdateDep
from shenpi.auth_tokens import Principal
from shenpi.settings import Settings
from shenpi_core.contracts import (
    UPDATE_INSTANCE_ACTION,
    InstanceAction,
    InstanceActionInput,
    InstanceActionResult,
)

router = APIRouter(tags=["instances"])


@router.post("/instances/{instance_id}/withdraw", responses=updates.KEYED_RESPONSES)
async def withdraw_instance(
    instance_id: str,
    principal: PrincipalDep,
    update: KeyedUpdateDep,
    body: InstanceActionCreate | None = None,
) -> InstanceActionPublic:
    """撤回: the initiator takes the request back while nobody acted on the current step."""
    return await _act(update, instance_id, "withdraw", principal, body)


@router.post("/instances/{instance_id}/cancel", responses=updates.KEYED_RESPONSES)
async def cancel_instance(
    instance_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    update: KeyedUpdateDep,
    body: InstanceActionCreate | None = None,
    force: bool = False,
) -> InstanceActionPublic:
    """撤销 by the initiator or an admin; ``?force=true`` (admins) ends it even if it cannot run."""
    if force:
        return await _force_cancel(
            update.client, session, update.settings, instance_id, principal, body
        )
    return await _act(update, instance_id, "cancel", principal, body)


@router.post("/instances/{instance_id}/urge", responses=updates.KEYED_RESPONSES)
async def urge_instance(
    instance_id: str,
    principal: PrincipalDep,
    update: KeyedUpdateDep,
    body: InstanceActionCreate | None = None,
) -> InstanceActionPublic:
    """催办: the initiator reminds the current approvers (rate-limited: 429 with Retry-After)."""
    return await _act(update, instance_id, "urge", principal, body)


async def _act(
    update: KeyedUpdate,
    instance_id: str,
    action: InstanceAction,
    principal: Principal,
    body: InstanceActionCreate | None,
) -> InstanceActionPublic:
    """Run the instance action; the workflow's validator authorises it (refusals leave no trace)."""
    comment = (body.comment or body.reason) if body else None
    request = InstanceActionInput(
        action=action, actor=principal.sub, is_admin=principal.is_admin, comment=comment
    )
    result = await update(
        instance_id, UPDATE_INSTANCE_ACTION, request, body=body, result_type=InstanceActionResult
    )
    return InstanceActionPublic(instance_id=instance_id, **result.model_dump())


async def _force_cancel(
    client: Client,
    session: AsyncSession,
    settings: Settings,
    instance_id: str,
    principal: Principal,
    body: InstanceActionCreate | None,
) -> InstanceActionPublic:
    # For an instance that cannot take the update (no worker for its version, stuck, broken):
    # Temporal cancels it, and terminates it if it cannot even do that (api/force_end.py).
    if not principal.is_admin:
        raise ApiError(403, "forbidden", "only an admin may force a cancel")
    handle = client.get_workflow_handle(instance_id)
    description = await handle.describe(rpc_timeout=updates.rpc_bound(settings))
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise ApiError(409, "instance_closed", "the instance is not running")
    why = (body.comment or body.reason) if body else None
    reason = f"cancelled by {principal.sub}" + (f": {why}" if why else "")
    ended = await force_end.force_cancel(client, session, instance_id, principal.sub, reason)
    return InstanceActionPublic(
        instance_id=instance_id,
        accepted=True,
        instance_status="cancelled" if ended == "cancelled" else "terminated",
        forced=True,
    )
