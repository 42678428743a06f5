"""Client-side calls to the mailboxes and broadcasts, shared by the API and the activities.

Every call to a mailbox is an update-with-start: the mailbox of a (name, correlation key) exists
only while someone needs it, and whoever comes first starts it (docs/architecture.md "Messages
and signals").
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from shenpi_core.messaging import (
    BROADCAST_WORKFLOW,
    MAILBOX_PUBLISH,
    MAILBOX_RETURN,
    MAILBOX_SUBSCRIBE,
    MAILBOX_UNSUBSCRIBE,
    MAILBOX_WORKFLOW,
    BroadcastInput,
    BroadcastResult,
    MessageSubscription,
    PublishInput,
    PublishResult,
    ReturnedMessage,
    SubscribeResult,
    Unsubscription,
    broadcast_id,
    mailbox_id,
)

T = TypeVar("T")


async def _mailbox_update(
    client: Client,
    task_queue: str,
    name: str,
    key: str,
    update: str,
    arg: Any,
    result_type: type[T],
    rpc_timeout: timedelta | None = None,
) -> T:
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        MAILBOX_WORKFLOW,
        None,
        id=mailbox_id(name, key),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    result: T = await client.execute_update_with_start_workflow(
        update,
        arg,
        start_workflow_operation=start,
        result_type=result_type,
        rpc_timeout=rpc_timeout,
    )
    return result


async def publish(
    client: Client, task_queue: str, arg: PublishInput, rpc_timeout: timedelta | None = None
) -> PublishResult:
    message = arg.message
    return await _mailbox_update(
        client,
        task_queue,
        message.name,
        message.correlation_key,
        MAILBOX_PUBLISH,
        arg,
        PublishResult,
        rpc_timeout,
    )


async def subscribe(client: Client, task_queue: str, arg: MessageSubscription) -> SubscribeResult:
    return await _mailbox_update(
        client, task_queue, arg.name, arg.correlation_key, MAILBOX_SUBSCRIBE, arg, SubscribeResult
    )


async def take_back(client: Client, task_queue: str, arg: ReturnedMessage) -> PublishResult:
    delivery = arg.delivery
    return await _mailbox_update(
        client,
        task_queue,
        delivery.name,
        delivery.correlation_key,
        MAILBOX_RETURN,
        arg,
        PublishResult,
    )


async def unsubscribe(client: Client, arg: Unsubscription) -> None:
    """Signal the mailbox if it runs; a mailbox that ended holds no subscription anyway."""
    handle = client.get_workflow_handle(mailbox_id(arg.name, arg.correlation_key))
    try:
        await handle.signal(MAILBOX_UNSUBSCRIBE, arg)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise


async def start_broadcast(client: Client, task_queue: str, arg: BroadcastInput) -> str:
    """Start the broadcast of a signal, once per signal id (a second start finds the first)."""
    workflow_id = broadcast_id(arg.signal.signal_id)
    # Running: that broadcast; ended (within the namespace's retention): refused, so a repeated
    # signal id does not broadcast again.
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            BROADCAST_WORKFLOW,
            arg,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            result_type=BroadcastResult,
        )
    return workflow_id
