"""Who approves a step: the approvers expression (or the task's assignee and candidates) turned
into an ordered list of ids, and the assignee of each approver's task.

Entries are user ids or ``"group:<g>"`` (a group task). An expression that calls the directory is
not evaluated here but by the ``shenpi-directory`` activity (``steps.enter`` decides which).
"""

from __future__ import annotations

from typing import Any

from shenpi_core.expressions import ExpressionError, evaluate
from shenpi_core.limits import ID_RULE, MAX_STEP_APPROVERS, is_group_id, is_user_id
from shenpi_core.process_plan import ApprovalSpec, UserTask
from workflows.tasks import resolve_actors

GROUP = "group:"


def _spec(node: UserTask) -> ApprovalSpec:
    assert node.approval is not None, f"{node.id} is not an approval step"
    return node.approval


def resolve(node: UserTask, variables: dict[str, Any]) -> list[str]:
    """The approvers expression, or the task's assignee, candidate users and groups."""
    spec = _spec(node)
    if spec.approvers is not None:
        return _flatten(spec.approvers.ast, variables)
    users = resolve_actors(node.assignee, variables) + resolve_actors(
        node.candidate_users, variables
    )
    groups = resolve_actors(node.candidate_groups, variables, groups=True)
    return users + [GROUP + g for g in groups]


def _flatten(ast: Any, variables: dict[str, Any]) -> list[str]:
    value = evaluate(ast, variables)
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise ExpressionError(f"approvers gave {value!r}, not a user id or a list of ids")


def assignee_for(node: UserTask, approver: str, variables: dict[str, Any]) -> str:
    """Multi-instance: the assignee expression sees the element variable bound to the approver."""
    spec = _spec(node)
    if spec.element_variable is None or node.assignee is None:
        return approver
    found = resolve_actors(node.assignee, {**variables, spec.element_variable: approver})
    if len(found) != 1:
        raise ExpressionError(f"assignee of {node.id} gave {found!r} for {approver!r}")
    return found[0]


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def approvers_problem(approvers: list[str]) -> str | None:
    """Why a step cannot open with these approvers (from an expression or the directory), if it
    cannot: too many, or an id the API would refuse (docs/security.md)."""
    if len(approvers) > MAX_STEP_APPROVERS:
        return f"{len(approvers)} approvers, more than the {MAX_STEP_APPROVERS} a step may have"
    for approver in approvers:
        group = approver.startswith(GROUP)
        name = approver[len(GROUP) :] if group else approver
        if not (is_group_id(name) if group else is_user_id(name)):
            kind = "group" if group else "user"
            return f"approver {name[:40]!r} is not a valid {kind} id ({ID_RULE})"
    return None
