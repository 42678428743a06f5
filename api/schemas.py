"""Request and response bodies of the HTTP API v1 (docs/architecture.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from api.form_schemas import TaskWithForm
from bpmn_compiler.diagnostics import Diagnostic
from shenpi_core import limits
from shenpi_core.contracts import (
    AiAdvice,
    CalledBy,
    DecisionAction,
    Incident,
    InstanceStatus,
    TaskView,
    ThrownError,
    TimelineEntry,
)
from shenpi_core.process_plan import Priority, is_engine_variable

# Closed executions the workflow could not label itself (terminated from outside, failed, ...)
# are reported with Temporal's own status, lower-cased.
ListedStatus = InstanceStatus | Literal["cancelled", "failed", "timed_out", "continued_as_new"]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class DefinitionPublic(_Public):
    process_id: str
    version: int
    hash: str
    name: str | None = None
    deployed_by: str
    deployed_at: datetime
    warnings: list[Diagnostic] = Field(default_factory=list)


class DefinitionsPublic(BaseModel):
    data: list[DefinitionPublic]
    count: int


class DefinitionDeployed(BaseModel):
    # A BPMN file: the process id. A DMN file: its <definitions> id, which versions count by. A
    # Camunda Form: its id.
    process_id: str
    version: int
    hash: str
    warnings: list[Diagnostic] = Field(default_factory=list)
    kind: Literal["bpmn", "dmn", "form"] = "bpmn"
    decisions: list[str] = Field(default_factory=list)  # a DMN file's decision ids
    fields: list[str] = Field(default_factory=list)  # a form's fields (the variables it writes)


class DecisionDefinitionPublic(_Public):
    decision_requirements_id: str
    version: int
    hash: str
    name: str | None = None
    decision_ids: list[str]
    deployed_by: str
    deployed_at: datetime
    warnings: list[Diagnostic] = Field(default_factory=list)


class DecisionDefinitionsPublic(BaseModel):
    data: list[DecisionDefinitionPublic]
    count: int


class DecisionEvaluate(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(default=None, ge=1, le=limits.MAX_VERSION)

    @field_validator("variables")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        _limit(limits.check_variables, value, max_bytes=limits.MAX_START_VARIABLES_BYTES)
        return value


class DecisionEvaluated(BaseModel):
    decision_id: str
    decision_requirements_id: str
    version: int
    result: Any


# A value that breaks a documented limit (docs/security.md) is 422, not 400: the request is
# well-formed, the value is not acceptable. `api/errors.py` maps this error type.
LIMIT_ERROR = "limit_exceeded"
MAX_VERSION = limits.MAX_VERSION


def _limit(check: Any, *args: Any, **kwargs: Any) -> None:
    try:
        check(*args, **kwargs)
    except limits.LimitError as err:
        raise PydanticCustomError(LIMIT_ERROR, "{reason}", {"reason": str(err)}) from None


class InstanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(
        default_factory=dict,
        description=f"At most {limits.MAX_START_VARIABLES_BYTES} bytes as JSON, nested at most "
        f"{limits.MAX_VARIABLE_DEPTH} levels; the engine's own names (initiator, outcome, "
        "approved, decision, ai_*) are refused.",
    )
    business_key: str | None = Field(
        default=None,
        description="Your id for the request; a second start with the same key is refused (409). "
        + limits.BUSINESS_KEY_RULE,
    )
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="Default: the latest version."
    )
    priority: Priority | None = Field(
        default=None,
        description="Default: the process's <shenpi:priority> for these variables, else normal. "
        "Orders inboxes and the instance's Temporal tasks (OCR, AI review, notifications).",
    )

    @field_validator("variables")
    @classmethod
    def _variables_within_limits(cls, value: dict[str, Any]) -> dict[str, Any]:
        _limit(limits.check_variables, value, max_bytes=limits.MAX_START_VARIABLES_BYTES)
        owned = sorted(name for name in value if is_engine_variable(name))
        if owned:
            raise PydanticCustomError(
                LIMIT_ERROR, "set by the engine, not the request: {names}", {"names": owned}
            )
        return value

    @field_validator("business_key")
    @classmethod
    def _business_key_addressable(cls, value: str | None) -> str | None:
        if value is not None:
            _limit(limits.check_business_key, value)
        return value


class InstanceStarted(BaseModel):
    instance_id: str
    process_id: str
    version: int
    priority: Priority


class InstanceSummary(BaseModel):
    instance_id: str
    process_id: str
    version: int | None = None
    status: ListedStatus
    initiator: str | None = None
    business_key: str | None = None
    priority: Priority = "normal"
    started_at: datetime | None = None
    closed_at: datetime | None = None


class InstancesPublic(BaseModel):
    data: list[InstanceSummary]
    count: int


class InstancePublic(BaseModel):
    instance_id: str
    process_id: str
    version: int
    status: ListedStatus
    outcome: str | None = None
    initiator: str
    business_key: str | None = None
    priority: Priority = "normal"
    variables: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskWithForm] = Field(default_factory=list)  # each with the form it shows
    timeline: list[TimelineEntry] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    # True: served from the audit archive (the execution has ended, or Temporal no longer has it).
    archived: bool = False
    # Started by a call activity: the calling instance and node (docs/interpreter.md).
    called_by: CalledBy | None = None
    # Ended by a BPMN error nobody inside caught (thrown again at the calling call activity).
    error: ThrownError | None = None


class InstanceActionCreate(BaseModel):
    """Body of withdraw / cancel / urge (optional)."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=500, description="Same as comment.")


