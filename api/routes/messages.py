"""BPMN messages and signals from outside: publish a message, deliver one to an instance,
broadcast a signal (docs/api.md "Messages and signals")."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import isodate
from fastapi import APIRouter
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api import updates
from api.deps import PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.document_access import DocumentAccessDep
from api.errors import ApiError
from api.message_schemas import (
    DirectMessageBody,
    DirectMessageDelivered,
    MessagePublish,
    MessagePublished,
    SignalBroadcast,
    SignalBroadcasted,
)
from shenpi import messaging_client
from shenpi.auth_tokens import Principal
from shenpi.event_starts import start_by_event
from shenpi.settings import Settings
from shenpi_core import search_attributes as sa
from shenpi_core.messaging import (
    UPDATE_MESSAGE,
    BpmnSignal,
    BroadcastInput,
    BroadcastResult,
    DirectMessage,
    DirectMessageResult,
    Message,
    PublishInput,
    broadcast_id,
)

router = APIRouter(tags=["messages"])

# How long POST /signals waits for its broadcast before answering "running" (a broadcast to
# thousands of instances goes on, reported by GET /signals/{signal_id}).
BROADCAST_WAIT = timedelta(seconds=10)
# A message kept longer than a year is a record, not a message: it belongs in the app's data.
MAX_TTL = timedelta(days=366)


def is_publisher(principal: Principal, settings: Settings) -> bool:
    return principal.is_admin or bool(set(settings.publisher_groups) & set(principal.groups))


def require_publisher(principal: Principal, settings: Settings) -> None:
    if is_publisher(principal, settings):
        return
    allowed = set(settings.publisher_groups)
    raise ApiError(
        403,
        "forbidden",
        "publishing messages and signals needs membership of one of the groups"
        f" {sorted(allowed | {settings.admin_group})}",
    )


def _ttl_seconds(ttl: str | None) -> float:
    if not ttl:
        return 0.0
    try:
        value = isodate.parse_duration(ttl)
    except (isodate.ISO8601Error, ValueError):
        value = None
    if not isinstance(value, timedelta) or not timedelta(0) <= value <= MAX_TTL:
        raise ApiError(
            422,
            "invalid_value",
            f"ttl {ttl!r} is not an ISO-8601 duration in days, hours, minutes or seconds, of at"
            f" most {MAX_TTL.days} days",
            details=[{"loc": ["body", "ttl"], "msg": "not an ISO-8601 duration up to P366D"}],
        )
    return value.total_seconds()


@router.post("/messages")
async def publish_message(
    body: MessagePublish,
    session: SessionDep,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    documents: DocumentAccessDep,
) -> MessagePublished:
    """Correlate a message to the instances waiting for it (one per process), start the
    processes whose message start event it names, and keep it for its ttl otherwise."""
    require_publisher(principal, settings)
    ttl = _ttl_seconds(body.ttl)
    message_id = body.message_id or uuid.uuid4().hex
    started = await start_by_event(
        session,
        client,
        settings,
        event="message",
        name=body.name,
        trigger_id=message_id,
        variables=body.variables,
        initiator=principal.sub,
        business_key=body.correlation_key or None,
    )
    for instance_id in started:
        await documents.record(instance_id, body.variables)
    message = Message(
        name=body.name,
        correlation_key=body.correlation_key,
        variables=body.variables,
        message_id=message_id,
    )
    result = await messaging_client.publish(
        client,
        settings.task_queue,
        PublishInput(message=message, ttl_seconds=ttl),
        rpc_timeout=updates.rpc_bound(settings),
    )
    return MessagePublished(
        correlated=result.correlated,
        started=started,
        buffered=result.buffered,
        message_id=message_id,
    )


@router.post("/instances/{instance_id}/messages/{name}")
async def deliver_message(
    instance_id: str,
    name: str,
    body: DirectMessageBody,
    principal: PrincipalDep,
    settings: SettingsDep,
    update: updates.KeyedUpdateDep,
) -> DirectMessageDelivered:
    """Deliver message ``name`` to this instance, whatever the correlation key: 409
    ``not_waiting`` when nothing in it waits for that message. Its initiator, admins and
    publishers may."""
    if not is_publisher(principal, settings):
        handle = update.client.get_workflow_handle(instance_id)
        described = await handle.describe(rpc_timeout=updates.rpc_bound(settings))
        if described.typed_search_attributes.get(sa.INITIATOR) != principal.sub:
            raise ApiError(403, "forbidden", "only the initiator, admins and publishers may")
    arg = DirectMessage(name=name, variables=body.variables)
    result = await update(
        instance_id, UPDATE_MESSAGE, arg, body=body, result_type=DirectMessageResult
    )
    return DirectMessageDelivered(instance_id=instance_id, node_id=result.node_id)


@router.post("/signals")
async def broadcast_signal(
    body: SignalBroadcast,
    session: SessionDep,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    documents: DocumentAccessDep,
) -> SignalBroadcasted:
    """Signal every instance waiting for ``name`` and start every process whose signal start
    event names it. A large broadcast answers "running" and goes on; GET its progress."""
    require_publisher(principal, settings)
    signal_id = body.signal_id or uuid.uuid4().hex
    started = await start_by_event(
        session,
        client,
        settings,
        event="signal",
        name=body.name,
        trigger_id=signal_id,
        variables=body.variables,
        initiator=principal.sub,
    )
    for instance_id in started:  # its approvers may open the documents it names
        await documents.record(instance_id, body.variables)
    signal = BpmnSignal(name=body.name, variables=body.variables, signal_id=signal_id)
    workflow_id = await messaging_client.start_broadcast(
        client, settings.task_queue, BroadcastInput(signal=signal)
    )
    handle = client.get_workflow_handle(workflow_id, result_type=BroadcastResult)
    try:
        result = await asyncio.wait_for(handle.result(), BROADCAST_WAIT.total_seconds())
    except TimeoutError:
        return await _progress(client, signal_id, started)
    return SignalBroadcasted(
        signal_id=signal_id, status="done", delivered=result.delivered, started=started
    )


@router.get("/signals/{signal_id}")
async def signal_progress(
    signal_id: str,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> SignalBroadcasted:
    require_publisher(principal, settings)
    return await _progress(client, signal_id, [])


async def _progress(client: Client, signal_id: str, started: list[str]) -> SignalBroadcasted:
    handle = client.get_workflow_handle(broadcast_id(signal_id), result_type=BroadcastResult)
    try:
        described = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", f"no broadcast of signal {signal_id!r}") from err
        raise
    if described.status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        return SignalBroadcasted(
            signal_id=signal_id, status="done", delivered=result.delivered, started=started
        )
    delivered = 0
    for pending in described.raw_description.pending_activities:
        details = await client.data_converter.decode(pending.heartbeat_details.payloads)
        delivered = int(details[0]) if details else 0
    return SignalBroadcasted(
        signal_id=signal_id, status="running", delivered=delivered, started=started
    )
