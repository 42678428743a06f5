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
from bpmn_compiler.model import BpmnModel, Flow, FlowNode
from bpmn_compiler.timers import TimerSyntaxError, compile_timer
from bpmn_compiler.validated import validated

TASK_KINDS = ("user_task", "service_task")
# What may carry input/output mappings: tasks and subprocesses (their local variables).
MAPPED_KINDS = (*TASK_KINDS, "subprocess", "call_activity", "business_rule")
# What maps only the variables it receives: message, signal and conditional catches.
OUTPUT_KINDS = ("catch", "boundary_catch")
# What boundary events may be attached to.
ACTIVITY_KINDS = (*TASK_KINDS, "subprocess", "call_activity")


def diag(code: str, message: str, node: FlowNode | None = None, **kw: object) -> Diagnostic:
    if node is not None:
        kw.setdefault("element_id", node.id)
        kw.setdefault("line", node.line)
    return validated(Diagnostic, {"code": code, "message": message, **kw})


# What may start the process itself besides its none start (docs/interpreter.md "Messages,
# signals and conditions"; timer starts become Temporal Schedules when deployed).
PROCESS_START_EVENTS = ("message", "signal", "timer")


def is_process_start(node: FlowNode) -> bool:
    """A start event of the process itself (a timer start of it may be a cron cycle)."""
    return node.kind == "start" and node.parent is None


def process_starts(model: BpmnModel) -> list[FlowNode]:
    """Every start event of the process itself: its none start and its event starts."""
    return [
        n
        for n in model.children_of(None)
        if n.kind == "start" and (n.event == "none" or n.event in PROCESS_START_EVENTS)
    ]


def _scope_name(model: BpmnModel, parent: str | None) -> str:
    return f"process {model.process_id!r}" if parent is None else f"subprocess {parent!r}"


def _check_scope_starts(model: BpmnModel, scope: FlowNode | None) -> list[Diagnostic]:
    """An embedded subprocess (and the process) has one none start; an event subprocess one
    start with an event; event starts appear nowhere else."""
    parent = scope.id if scope is not None else None
    starts = [n for n in model.children_of(parent) if n.tag == "startEvent"]
    by_event = scope is not None and scope.triggered_by_event
    found: list[Diagnostic] = []
    if not starts:
        where = scope or None
        found.append(
            diag(
                "no-start",
                f"{_scope_name(model, parent)} has no start event",
                where,
                **({} if where else {"element_id": model.process_id, "line": model.process_line}),
            )
        )
        return found
    planned = [n for n in starts if n.kind == "start"]
    at_top = scope is None
    wrong = [
        n
        for n in planned
        if (n.event != "none") != by_event and not (at_top and n.event in PROCESS_START_EVENTS)
    ]
    for node in wrong:
        found.append(
            diag(
                "start-event-kind",
                "an event subprocess starts with an event (timer, message, signal, condition,"
                " error, escalation or compensation)"
                if by_event
                else f"a {node.event} start event belongs in an event subprocess"
                + (" or in the process itself" if node.event in PROCESS_START_EVENTS else ""),
                node,
            )
        )
    if at_top:  # the process: one none start at most, besides any number of event starts
        planned = [n for n in planned if n.event == "none"]
    for extra in planned[1:]:  # a refused start has its own diagnostic already
        found.append(
            diag(
                "multiple-starts",
                f"a second start event in {_scope_name(model, parent)} (the first is"
                f" {planned[0].id!r}); one is allowed",
                extra,
            )
        )
    return found


def check_start(model: BpmnModel) -> list[Diagnostic]:
    found = _check_scope_starts(model, None)
    for node in model.nodes.values():  # starts and ends are in every file: no index to use
        if node.kind == "subprocess":
            found += _check_scope_starts(model, node)
            if node.triggered_by_event and (node.incoming or node.outgoing):
                found.append(
                    diag("event-subprocess-flow", "an event subprocess has no sequence flows", node)
                )
        if node.kind == "start" and node.incoming:
            found.append(diag("start-incoming", "a start event cannot have incoming flows", node))
        if node.kind == "end" and node.outgoing:
            found.append(diag("end-outgoing", "an end event cannot have outgoing flows", node))
    return found


