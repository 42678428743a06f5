"""The handlers and main loop of every Shenpi workflow instance.

``InstanceWorkflow`` is shared by the dynamic interpreter (``workflows/interpreter.py``) and by
workflows emitted with ``--emit python``. It lives in its own module, imported through the sandbox
as a passed-through module like the engine it drives: the sandbox then re-imports only the small
module that registers the workflow for each new instance, instead of compiling this one again.
The main loop: advance the tokens, publish the inbox, continue as new when due, then sleep until a
decision, timer or activity changes something.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from shenpi_core.contracts import (
    QUERY_STATE,
    SIGNAL_DECIDE,
    SIGNAL_ESCALATION,
    UPDATE_DECIDE,
    UPDATE_INCIDENT_ACTION,
    UPDATE_INSTANCE_ACTION,
    UPDATE_SET_PRIORITY,
    DecisionInput,
    DecisionResult,
    DecisionSignal,
    ErrorType,
    EscalationSignal,
    IncidentActionInput,
    IncidentActionResult,
    InstanceActionInput,
    InstanceActionResult,
    InstanceState,
    PriorityInput,
    PriorityResult,
    StartInput,
)
from shenpi_core.messaging import (
    SIGNAL_BPMN,
    SIGNAL_MESSAGE,
    UPDATE_MESSAGE,
    BpmnSignal,
    DirectMessage,
    DirectMessageResult,
    MessageDelivery,
)
from shenpi_core.plan_models import build_plan_models
from shenpi_core.process_plan import ProcessPlan
from workflows import calls, decisions, events, incident_actions, instance_actions, priority
from workflows.archive import archive
from workflows.deadlines import Deadlines
from workflows.engine import Engine
from workflows.inbox import Inbox
from workflows.notices import Notifier
from workflows.refusals import refuse
from workflows.services import UNSERVED_FIRST_WAIT, WorkflowWaits

# Every Shenpi workflow runs on this module, which is imported outside the sandbox (passed
# through) before any workflow task: the plan models are built here, once a process, so no build
# runs inside the sandbox whoever made the worker (`build_worker`, an emitted module's own
# `Worker`, a `Replayer`). See shenpi_core/plan_models.py.
build_plan_models()


class InstanceWorkflow:
    """Handlers and main loop shared by the dynamic interpreter and emitted workflows."""

    _engine: Engine
    _waits: WorkflowWaits
    _plan: ProcessPlan
    _resumed: bool
    _max_history_events: int | None
    _worker_wait_seconds: float | None
    _changed: bool
    _urge_interval: timedelta
    _notify_events: list[str] | None
    _ai_heartbeats: bool | None
    _notifier: Notifier
    _deadlines: Deadlines
    _start_event: str | None

    def _setup(self, start: StartInput) -> None:
        self._plan = start.plan
        self._max_history_events = start.max_history_events
        self._resumed = start.resume is not None
        self._start_event = start.start_event
        state = start.resume or InstanceState(
            process_id=start.plan.process_id,
            version=start.version,
            initiator=start.initiator,
            business_key=start.business_key,
            priority=start.priority,
            called_by=start.called_by,
            variables=dict(start.variables),
            request_fields=sorted(start.variables),
        )
        self._changed = False
        self._worker_wait_seconds = start.worker_wait_seconds
        self._ai_heartbeats = start.ai_heartbeats
        self._waits = WorkflowWaits(
            self._mark_changed,
            worker_wait=worker_wait(start),
            ai_heartbeats=bool(start.ai_heartbeats),
        )
        self._engine = Engine(
            start.plan,
            state,
            self._waits,
            workflow_id=workflow.info().workflow_id,
            now=workflow.now,
        )
        self._waits.bind(self._engine)
        # A called process runs with the caller's settings (notify, worker wait, AI heartbeats).
        self._waits.inherited = {
            "worker_wait_seconds": start.worker_wait_seconds,
            "urge_min_interval_seconds": start.urge_min_interval_seconds,
            "notify_events": start.notify_events,
            "ai_heartbeats": start.ai_heartbeats,
        }
        self._urge_interval = urge_interval(start)
        self._notify_events = start.notify_events
        self._notifier = Notifier(
            self._engine, self._mark_changed, self._crashed, defaults=start.notify_events
        )
        self._deadlines = Deadlines(self._engine, self._notifier, self._mark_changed, self._crashed)

    async def _execute(self) -> InstanceState:
        engine, inbox = self._engine, Inbox()
        if self._resumed:
            engine.rearm()
        else:
            engine.begin(self._start_event)
        try:
            while True:
                self._changed = False
                if self._waits.crash is not None:
                    raise self._waits.crash  # a bug: fail the workflow task, retry after a fix
                engine.continue_as_new_wanted = self._continue_as_new_wanted()
                engine.advance()
                self._deadlines.sync()  # due dates shown, reminder and due timers armed
                self._notifier.announce()  # the tasks opened meanwhile (with their due dates)
                inbox.publish(
                    engine.state, engine.book, self._plan.process_id, events.waiting_for(engine)
                )
                if engine.finished:
                    break
                if self._continue_as_new_due():
                    self._continue_as_new()
                await workflow.wait_condition(self._has_news)
        except asyncio.CancelledError:
            # Cancelled from outside (API cancel, Temporal UI): record it, empty the inbox, and
            # let Temporal close the execution as cancelled.
            engine.cancel_instance()
            inbox.publish(engine.state, engine.book, self._plan.process_id, [])
            self._count_completion()
            await self._notifier.finish()
            await archive(engine)
            raise
        self._count_completion()
        await self._notifier.finish()  # the outcome, and what notices missed, before archiving
        await archive(engine)
        # Unsubscriptions and signal throws go out before the instance closes.
        await workflow.wait_condition(lambda: not self._waits.housekeeping)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return engine.state.model_copy(update={"tokens": [], "counters": {}})

    def _count_completion(self) -> None:
        # Counted in the workflow, so every ending is seen (decision, timer, service task, cancel);
        # the SDK's meter skips replays, so each instance counts once.
        workflow.metric_meter().create_counter(
            "shenpi_instances_completed", "Process instances ended, by process and outcome"
        ).add(
            1,
            {"process_id": self._plan.process_id, "outcome": self._engine.state.outcome or ""},
        )

    def _has_news(self) -> bool:
        return (
            self._changed
            or self._engine.has_work()
            or self._waits.crash is not None
            or self._continue_as_new_due()
        )

    def _mark_changed(self) -> None:
        self._changed = True

    def _crashed(self, err: BaseException) -> None:
        """A bug in a background task: the main loop re-raises it and fails the workflow task."""
        self._waits.crash = err

    # --- continue-as-new ----------------------------------------------------------------------

    def _continue_as_new_wanted(self) -> bool:
        info = workflow.info()
        limit = self._max_history_events
        return info.is_continue_as_new_suggested() or (
            limit is not None and info.get_current_history_length() >= limit
        )

    def _continue_as_new_due(self) -> bool:
        return (
            self._continue_as_new_wanted()
            and not self._engine.finished
            and not self._engine.has_work()
            and self._engine.parked()
            and workflow.all_handlers_finished()
            and self._notifier.idle  # a notification or escalation lookup would be lost
            and self._deadlines.idle
            and not self._waits.signalling
            and not self._waits.housekeeping
        )

    def _continue_as_new(self) -> NoReturn:
        workflow.continue_as_new(self._next_run_input(self._snapshot()))

    def _next_run_input(self, snapshot: InstanceState) -> Any:
        """The argument of the next run; emitted workflows override it (no plan in the input)."""
        return StartInput(
            plan=self._plan,
            version=snapshot.version,
            initiator=snapshot.initiator,
            business_key=snapshot.business_key,
            resume=snapshot,
            max_history_events=self._max_history_events,
            worker_wait_seconds=self._worker_wait_seconds,
            urge_min_interval_seconds=self._urge_interval.total_seconds(),
            notify_events=self._notify_events,
            ai_heartbeats=self._ai_heartbeats,
        )

    def _snapshot(self) -> InstanceState:
        tokens = [t.snapshot() for t in self._engine.tokens]
        return self._engine.state.model_copy(update={"tokens": tokens})

    # --- handlers -----------------------------------------------------------------------------

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, input: DecisionInput) -> DecisionResult:
        """Apply a human decision; returns once the state is updated, not after the next nodes."""
        if self._engine.book.get(input.task_id) is None:
            # The validator saw this task, so it exists when the update first runs. A replay can
            # deliver the update in one activation with the activity result that opened the task,
            # and the SDK runs update handlers first: wait for the main loop to open it, so the
            # replay applies the decision where the first run did (docs/architecture.md §2).
            await workflow.wait_condition(lambda: self._task_or_end(input.task_id))
        task = decisions.apply(self._engine, input)
        self._engine.advance()  # synchronous: the result can say whether the instance ended
        self._changed = True
        return DecisionResult(
            accepted=True, task=task.model_copy(), instance_status=self._engine.state.status
        )

    def _task_or_end(self, task_id: str) -> bool:
        return self._engine.book.get(task_id) is not None or self._engine.finished

    @decide.validator
    def validate_decide(self, input: DecisionInput) -> None:
        decisions.check(self._engine, input)

    @workflow.signal(name=SIGNAL_DECIDE)
    def decide_signal(self, input: DecisionSignal) -> None:
        """Fallback for callers that cannot wait: apply the decision if it is still valid."""
        if decisions.already_applied(self._engine, input.idempotency_key):
            return
        try:
            decisions.apply(self._engine, input.decision, input.idempotency_key)
        except ApplicationError as err:
            if not decisions.is_refusal(err):
                raise
            workflow.logger.info("decision signal %s refused: %s", input.idempotency_key, err)
            return
        self._changed = True

    @workflow.update(name=UPDATE_INSTANCE_ACTION)
    async def instance_action(self, input: InstanceActionInput) -> InstanceActionResult:
        """Withdraw, cancel or urge; withdraw and cancel end the instance with their outcome."""
        result = instance_actions.apply(self._engine, input, self._urge_interval, self._notifier)
        self._changed = True
        return result

    @instance_action.validator
    def validate_instance_action(self, input: InstanceActionInput) -> None:
        instance_actions.check(self._engine, input, self._urge_interval)

    @workflow.update(name=UPDATE_INCIDENT_ACTION)
    async def incident_action(self, input: IncidentActionInput) -> IncidentActionResult:
        """Retry or resolve an incident (admins); a retried node runs on the next advance."""
        incident = incident_actions.apply(self._engine, input)
        self._changed = True
        return IncidentActionResult(
            accepted=True,
            incident=incident.model_copy(update={"incident_id": input.incident_id}),
            instance_status=self._engine.state.status,
        )

    @incident_action.validator
    def validate_incident_action(self, input: IncidentActionInput) -> None:
        incident_actions.check(self._engine, input)

    @workflow.update(name=UPDATE_SET_PRIORITY)
    async def set_priority(self, input: PriorityInput) -> PriorityResult:
        """Change the priority (the initiator's manager or an admin); activities scheduled from
        now on carry it, and the inbox attribute follows on the next publish."""
        result = priority.apply(self._engine, input)
        self._changed = True
        return result

    @set_priority.validator
    def validate_set_priority(self, input: PriorityInput) -> None:
        priority.check(self._engine, input)

    @workflow.signal(name=SIGNAL_ESCALATION)
    def escalation(self, input: EscalationSignal) -> None:
        """A called process escalated and nobody there caught it (``workflows/calls.py``)."""
        calls.escalated(self._engine, input.token_id, input.code)
        self._mark_changed()

    # --- messages and signals (workflows/events.py) --------------------------------------------

    @workflow.signal(name=SIGNAL_MESSAGE)
    def message(self, delivery: MessageDelivery) -> None:
        """The mailbox correlated a message to one of this instance's subscriptions."""
        events.message_arrived(self._engine, delivery)
        self._mark_changed()

    @workflow.update(name=UPDATE_MESSAGE)
    async def deliver_message(self, message: DirectMessage) -> DirectMessageResult:
        """A message addressed to this instance (``POST /instances/{id}/messages/{name}``)."""
        node_id = events.deliver_direct(self._engine, message)
        self._changed = True
        return DirectMessageResult(node_id=node_id)

    @deliver_message.validator
    def validate_deliver_message(self, message: DirectMessage) -> None:
        if events.direct_target(self._engine, message.name) is None:
            raise refuse(
                ErrorType.NOT_WAITING,
                f"nothing in this instance waits for message {message.name!r}",
            )

    @workflow.signal(name=SIGNAL_BPMN)
    def bpmn_signal(self, signal: BpmnSignal) -> None:
        events.signal_arrived(self._engine, signal)
        self._mark_changed()

    @workflow.query(name=QUERY_STATE)
    def get_state(self) -> InstanceState:
        return self._snapshot()


def urge_interval(start: StartInput) -> timedelta:
    if start.urge_min_interval_seconds is None:
        return instance_actions.DEFAULT_URGE_INTERVAL
    return timedelta(seconds=start.urge_min_interval_seconds)


def worker_wait(start: StartInput) -> timedelta:
    if start.worker_wait_seconds is None:
        return UNSERVED_FIRST_WAIT
    return timedelta(seconds=start.worker_wait_seconds)
