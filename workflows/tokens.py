"""Tokens as data: where each thread of a process stands, snapshotted across continue-as-new.

A token is a plain model, never a coroutine, so the whole position of an instance fits into
``InstanceState.tokens`` and a new run can pick it up exactly where the old one stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shenpi_core.contracts import AiAdvice
from shenpi_core.process_plan import (
    ApprovalMode,
    BoundaryCatch,
    BoundaryEvent,
    BoundaryTimer,
    Node,
    ProcessPlan,
    SequenceFlow,
    StartEvent,
    SubProcess,
    TimerCatch,
    TimerSpec,
)

# enter: about to run its node; leave: done with its node, about to follow the outgoing flows;
# wait: a user task, timer, activity or subprocess is pending; join: parked at a parallel or
# inclusive join; incident: parked until someone resolves the incident; listen: the timer start
# of an event subprocess, armed while its scope runs (it does not keep the scope open).
TokenState = Literal["enter", "leave", "wait", "join", "incident", "listen"]


class BoundaryWait(BaseModel):
    """One armed boundary timer of the activity a token waits in."""

    due_at: datetime
    remaining: int | None = 1  # occurrences left, this one included; None = unbounded cycle
    interval_seconds: float | None = None  # cycle period, for the next occurrence


class Subscription(BaseModel):
    """What a waiting token listens for at one catching event (docs/interpreter.md "Messages,
    signals and conditions"), keyed in ``Token.subscriptions`` by that event's node id."""

    event: Literal["message", "signal", "conditional"]
    name: str | None = None  # the message's or signal's
    correlation_key: str = ""  # a message's, as evaluated when the subscription opened
    sub_id: str | None = None  # a message's subscription at its mailbox
    opening: bool = False  # a message's: the mailbox has not confirmed it yet
    holds: bool = False  # a condition's value at its last evaluation


class StepState(BaseModel):
    """The approval step a token waits in (``shenpi:approval``): one task per approver.

    ``approvers`` is the resolved list in order ("group:<g>" entries are group tasks); the step's
    tasks carry ``step_id``. ``opened`` counts the approvers whose task exists (sequential mode
    opens the next one only after the previous approved). ``phase`` is ``resolving`` while the
    directory activity computes the list, ``open`` once tasks exist.
    """

    step_id: str
    mode: ApprovalMode
    approvers: list[str] = Field(default_factory=list)
    opened: int = 0
    phase: Literal["resolving", "open"] = "open"
    ai: AiAdvice | None = None  # the AI's advice, shown on every task the step opens


class MultiState(BaseModel):
    """The multi-instance body a token waits in (docs/interpreter.md "Multi-instance"): its
    instances run as tokens inside it, at most ``MultiInstance.max_in_flight`` at once."""

    items: list[Any] | None = None  # the collection as evaluated on entering; None: cardinality
    count: int = 0  # nrOfInstances
    started: int = 0  # instances started so far: the next one's index
    completed: int = 0
    # Zeebe's output collection, by instance index (null until that instance completes). Kept
    # here, not as a variable, so nothing an instance writes (a child's variables) replaces it.
    outputs: list[Any] | None = None


class Token(BaseModel):
    id: str
    node_id: str
    state: TokenState = "enter"
    via: str | None = None  # the sequence flow it arrived on (parallel joins count these)
    task_id: str | None = None  # the open user task it waits on
    due_at: datetime | None = None  # the intermediate timer it waits on
    boundaries: dict[str, BoundaryWait] = Field(default_factory=dict)
    step: StepState | None = None  # an approval step (tasks share its step_id)
    # The ai-review activity of its node (<shenpi:ai>) is running: no task is open yet, a
    # gateway has not chosen its flow.
    reviewing: bool = False
    # The token waiting on the subprocess this token runs in (docs/interpreter.md "Scopes");
    # None: the process itself.
    scope: str | None = None
    # A token waiting on a subprocess: the local variables of its scope (input mappings).
    locals: dict[str, Any] | None = None
    # In a standard loop of its node: the runs completed so far (docs/interpreter.md "Loops").
    loop: int | None = None
    # A compensation throw waiting on its handlers: those still to run, in order; and on a
    # handler's token, the id of the throw's token it runs for.
    compensating: list[str] | None = None
    compensates: str | None = None
    # A scope token: this run of its subprocess (a token id outlives its scopes; compensation
    # must tell one run from the next).
    activation: str | None = None
    # Messages, signals and conditions it listens for, by catching event (node id).
    subscriptions: dict[str, Subscription] | None = None
    # Its node's engine listeners (workflows/listeners.py): "start:<i>" / "end:<i>" while one
    # runs, "started" / "ended" once they all ran.
    listener: str | None = None
    # A multi-instance body: the progress of its instances. Each instance is a token waiting
    # on the same node inside the body (``instance``: its index in the collection, its
    # ``locals`` the element and loopCounter), in which one token runs the activity itself.
    multi: MultiState | None = None
    instance: int | None = None
    # Parked by an incident while its activity completed (a subprocess's or call activity's
    # output mappings failed): what a retry completes again instead of running the activity
    # afresh; for a call activity the child's result ({variables, outcome, instance_id}).
    completing: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any]:
        # Fields at their defaults that older runs did not have are left out, so a token
        # snapshots as before and recorded continue-as-new inputs match.
        exclude: dict[str, Any] = {}
        if self.step is None:
            exclude["step"] = True
        elif self.step.ai is None:
            exclude["step"] = {"ai"}
        if not self.reviewing:
            exclude["reviewing"] = True
        if self.scope is None:
            exclude["scope"] = True
        if self.locals is None:
            exclude["locals"] = True
        if self.loop is None:
            exclude["loop"] = True
        if self.compensating is None:
            exclude["compensating"] = True
        if self.compensates is None:
            exclude["compensates"] = True
        if self.activation is None:
            exclude["activation"] = True
        if self.subscriptions is None:
            exclude["subscriptions"] = True
        if self.listener is None:
            exclude["listener"] = True
        if self.multi is None:
            exclude["multi"] = True
        if self.instance is None:
            exclude["instance"] = True
        if self.completing is None:
            exclude["completing"] = True
        return self.model_dump(mode="json", exclude=exclude or None)


