"""Chat decisions: find the task a ref names, and deliver a decision within WeChat's 5 seconds.

The decision is the HTTP API's: the ``decide`` update with its validator (``api.updates``), with
the WeChat message id as the update id, so WeChat's redeliveries have one effect. When no worker
answers within :data:`UPDATE_WAIT_SECONDS` (or what the callback's deadline leaves, less the
signal's share), the decision goes as the ``decide_signal`` with the same key (applied when a
worker runs the instance, if still valid) and the sender is told it is being processed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import FastAPI
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import updates, visibility
from api.errors import instance_ended
from api.schemas import TaskPublic
from api.wechat.deadline import Deadline, bounded_db
from shenpi.auth_tokens import Principal
from shenpi.db import wechat as db
from shenpi.db.models import WeChatMessage
from shenpi.settings import Settings
from shenpi_core.contracts import (
    MEMO_TASKS,
    SIGNAL_DECIDE,
    UPDATE_DECIDE,
    DecisionInput,
    DecisionResult,
    DecisionSignal,
    ErrorType,
)

# WeChat drops an answer after 5 s: the update gets at most 3 and always leaves the signal
# fallback its 1 (api.wechat.deadline: what remains of the callback's 4.5 s bounds both).
UPDATE_WAIT_SECONDS = 3.0
SIGNAL_WAIT_SECONDS = 1.0
MIN_SIGNAL_SECONDS = 0.2  # a decision handed over durably is worth a moment past the deadline
SCAN_SECONDS = 0.5  # looking beyond the sender's inbox only words the reply: keep it short
INBOX_SCAN = 200  # running instances scanned for a ref, in the sender's inbox and beyond
KEEP_MESSAGES = timedelta(days=3)  # WeChat retries within seconds; card codes live 72 hours

Verdict = Literal["accepted", "pending", "not_yours", "unknown", "already", "unavailable"]
# Verdicts recorded per message (the card was updated after them); a redelivery after a settled
# one answers the same without asking Temporal again.
RECORDED = frozenset({"accepted", "pending", "already"})
SETTLED = frozenset({"accepted", "already"})

_VERDICTS: dict[str, Verdict] = {
    ErrorType.NOT_ALLOWED: "not_yours",
    ErrorType.NOT_INITIATOR: "not_yours",
    ErrorType.TASK_NOT_FOUND: "unknown",
    ErrorType.NOT_OPEN: "already",
    ErrorType.ALREADY_ACTED: "already",
    ErrorType.INSTANCE_CLOSED: "already",
    ErrorType.ILLEGAL_ACTION: "already",
}


@dataclass(frozen=True)
class Delivery:
    verdict: Verdict
    instance_id: str
    task_id: str
    task_name: str | None = None
    repeated: bool = False  # a redelivery: the first delivery already followed up (card update)


async def find_by_ref(
    client: Client, principal: Principal, ref: str, deadline: Deadline
) -> tuple[TaskPublic | None, bool]:
    """``(task, elsewhere)``: the sender's open task with this ref, or whether an open task with
    it exists that is someone else's (so the reply can say "not yours" rather than "unknown").
    Raises ``TimeoutError`` when the inbox does not answer in time to still decide."""
    async with asyncio.timeout(deadline.remaining(reserve=SIGNAL_WAIT_SECONDS)):
        mine = await visibility.inbox(client, principal, limit=INBOX_SCAN)
    found = next((t for t in mine if t.ref == ref), None)
    if found is not None:
        return found, False
    try:
        async with asyncio.timeout(deadline.remaining(cap=SCAN_SECONDS)):
            return None, await _open_elsewhere(client, ref)
    except TimeoutError:
        return None, False  # only the wording of the reply depends on it: "unknown" will do


async def _open_elsewhere(client: Client, ref: str) -> bool:
    query = 'ShenpiVersion IS NOT NULL AND ExecutionStatus = "Running"'
    async for execution in client.list_workflows(query, limit=INBOX_SCAN, page_size=INBOX_SCAN):
        try:
            views = await execution.memo_value(MEMO_TASKS, default=[])
        except (LookupError, ValueError):
            # A memo this API cannot read (a key not in its ring, an encoding it lacks) only
            # words another instance's reply: skip it rather than fail the sender's message.
            continue
        if any(isinstance(v, dict) and v.get("ref") == ref for v in views):
            return True
    return False


async def earlier_target(app: FastAPI, key: str, deadline: Deadline) -> tuple[str, str] | None:
    """``(instance_id, task_id)`` an earlier delivery of message ``key`` decided, if any."""
    before = await bounded_db(deadline, lambda: _message_target(app, key))
    return (before.instance_id, before.task_id) if before is not None else None


async def _message_target(app: FastAPI, key: str) -> WeChatMessage | None:
    async with app.state.sessions() as session:
        return await db.message_target(session, key)


async def deliver(
    app: FastAPI,
    principal: Principal,
    *,
    instance_id: str,
    task_id: str,
    action: Literal["approve", "reject"],
    comment: str | None,
    key: str,
    deadline: Deadline,
) -> Delivery:
    """Decide ``task_id`` as ``principal``; ``key`` (``wechat-work:<MsgId>``...) is the update id
    and the signal's idempotency key. Every wait is bounded by what ``deadline`` leaves."""
    try:
        before = await bounded_db(deadline, lambda: _message_target(app, key))
    except TimeoutError:
        return Delivery("unavailable", instance_id, task_id)  # the sender may try again
    if before is not None:
        # A redelivery: the same task, even though its ref has left the inbox by now.
        instance_id, task_id = before.instance_id, before.task_id
        if before.outcome in SETTLED:
            verdict = _verdict(before.outcome)
            return Delivery(verdict, instance_id, task_id, before.task_name, repeated=True)
    decision = DecisionInput(
        task_id=task_id,
        action=action,
        actor=principal.sub,
        groups=list(principal.groups),
        comment=comment,
    )
    delivery = await _run(app, instance_id, decision, key, deadline)
    if before is not None:
        # The first delivery followed up (a card code works once), whatever this one found.
        verdict = _redelivered(before.outcome, delivery.verdict)
        delivery = replace(delivery, verdict=verdict, repeated=True)
    if delivery.verdict in RECORDED:
        outcome, name = delivery.verdict, delivery.task_name
        try:
            first = await bounded_db(
                deadline, lambda: _record(app, key, instance_id, task_id, outcome, name)
            )
        except TimeoutError:
            first = False  # the decision stands; without knowing, leave the card alone
        # Concurrent deliveries share the update's result; only the first one follows up on it.
        delivery = replace(delivery, repeated=delivery.repeated or not first)
    return delivery


