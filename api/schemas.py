"""Request and response bodies of the HTTP API v1 (docs/architecture.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bpmn_compiler.diagnostics import Diagnostic
from workflows.contracts import (
    AiAdvice,
    DecisionAction,
    Incident,
    InstanceStatus,
    TaskView,
    TimelineEntry,
)

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
    process_id: str
    version: int
    hash: str
    warnings: list[Diagnostic] = Field(default_factory=list)


class InstanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict)
    business_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Your id for the request; a second start with the same key is refused (409).",
    )
    version: int | None = Field(default=None, ge=1, description="Default: the latest version.")


class InstanceStarted(BaseModel):
    instance_id: str
    process_id: str
    version: int


class InstanceSummary(BaseModel):
    instance_id: str
    process_id: str
    version: int | None = None
    status: ListedStatus
    initiator: str | None = None
    business_key: str | None = None
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
    variables: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskView] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    # True: served from the audit archive (the execution has ended, or Temporal no longer has it).
    archived: bool = False


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


class TaskPublic(BaseModel):
    instance_id: str
    task_id: str
    ref: str
    node_id: str
    name: str | None = None
    process_id: str
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


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: DecisionAction
    comment: str | None = Field(default=None, max_length=4000)
    # transfer / delegate: a user id; add_signer / remove_signer: user ids; jump: a node id.
    to: str | list[str] | None = None
    position: Literal["before", "after"] | None = None  # add_signer in sequential steps
    variables: dict[str, Any] = Field(default_factory=dict)


class DecisionPublic(BaseModel):
    accepted: bool
    task: TaskView
    instance_status: InstanceStatus


class HealthPublic(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