class InstanceActionPublic(BaseModel):
    instance_id: str
    accepted: bool
    instance_status: ListedStatus
    notified: list[str] = Field(default_factory=list)  # urge: who was reminded
    # cancel?force=true (admins): Temporal was asked to cancel; the workflow records it itself.
    forced: bool = False


class PriorityChange(BaseModel):
    """Body of ``POST /instances/{instance_id}/priority``."""

    model_config = ConfigDict(extra="forbid")

    priority: Priority
    comment: str | None = Field(default=None, max_length=4000)


class PriorityPublic(BaseModel):
    instance_id: str
    accepted: bool
    priority: Priority
    previous: Priority
    instance_status: InstanceStatus


class IncidentSummary(BaseModel):
    """An open incident as GET /incidents lists it (the message is on the instance)."""

    instance_id: str
    process_id: str
    incident_id: str
    node_id: str
    kind: str
    at: datetime


class IncidentsPublic(BaseModel):
    data: list[IncidentSummary]
    count: int


class IncidentActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=4000)


class IncidentActionPublic(BaseModel):
    instance_id: str
    accepted: bool
    incident: Incident
    instance_status: InstanceStatus


class TaskPublic(BaseModel):
    instance_id: str
    task_id: str
    ref: str
    node_id: str
    name: str | None = None
    process_id: str
    priority: Priority = "normal"  # the instance's: the inbox lists urgent tasks first
    due_at: datetime | None = None
    ai: AiAdvice | None = None  # the AI's advice when the node has <shenpi:ai> (docs/ai.md)
    assignee: str | None = None
    candidate_groups: list[str] = Field(default_factory=list)
    claimed_by: str | None = None
    created_at: datetime
    # Multi-approver steps: tasks of one step share step_id; resubmit tasks are the initiator's.
    step_id: str | None = None
    mode: str = "single"
    kind: Literal["approval", "resubmit"] = "approval"
    owner: str | None = None  # delegate (委派): who confirms after the delegate acted
    delegated_to: str | None = None
    reminders_sent: int = 0
    escalated: bool = False


class TasksPublic(BaseModel):
    data: list[TaskPublic]
    count: int
    # Paged listings (page_size given): the next page's token (null on the last page) and, when
    # the API read every matching task to order them, how many there are.
    next_page_token: str | None = None
    total: int | None = None


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: DecisionAction
    comment: str | None = Field(default=None, max_length=4000)
    # transfer / delegate: a user id; add_signer / remove_signer: user ids; jump: a node id.
    to: str | list[str] | None = Field(
        default=None,
        description="transfer/delegate: a user id; add_signer/remove_signer: up to "
        f"{limits.MAX_SIGNERS_PER_REQUEST} user ids; jump: a node id. User ids: {limits.ID_RULE}.",
    )
    position: Literal["before", "after"] | None = None  # add_signer in sequential steps
    variables: dict[str, Any] = Field(
        default_factory=dict,
        description="Only what the task declares (its form's fields, <shenpi:variable>s, output "
        "mappings); the initiator's resubmit task takes the request's own fields. "
        f"At most {limits.MAX_DECISION_VARIABLES_BYTES} bytes as JSON.",
    )

    @field_validator("variables")
    @classmethod
    def _variables_within_limits(cls, value: dict[str, Any]) -> dict[str, Any]:
        _limit(limits.check_variables, value, max_bytes=limits.MAX_DECISION_VARIABLES_BYTES)
        return value

    @field_validator("to")
    @classmethod
    def _ids_within_limits(cls, value: str | list[str] | None) -> str | list[str] | None:
        # A jump names a node, checked by the workflow; people's ids are checked here too, once
        # the action is known (api/routes/decisions checks the pair).
        if isinstance(value, list) and len(value) > limits.MAX_SIGNERS_PER_REQUEST:
            raise PydanticCustomError(
                LIMIT_ERROR,
                "at most {n} user ids in one request",
                {"n": limits.MAX_SIGNERS_PER_REQUEST},
            )
        if isinstance(value, str) and len(value) > limits.MAX_BUSINESS_KEY_LENGTH:
            raise PydanticCustomError(LIMIT_ERROR, "'to' is too long", {})
        return value


class DecisionPublic(BaseModel):
    accepted: bool
    task: TaskView
    instance_status: InstanceStatus


class HealthPublic(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