async def _record(
    app: FastAPI, key: str, instance_id: str, task_id: str, outcome: str, task_name: str | None
) -> bool:
    async with app.state.sessions() as session:
        return await db.record_message(
            session,
            key,
            instance_id=instance_id,
            task_id=task_id,
            outcome=outcome,
            task_name=task_name,
            now=datetime.now(UTC),
            keep=KEEP_MESSAGES,
        )


def _verdict(outcome: str) -> Verdict:
    return "accepted" if outcome == "accepted" else "already"


def _redelivered(first: str, now: Verdict) -> Verdict:
    """What a redelivery's verdict means, given the first delivery's recorded outcome."""
    if now == "unknown":
        now = "already"  # the first delivery reached this task, so it existed: decided since
    if now == "already" and first == "pending":
        return "accepted"  # our own signal has been applied since
    return now


async def _run(
    app: FastAPI, instance_id: str, decision: DecisionInput, key: str, deadline: Deadline
) -> Delivery:
    client: Client = app.state.temporal_client
    settings: Settings = app.state.settings
    cap = min(settings.update_timeout_seconds, UPDATE_WAIT_SECONDS)
    wait = deadline.remaining(cap=cap, reserve=SIGNAL_WAIT_SECONDS)
    if wait < MIN_SIGNAL_SECONDS:
        return await _signal(client, instance_id, decision, key, deadline)  # no time to wait
    bounded = settings.model_copy(update={"update_timeout_seconds": wait})
    task_id = decision.task_id
    try:
        result = await updates.execute(
            client,
            instance_id,
            UPDATE_DECIDE,
            decision,
            result_type=DecisionResult,
            update_id=key,
            settings=bounded,
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        return Delivery(_VERDICTS.get(kind or "", "unavailable"), instance_id, task_id)
    except (TimeoutError, RPCTimeoutOrCancelledError):
        return await _signal(client, instance_id, decision, key, deadline)
    except RPCError as err:
        return Delivery(_rpc_verdict(err), instance_id, task_id)
    app.state.metrics.observe_decision(decision.action, result)  # counted as HTTP decisions are
    return Delivery("accepted", instance_id, task_id, task_name=result.task.name)


async def _signal(
    client: Client, instance_id: str, decision: DecisionInput, key: str, deadline: Deadline
) -> Delivery:
    """No worker answered in time: hand the decision over durably and let the sender know."""
    handle = client.get_workflow_handle(instance_id)
    wait = max(deadline.remaining(cap=SIGNAL_WAIT_SECONDS), MIN_SIGNAL_SECONDS)
    try:
        async with asyncio.timeout(wait):
            await handle.signal(
                SIGNAL_DECIDE,
                DecisionSignal(decision=decision, idempotency_key=key),
                rpc_timeout=timedelta(seconds=wait),
            )
    except RPCError as err:
        return Delivery(_rpc_verdict(err), instance_id, decision.task_id)
    except (TimeoutError, RPCTimeoutOrCancelledError):
        return Delivery("unavailable", instance_id, decision.task_id)  # WeChat will retry
    return Delivery("pending", instance_id, decision.task_id)


def _rpc_verdict(err: RPCError) -> Verdict:
    if instance_ended(err):
        return "already"  # a decided last task: the instance has ended or is ending
    if err.status == RPCStatusCode.NOT_FOUND:
        return "unknown"  # never existed (a forged card key)
    return "unavailable"
