"""Check rules on tasks: assignment and mapping expressions, service-task types and settings."""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_value
from bpmn_compiler.model import SHIPPED_TASK_TYPES, BpmnModel, FlowNode, RawText
from bpmn_compiler.rules_flow import MAPPED_KINDS, OUTPUT_KINDS, diag
from bpmn_compiler.timers import TimerSyntaxError, duration_seconds

# What reads its mappings; what has none of its own to read (checked elsewhere or refused).
_MAPPING_KINDS = (*MAPPED_KINDS, *OUTPUT_KINDS)
_IGNORING_KINDS = (*MAPPED_KINDS, "unsupported")


def _expression_problem(node: FlowNode, what: str, raw: RawText, as_list: bool) -> list[Diagnostic]:
    try:
        compile_value(raw, as_list=as_list)
    except ExpressionSyntaxError as err:
        return [
            diag("expression-syntax", f"{what}: {err.message}", node, line=raw.line or node.line)
        ]
    return []


def check_tasks(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        ext = node.ext
        if node.kind == "user_task":
            for what, raw, as_list in (
                ("assignee", ext.assignee, False),
                ("candidate users", ext.candidate_users, True),
                ("candidate groups", ext.candidate_groups, True),
            ):
                if raw is not None:
                    found += _expression_problem(node, what, raw, as_list)
        if ext.inputs or ext.outputs:
            found += _mapping_problems(node)
        if node.kind == "service_task":
            found += _task_type(node)
        if ext.timeout is not None and node.kind == "service_task":
            try:
                duration_seconds(ext.timeout.text)
            except TimerSyntaxError as err:
                found.append(diag("timer-syntax", f"shenpi:timeout: {err.message}", node))
        if node.kind == "user_task" and not (
            ext.assignee
            or ext.candidate_users
            or ext.candidate_groups
            or node.multi_instance is not None
            or any("approvers" in a.attributes for a in node.approvals)
        ):
            found.append(
                diag(
                    "unassigned-task",
                    "the user task has no assignee or candidates; only an admin can decide it",
                    node,
                    severity="warning",
                )
            )
    return found


def _mapping_problems(node: FlowNode) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    ext = node.ext
    # A message, signal or conditional catch maps only what it receives (its outputs).
    outputs_only = node.kind in OUTPUT_KINDS
    used = ext.outputs if outputs_only else ext.inputs + ext.outputs
    for mapping in used if node.kind in _MAPPING_KINDS else []:
        for raw in ([mapping.source] if mapping.source else []) + mapping.items:
            found += _expression_problem(node, f"mapping {mapping.target!r}", raw, False)
    unused = ext.inputs if outputs_only else ext.inputs + ext.outputs
    if unused and node.kind not in _IGNORING_KINDS:
        what = "input mappings" if outputs_only else "input/output mappings"
        found.append(
            diag(
                "ignored-mapping",
                f"{what} on a {node.tag} are ignored",
                node,
                severity="warning",
            )
        )
    return found


def _task_type(node: FlowNode) -> list[Diagnostic]:
    task_type = node.ext.task_type
    if task_type is None:
        if node.tag == "sendTask" or node.ext.refused_implementation:
            return []  # a send task without a type sends a notification
        return [
            diag(
                "missing-task-type",
                "the service task has no type: set shenpi:type, zeebe:taskDefinition type or"
                ' camunda:type="external" with camunda:topic',
                node,
            )
        ]
    if task_type in SHIPPED_TASK_TYPES or node.ext.from_delegate:
        return []  # a delegate's name: its own warning says where it runs
    return [
        diag(
            "unknown-task-type",
            f"task type {task_type!r} is not shipped with Shenpi; it runs on any worker that"
            f" registers activity {task_type!r}",
            node,
            severity="warning",
        )
    ]