def _dangling(model: BpmnModel, flow: Flow) -> list[Diagnostic]:
    return [
        diag(
            "dangling-flow",
            f"sequence flow {flow.id!r} has {end}={ref!r}, which is not an element of this process",
            element_id=flow.id,
            line=flow.line,
        )
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target))
        if ref not in model.nodes
    ]


def check_flows(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for flow in model.flows.values():
        source = model.nodes.get(flow.source)
        target = model.nodes.get(flow.target)
        if source is None or target is None:
            found += _dangling(model, flow)
        elif source.parent != target.parent:
            found.append(
                diag(
                    "flow-crosses-scope",
                    f"sequence flow {flow.id!r} goes from {_scope_name(model, source.parent)}"
                    f" into {_scope_name(model, target.parent)}; a flow stays in its subprocess",
                    element_id=flow.id,
                    line=flow.line,
                )
            )
        if flow.condition is None or source is None:
            continue
        if source.kind in ("exclusive", "inclusive", "unsupported"):
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
    for node in model.of_kind("event_gateway", "exclusive", "inclusive"):
        if node.kind == "event_gateway":
            found += _check_event_gateway(model, node)
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
        if len(node.outgoing) < 2 or node.kind == "inclusive":
            continue  # an inclusive gateway's flow without a condition is always taken
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


def _check_event_gateway(model: BpmnModel, node: FlowNode) -> list[Diagnostic]:
    """Each flow leads straight to a catch event that only this gateway leads to."""
    found: list[Diagnostic] = []
    if len(node.outgoing) < 2:
        found.append(
            diag("event-gateway-arms", "an event-based gateway needs two or more flows", node)
        )
    for flow_id in node.outgoing:
        flow = model.flows[flow_id]
        target = model.nodes.get(flow.target)
        if flow.condition is not None:
            found.append(
                diag(
                    "conditional-flow",
                    f"flow {flow_id!r} out of an event-based gateway cannot have a condition",
                    element_id=flow_id,
                    line=flow.line,
                )
            )
        if target is None or target.kind == "unsupported":
            continue  # dangling (check_flows) or refused with its own diagnostic
        if target.kind not in ("timer", "catch"):
            found.append(
                diag(
                    "event-gateway-target",
                    f"flow {flow_id!r} leads to {target.tag} {target.id!r}; an event-based"
                    " gateway leads to catch events (timer, message, signal, condition) or"
                    " receive tasks",
                    element_id=flow_id,
                    line=flow.line,
                )
            )
        elif len(target.incoming) != 1:
            found.append(
                diag(
                    "event-gateway-target",
                    f"catch event {target.id!r} after an event-based gateway has other incoming"
                    " flows",
                    target,
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
            _, assumed_utc = compile_timer(node.timer, cron=is_process_start(node))
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
    for node in model.of_kind("boundary_timer", "boundary_event", "boundary_catch"):
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
            continue
        if host.kind == "unsupported":
            continue  # refused with its own diagnostic
        what = "timer" if node.kind == "boundary_timer" else node.event
        # A task that only moves on can still be undone (compensation) once it completed.
        compensated_pass = host.kind == "pass" and what == "compensation"
        receive_task = host.tag == "receiveTask" and host.kind == "catch"
        if (
            host.kind not in ACTIVITY_KINDS and not compensated_pass and not receive_task
        ) or host.triggered_by_event:
            found.append(
                diag(
                    "boundary-target",
                    f"{what} boundary events are supported on user tasks, service tasks,"
                    " receive tasks, subprocesses and call activities, not on"
                    f" {host.tag} {host.id!r}",
                    node,
                )
            )
        elif host.parent != node.parent:
            found.append(
                diag("boundary-target", "a boundary event is drawn in its activity's scope", node)
            )
        if node.event == "error" and not node.interrupting:
            found.append(
                diag(
                    "error-boundary-interrupts",
                    'an error boundary event always interrupts; remove cancelActivity="false"',
                    node,
                )
            )
        if node.kind == "boundary_event" and host.kind == "user_task" and what != "compensation":
            found.append(
                diag(
                    "boundary-never-fires",
                    f"nothing throws an {what} inside a user task; this boundary event never fires",
                    node,
                    severity="warning",
                )
            )
    return found
