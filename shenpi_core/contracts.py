"""Inputs, outputs and state of the interpreter workflow: the contract the API relies on.

Importable inside the workflow sandbox (pydantic only). Times are timezone-aware UTC datetimes
taken from ``workflow.now()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.process_plan import AiSpec, Priority, ProcessPlan

# Workflow handler names (the API calls them by name: the workflow type is dynamic).
UPDATE_DECIDE = "decide"
QUERY_STATE = "get_state"
SIGNAL_DECIDE = "decide_signal"  # fallback when a caller cannot wait for an update
UPDATE_INSTANCE_ACTION = "instance_action"  # withdraw, cancel, urge (InstanceActionInput)
UPDATE_INCIDENT_ACTION = "incident_action"  # an admin retries or resolves an incident
UPDATE_SET_PRIORITY = "set_priority"  # the initiator's manager or an admin (PriorityInput)

# Activities the interpreter runs itself (not service-task types drawn in BPMN).
ACTIVITY_DIRECTORY = "shenpi-directory"  # DirectoryResolveInput -> DirectoryResolveResult
ACTIVITY_ARCHIVE = "shenpi-archive"  # ArchiveInput -> None
ACTIVITY_RESOLVE_PROCESS = "shenpi-resolve-process"  # ResolveProcessInput -> ResolveProcessResult
# ResolveDecisionInput -> ResolveDecisionResult: the DMN a business rule task evaluates.
ACTIVITY_RESOLVE_DECISION = "shenpi-resolve-decision"
# A called process's uncaught escalation, signalled to the caller (EscalationSignal).
SIGNAL_ESCALATION = "escalation"
# Shipped service-task types that the interpreter also runs on its own for <shenpi:ai>.
ACTIVITY_AI_REVIEW = "ai-review"  # AiReviewInput -> AiReviewResult
ACTIVITY_OCR = "ocr"  # ServiceTaskInput -> variables (runs on the OCR task queue, OCR_QUEUE_SUFFIX)
# The OCR activity is CPU-bound: it runs on its own task queue, "<workflow task queue>-ocr" unless
# the model names one, served by a process pool so it never starves workflow tasks.
OCR_QUEUE_SUFFIX = "-ocr"
# The AI's own principal: "ai:<model>". It may complete only tasks whose <shenpi:ai> is in
# "decide" mode (or whose approvers name it), and never a human-required task.
AI_PRINCIPAL_PREFIX = "ai:"

InstanceStatus = Literal["running", "completed", "incident", "terminated", "cancelled"]
DecisionAction = Literal[
    "approve",
    "reject",
    "resubmit",  # the initiator's resubmit task after a reject back to the initiator
    "claim",
    "unclaim",
    "transfer",  # 转办: the task moves to `to`
    "delegate",  # 委派: `to` acts, then the task returns to its owner to confirm
    "add_signer",  # 加签: `to` (user ids) join this step, `position` before/after the actor
    "remove_signer",  # 减签: `to` (user ids) leave this step (their open tasks close)
    "jump",  # admin: move the instance to node `to`
]
InstanceAction = Literal["withdraw", "cancel", "urge"]
IncidentAction = Literal["retry", "resolve"]


class CalledBy(BaseModel):
    """The call activity that started this instance (a Temporal child workflow)."""

    workflow_id: str
    node_id: str
    token_id: str


class ThrownError(BaseModel):
    """A BPMN error no one in a called process caught: it ends the process and is thrown again
    at its call activity in the caller."""

    code: str | None
    message: str


class StartInput(BaseModel):
    plan: ProcessPlan
    version: int
    variables: dict[str, Any] = Field(default_factory=dict)
    initiator: str
    business_key: str | None = None
    # Set only by continue-as-new: the state to resume from.
    resume: InstanceState | None = None
    # Continue as new once the history holds this many events, besides when Temporal suggests it
    # (operators cap long-lived instances with it; tests force continue-as-new with it).
    max_history_events: int | None = None
    # How long a service task waits for a worker to take its activity before the instance shows a
    # `waiting_for_worker` incident (it keeps waiting, with a growing bound). None: 30 s.
    worker_wait_seconds: float | None = None
    # Urge (催办) rate limit: the least time between two urges of one instance. None: 600 s.
    urge_min_interval_seconds: float | None = None
    # Notifications the interpreter sends on its own ("task_opened": each task's approvers,
    # "outcome": the initiator), chosen by the starter from the channels it knows are configured.
    # None: none (instances started before the defaults existed keep their histories).
    notify_events: list[str] | None = None
    # Chosen by the starter (the request's, else the process's default). None: started before
    # priorities existed; such an instance runs as before, at Temporal's default priority.
    priority: Priority | None = None
    # The starter knows the AI provider answers inside the worker (local, openai): an AI review
    # then heartbeats, and a worker crash costs seconds, not the node's timeout. A callback job
    # completes on its own and may never call its heartbeat URL. None: instances started before.
    ai_heartbeats: bool | None = None
    called_by: CalledBy | None = None  # started by a call activity
    # The start event it starts at: a message, signal or timer start (None: the none start).
    start_event: str | None = None


class EmbeddedStartInput(BaseModel):
    """Input of a workflow emitted by ``shenpi compile --emit python``: the plan is in its code."""

    variables: dict[str, Any] = Field(default_factory=dict)
    initiator: str
    business_key: str | None = None
    version: int = 1
    resume: InstanceState | None = None  # set only by continue-as-new
    max_history_events: int | None = None
    worker_wait_seconds: float | None = None
    urge_min_interval_seconds: float | None = None
    notify_events: list[str] | None = None  # as StartInput.notify_events
    priority: Priority | None = None  # as StartInput.priority
    ai_heartbeats: bool | None = None  # as StartInput.ai_heartbeats


class DecisionInput(BaseModel):
    task_id: str
    action: DecisionAction
    actor: str  # user id of the principal deciding
    groups: list[str] = Field(default_factory=list)  # the principal's groups (from the JWT)
    comment: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    # transfer/delegate: one user id; add_signer/remove_signer: user ids; jump: a node id.
    to: str | list[str] | None = None
    position: Literal["before", "after"] | None = None  # add_signer in sequential steps
    is_admin: bool = False  # the principal is in the admin group (jump, acting for others)


class InstanceActionInput(BaseModel):
    """``UPDATE_INSTANCE_ACTION``: withdraw (撤回), cancel (撤销) or urge (催办) an instance."""

    action: InstanceAction
    actor: str
    is_admin: bool = False
    comment: str | None = None


class IncidentActionInput(BaseModel):
    """``UPDATE_INCIDENT_ACTION``: run the node of an incident again, or close one whose cause
    is gone (docs/interpreter.md "Incidents")."""

    action: IncidentAction
    incident_id: str
    actor: str
    is_admin: bool = False
    comment: str | None = None


class PriorityInput(BaseModel):
    """``UPDATE_SET_PRIORITY``: change a running instance's priority.

    The directory is I/O, so the API looks up whose manager the actor is and says so in
    ``manager_of``; the validator checks that it names the initiator.
    """

    priority: Priority
    actor: str
    is_admin: bool = False
    manager_of: str | None = None  # the user whose direct manager the actor is (directory)
    comment: str | None = None


class PriorityResult(BaseModel):
    accepted: bool
    priority: Priority
    previous: Priority
    instance_status: InstanceStatus


class IncidentActionResult(BaseModel):
    accepted: bool
    incident: Incident
    instance_status: InstanceStatus


class InstanceActionResult(BaseModel):
    accepted: bool
    instance_status: InstanceStatus
    notified: list[str] = Field(default_factory=list)  # urge: who was reminded


class DecisionSignal(BaseModel):
    """The ``SIGNAL_DECIDE`` argument: a decision sent by a caller that cannot wait for an update.

    Applied if still valid when it arrives; ``idempotency_key`` makes a redelivery a no-op.
    """

    decision: DecisionInput
    idempotency_key: str


class AiAdvice(BaseModel):
    """The AI's review attached to a task (``TaskView.ai``) for the people who decide it.

    The inbox memo keeps only ``decision``, ``confidence``, the model and ``result_id``: advice
    text and risk flags are request content (docs/architecture.md §3), so ``GET /tasks`` loads
    them from the app database by ``result_id``.
    """

    decision: str  # approve / reject / abstain
    confidence: float
    advice: str | None = None
    risk_flags: list[str] = Field(default_factory=list)
    provider: str
    model: str
    cached: bool = False
    result_id: str | None = None  # the ai_results row (the result cache key)


class TaskView(BaseModel):
    task_id: str  # unique within the instance, derived from node id and a counter
    ref: str  # short reference people can type in a chat
    node_id: str
    name: str | None = None
    status: Literal["open", "completed", "cancelled", "skipped"] = "open"
    assignee: str | None = None
    candidate_users: list[str] = Field(default_factory=list)
    candidate_groups: list[str] = Field(default_factory=list)
    claimed_by: str | None = None
    created_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    outcome: str | None = None  # approved / rejected / cancelled / timeout / skipped / ...
    # Multi-approver steps (shenpi:approval, docs/architecture.md §4): a step's tasks share step_id.
    step_id: str | None = None
    mode: str = "single"  # single / sequential / all / any / vote
    kind: Literal["approval", "resubmit"] = "approval"  # resubmit: the initiator's rework task
    owner: str | None = None  # delegate (委派): the owner the task returns to for confirmation
    delegated_to: str | None = None
    reminders_sent: int = 0
    escalated: bool = False
    ai: AiAdvice | None = None  # the AI's advice, when the node has <shenpi:ai>


class DecisionResult(BaseModel):
    accepted: bool
    task: TaskView
    instance_status: InstanceStatus


# What the interpreter records on the timeline and why an incident opens: closed sets, checked
# where they are written (``TokenMachine.record``, ``TokenMachine.incident``). The models below
# read them as ``str``, so an API older than its workers still reads a newer event.
TimelineEvent = Literal[
    "started",
    "completed",
    "cancelled",
    "withdrawn",
    "force_terminated",
    "urged",
    "task_opened",
    "task_closed",
    "task_cancelled",
    "claimed",
    "unclaimed",
    "approved",
    "rejected",
    "resubmitted",
    "transferred",
    "delegated",
    "delegation_resolved",
    "signers_added",
    "signers_removed",
    "jumped",
    "sent_back",
    "skipped",
    "step_opened",
    "step_passed",
    "step_rejected",
    "reminded",
    "escalated",
    "escalation_failed",
    "overdue",
    "timer_fired",
    "service_completed",
    "service_failed",
    "ai_reviewed",
    "ai_failed",
    "ai_fallback",
    "ai_route_fallback",
    "ai_routed",
    "incident",
    "incident_retried",
    "incident_resolved",
    "notify_failed",
    "archive_failed",
    "priority_changed",  # the initiator's manager or an admin changed the priority
    "subprocess_started",
    "subprocess_completed",
    "event_subprocess_started",
    "error_thrown",  # details: code, message, caught_by (a node id, or None: an incident)
    "escalation_thrown",  # details: code, caught_by (None: nobody caught it, the flow goes on)
    "call_started",  # details: process_id, version, instance_id (the child workflow)
    "call_completed",  # details: instance_id, outcome
    "compensation_thrown",  # details: activity (None: the whole scope), handlers (in order)
    "message_received",  # details: name, interrupting
    "signal_received",  # details: name, interrupting
    "condition_met",  # details: interrupting
    "signal_thrown",  # details: name
    "listener_completed",  # details: event (start, end), index
    "decision_evaluated",  # details: decision_id, drg_id, version (of the deployed DMN file)
    "multi_instance_started",  # details: instances, sequential
    "multi_instance_completed",  # details: instances, completed, cancelled (by its condition)
]
IncidentKind = Literal[
    "activity_failed",
    "no_matching_flow",
    "expression_error",
    "waiting_for_worker",
    "directory_failed",
    "invalid_approvers",
    "no_approvers",
    "loop_limit",
    "timer_error",
    "bad_reject_target",
    "unhandled_error",  # a BPMN error no boundary or event subprocess catches
    "call_failed",  # a called process is not deployed, or its instance failed
    "decision_failed",  # a business rule task's decision (version) is not deployed
]


class TimelineEntry(BaseModel):
    at: datetime
    event: str  # a TimelineEvent
    node_id: str | None = None
    task_id: str | None = None
    actor: str | None = None
    comment: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Incident(BaseModel):
    # Its position in the instance's incidents, from 1: incidents are only ever appended.
    incident_id: str | None = None
    node_id: str
    kind: str  # an IncidentKind
    message: str
    at: datetime
    resolved_at: datetime | None = None  # e.g. a worker for the activity type showed up


class InstanceState(BaseModel):
    """Everything the query returns; also the snapshot carried across continue-as-new."""

    process_id: str
    version: int
    status: InstanceStatus = "running"
    outcome: str | None = None
    initiator: str
    business_key: str | None = None
    priority: Priority | None = None  # None: started before priorities existed ("normal")
    variables: dict[str, Any] = Field(default_factory=dict)
    # The names the request was started with: what the initiator may edit when resubmitting.
    request_fields: list[str] = Field(default_factory=list)
    tasks: list[TaskView] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    # Interpreter bookkeeping (token positions, join arrivals, counters); opaque to the API.
    tokens: list[dict[str, Any]] = Field(default_factory=list)
    counters: dict[str, int] = Field(default_factory=dict)
    # Completed activities compensation may undo: {node_id, scope (token id or None), inner
    # (a subprocess's token id: its own completed activities carry it as scope)}.
    compensable: list[dict[str, str | None]] = Field(default_factory=list)
    # A called process ended by an error no one caught inside (thrown again at its caller).
    error: ThrownError | None = None
    called_by: CalledBy | None = None  # a called process: its caller's call activity
    # The latest BPMN signal ids it received: a broadcast delivered twice acts once.
    signals: list[str] = Field(default_factory=list)


StartInput.model_rebuild()
EmbeddedStartInput.model_rebuild()
IncidentActionResult.model_rebuild()


class DirectoryResolveInput(BaseModel):
    """``ACTIVITY_DIRECTORY``: evaluate an expression that calls directory functions."""

    ast: Any  # a compiled expression AST (uses manager(), members(), dept_leader(), department())
    variables: dict[str, Any] = Field(default_factory=dict)


class DirectoryResolveResult(BaseModel):
    values: list[str] = Field(default_factory=list)  # the value flattened to ids; None -> []


class ResolveProcessInput(BaseModel):
    """``ACTIVITY_RESOLVE_PROCESS``: the deployed version a call activity runs."""

    process_id: str
    binding: Literal["latest", "deployment", "version", "version_tag"] = "latest"
    version: int | None = None
    version_tag: str | None = None
    # "deployment": the version that was the latest when the caller's version was deployed.
    caller_process_id: str
    caller_version: int


class ResolveProcessResult(BaseModel):
    plan: ProcessPlan
    version: int


class ResolveDecisionInput(BaseModel):
    """``ACTIVITY_RESOLVE_DECISION``: the deployed DMN file a business rule task evaluates."""

    decision_id: str
    binding: Literal["latest", "deployment", "version"] = "latest"
    version: int | None = None  # binding "version": the version of the DMN file holding it
    # "deployment": the version that was the latest when the caller's version was deployed.
    caller_process_id: str
    caller_version: int


class ResolveDecisionResult(BaseModel):
    plan: DecisionPlan
    version: int


class EscalationSignal(BaseModel):
    """``SIGNAL_ESCALATION``: an escalation no one caught in the called process."""

    token_id: str  # the caller's token waiting on the call activity
    code: str | None


class ArchiveInput(BaseModel):
    """``ACTIVITY_ARCHIVE``: the final state of an ended instance, stored in the app database."""

    instance_id: str
    state: InstanceState


# An activity in any SDK raises a BPMN error by failing, non-retryably, with an ApplicationError of
# this type whose first detail is ``{"code": "<error code>"}`` (docs/interpreter.md "Errors and
# escalations"): the workflow throws that error from the service task.
BPMN_ERROR_TYPE = "BpmnError"


class ErrorType:
    """ApplicationError types raised by the decide validator; the API maps them to HTTP codes."""

    TASK_NOT_FOUND = "TaskNotFound"  # 404
    NOT_ALLOWED = "NotAllowed"  # 403: not the assignee / candidate / claimer
    NOT_OPEN = "TaskNotOpen"  # 409: already decided or closed
    NOT_WAITING = "NotWaiting"  # 409: nothing in the instance waits for that message
    ILLEGAL_ACTION = "IllegalAction"  # 409: e.g. claim on a personal task
    INSTANCE_CLOSED = "InstanceClosed"  # 409
    # Instance actions (UPDATE_INSTANCE_ACTION) and decision actions:
    NOT_INITIATOR = "NotInitiator"  # 403: withdraw / urge by someone other than the initiator
    ALREADY_ACTED = "AlreadyActed"  # 409: withdraw after an approver acted on the current step
    RATE_LIMITED = "RateLimited"  # 429: urge again before urge_min_interval_seconds passed
    # 422: variables the task does not declare (or the engine owns), or of the wrong type.
    UNDECLARED_VARIABLES = "UndeclaredVariables"
    INVALID_INPUT = "InvalidInput"  # 422: an id or a list over the documented limits
    INCIDENT_NOT_FOUND = "IncidentNotFound"  # 404
    INCIDENT_RESOLVED = "IncidentResolved"  # 409: resolved already
    PROCESS_NOT_FOUND = "ProcessNotFound"  # a call activity's process (version) is not deployed
    DECISION_NOT_FOUND = "DecisionNotFound"  # a business rule task's decision is not deployed


class ServiceTaskInput(BaseModel):
    """The one argument of every service-task activity (the activity name is the task type)."""

    instance_id: str  # the workflow id
    node_id: str
    process_id: str
    config: dict[str, str] = Field(default_factory=dict)  # static properties from the model
    variables: dict[str, Any] = Field(default_factory=dict)  # after the task's input mappings


SearchAttr = Literal[
    "ShenpiVersion",
    "ShenpiStatus",
    "ShenpiBusinessKey",
    "ShenpiPendingActors",
    "ShenpiInitiator",
    "ShenpiPriority",
    "ShenpiNextDue",
]

# Memo keys the workflow keeps current for the inbox (GET /tasks reads them from visibility).
MEMO_TASKS = "tasks"  # list of TaskView (JSON) of the *open* tasks
MEMO_PROCESS_ID = "process_id"
MEMO_INCIDENTS = "incidents"  # the open incidents (id, node, kind, message, at), for GET /incidents


class AiRouteOption(BaseModel):
    """One outgoing flow of an AI-routed gateway, as the model sees it."""

    flow_id: str
    name: str | None = None
    documentation: str | None = None


class AiReviewInput(BaseModel):
    """``ACTIVITY_AI_REVIEW``: review a request (user task, service task) or pick a flow (route).

    The activity renders the prompt (``spec.prompt`` or the default template of ``node_kind``) in
    a sandbox over ``variables``, with the text of any document references found in them loaded
    from the blob store, and asks the configured provider.
    """

    instance_id: str
    process_id: str
    node_id: str
    node_name: str | None = None
    node_kind: Literal["user_task", "service_task", "exclusive"]
    purpose: Literal["review", "route"] = "review"
    spec: AiSpec
    variables: dict[str, Any] = Field(default_factory=dict)
    options: list[AiRouteOption] = Field(default_factory=list)  # route: the outgoing flows
    initiator: str | None = None


class AiMetrics(BaseModel):
    provider: str  # "openai", "local", "callback"
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0  # the provider's own time (0 when cached)
    request_id: str | None = None


class AiReviewResult(BaseModel):
    """What the workflow sees of an AI review: structured, validated, small.

    ``decision``: "approve", "reject" or "abstain" for a review (abstain: too unsure to say, e.g.
    the offline reviewer with too few or too distant precedents); for a route, the chosen
    ``flow_id`` (or "abstain").
    """

    decision: str
    confidence: float = Field(ge=0.0, le=1.0)
    advice: str = ""
    extracted: dict[str, Any] = Field(default_factory=dict)  # fields read from the request
    risk_flags: list[str] = Field(default_factory=list)
    metrics: AiMetrics
    cached: bool = False  # served from the result cache (same request, model and prompt)
    prompt_hash: str  # sha256 of the rendered prompt
    template_version: str  # which template rendered it ("default-review@1", "custom:<sha8>")
    result_id: str  # the cache key; the ai_results row holding advice and transcript
