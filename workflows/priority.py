"""A request's priority: its default, its Temporal task priority, and who may change it.

The starter picks the priority (the request's, else the process's ``<shenpi:priority>``, else
``normal``) and starts the workflow with the matching Temporal priority, so the instance's
workflow tasks are ordered by it from the first one. The workflow passes it on to every activity
it schedules (OCR, AI review, notifications, directory lookups), so an urgent request's activities
overtake a backlog of routine ones on a shared task queue. ``check`` runs in the update validator
and again in the handler (docs/architecture.md §3), so it only reads state.
"""

from __future__ import annotations

from typing import Any, TypeGuard, get_args

from temporalio import workflow
from temporalio.common import Priority as TemporalPriority

from shenpi_core.contracts import ErrorType, PriorityInput, PriorityResult
from shenpi_core.expressions import ExpressionError, evaluate
from shenpi_core.process_plan import Priority, ProcessPlan
from workflows.machine import TokenMachine
from workflows.refusals import refuse

PRIORITIES: tuple[Priority, ...] = get_args(Priority)
DEFAULT: Priority = "normal"
# Temporal's priority keys run from 1 (first) to 5; 3 is what a task without one gets, so a
# `normal` request competes evenly with other workloads of the namespace.
TEMPORAL_KEYS: dict[Priority, int] = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
# Instances started before priorities existed schedule their activities without one: the patch
# keeps their histories replaying, and only instances that carry a priority record it.
PATCH_ACTIVITY_PRIORITY = "shenpi-activity-priority"


def is_priority(value: Any) -> TypeGuard[Priority]:
    return isinstance(value, str) and value in PRIORITIES


def rank(priority: str | None) -> int:
    """Sort key: urgent first, unknown or unset as normal."""
    return TEMPORAL_KEYS[priority if is_priority(priority) else DEFAULT]


def temporal_priority(priority: Priority) -> TemporalPriority:
    return TemporalPriority(priority_key=TEMPORAL_KEYS[priority])


def process_default(plan: ProcessPlan, variables: dict[str, Any]) -> Priority:
    """The process's default for a request with these variables (``normal`` without one).

    A default that fails to evaluate or names no priority is ``normal``: a priority rule must not
    keep a request from being filed.
    """
    if plan.priority is None:
        return DEFAULT
    try:
        value = evaluate(plan.priority.ast, variables)
    except ExpressionError:
        return DEFAULT
    return value if is_priority(value) else DEFAULT


def activity_priority(engine: TokenMachine) -> TemporalPriority:
    """The priority of an activity the instance schedules now (unset: the workflow's own)."""
    current = engine.state.priority
    if current is None or not workflow.patched(PATCH_ACTIVITY_PRIORITY):
        return TemporalPriority.default
    return temporal_priority(current)


def check(engine: TokenMachine, change: PriorityInput) -> None:
    """Raise the typed ApplicationError of a refused change (the API maps it to an HTTP code)."""
    if engine.finished:
        raise refuse(ErrorType.INSTANCE_CLOSED, f"instance is {engine.state.status}")
    initiator = engine.state.initiator
    if not change.is_admin and (change.manager_of is None or change.manager_of != initiator):
        raise refuse(
            ErrorType.NOT_ALLOWED, "only the initiator's manager or an admin may change priority"
        )
    if (engine.state.priority or DEFAULT) == change.priority:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"the priority is {change.priority} already")


def apply(engine: TokenMachine, change: PriorityInput) -> PriorityResult:
    """Apply a valid change (re-checked here) and record it on the timeline."""
    check(engine, change)
    previous = engine.state.priority or DEFAULT
    engine.state.priority = change.priority
    engine.record(
        "priority_changed",
        actor=change.actor,
        comment=change.comment,
        details={"from": previous, "to": change.priority},
    )
    return PriorityResult(
        accepted=True,
        priority=change.priority,
        previous=previous,
        instance_status=engine.state.status,
    )
