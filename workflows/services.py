"""Waits run as workflow tasks: activities for service tasks, durable timers for timer events.

Each wait is an asyncio task keyed by (token id, wait key) so that an interrupting boundary timer,
a terminate end or a reject can cancel exactly the waits of the tokens it ends. Results go back
to the engine through its callbacks; ``on_change`` wakes the workflow's main loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    TimeoutError,
    TimeoutType,
    WorkflowAlreadyStartedError,
)
from temporalio.workflow import ParentClosePolicy

from shenpi_core.contracts import (
    ACTIVITY_AI_REVIEW,
    ACTIVITY_DIRECTORY,
    ACTIVITY_OCR,
    ACTIVITY_RESOLVE_DECISION,
    ACTIVITY_RESOLVE_PROCESS,
    BPMN_ERROR_TYPE,
    OCR_QUEUE_SUFFIX,
    SIGNAL_ESCALATION,
    AiReviewInput,
    AiReviewResult,
    CalledBy,
    DirectoryResolveInput,
    DirectoryResolveResult,
    ErrorType,
    EscalationSignal,
    InstanceState,
    ResolveDecisionInput,
    ResolveDecisionResult,
    ResolveProcessInput,
    ResolveProcessResult,
    ServiceTaskInput,
    StartInput,
)
from shenpi_core.messaging import (
    ACTIVITY_RETURN,
    ACTIVITY_SIGNAL_THROW,
    ACTIVITY_SUBSCRIBE,
    ACTIVITY_UNSUBSCRIBE,
    BroadcastInput,
    MessageSubscription,
    ReturnedMessage,
    SubscribeResult,
    Unsubscription,
)
from shenpi_core.process_plan import AiSpec, ServiceTask
from workflows import business_rules, calls, events
from workflows.ai import outcomes
from workflows.engine import Engine
from workflows.machine import AI, CALL, DECISION, MESSAGE, SERVICE
from workflows.mailbox_calls import mailbox_call
from workflows.notices import NOTIFY_ACTIVITY, record_failures, rejected_result
from workflows.priority import activity_priority

# No worker took the activity within this long: show `waiting_for_worker`, then keep waiting with
# a doubling bound so a forgotten instance does not grow its history every few seconds.
UNSERVED_FIRST_WAIT = timedelta(seconds=30)
UNSERVED_MAX_WAIT = timedelta(hours=1)
NOT_REGISTERED = "NotFoundError"  # what an SDK worker answers for an activity it does not have
# Directory lookups are quick reads; a directory down for longer than this is an incident.
DIRECTORY_TIMEOUT = timedelta(seconds=10)
DIRECTORY_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=[NOT_REGISTERED])
RESOLVE_RETRY = RetryPolicy(
    maximum_attempts=5, non_retryable_error_types=[NOT_REGISTERED, ErrorType.PROCESS_NOT_FOUND]
)
DECISION_RETRY = RetryPolicy(
    maximum_attempts=5, non_retryable_error_types=[NOT_REGISTERED, ErrorType.DECISION_NOT_FOUND]
)
# Between two attempts of an AI review; with the attempts' own timeout this bounds the whole
# review (schedule-to-close), so a review nobody serves ends in the fallback, never a hang.
AI_RETRY_MAX_INTERVAL = timedelta(seconds=30)
PATCH_NOTIFY_REJECTED = "shenpi-notify-rejected-moves-on"
# Shipped activities heartbeat every second while they work (activities/heartbeat.py), so this
# much silence is a dead worker: its attempt is retried now, not at start-to-close (5 minutes
# for a drawn task). Long enough for a worker busy with workflow tasks on two cores.
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# OCR beats from a thread of a CPU-bound pool process, through the pool's manager: more slack.
OCR_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
# Shipped types whose activity heartbeats. "ai-review" only when the starter says the provider
# answers in the worker (StartInput.ai_heartbeats): with the callback provider its attempt
# completes asynchronously (docs/ai.md), kept open by the job, not by a worker, so a heartbeat
# timeout would end long jobs that do not call the heartbeat URL; such an attempt is bounded by
# the node's own timeout (120 s by default). The directory lookup is bounded by 10 s.
HEARTBEATING_TYPES = frozenset({NOTIFY_ACTIVITY, "http"})
Found = TypeVar("Found", ResolveProcessResult, ResolveDecisionResult)


class WorkflowWaits:
    def __init__(
        self,
        on_change: Callable[[], None],
        *,
        worker_wait: timedelta = UNSERVED_FIRST_WAIT,
        ai_heartbeats: bool = False,
    ) -> None:
        self._on_change = on_change
        self._worker_wait = worker_wait
        self._ai_heartbeat = HEARTBEAT_TIMEOUT if ai_heartbeats else None
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._signals: list[asyncio.Task[None]] = []  # escalations sent to the caller
        self._housekeeping: list[asyncio.Task[Any]] = []  # mailbox and broadcast calls
        # What a called process inherits from this instance's start (StartInput fields).
        self.inherited: dict[str, Any] = {}
        self._engine: Engine | None = None
        self.crash: BaseException | None = None  # a bug in a wait: re-raised by the main loop

    def bind(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        assert self._engine is not None, "bind() an engine first"
        return self._engine

    def start_service(self, token_id: str, node: ServiceTask, arg: ServiceTaskInput) -> None:
        self._spawn(token_id, SERVICE, self._serve(token_id, node, arg))

    def start_timer(self, token_id: str, key: str, due_at: datetime) -> None:
        if due_at <= workflow.now():
            # Already due (a past date): fire now, in this step, rather than in a second wake-up.
            self.cancel(token_id, key)
            self.engine.timer_fired(token_id, key)
            return
        self._spawn(token_id, key, self._sleep(token_id, key, due_at))

    def start_review(self, token_id: str, arg: AiReviewInput, task_queue: str | None) -> None:
        self._spawn(token_id, AI, self._review(token_id, arg, task_queue))

    def start_directory(self, token_id: str, key: str, arg: DirectoryResolveInput) -> None:
        self._spawn(token_id, key, self._resolve(token_id, key, arg))

    def start_call(
        self,
        token_id: str,
        arg: ResolveProcessInput,
        variables: dict[str, Any],
        child_id: Callable[[ResolveProcessResult], str],
    ) -> None:
        self._spawn(token_id, CALL, self._call(token_id, arg, variables, child_id))

    def start_decision(self, token_id: str, arg: ResolveDecisionInput) -> None:
        self._spawn(token_id, DECISION, self._decide(token_id, arg))

    @property
    def signalling(self) -> bool:
        """An escalation to the caller is still being sent (continue-as-new would lose it)."""
        self._signals = [task for task in self._signals if not task.done()]
        return bool(self._signals)

    def escalate_to_caller(self, code: str | None) -> None:
        """Signal the caller's call activity (this instance was started by one)."""
        caller = self.engine.state.called_by
        assert caller is not None
        handle = workflow.get_external_workflow_handle(caller.workflow_id)
        signal = EscalationSignal(token_id=caller.token_id, code=code)
        self._signals.append(asyncio.create_task(handle.signal(SIGNAL_ESCALATION, signal)))

    # --- messages and signals (workflows/events.py) -----------------------------------------

    def subscribe(self, token_id: str, node_id: str, arg: MessageSubscription) -> None:
        key = MESSAGE + node_id
        self._spawn(token_id, key, self._subscribe(token_id, node_id, key, arg))

    async def _subscribe(
        self, token_id: str, node_id: str, key: str, arg: MessageSubscription
    ) -> None:
        try:
            result = await mailbox_call(
                ACTIVITY_SUBSCRIBE, arg, SubscribeResult, f"subscribe {arg.name}"
            )
        except ActivityError:  # cancelled (retried without end otherwise): the wait is over
            self._finish(token_id, key)
            return
        self._finish(token_id, key)
        events.subscribed(self.engine, token_id, node_id, result)

    def unsubscribe(self, arg: Unsubscription) -> None:
        self._housekeep(mailbox_call(ACTIVITY_UNSUBSCRIBE, arg, None, f"unsubscribe {arg.name}"))

    def return_message(self, arg: ReturnedMessage) -> None:
        summary = f"return {arg.delivery.name}"
        self._housekeep(mailbox_call(ACTIVITY_RETURN, arg, None, summary))

    def broadcast(self, arg: BroadcastInput) -> None:
        summary = f"signal {arg.signal.name}"
        self._housekeep(mailbox_call(ACTIVITY_SIGNAL_THROW, arg, None, summary))

    def _housekeep(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._housekeeping.append(asyncio.create_task(coro))

    @property
    def housekeeping(self) -> bool:
        """A mailbox or broadcast call is still on its way: finish it before ending or
        continuing as new."""
        self._housekeeping = [task for task in self._housekeeping if not task.done()]
        return bool(self._housekeeping)

    def cancel(self, token_id: str, key: str | None = None) -> None:
        for wait_key in [k for k in self._running if k[0] == token_id]:
            if key is None or wait_key[1] == key:
                self._running.pop(wait_key).cancel()

    def _spawn(self, token_id: str, key: str, coro: Coroutine[Any, Any, None]) -> None:
        self.cancel(token_id, key)
        self._running[(token_id, key)] = asyncio.create_task(self._guard(token_id, key, coro))

    async def _guard(self, token_id: str, key: str, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            return  # the token ended or moved on: nobody waits for this anymore
        except Exception as err:  # a bug, not a business failure: fail the workflow task
            self.crash = err
        self._on_change()

    def _finish(self, token_id: str, key: str) -> None:
        # Forget the wait before calling back, so the callback's own cancel() cannot hit it.
        self._running.pop((token_id, key), None)

    async def _sleep(self, token_id: str, key: str, due_at: datetime) -> None:
        await workflow.sleep((due_at - workflow.now()).total_seconds(), summary=key)
        self._finish(token_id, key)
        self.engine.timer_fired(token_id, key)

    async def _resolve(self, token_id: str, key: str, arg: DirectoryResolveInput) -> None:
        try:
            result = await workflow.execute_activity(
                ACTIVITY_DIRECTORY,
                arg,
                result_type=DirectoryResolveResult,
                start_to_close_timeout=DIRECTORY_TIMEOUT,
                schedule_to_close_timeout=DIRECTORY_TIMEOUT * 12,
                retry_policy=DIRECTORY_RETRY,
                summary="directory lookup",
                priority=activity_priority(self.engine),
            )
        except ActivityError as err:
            self._finish(token_id, key)
            self.engine.directory_failed(token_id, failure_message(err))
            return
        self._finish(token_id, key)
        self.engine.directory_resolved(token_id, key, result.values)

    async def _call(
        self,
        token_id: str,
        arg: ResolveProcessInput,
        variables: dict[str, Any],
        child_id: Callable[[ResolveProcessResult], str],
    ) -> None:
        """Find the called process's version, then run it as a child workflow."""
        try:
            resolved = await self._find_deployed(
                ACTIVITY_RESOLVE_PROCESS,
                arg,
                ResolveProcessResult,
                RESOLVE_RETRY,
                f"find process {arg.process_id}",
            )
        except ActivityError as err:
            self._finish(token_id, CALL)
            calls.failed(self.engine, token_id, failure_message(err))
            return
        instance_id = child_id(resolved)
        state = self.engine.state
        token = self.engine.token(token_id)
        start = StartInput(
            plan=resolved.plan,
            version=resolved.version,
            variables=variables,
            initiator=state.initiator,
            business_key=state.business_key,
            priority=state.priority,
            called_by=CalledBy(
                workflow_id=self.engine.workflow_id,
                node_id=token.node_id if token is not None else "",
                token_id=token_id,
            ),
            **self.inherited,
        )
        self._on_change()  # the timeline shows the call before it ends
        try:
            result = await workflow.execute_child_workflow(
                resolved.plan.process_id,
                start,
                id=instance_id,
                result_type=InstanceState,
                task_queue=workflow.info().task_queue,
                # A caller that ends (withdrawn, cancelled, terminated) asks its child to end too,
                # so the child closes its tasks and archives, rather than being killed.
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                priority=activity_priority(self.engine),
            )
        except (ChildWorkflowError, WorkflowAlreadyStartedError) as err:
            # Already started: an instance reset behind its running child; an incident to answer.
            self._finish(token_id, CALL)
            calls.failed(self.engine, token_id, failure_message(err))
            return
        self._finish(token_id, CALL)
        calls.completed(self.engine, token_id, result, instance_id)

    async def _find_deployed(
        self,
        activity: str,
        arg: ResolveProcessInput | ResolveDecisionInput,
        result_type: type[Found],
        retry: RetryPolicy,
        summary: str,
    ) -> Found:
        """Ask the worker for what is deployed (the workflow cannot read the database): a quick
        read, bounded like a directory lookup."""
        found: Found = await workflow.execute_activity(
            activity,
            arg,
            result_type=result_type,
            start_to_close_timeout=DIRECTORY_TIMEOUT,
            schedule_to_close_timeout=DIRECTORY_TIMEOUT * 12,
            retry_policy=retry,
            summary=summary,
            priority=activity_priority(self.engine),
        )
        return found

    async def _decide(self, token_id: str, arg: ResolveDecisionInput) -> None:
        """Find the deployed DMN file of a business rule task's decision; the workflow
        evaluates it (workflows/business_rules.py)."""
        try:
            found = await self._find_deployed(
                ACTIVITY_RESOLVE_DECISION,
                arg,
                ResolveDecisionResult,
                DECISION_RETRY,
                f"find decision {arg.decision_id}",
            )
        except ActivityError as err:
            self._finish(token_id, DECISION)
            business_rules.failed(self.engine, token_id, failure_message(err))
            return
        self._finish(token_id, DECISION)
        business_rules.resolved(self.engine, token_id, found)

    async def _review(self, token_id: str, arg: AiReviewInput, task_queue: str | None) -> None:
        spec = arg.spec
        try:
            result = await workflow.execute_activity(
                ACTIVITY_AI_REVIEW,
                arg,
                result_type=AiReviewResult,
                task_queue=task_queue or workflow.info().task_queue,
                start_to_close_timeout=timedelta(seconds=spec.timeout_seconds),
                schedule_to_close_timeout=review_bound(spec),
                heartbeat_timeout=self._ai_heartbeat,
                retry_policy=RetryPolicy(
                    maximum_attempts=spec.max_attempts,
                    maximum_interval=AI_RETRY_MAX_INTERVAL,
                    non_retryable_error_types=[NOT_REGISTERED],
                ),
                summary=f"AI {arg.purpose}: {arg.node_name or arg.node_id}",
                priority=activity_priority(self.engine),
            )
        except ActivityError as err:
            self._finish(token_id, AI)
            outcomes.failed(self.engine, token_id, failure_message(err))
            return
        self._finish(token_id, AI)
        outcomes.reviewed(self.engine, token_id, result)

    async def _serve(self, token_id: str, node: ServiceTask, arg: ServiceTaskInput) -> None:
        wait = self._worker_wait
        queue = node.task_queue or default_queue(node)
        while True:
            try:
                result = await workflow.execute_activity(
                    node.task_type,
                    arg,
                    task_queue=queue,
                    start_to_close_timeout=timedelta(seconds=node.start_to_close_seconds),
                    schedule_to_start_timeout=wait,
                    heartbeat_timeout=heartbeat_timeout(node),
                    retry_policy=RetryPolicy(
                        maximum_attempts=node.max_attempts,
                        non_retryable_error_types=[NOT_REGISTERED, BPMN_ERROR_TYPE],
                    ),
                    summary=node.name or node.id,
                    priority=activity_priority(self.engine),
                )
            except ActivityError as err:
                if self._notified_nobody(token_id, node, err):
                    return
                code = bpmn_error_code(err)
                if code is not None:
                    self._finish(token_id, SERVICE)
                    self.engine.service_error(token_id, code, failure_message(err))
                    return
                unserved = _unserved(err, node, queue)
                if unserved is None:
                    self._finish(token_id, SERVICE)
                    self.engine.service_failed(token_id, failure_message(err))
                    return
                self.engine.service_unserved(token_id, unserved)
                self._on_change()
                if _not_registered(err):  # a worker polls but lacks the type: retry later
                    await workflow.sleep(wait, summary=f"waiting for a worker: {node.task_type}")
                wait = min(wait * 2, UNSERVED_MAX_WAIT)
                continue
            self._finish(token_id, SERVICE)
            self.engine.service_completed(token_id, _as_variables(result))
            return

    def _notified_nobody(self, token_id: str, node: ServiceTask, err: ActivityError) -> bool:
        """A drawn notify task that reached nobody: recorded, and the process moves on.

        A failed notification must not stop an approval; before this patch it was an incident.
        """
        rejected = rejected_result(err) if node.task_type == NOTIFY_ACTIVITY else None
        if rejected is None or not workflow.patched(PATCH_NOTIFY_REJECTED):
            return False
        self._finish(token_id, SERVICE)
        record_failures(self.engine, NOTIFY_ACTIVITY, node.id, rejected)
        self.engine.service_completed(token_id, _as_variables(rejected))
        return True


def default_queue(node: ServiceTask) -> str:
    """The worker's own queue; OCR (CPU-bound) has its own, served by a process pool."""
    queue = workflow.info().task_queue
    return queue + OCR_QUEUE_SUFFIX if node.task_type == ACTIVITY_OCR else queue


def heartbeat_timeout(node: ServiceTask) -> timedelta | None:
    """Only activities known to heartbeat get one; any other would time out for not doing so."""
    if node.task_type == ACTIVITY_OCR:
        return OCR_HEARTBEAT_TIMEOUT
    return HEARTBEAT_TIMEOUT if node.task_type in HEARTBEATING_TYPES else None


def review_bound(spec: AiSpec) -> timedelta:
    """Every attempt at its timeout, plus the longest pause before each (queueing, backoff).

    ``max_attempts`` 0 (unlimited, as Temporal counts) is bounded as one attempt.
    """
    attempts = max(spec.max_attempts, 1)
    pauses = AI_RETRY_MAX_INTERVAL * attempts
    return timedelta(seconds=spec.timeout_seconds) * attempts + pauses


def failure_message(err: BaseException) -> str:
    """The innermost cause's message: what the activity said, not the SDK's wrapper."""
    cause: BaseException = err
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, TimeoutError):
        kind = cause.type.name.lower() if cause.type is not None else "unknown"
        return f"activity timed out ({kind})"
    message = getattr(cause, "message", None) or str(cause)
    return str(message)


def _unserved(err: ActivityError, node: ServiceTask, queue: str) -> str | None:
    cause = err.cause
    if isinstance(cause, TimeoutError) and cause.type == TimeoutType.SCHEDULE_TO_START:
        return f"no worker serves activity type {node.task_type!r} on task queue {queue!r}"
    if _not_registered(err):
        return f"the workers on task queue {queue!r} do not serve activity type {node.task_type!r}"
    return None


def bpmn_error_code(err: ActivityError) -> str | None:
    """The code of a BPMN error the activity raised (``BPMN_ERROR_TYPE``), else None."""
    cause = err.cause
    if not isinstance(cause, ApplicationError) or cause.type != BPMN_ERROR_TYPE:
        return None
    detail = cause.details[0] if cause.details else None
    code = detail.get("code") if isinstance(detail, dict) else detail
    return str(code) if isinstance(code, str | int) and str(code) else None


def _not_registered(err: ActivityError) -> bool:
    cause = err.cause
    return (
        isinstance(cause, ApplicationError)
        and cause.type == NOT_REGISTERED
        and "not registered" in cause.message
    )


def _as_variables(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    return {"result": result}
