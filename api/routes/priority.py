"""Change a running request's priority: the initiator's manager (by the directory) or an admin.

The ``set_priority`` update's validator decides (a refusal leaves no trace in history); the
directory is I/O, so the lookup of whose manager the caller is happens here.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, FastAPI, Request
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.common.v1 import Priority as PriorityMessage
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflow.v1 import WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionOptionsRequest
from temporalio.client import Client
from temporalio.service import RPCError

from api import updates
from api.deps import PrincipalDep
from api.schemas import PriorityChange, PriorityPublic
from api.updates import KeyedUpdateDep
from api.wechat.identity import directory_of
from shenpi.auth_tokens import Principal
from shenpi.directory import DirectoryLookupError
from shenpi.settings import Settings
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import UPDATE_SET_PRIORITY, PriorityInput, PriorityResult
from shenpi_core.process_plan import Priority
from workflows.priority import TEMPORAL_KEYS

log = logging.getLogger(__name__)

router = APIRouter(tags=["instances"])


@router.post("/instances/{instance_id}/priority", responses=updates.KEYED_RESPONSES)
async def change_priority(
    instance_id: str,
    body: PriorityChange,
    request: Request,
    principal: PrincipalDep,
    update: KeyedUpdateDep,
) -> PriorityPublic:
    """Set the priority; 403 unless the initiator's manager or an admin, 409 if ended or same."""
    client, settings = update.client, update.settings
    managed = None
    if not principal.is_admin:
        managed = await _managed_initiator(request.app, client, instance_id, principal, settings)
    change = PriorityInput(
        priority=body.priority,
        actor=principal.sub,
        is_admin=principal.is_admin,
        manager_of=managed,
        comment=body.comment,
    )
    result = await update(
        instance_id, UPDATE_SET_PRIORITY, change, body=body, result_type=PriorityResult
    )
    await _retag_workflow_tasks(client, instance_id, result.priority, settings)
    return PriorityPublic(instance_id=instance_id, **result.model_dump())


async def _managed_initiator(
    app: FastAPI, client: Client, instance_id: str, principal: Principal, settings: Settings
) -> str | None:
    """The instance's initiator if the directory names the caller as their manager."""
    handle = client.get_workflow_handle(instance_id)
    description = await handle.describe(rpc_timeout=updates.rpc_bound(settings))
    initiator = description.typed_search_attributes.get(sa.INITIATOR)
    if initiator is None:
        return None
    directory = await directory_of(app)
    try:
        manager = await asyncio.to_thread(directory.manager, initiator)
    except DirectoryLookupError:
        return None
    return initiator if manager == principal.sub else None


async def _retag_workflow_tasks(
    client: Client, instance_id: str, priority: Priority, settings: Settings
) -> None:
    """Move the instance's own workflow tasks to the new priority too (the workflow passes it to
    its activities itself). A server without the option keeps the start's: logged, not fatal."""
    request = UpdateWorkflowExecutionOptionsRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=instance_id),
        workflow_execution_options=WorkflowExecutionOptions(
            priority=PriorityMessage(priority_key=TEMPORAL_KEYS[priority])
        ),
        update_mask=FieldMask(paths=["priority"]),
    )
    try:
        await client.workflow_service.update_workflow_execution_options(
            request, timeout=updates.rpc_bound(settings)
        )
    except RPCError as err:
        log.warning("workflow task priority of %s not changed: %s", instance_id, err.message)
