"""The compiled form of a BPMN process: what the interpreter runs.

A ``ProcessPlan`` is a frozen, JSON-serialisable, content-hashed value. It is the contract between
``bpmn_compiler`` (which produces it) and ``workflows`` (which interprets it), and it travels inside
the workflow input so that a running instance replays against its own version.

This module must stay importable inside the Temporal workflow sandbox: pydantic only, no XML,
no I/O.

Expressions are compiled at compile time into a small JSON AST (``Expression.ast``) that the
workflow only *evaluates* (``shenpi_core.expressions.evaluate``); the AST nodes are::

    {"lit": <json value>}                          a literal (str, int, float, bool, null, list)
    {"var": ["order", "amount"]}                   a variable path (order.amount)
    {"op": "<name>", "args": [<expr>, ...]}         an operator, name one of:
        and or not                                 boolean (short-circuit)
        eq ne lt le gt ge                          comparison
        add sub mul div mod neg                    arithmetic (add also concatenates strings)
        in                                         membership: args[0] in args[1]
        empty                                      JUEL `empty x`: None, "", [] or {}
        cond                                       args[0] ? args[1] : args[2]
        index                                      args[0][args[1]]
        list                                       a list built from args
    {"call": "<function>", "args": [<expr>, ...]}   a whitelisted pure function (see expressions.py)
    {"op": "feel", "args": [<feel node>]}          a FEEL expression compiled since FEEL got its own
                                                   parser: evaluated by shenpi_core.feel_eval
                                                   (older plans keep the nodes above)
"""

# Without ``from __future__ import annotations``, unlike the rest of the project: with it,
# pydantic would compile every annotation back from its string when it creates these classes,
# a few milliseconds of every cold ``shenpi compile`` (docs/architecture.md §7).
import hashlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shenpi_core.canonical_json import canonical
from shenpi_core.task_forms import TaskForm

PLAN_SCHEMA_VERSION = 1
# A request's priority (docs/api.md "Priority"): orders inboxes and Temporal's task queues.
Priority = Literal["low", "normal", "high", "urgent"]


class _Frozen(BaseModel):
    # Built on first use (shenpi_core/plan_models.py).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Expression(_Frozen):
    """A condition or value expression, parsed at compile time."""

    source: str  # the text as written in the BPMN file, for diagnostics and the timeline
    dialect: Literal["juel", "feel", "plain", "literal"]
    ast: Any  # JSON AST, see module docstring


class TimerSpec(_Frozen):
    """An ISO-8601 timer. ``value`` is literal ISO text unless ``expression`` computes it."""

    kind: Literal["duration", "date", "cycle"]
    value: str | None = None  # e.g. "PT24H", "2026-12-01T09:00:00Z", "R3/PT1H"
    expression: Expression | None = None  # evaluates to ISO text (or a number of seconds)
    # Resolved at compile time for literal timers, so the workflow never parses ISO text:
    seconds: float | None = None  # a duration, or a cycle's interval
    repeat: int | None = None  # a cycle's repetitions ("R3/PT1H" -> 3); None: unbounded
    # A process's timer start may be a cycle from a start date ("R3/2026-01-01T09:00Z/P1D"): the
    # first occurrence, as normalised ISO text with an offset.
    start: str | None = None
    # A process's timer start may be a cron cycle (Zeebe's): in the 7-field form Temporal
    # Schedules read (second minute hour day-of-month month day-of-week year).
    cron: str | None = None


class ParameterMapping(_Frozen):
    """One input or output mapping of a task (Camunda inputOutput, zeebe ioMapping)."""

    target: str
    source: Expression


class SequenceFlow(_Frozen):
    id: str
    source: str
    target: str
    name: str | None = None
    condition: Expression | None = None
    # The flow's <documentation> text: what an AI-routed gateway (AiSpec mode "route") reads,
    # with the name, to pick it.
    documentation: str | None = None


class Listener(_Frozen):
    """An engine listener drawn on the node (Camunda/Flowable ``executionListener`` and
    ``taskListener``, Zeebe's execution and task listeners), run as an activity of its type: at
    ``start`` before the node runs (a task's ``create`` too), at ``end`` once it completed
    (``complete``) and before the flow goes on (docs/interpreter.md "Listeners")."""

    event: Literal["start", "end"]
    task_type: str


