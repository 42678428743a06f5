"""Check rule on message, signal and conditional events: their expressions read, their names
are given, and what may only be drawn at the top of the process is there."""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition, compile_value
from bpmn_compiler.model import BpmnModel, FlowNode, RawText, RawTrigger
from bpmn_compiler.rules_flow import diag


def check_triggers(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        trigger = node.trigger
        if trigger is None or node.kind == "unsupported":
            continue
        if trigger.event != "conditional" and not (trigger.name or "").strip():
            found.append(diag(f"{trigger.event}-unnamed", f"the {trigger.event} has no name", node))
        if trigger.name is not None and trigger.name.strip().startswith("="):
            found.append(
                diag(
                    "event-name-expression",
                    f"{trigger.event} name {trigger.name!r} is an expression; Shenpi subscribes"
                    " by a fixed name (correlate by the correlation key instead)",
                    node,
                )
            )
        found += _expression(node, trigger)
    return found


def _expression(node: FlowNode, trigger: RawTrigger) -> list[Diagnostic]:
    raw: RawText | None = trigger.condition or trigger.correlation_key
    if raw is None:
        return []
    what = "condition" if trigger.condition is not None else "correlation key"
    try:
        if trigger.condition is not None:
            compile_condition(trigger.condition)
        else:
            compile_value(raw)
    except ExpressionSyntaxError as err:
        return [diag("expression-syntax", f"{what}: {err.message}", node, line=raw.line)]
    return []
