"""Check rules on the shape of a process: start and end events, flows, gateways, timers.

Each rule is ``(model) -> list[Diagnostic]``; ``check.RULES`` runs them all.
"""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import (
    ExpressionSyntaxError,
    UnsupportedLanguageError,
    compile_condition,
)
from bpmn_compiler.model import BpmnModel, FlowNode
from bpmn_compiler.timers import TimerSyntaxError, compile_timer

TASK_KINDS = ("user_task", "service_task")


def diag(code: str, message: str, node: FlowNode | None = None, **kw: object) -> Diagnostic:
    if node is not None:
        kw.setdefault("element_id", node.id)
        kw.setdefault("line", node.line)
    return Diagnostic(code=code, message=message, **kw)


def none_starts(model: BpmnModel) -> list[FlowNode]:
    return [n for n in model.nodes.values() if n.kind == "start"]


def check_start(model: BpmnModel) -> list[Diagnostic]:
    starts = none_starts(model)
    found: list[Diagnostic] = []
    if not starts and not any(n.tag == "startEvent" for n in model.nodes.values()):
        found.append(
            diag(
                "no-start",
                f"process {model.process_id!r} has no start event",
                element_id=model.process_id,
                line=model.process_line,
            )
        )
    for extra in starts[1:]:
        found.append(
            diag(
                "multiple-starts",
                f"a second none start event (the first is {starts[0].id!r}); one is allowed",
                extra,
            )
        )
    for node in model.nodes.values():
        if node.kind == "start" and node.incoming:
            found.append(diag("start-incoming", "a start event cannot have incoming flows", node))
        if node.kind == "end" and node.outgoing:
            found.append(diag("end-outgoing", "an end event cannot have outgoing flows", node))
    return found


def check_flows(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for flow in model.flows.values():
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
            if ref not in model.nodes:
                found.append(
                    diag(
                        "dangling-flow",
                        f"sequence flow {flow.id!r} has {end}={ref!r}, which is not an element"
                        " of this process",
                        element_id=flow.id,
                        line=flow.line,
                    )
                )
        source = model.nodes.get(flow.source)
        if flow.condition is None or source is None or source.kind in ("exclusive", "unsupported"):
            continue
        found.append(
            diag(
                "conditional-flow",
                f"sequence flow {flow.id!r} has a condition but starts at {source.tag}"
                f" {source.id!r}; put an exclusive gateway before the branches",
                element_id=flow.id,
                line=flow.line,
            )
        )
    return found


def check_conditions(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for flow in model.flows.values():
        if flow.condition is None:
            continue
        try:
            compile_condition(flow.condition)
        except ExpressionSyntaxError as err:
            unsupported = isinstance(err, UnsupportedLanguageError)
            found.append(
                diag(
                    "unsupported-language" if unsupported else "condition-syntax",
                    f"condition of {flow.id!r}: {err.message}",
                    element_id=flow.id,
                    line=flow.condition.line or flow.line,
                )
            )
    return found


def check_gateways(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.kind != "exclusive":
            continue
        default = node.default_flow
        if default is not None and default not in node.outgoing:
            found.append(
                diag(
                    "invalid-default",
                    f"default flow {default!r} is not an outgoing flow of this gateway",
                    node,
                )
            )
        elif default is not None and model.flows[default].condition is not None:
            found.append(
                diag(
                    "ignored-condition",
                    f"the condition on default flow {default!r} is ignored",
                    node,
                    severity="warning",
                )
            )
        if len(node.outgoing) < 2:
            continue
        for flow_id in node.outgoing:
            if flow_id != default and model.flows[flow_id].condition is None:
                found.append(
                    diag(
                        "missing-condition",
                        f"flow {flow_id!r} out of exclusive gateway {node.id!r} has no condition"
                        " and is not the default flow",
                        element_id=flow_id,
                        line=model.flows[flow_id].line,
                    )
                )
    return found


def check_timers(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.timer is None:
            continue
        line = node.timer.text.line or node.line
        try:
            _, assumed_utc = compile_timer(node.timer)
        except TimerSyntaxError as err:
            found.append(diag("timer-syntax", err.message, node, line=line))
            continue
        if assumed_utc:
            found.append(
                diag(
                    "timer-timezone",
                    f"date {node.timer.text.text!r} has no UTC offset; it is read as UTC",
                    node,
                    line=line,
                    severity="warning",
                )
            )
    return found


def check_boundaries(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.kind != "boundary_timer":
            continue
        host = model.nodes.get(node.attached_to or "")
        if host is None:
            found.append(
                diag(
                    "boundary-target",
                    f"boundary event is attached to {node.attached_to!r}, which is not an"
                    " element of this process",
                    node,
                )
            )
        elif host.kind not in TASK_KINDS:
            found.append(
                diag(
                    "boundary-target",
                    f"timer boundary events are supported on user and service tasks, not on"
                    f" {host.tag} {host.id!r}",
                    node,
                )
            )
    return found