class _Node(_Frozen):
    id: str  # the BPMN element id
    name: str | None = None
    incoming: tuple[str, ...] = ()  # sequence flow ids, in document order
    outgoing: tuple[str, ...] = ()
    line: int | None = None
    # The subprocess this node is drawn in (docs/interpreter.md "Scopes"); None: the process.
    parent: str | None = None
    listeners: tuple[Listener, ...] = ()


# What an event catches or throws besides timers (docs/interpreter.md "Errors and escalations",
# "Messages, signals and conditions").
EventTrigger = Literal[
    "none", "timer", "error", "escalation", "compensation", "message", "signal", "conditional"
]
# What comes from outside the instance (or from a change of its variables).
OutsideEvent = Literal["message", "signal", "conditional"]


class Trigger(_Frozen):
    """What a catching event waits for from outside (docs/interpreter.md "Messages, signals
    and conditions"): a message by name and correlation key, a signal by name, or a condition
    over the variables that becomes true."""

    event: OutsideEvent
    name: str | None = None  # the message or signal name
    # Evaluated when the subscription opens; None: the instance's business key.
    correlation_key: Expression | None = None
    condition: Expression | None = None  # conditional


class StartEvent(_Node):
    kind: Literal["start"] = "start"
    # camunda:/flowable:initiator: the variable that receives the initiator's user id at start.
    initiator_variable: str | None = None
    # An event subprocess's start: what starts it (a timer armed while its scope is active, an
    # error or escalation thrown inside that scope) and whether it ends the rest of the scope.
    event: EventTrigger = "none"
    code: str | None = None  # the error / escalation code caught; None: every one
    timer: TimerSpec | None = None
    interrupting: bool = True
    # A message, signal or conditional start (of the process, or of an event subprocess).
    trigger: Trigger | None = None


NotifyEvent = Literal["task_opened", "task_reminder", "task_escalated", "urge", "outcome"]


class NotifyRule(_Frozen):
    """``<shenpi:notify on="task_opened,outcome" to="${expr}"/>``: who also hears of an event.

    On a user task it covers that task's events (``outcome``: when the instance ends, if the task
    opened); on the process, every user task's events and the outcome; on an end event, the
    outcome when the instance ends there. ``to`` None: the event's default recipients (the task's
    approvers; the initiator for the outcome). Honoured on top of the starter's default events.
    """

    events: tuple[NotifyEvent, ...]
    to: Expression | None = None  # user ids, "group:<g>", a comma list or a list


class EndEvent(_Node):
    kind: Literal["end"] = "end"
    terminate: bool = False  # terminateEventDefinition: ends every other token of its scope
    notify: tuple[NotifyRule, ...] = ()  # outcome notifications when the instance ends here
    # errorEventDefinition / escalationEventDefinition / compensateEventDefinition: throws when a
    # token arrives (compensation: ``code`` is the activity to compensate, None: all of them).
    throws: Literal["error", "escalation", "compensation", "signal"] | None = None
    code: str | None = None  # the error / escalation code; the signal name


class ThrowEvent(_Node):
    """An intermediate escalation throw (escalates, then the token goes on unless interrupted)
    or compensation throw (runs the handlers, then goes on)."""

    kind: Literal["throw"] = "throw"
    throws: Literal["escalation", "compensation", "signal"] = "escalation"
    # The escalation code; for compensation, the activity (None: all); the signal name.
    code: str | None = None
    wait_for_completion: bool = True  # compensation: go on only once the handlers are done


class StandardLoop(_Frozen):
    """``standardLoopCharacteristics``: the activity runs again while ``condition`` holds,
    tested before each run (``test_before``) or after it, at most ``maximum`` times."""

    condition: Expression | None = None  # None: until ``maximum``
    test_before: bool = False
    maximum: int | None = None


# Instances of a parallel multi-instance activity running at once, unless the file says otherwise
# (``shenpi:maxInFlight``): enough to keep a worker pool busy, few enough that starting them is
# one small workflow task and the body can drain to continue-as-new (docs/interpreter.md
# "Multi-instance").
MULTI_IN_FLIGHT = 50


