"""The token machine's bookkeeping: tokens, timeline, incidents, boundary timers, ending.

``Engine`` (engine.py) adds what each node kind does on top of this. Nothing here awaits: the
workflow's main loop and handlers call in, and ``Waits`` turns waits into timers and activities.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from temporalio import workflow

from shenpi_core.contracts import (
    AiReviewInput,
    DirectoryResolveInput,
    Incident,
    IncidentKind,
    InstanceState,
    ResolveDecisionInput,
    ResolveProcessInput,
    ResolveProcessResult,
    ServiceTaskInput,
    TaskView,
    TimelineEntry,
    TimelineEvent,
)
from shenpi_core.messaging import (
    BroadcastInput,
    MessageSubscription,
    ReturnedMessage,
    Unsubscription,
)
from shenpi_core.process_plan import (
    BusinessRuleTask,
    CallActivity,
    ProcessPlan,
    ServiceTask,
    SubProcess,
)
from workflows import compensation, ops_metrics
from workflows.outcome import outcome_of, running_status
from workflows.tasks import TaskBook
from workflows.timers import first_occurrence, next_occurrence
from workflows.tokens import (
    BoundaryWait,
    MultiState,
    PlanIndex,
    StepState,
    Subscription,
    Token,
    TokenState,
)

TIMER = "timer"  # wait key of an intermediate timer catch
SERVICE = "service"  # wait key of a running activity
BOUNDARY = "boundary:"  # wait key prefix of a boundary timer, followed by its node id
AI = "ai"  # wait key of a running ai-review activity (<shenpi:ai>, ai-review service tasks)
CALL = "call"  # wait key of a call activity: resolving its process, then its child workflow
MESSAGE = "message:"  # wait key prefix of a message subscription opening, then its node id
DECISION = "decision"  # wait key of a business rule task resolving its decision
# Task notices and escalations read the task's scope (``task_view``); runs from before did not.
PATCH_TASK_VIEW = "shenpi-task-scope-view"


class Waits(Protocol):
    """What the workflow runs on the machine's behalf; results come back through callbacks."""

    def start_service(self, token_id: str, node: ServiceTask, arg: ServiceTaskInput) -> None: ...

    def start_timer(self, token_id: str, key: str, due_at: datetime) -> None: ...

    def start_review(self, token_id: str, arg: AiReviewInput, task_queue: str | None) -> None: ...

    def start_directory(self, token_id: str, key: str, arg: DirectoryResolveInput) -> None: ...

    def start_call(
        self,
        token_id: str,
        arg: ResolveProcessInput,
        variables: dict[str, Any],
        child_id: Callable[[ResolveProcessResult], str],
    ) -> None: ...

    def start_decision(self, token_id: str, arg: ResolveDecisionInput) -> None: ...

    def escalate_to_caller(self, code: str | None) -> None: ...

    def subscribe(self, token_id: str, node_id: str, arg: MessageSubscription) -> None: ...

    def unsubscribe(self, arg: Unsubscription) -> None: ...

    def return_message(self, arg: ReturnedMessage) -> None: ...

    def broadcast(self, arg: BroadcastInput) -> None: ...

    def cancel(self, token_id: str, key: str | None = None) -> None: ...