class PlanIndex:
    """Lookups over a plan, built once per run; lists keep document order for determinism."""

    def __init__(self, plan: ProcessPlan) -> None:
        self.plan = plan
        self.nodes: dict[str, Node] = {n.id: n for n in plan.nodes}
        self.flows: dict[str, SequenceFlow] = {f.id: f for f in plan.flows}
        self.catchers: dict[str, list[BoundaryEvent]] = {}  # activity id -> error/escalation
        self.event_subprocesses: dict[str | None, list[SubProcess]] = {}  # scope node id ->
        self.handlers: dict[str, str] = {}  # activity id -> its compensation handler
        # activity id -> its message, signal and conditional boundary events
        self.outside_boundaries: dict[str, list[str]] = {}
        for n in plan.nodes:
            if isinstance(n, BoundaryCatch):
                self.outside_boundaries.setdefault(n.attached_to, []).append(n.id)
            if isinstance(n, BoundaryEvent) and n.catches == "compensation" and n.handler:
                self.handlers[n.attached_to] = n.handler
            elif isinstance(n, BoundaryEvent):
                self.catchers.setdefault(n.attached_to, []).append(n)
            if isinstance(n, SubProcess) and n.triggered_by_event:
                self.event_subprocesses.setdefault(n.parent, []).append(n)
        self._reaches: dict[tuple[str, str], bool] = {}
        # A subprocess's compensation event subprocess: what compensating it runs instead of
        # compensating what completed inside it.
        self.scope_handlers: dict[str, str] = {}
        for subs in self.event_subprocesses.values():
            for sub in subs:
                if self.start_of(sub).event == "compensation" and sub.parent is not None:
                    self.scope_handlers[sub.parent] = sub.id
        # Subprocesses with a compensable activity inside (at any depth): their completion is
        # remembered, so compensating them reaches what they did.
        self.compensable_scopes: set[str] = set(self.scope_handlers)
        for activity in [*self.handlers, *self.scope_handlers]:
            parent = self.nodes[activity].parent
            while parent is not None:
                self.compensable_scopes.add(parent)
                parent = self.nodes[parent].parent

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def outgoing(self, node: Node) -> list[SequenceFlow]:
        return [self.flows[f] for f in node.outgoing]

    def boundary(self, node_id: str) -> BoundaryTimer | TimerCatch:
        """A boundary timer, or a timer catch event armed by an event-based gateway (which
        interrupts like a boundary timer: the first event wins)."""
        node = self.nodes[node_id]
        if not isinstance(node, BoundaryTimer | TimerCatch):
            raise KeyError(f"{node_id} is not a boundary timer")
        return node

    @staticmethod
    def interrupts(node: BoundaryTimer | TimerCatch) -> bool:
        return not isinstance(node, BoundaryTimer) or node.interrupting

    def start_of(self, node: SubProcess) -> StartEvent:
        start = self.nodes[node.start_node]
        assert isinstance(start, StartEvent)
        return start

    def start_timer(self, node: SubProcess) -> TimerSpec | None:
        return self.start_of(node).timer

    def reaches(self, source: str, target: str) -> bool:
        """Whether a token on ``source`` can still come to ``target`` (by flows and boundary
        events, in its scope, without passing ``target``): the inclusive join's upstream rule."""
        key = (source, target)
        if key not in self._reaches:
            seen: set[str] = set()
            stack = [source]
            found = False
            while stack and not found:
                node_id = stack.pop()
                if node_id in seen:
                    continue
                seen.add(node_id)
                node = self.nodes[node_id]
                nexts = [self.flows[f].target for f in node.outgoing]
                nexts += [b.id for b in self.catchers.get(node_id, [])]
                nexts += list(getattr(node, "boundary_timers", ()))
                found = target in nexts
                stack.extend(n for n in nexts if n != target)
            self._reaches[key] = found
        return self._reaches[key]