class MultiInstance(_Frozen):
    """``multiInstanceLoopCharacteristics`` on a service, send or business rule task, a
    subprocess or a call activity: one run per element of ``collection`` (or ``cardinality``
    runs), each with ``element_variable`` and ``loopCounter`` as its local variables."""

    sequential: bool = False
    collection: Expression | None = None  # evaluates to a list; None: ``cardinality``
    cardinality: Expression | None = None  # evaluates to a whole number
    element_variable: str | None = None
    output_collection: str | None = None  # Zeebe: the list of each run's output element
    output_element: Expression | None = None  # evaluated in the run's scope as it completes
    completion_condition: Expression | None = None  # after each run: true cancels the rest
    counter_base: Literal[0, 1] = 0  # loopCounter of the first run: Camunda 0, Zeebe 1
    max_in_flight: int = MULTI_IN_FLIGHT


class PassThrough(_Node):
    """task, manualTask and other activities that only move the token on."""

    kind: Literal["pass"] = "pass"
    element: str = "task"  # the BPMN tag, for the timeline
    loop: StandardLoop | None = None
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


AiMode = Literal["advise", "decide", "route", "shadow"]
AiFallback = Literal["manual", "approve", "reject"]


class AiExample(_Frozen):
    """A labelled precedent: ``<shenpi:example decision="approve|reject">text</shenpi:example>``
    on a task; on an AI-routed gateway the decision is the id of the flow the request took."""

    decision: str
    text: str


class AiSpec(_Frozen):
    """``<shenpi:ai>`` on a user task, an ``ai-review`` service task or an exclusive gateway.

    - user task, ``advise``: the AI reviews the request before the task opens; people decide and
      see its advice on the task.
    - user task, ``decide``: at ``confidence >= threshold`` the AI approves or rejects as its own
      principal ``ai:<model>``; below it, or when the AI fails, ``fallback`` applies
      (``manual``: the task opens for people, with the advice if there is one).
    - user task, ``shadow``: the AI reviews every request and its answer is recorded (the
      timeline, ``ai_results``: what ``shenpi ai eval`` compares with people), but it neither
      decides nor shows advice: the task opens for people as if the node had no AI.
    - service task (``shenpi:type="ai-review"`` / ``##AIService``): the result lands in variables
      (``ai_decision``, ``ai_confidence``, ``ai_advice``, ``ai_risk_flags`` and the extracted
      fields); below threshold or on failure ``ai_decision`` is the fallback ("manual" by default).
    - exclusive gateway, ``route``: the AI picks an outgoing flow by its name and documentation;
      below threshold or on failure the gateway's conditions decide as usual.
    """

    mode: AiMode = "advise"
    threshold: float = 0.8
    fallback: AiFallback = "manual"
    # The whole prompt: a Jinja template (rendered in a sandbox by the activity) over the instance
    # variables and the extracted document text (XML ``template`` / ``<shenpi:template>``; plans
    # compiled before policies existed stored the ``prompt`` attribute here). None: the default
    # template of the node's kind.
    prompt: str | None = None
    # The node's policy (XML ``prompt`` / ``<shenpi:prompt>``): inserted into the default template,
    # which still shows the request, its documents and the examples (docs/ai.md, "Prompts").
    policy: str | None = None
    # A Jinja template of the *request text*: what the offline reviewer compares with the
    # precedents (examples and past decisions, rendered the same way) and what a prompt shows as
    # the request. None: every request variable as ``name: value`` lines (the offline reviewer
    # compares their values only, docs/ai.md). Write it in the words of the examples, e.g.
    # "{{ description }} {{ amount }}元".
    request: str | None = None
    model: str | None = None  # None: the provider's configured model
    examples: tuple[AiExample, ...] = ()  # precedents for the offline reviewer (and few-shot)
    timeout_seconds: float = 120.0  # one attempt (start-to-close)
    max_attempts: int = 3  # then the fallback


ApprovalMode = Literal["single", "sequential", "all", "any", "vote"]