class TokenMachine:
    def __init__(
        self,
        plan: ProcessPlan,
        state: InstanceState,
        waits: Waits,
        *,
        workflow_id: str,
        now: Callable[[], datetime],
    ) -> None:
        self.index = PlanIndex(plan)
        self.state = state
        self.tokens = [Token.model_validate(t) for t in state.tokens]
        self.book = TaskBook(state.tasks, state.counters, workflow_id)
        self.waits = waits
        self.terminated = False  # a terminate end event was reached
        # Set by the workflow before each advance: multi-instance bodies then start no more
        # instances, so the instance can continue as new (workflows/multi.py).
        self.continue_as_new_wanted = False
        self.workflow_id = workflow_id
        self.now = now

    @property
    def variables(self) -> dict[str, Any]:
        """The process's variables (its root scope)."""
        return self.state.variables

    # --- variable scopes (docs/interpreter.md "Scopes") ----------------------------------------

    def scope_chain(self, token: Token) -> list[Token]:
        """The tokens waiting on the subprocesses ``token`` runs in, innermost first."""
        chain: list[Token] = []
        scope_id = token.scope
        while scope_id is not None:
            outer = self.token(scope_id)
            if outer is None:
                break
            chain.append(outer)
            scope_id = outer.scope
        return chain

    def view(self, token: Token) -> dict[str, Any]:
        """What ``token``'s expressions see: the process's variables under the local variables
        of each subprocess it runs in (the innermost wins)."""
        chain = [t.locals for t in self.scope_chain(token) if t.locals]
        if not chain:
            return self.variables
        seen = dict(self.variables)
        for local in reversed(chain):
            seen.update(local)
        return seen

    def token_of(self, task: TaskView) -> Token | None:
        """The token ``task`` belongs to: the one waiting on it, or in its approval step."""
        return next(
            (
                t
                for t in self.tokens
                if t.task_id == task.task_id
                or (
                    task.step_id is not None
                    and t.step is not None
                    and t.step.step_id == task.step_id
                )
            ),
            None,
        )

    def task_view(self, task: TaskView) -> dict[str, Any]:
        """What a task's notices and escalation see: its token's view, so a task inside a
        subprocess sees the subprocess's locals. Before this they saw the process's variables
        only; tasks of runs from then keep that on replay (the audience decides activities)."""
        token = self.token_of(task)
        if token is None or not any(t.locals for t in self.scope_chain(token)):
            return self.variables  # the same either way: no patch marker needed
        if not workflow.patched(PATCH_TASK_VIEW):
            return self.variables
        return self.view(token)

    def assign(self, token: Token, values: dict[str, Any]) -> None:
        """Set variables from ``token``'s place, as Zeebe propagates them: each one where a scope
        around the token already holds it (innermost first), else in the process."""
        chain = [t.locals for t in self.scope_chain(token) if t.locals]
        for name, value in values.items():
            holder = next((local for local in chain if name in local), self.variables)
            holder[name] = value

    @property
    def finished(self) -> bool:
        return self.state.status in ("completed", "terminated", "cancelled")

    # --- timeline and incidents ---------------------------------------------------------------

    def record(self, event: TimelineEvent, node_id: str | None = None, **fields: Any) -> None:
        self.state.timeline.append(
            TimelineEntry(at=self.now(), event=event, node_id=node_id, **fields)
        )

    def incident(self, token: Token, kind: IncidentKind, message: str) -> None:
        """Park ``token``: the instance keeps running (other tokens too) and shows the problem."""
        self.waits.cancel(token.id)
        self.drop_subscriptions(token)
        token.state = "incident"
        token.boundaries = {}
        self.raise_incident(token.node_id, kind, message)

    def raise_incident(self, node_id: str, kind: IncidentKind, message: str) -> None:
        number = str(len(self.state.incidents) + 1)
        incident = Incident(
            incident_id=number, node_id=node_id, kind=kind, message=message, at=self.now()
        )
        self.state.incidents.append(incident)
        self.record("incident", node_id, details={"kind": kind, "message": message})
        ops_metrics.count(self, ops_metrics.INCIDENTS_OPENED, node_id, kind=kind)
        self.state.status = running_status(self.state.incidents)

    def resolve_incidents(self, node_id: str, kind: str) -> None:
        for incident in self.state.incidents:
            if incident.node_id == node_id and incident.kind == kind and not incident.resolved_at:
                incident.resolved_at = self.now()
                ops_metrics.count(
                    self, ops_metrics.INCIDENTS_RESOLVED, node_id, kind=kind, how="automatically"
                )
        self.state.status = running_status(self.state.incidents)

    def open_incident(self, node_id: str, kind: str) -> bool:
        return any(
            i.node_id == node_id and i.kind == kind and i.resolved_at is None
            for i in self.state.incidents
        )

    # --- the token lifecycle: every change of where a token stands goes through these -------

    @staticmethod
    def go_to(
        token: Token, node_id: str, *, via: str | None = None, state: TokenState = "enter"
    ) -> None:
        """Put ``token`` on ``node_id``: entering it (it runs afresh) or leaving it."""
        token.node_id, token.via, token.state = node_id, via, state
        token.listener = None  # a node's listeners are its own

    @staticmethod
    def listen_in(token: Token, phase: str) -> None:
        """``token`` waits for a listener of its node (``start:<i>``, ``end:<i>``)."""
        token.listener = phase
        token.state = "wait"

    @staticmethod
    def listened(token: Token, phase: str) -> None:
        """Its node's start (``started``) or end (``ended``) listeners all ran: it goes on."""
        token.listener = phase
        token.state = "enter" if phase == "started" else "leave"

    @staticmethod
    def passed(token: Token) -> None:
        """Done with its node: the token follows the outgoing flows next."""
        token.due_at, token.state = None, "leave"

    @staticmethod
    def wait(
        token: Token,
        *,
        task_id: str | None = None,
        step: StepState | None = None,
        due_at: datetime | None = None,
        reviewing: bool = False,
    ) -> None:
        """The token waits on its node: a task, an approval step, a timer, an activity or the
        AI's review (given fields are set, the others kept)."""
        token.state = "wait"
        if task_id is not None:
            token.task_id = task_id
        if step is not None:
            token.step = step
        if due_at is not None:
            token.due_at = due_at
        if reviewing:
            token.reviewing = True

    @staticmethod
    def compensate_with(token: Token, handlers: list[str] | None) -> None:
        """``token`` waits for these compensation handlers to run, in order (None: done)."""
        token.compensating = handlers
        if handlers is not None:
            token.state = "wait"

    @staticmethod
    def loop_run(token: Token, runs: int | None) -> None:
        """``runs`` of its node's standard loop are done (None: not in a loop)."""
        token.loop = runs

    @staticmethod
    def join(token: Token) -> None:
        """Parked at a parallel join until a token waits on every incoming flow."""
        token.state = "join"

    @staticmethod
    def review_done(token: Token) -> None:
        token.reviewing = False

    @staticmethod
    def set_boundaries(token: Token, boundaries: dict[str, BoundaryWait]) -> None:
        token.boundaries = boundaries

    def reenter(self, token: Token) -> None:
        """An incident retried: the token runs its node afresh, with nothing left of before."""
        token.task_id, token.due_at, token.step, token.reviewing = None, None, None, False
        token.boundaries = {}
        token.listener = None
        token.state = "enter"

    # --- subscriptions (docs/interpreter.md "Messages, signals and conditions") ----------------

    def count(self, key: str) -> int:
        """The next number of a per-instance counter (ids stay deterministic)."""
        self.state.counters[key] = self.state.counters.get(key, 0) + 1
        return self.state.counters[key]

    @staticmethod
    def listen_for(token: Token, node_id: str, subscription: Subscription) -> None:
        token.subscriptions = {**(token.subscriptions or {}), node_id: subscription}

    def unsubscribe(self, subscription: Subscription) -> None:
        """Tell the mailbox a message subscription is closed (signals and conditions live only
        on the token)."""
        if subscription.sub_id is not None:
            self.waits.unsubscribe(
                Unsubscription(
                    name=subscription.name or "",
                    correlation_key=subscription.correlation_key,
                    instance_id=self.workflow_id,
                    sub_id=subscription.sub_id,
                )
            )

    def drop_subscriptions(self, token: Token) -> None:
        """Close every subscription of ``token``: its wait is over."""
        for subscription in (token.subscriptions or {}).values():
            self.unsubscribe(subscription)
        token.subscriptions = None

    # --- tokens -------------------------------------------------------------------------------

    def token(self, token_id: str) -> Token | None:
        return next((t for t in self.tokens if t.id == token_id), None)

    def spawn(
        self,
        node_id: str,
        state: TokenState = "enter",
        via: str | None = None,
        scope: str | None = None,
        compensates: str | None = None,
    ) -> Token:
        self.state.counters["token"] = self.state.counters.get("token", 0) + 1
        token = Token(
            id=f"t{self.state.counters['token']}",
            node_id=node_id,
            state=state,
            via=via,
            scope=scope,
            compensates=compensates,
        )
        self.tokens.append(token)
        return token

    def inside(self, scope: Token) -> list[Token]:
        """Every token running in ``scope``'s subprocess, at any depth, document order."""
        ids = {scope.id}
        found: list[Token] = []
        for token in self.tokens:  # a scope token is always spawned before what runs in it
            if token.scope in ids:
                ids.add(token.id)
                found.append(token)
        return found

    def scope_start(self, token: Token) -> str:
        """The start event of the scope ``token`` runs in."""
        scope = self.token(token.scope) if token.scope is not None else None
        node = self.index.node(scope.node_id) if scope is not None else None
        return node.start_node if isinstance(node, SubProcess) else self.index.plan.start_node

    def inner_view(self, scope: Token) -> dict[str, Any]:
        """What a token running inside ``scope``'s subprocess sees."""
        return {**self.view(scope), **(scope.locals or {})}

    @staticmethod
    def hold_locals(token: Token, local: dict[str, Any]) -> None:
        """The local variables of the activity ``token`` waits in (a task's input mappings)."""
        token.locals = dict(local)

    def open_scope(self, token: Token, local: dict[str, Any]) -> None:
        """``token`` waits on its subprocess, whose local variables are ``local``."""
        self.state.counters["scope"] = self.state.counters.get("scope", 0) + 1
        token.activation = f"s{self.state.counters['scope']}"
        token.locals = dict(local)
        token.state = "wait"

    def forget_compensation(self, activation: str | None) -> None:
        """Drop what completed in that run of a scope (or body, or loop), at any depth."""
        records = self.state.compensable
        if activation is None or not records:
            return
        index = compensation.by_scope(records)
        drop: set[int] = set()
        keys = [activation]
        while keys:
            for n in index.get(keys.pop(), ()):
                inner = records[n]["inner"]
                if n not in drop:
                    drop.add(n)
                    if inner is not None:
                        keys.append(inner)
        if drop:
            records[:] = [r for n, r in enumerate(records) if n not in drop]

    def remember_completed(self, node_id: str, scope: str | None, inner: str | None) -> None:
        self.state.compensable.append({"node_id": node_id, "scope": scope, "inner": inner})

    def scope_key(self, token: Token) -> str | None:
        """Which run of which scope ``token`` is in (None: the process)."""
        scope = self.token(token.scope) if token.scope is not None else None
        return scope.activation if scope is not None else None

    @staticmethod
    def next_handler(token: Token) -> str | None:
        """The next compensation handler ``token`` waits for (None: all have run)."""
        return token.compensating.pop(0) if token.compensating else None

    @staticmethod
    def listen_again(token: Token, start_id: str, wait: BoundaryWait) -> None:
        """A repeating timer start: ``wait`` is its next occurrence."""
        token.boundaries = {start_id: wait}
        token.due_at = wait.due_at

    @staticmethod
    def relisten(token: Token) -> None:
        """``token`` is again the armed message, signal or conditional start it was."""
        token.state = "listen"

    def listen(self, token: Token, start_id: str, wait: BoundaryWait) -> None:
        """``token`` is the armed timer start ``start_id`` of an event subprocess."""
        token.state = "listen"
        token.boundaries = {start_id: wait}
        token.due_at = wait.due_at

    def end_token(self, token: Token, reason: str) -> None:
        """End ``token`` and all that runs inside it, closing their tasks as ``reason``."""
        for inner in reversed(self.inside(token)):
            self._close_task(inner, reason)
            compensation.ended(self, inner)
            self.remove(inner)
        self._close_task(token, reason)
        compensation.ended(self, token)
        self.remove(token)

    def interrupt(self, token: Token, reason: str) -> None:
        """Stop what ``token`` waits on: its activity, timers, task(s) and, for a subprocess,
        every token inside it. The token itself stays, for the caller to move."""
        if isinstance(self.index.node(token.node_id), SubProcess) or token.multi is not None:
            for inner in reversed(self.inside(token)):
                self._close_task(inner, reason)
                self.remove(inner)
        compensation.interrupted(self, token)  # an interrupted run is not undone
        token.locals = None  # the activity's local variables end with it
        self.waits.cancel(token.id)
        self.drop_subscriptions(token)
        self._close_task(token, reason)
        self.resolve_incidents(token.node_id, "waiting_for_worker")
        token.boundaries = {}
        token.reviewing = False
        token.due_at = None
        token.loop = None  # an interrupted loop is over
        token.multi = None  # so are a multi-instance body's instances

    def remove(self, token: Token) -> None:
        self.waits.cancel(token.id)
        self.drop_subscriptions(token)
        self.tokens.remove(token)

    def has_work(self) -> bool:
        """True when the main loop has something to do without waiting for an event."""
        if self.finished:
            return False
        return not self.active(None) or any(t.state in ("enter", "leave") for t in self.tokens)

    def active(self, scope: str | None) -> list[Token]:
        """The tokens that keep scope ``scope`` (a token id; None: the process) running: all
        directly in it but the timer starts of its event subprocesses."""
        return [t for t in self.tokens if t.scope == scope and t.state != "listen"]

    def parked(self) -> bool:
        """Safe to continue as new: no activity in flight, every token waits on durable state."""
        return all(self.parked_token(t) for t in self.tokens)

    def parked_token(self, t: Token) -> bool:
        if any(s.opening for s in (t.subscriptions or {}).values()):
            return False
        if t.listener is not None and ":" in t.listener:  # a listener's activity runs
            return False
        return t.state in ("join", "incident", "listen") or (
            t.state == "wait"
            and not t.reviewing
            and (
                # A multi-instance body, and each of its instances, hold no activity
                # themselves: the runs inside them do.
                t.multi is not None
                or t.instance is not None
                or not isinstance(
                    self.index.node(t.node_id), ServiceTask | CallActivity | BusinessRuleTask
                )
            )
            and not (t.step is not None and t.step.phase == "resolving")
        )

    def end_all(self, reason: str) -> None:
        """End every token: cancel its timers and activity, close its task as cancelled."""
        for token in list(self.tokens):
            self._close_task(token, reason)
            self.remove(token)

    def finish(self) -> None:
        self.state.outcome = outcome_of(self.variables, self.state.timeline)
        if self.state.error is not None:  # a called process ended by an uncaught error
            self.state.outcome = "error"
        self.state.status = "terminated" if self.terminated else "completed"
        self.record("completed", details={"outcome": self.state.outcome})

    def cancel_instance(self) -> None:
        """Temporal cancelled the instance: close what is open and say so in the timeline."""
        self.end_all("cancelled")
        self.state.outcome = "cancelled"
        self.state.status = "cancelled"
        self.record("cancelled", details={"outcome": "cancelled"})

    def _close_task(self, token: Token, outcome: str) -> None:
        task = self.book.get(token.task_id) if token.task_id else None
        if task is not None and task.status == "open":
            self.book.close(task, "cancelled", outcome, self.now())
            self.record("task_cancelled", task.node_id, task_id=task.task_id, comment=outcome)
        if token.step is not None:  # an approval step: every open task of it
            for other in self.book.of_step(token.step.step_id):
                if other.status == "open":
                    self.book.close(other, "cancelled", outcome, self.now())
                    self.record(
                        "task_cancelled", other.node_id, task_id=other.task_id, comment=outcome
                    )
        token.task_id = None
        token.step = None

    # --- multi-instance bodies (docs/interpreter.md "Multi-instance", workflows/multi.py) ----

    def instance_holder(self, token: Token) -> Token | None:
        """The instance token ``token`` runs one instance of a multi-instance activity in."""
        holder = self.token(token.scope) if token.scope is not None else None
        if holder is not None and holder.instance is not None and holder.node_id == token.node_id:
            return holder
        return None

    def body_of(self, token: Token) -> Token:
        """The multi-instance body an instance (or the run inside one) belongs to; else
        ``token`` itself: what boundary events are attached to."""
        holder = token if token.instance is not None else self.instance_holder(token)
        body = self.token(holder.scope) if holder is not None and holder.scope else None
        return body if body is not None else token

    @staticmethod
    def open_body(token: Token, progress: MultiState, local: dict[str, Any]) -> None:
        """``token`` waits on its multi-instance activity; ``local``: the body's variables."""
        token.multi = progress
        token.locals = dict(local)
        token.state = "wait"

    def open_instance(self, body: Token, local: dict[str, Any]) -> Token:
        """Start the body's next instance: a token holding its ``local`` variables, and in it
        the token that runs the activity."""
        assert body.multi is not None and body.locals is not None
        holder = self.spawn(body.node_id, state="wait", scope=body.id)
        holder.instance = body.multi.started
        holder.locals = dict(local)
        body.multi.started += 1
        self._count_instances(body)
        return self.spawn(body.node_id, via=body.via, scope=holder.id)

    def close_instance(self, body: Token, holder: Token, output: Any) -> None:
        """One instance completed (``output``: its element of the output collection)."""
        assert body.multi is not None and holder.instance is not None
        if output is not None and body.multi.outputs is not None:
            body.multi.outputs[holder.instance] = output
        self.end_token(holder, "completed")
        body.multi.completed += 1
        self._count_instances(body)

    @staticmethod
    def _count_instances(body: Token) -> None:
        # Camunda's counters, as local variables of the body (a completion condition reads them).
        assert body.multi is not None and body.locals is not None
        body.locals["nrOfInstances"] = body.multi.count
        body.locals["nrOfActiveInstances"] = body.multi.started - body.multi.completed
        body.locals["nrOfCompletedInstances"] = body.multi.completed

    # --- boundary timers ----------------------------------------------------------------------

    def schedule_boundaries(self, token: Token, timers: tuple[str, ...]) -> dict[str, BoundaryWait]:
        """Compute every boundary timer (or event-based gateway arm) first, so a bad one arms
        none of them."""
        waits: dict[str, BoundaryWait] = {}
        if self.instance_holder(token) is not None:
            return waits  # one run of a multi-instance activity: the body holds its boundaries
        for boundary_id in timers:
            boundary = self.index.boundary(boundary_id)
            first = first_occurrence(boundary.timer, self.now(), self.view(token))
            remaining = first.remaining if not self.index.interrupts(boundary) else 1
            waits[boundary_id] = BoundaryWait(
                due_at=first.due_at, remaining=remaining, interval_seconds=first.interval_seconds
            )
        return waits

    def arm(self, token: Token, boundaries: dict[str, BoundaryWait]) -> None:
        self.set_boundaries(token, boundaries)
        for boundary_id, wait in list(boundaries.items()):
            if token.state != "wait":
                break  # an interrupting timer that was already due has moved the token on
            self.waits.start_timer(token.id, BOUNDARY + boundary_id, wait.due_at)

    def boundary_fired(self, token: Token, boundary_id: str) -> None:
        wait = token.boundaries.get(boundary_id)
        if wait is None:
            return
        boundary = self.index.boundary(boundary_id)
        self.record(
            "timer_fired",
            boundary_id,
            task_id=token.task_id,
            details={"interrupting": self.index.interrupts(boundary)},
        )
        if self.index.interrupts(boundary):
            self.interrupt(token, "timeout")
            self.go_to(token, boundary_id, state="leave")
            return
        self.spawn(boundary_id, state="leave", scope=token.scope)
        if wait.interval_seconds and (wait.remaining is None or wait.remaining > 1):
            wait.due_at = next_occurrence(wait.due_at, wait.interval_seconds, self.now())
            wait.remaining = None if wait.remaining is None else wait.remaining - 1
            self.waits.start_timer(token.id, BOUNDARY + boundary_id, wait.due_at)
        else:
            del token.boundaries[boundary_id]

    def leave_activity(self, token: Token) -> None:
        """The activity is done: its boundary timers stop, the token moves on."""
        self.waits.cancel(token.id)
        self.drop_subscriptions(token)
        token.boundaries = {}
        token.task_id = None
        token.step = None
        token.reviewing = False
        token.locals = None
        token.multi = None
        token.state = "leave"
