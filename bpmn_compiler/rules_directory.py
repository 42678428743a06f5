"""Check rule: directory functions only where the workflow resolves them.

A directory lookup is I/O, so the workflow evaluates an expression that calls ``manager()``,
``members()``, ``dept_leader()`` or ``department()`` in the ``shenpi-directory`` activity, and it
does so where approvers are resolved: ``approvers`` (or a multi-instance collection),
``escalateTo``, and a user task's assignee or candidate users (which ``approvals`` then compiles
as the step's approvers). Anywhere else the call would fail at run time, so it is refused here.
"""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition, compile_value
from bpmn_compiler.model import BpmnModel, RawText
from bpmn_compiler.rules_flow import MAPPED_KINDS, diag
from shenpi_core.expressions import uses_directory

WHERE = (
    "approvers, escalateTo, a multi-instance collection, or the assignee or candidate users of a"
    " user task that has no other assignment"
)


def calls_directory(raw: RawText, *, condition: bool = False) -> bool:
    """Whether the text calls a directory function (a text that does not parse is not ours)."""
    try:
        expression = compile_condition(raw) if condition else compile_value(raw)
    except ExpressionSyntaxError:
        return False  # reported by the rule that owns this text
    return uses_directory(expression.ast)


def check_directory_calls(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def refuse(what: str, raw: RawText, element_id: str, line: int | None) -> None:
        found.append(
            diag(
                "directory-call",
                f"{what}: directory functions are only looked up for {WHERE}",
                element_id=element_id,
                line=raw.line or line,
            )
        )

    for flow in model.flows.values():
        if flow.condition is not None and calls_directory(flow.condition, condition=True):
            refuse(f"condition of {flow.id!r}", flow.condition, flow.id, flow.line)
    for node in model.nodes.values():
        ext = node.ext
        if not (ext.inputs or ext.outputs or node.timer or node.multi_instance):
            continue  # most nodes: no text that could call the directory
        mapped = (ext.inputs or ext.outputs) and node.kind in MAPPED_KINDS
        for mapping in ext.inputs + ext.outputs if mapped else ():
            for raw in ([mapping.source] if mapping.source else []) + mapping.items:
                if calls_directory(raw):
                    refuse(f"mapping {mapping.target!r}", raw, node.id, node.line)
        if node.timer is not None and calls_directory(node.timer.text):
            refuse("the timer", node.timer.text, node.id, node.line)
        loop = node.multi_instance
        done = loop.completion_condition if loop is not None else None
        if done is not None and calls_directory(done, condition=True):
            refuse("the completion condition", done, node.id, node.line)
    return found