class ApprovalSpec(_Frozen):
    """How a user task is approved: ``<shenpi:approval>`` or a BPMN multi-instance user task.

    One approval *step* opens one task per approver (``sequential``: one at a time, in list order):
    ``all`` (会签) passes when everyone approved, ``any`` (或签) when the first approves (the other
    tasks close), ``vote`` (票签) when approvals reach ``pass_ratio`` of the approvers and fails as
    soon as that can no longer happen. ``single`` is a plain task (assignee or candidates).
    """

    mode: ApprovalMode = "single"
    # Who approves: a list, a comma-separated string or an expression, resolved when the node is
    # entered. Entries are user ids, or "group:<g>" for a group task claimed by one member.
    # None: the task's assignee / candidate users / candidate groups.
    approvers: Expression | None = None
    pass_ratio: float = 0.5  # vote: approvals / approvers needed (>=)
    # all (会签): "first_reject" rejects the step at the first reject; "after_all" waits for
    # every approver and rejects if any rejected.
    reject_rule: Literal["first_reject", "after_all"] = "first_reject"
    # Where a rejected step goes: "end" (outcome rejected), "previous" (the previous user task),
    # "initiator" (a resubmit task for the initiator), or a node id.
    reject_to: str = "end"
    # After the initiator resubmits: continue at the rejecting node or at the start.
    resubmit_to: Literal["rejecting_node", "start"] = "rejecting_node"
    due_in: str | None = None  # ISO-8601 duration, e.g. "PT24H"
    due_in_seconds: float | None = None  # resolved at compile time
    remind_every: str | None = None
    remind_every_seconds: float | None = None
    remind_max: int = 0
    on_timeout: Literal["none", "approve", "reject", "escalate"] = "none"
    escalate_to: Expression | None = None  # default: the approver's manager (directory)
    # Auto-skip: the approver is the initiator / already approved earlier in this instance.
    # "skip" records the task as skipped (never approved); "manager" routes it to their manager.
    if_initiator: Literal["none", "skip", "manager"] = "none"
    if_already_approved: Literal["none", "skip"] = "none"
    # BPMN multi-instance: completionCondition (evaluated after each decision with nrOfInstances,
    # nrOfCompletedInstances, nrOfActiveInstances, nrOfApproved, nrOfRejected) and the variable that
    # holds the current element (camunda:elementVariable / zeebe:inputElement).
    completion_condition: Expression | None = None
    element_variable: str | None = None
    source: Literal["shenpi", "multi_instance"] = "shenpi"


# Variables the engine sets (docs/approvals.md): no decision and no start may write them, so
# nobody chooses whose manager approves, what the outcome is, or what the AI said. Names that
# start with ``ai_`` belong to the AI steps.
ENGINE_VARIABLES = frozenset({"initiator", "outcome", "approved", "decision"})
ENGINE_VARIABLE_PREFIX = "ai_"


def is_engine_variable(name: str) -> bool:
    return name in ENGINE_VARIABLES or name.startswith(ENGINE_VARIABLE_PREFIX)


VariableType = Literal["any", "string", "number", "boolean", "date", "list", "object"]


class DeclaredVariable(_Frozen):
    """A variable a decision on this task may write (docs/approvals.md), and its JSON type."""

    name: str
    type: VariableType = "any"


class UserTask(_Node):
    kind: Literal["user_task"] = "user_task"
    approval: ApprovalSpec | None = None  # None: a single-approver task
    assignee: Expression | None = None  # evaluates to a user id
    candidate_users: Expression | None = None  # evaluates to a list or comma-separated string
    candidate_groups: Expression | None = None
    inputs: tuple[ParameterMapping, ...] = ()
    outputs: tuple[ParameterMapping, ...] = ()
    boundary_timers: tuple[str, ...] = ()  # ids of BoundaryTimer nodes attached here
    ai: AiSpec | None = None  # <shenpi:ai mode="advise|decide">
    # shenpi:humanRequired="true": only people complete this task; the AI principal never does,
    # whatever it answers (separation of duties). The AI may still advise.
    human_required: bool = False
    notify: tuple[NotifyRule, ...] = ()  # <shenpi:notify> on this task
    # What an approve/reject may write: its form's fields, <shenpi:variable>s and the names its
    # output mappings read, never an engine variable. Empty: decisions carry no variables.
    variables: tuple[DeclaredVariable, ...] = ()
    loop: StandardLoop | None = None  # standardLoopCharacteristics
    form: TaskForm | None = None  # what the task shows (shenpi_core.task_forms)


class ServiceTask(_Node):
    kind: Literal["service_task"] = "service_task"
    element: str = "serviceTask"  # serviceTask or sendTask
    task_type: str  # the Temporal activity name, e.g. "notify" or a zeebe job type
    task_queue: str | None = None  # None: the worker's queue for shipped types
    builtin: bool = True  # False: a type Shenpi does not ship (runs on someone else's worker)
    config: dict[str, str] = Field(default_factory=dict)  # static headers/properties
    inputs: tuple[ParameterMapping, ...] = ()
    outputs: tuple[ParameterMapping, ...] = ()
    result_variable: str | None = None
    start_to_close_seconds: float = 300.0
    max_attempts: int = 5  # 0 = unlimited, as Temporal counts
    boundary_timers: tuple[str, ...] = ()
    ai: AiSpec | None = None  # task_type "ai-review": how to review (prompt, model, examples...)
    loop: StandardLoop | None = None  # standardLoopCharacteristics
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


class ScriptTask(_Node):
    """A script task whose script is an expression (FEEL or JUEL): evaluated in the workflow
    like any expression, its value set in ``result_variable``."""

    kind: Literal["script"] = "script"
    expression: Expression
    result_variable: str | None = None
    loop: StandardLoop | None = None  # standardLoopCharacteristics
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


class ExclusiveGateway(_Node):
    kind: Literal["exclusive"] = "exclusive"
    default_flow: str | None = None
    ai: AiSpec | None = None  # <shenpi:ai mode="route">


class ParallelGateway(_Node):
    kind: Literal["parallel"] = "parallel"


class InclusiveGateway(_Node):
    """Split: every flow whose condition holds (the default only when none does). Join: fires
    when no other token of its scope can still reach one of its empty incoming flows."""

    kind: Literal["inclusive"] = "inclusive"
    default_flow: str | None = None


class EventGateway(_Node):
    """Event-based gateway: waits on the catch events its flows lead to; the first one wins."""

    kind: Literal["event_gateway"] = "event_gateway"


class SubProcess(_Node):
    """An embedded subprocess (``triggered_by_event``: an event subprocess of its parent scope).

    Its nodes name it as ``parent``. Entering it opens a variable scope (the input mappings are
    its local variables) and starts a token at ``start_node``; it completes when no token is left
    inside. Boundary timers work as on tasks; error and escalation boundaries are
    ``BoundaryEvent`` nodes attached to it.
    """

    kind: Literal["subprocess"] = "subprocess"
    triggered_by_event: bool = False
    start_node: str  # the none start event inside; an event subprocess's event start
    inputs: tuple[ParameterMapping, ...] = ()
    outputs: tuple[ParameterMapping, ...] = ()
    boundary_timers: tuple[str, ...] = ()
    loop: StandardLoop | None = None  # standardLoopCharacteristics
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


class TimerCatch(_Node):
    kind: Literal["timer"] = "timer"
    timer: TimerSpec


class EventCatch(_Node):
    """An intermediate catch event or a receive task waiting for a message, a signal or a
    condition; also an arm of an event-based gateway. A receive task is an activity: it may
    carry boundary events."""

    kind: Literal["catch"] = "catch"
    element: str = "intermediateCatchEvent"  # or receiveTask
    trigger: Trigger
    outputs: tuple[ParameterMapping, ...] = ()  # over the variables and the message's
    boundary_timers: tuple[str, ...] = ()
    multi: MultiInstance | None = None  # a receive task's multiInstanceLoopCharacteristics


class BoundaryCatch(_Node):
    """A message, signal or conditional boundary event of an activity."""

    kind: Literal["boundary_catch"] = "boundary_catch"
    attached_to: str
    interrupting: bool = True
    trigger: Trigger
    outputs: tuple[ParameterMapping, ...] = ()


CallBinding = Literal["latest", "deployment", "version", "version_tag"]


class CallActivity(_Node):
    """Runs another deployed process as a Temporal child workflow (docs/interpreter.md "Call
    activities"). ``inputs`` are evaluated over the caller's variables into the child's start
    variables; ``outputs`` over the child's final variables into the caller's."""

    kind: Literal["call_activity"] = "call_activity"
    called_process: str
    binding: CallBinding = "latest"
    version: int | None = None  # binding "version"
    version_tag: str | None = None  # binding "version_tag"
    inputs: tuple[ParameterMapping, ...] = ()
    outputs: tuple[ParameterMapping, ...] = ()
    all_in: bool = False  # every caller variable goes in (before the input mappings)
    all_out: bool = False  # every child variable comes out (before the output mappings)
    boundary_timers: tuple[str, ...] = ()
    loop: StandardLoop | None = None  # standardLoopCharacteristics
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


# How a business rule task writes its decision's result (docs/dmn.md "Business rule tasks"):
# "value" the result as the decision gives it (Zeebe); Camunda 7's mapDecisionResult modes over
# its rule results; "flowable" each output of a single result as a variable, else the list.
DecisionResultMapping = Literal[
    "value", "single_entry", "single_result", "collect_entries", "result_list", "flowable"
]


class BusinessRuleTask(_Node):
    """Evaluates a deployed DMN decision in the workflow. The decision's version is found when
    the token arrives (``binding``), by the worker's ``shenpi-resolve-decision`` activity, whose
    result (the decision plan) history keeps, so a replay evaluates the same table."""

    kind: Literal["business_rule"] = "business_rule"
    decision_id: str
    binding: Literal["latest", "deployment", "version"] = "latest"
    version: int | None = None  # binding "version"
    result_variable: str | None = None
    mapping: DecisionResultMapping = "value"
    inputs: tuple[ParameterMapping, ...] = ()
    outputs: tuple[ParameterMapping, ...] = ()
    multi: MultiInstance | None = None  # multiInstanceLoopCharacteristics


class BoundaryTimer(_Node):
    kind: Literal["boundary_timer"] = "boundary_timer"
    attached_to: str
    interrupting: bool = True
    timer: TimerSpec


class BoundaryEvent(_Node):
    """An error or escalation boundary event: catches what is thrown inside the activity."""

    kind: Literal["boundary_event"] = "boundary_event"
    attached_to: str
    interrupting: bool = True  # an error boundary always interrupts
    catches: Literal["error", "escalation", "compensation"]
    code: str | None = None  # None: every error (escalation) reaching it
    # compensation: the handler (isForCompensation) that undoes the activity once it completed.
    handler: str | None = None


Node = Annotated[
    StartEvent
    | EndEvent
    | PassThrough
    | UserTask
    | ServiceTask
    | ExclusiveGateway
    | ParallelGateway
    | TimerCatch
    | BoundaryTimer
    | BoundaryEvent
    | ThrowEvent
    | InclusiveGateway
    | EventGateway
    | SubProcess
    | CallActivity
    | ScriptTask
    | EventCatch
    | BoundaryCatch
    | BusinessRuleTask,
    Field(discriminator="kind"),
]


class ProcessPlan(_Frozen):
    """One executable BPMN process. ``hash`` covers everything but itself."""

    schema_version: int = PLAN_SCHEMA_VERSION
    process_id: str
    name: str | None = None
    start_node: str
    # The process's message, signal and timer start events besides ``start_node`` (which is
    # its none start, or its first event start when it has none).
    event_starts: tuple[str, ...] = ()
    nodes: tuple[Node, ...]  # document order: deterministic iteration
    flows: tuple[SequenceFlow, ...]
    notify: tuple[NotifyRule, ...] = ()  # <shenpi:notify> on the process: every task, the outcome
    # <shenpi:priority>: a request's default priority, a literal or an expression over the start
    # variables (evaluated by the starter, which needs it to start the workflow at that priority).
    priority: Expression | None = None
    # camunda:versionTag / zeebe:versionTag: what a call activity's "versionTag" binding names.
    version_tag: str | None = None
    hash: str = ""

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def canonical_json(self) -> bytes:
        """What the hash covers: sorted keys, no defaults, each node's kind (UTF-8)."""
        # Defaults are left out, so a new optional field does not change existing plans' hashes.
        # A plan being hashed has no hash yet, and the default is left out anyway: no filter for
        # pydantic to build then (a few percent of the dump). The model's own serializer is
        # called as ``model_dump`` calls it, without that Python wrapper (6 k instructions, an
        # eighth of dumping a small plan).
        exclude = {"hash"} if self.hash else None
        body = self.__pydantic_serializer__.to_python(
            self, mode="json", exclude=exclude, exclude_defaults=True
        )
        for node, dumped in zip(self.nodes, body.get("nodes", ()), strict=True):
            dumped["kind"] = node.kind  # a default, but what tells one node kind from another
        return canonical(body)

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def hashed(self) -> "tuple[ProcessPlan, int]":
        """The plan with its hash, and the size of the canonical JSON it hashed (in bytes)."""
        canonical = self.canonical_json()
        digest = hashlib.sha256(canonical).hexdigest()
        return self.model_copy(update={"hash": digest}), len(canonical)

    def with_hash(self) -> "ProcessPlan":
        return self.hashed()[0]
