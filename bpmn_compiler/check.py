"""Pass 2: static checks. ``RULES`` is a tuple of ``(model) -> list[Diagnostic]``, run in order.

Every rule runs on every file and all diagnostics are collected (sqlglot's optimizer RULES, then
one raise). Rules skip what another rule already reported, so one mistake gives one diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import (
    ExpressionSyntaxError,
    UnsupportedLanguageError,
    compile_condition,
    compile_value,
)
from bpmn_compiler.graph import reachable, reverse, strongly_connected, successors
from bpmn_compiler.model import SHIPPED_TASK_TYPES, BpmnModel, FlowNode, RawText
from bpmn_compiler.timers import TimerSyntaxError, compile_timer, duration_seconds

Rule = Callable[[BpmnModel], list[Diagnostic]]

TASK_KINDS = ("user_task", "service_task")


def _diag(code: str, message: str, node: FlowNode | None = None, **kw: object) -> Diagnostic:
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
            _diag(
                "no-start",
                f"process {model.process_id!r} has no start event",
                element_id=model.process_id,
                line=model.process_line,
            )
        )
    for extra in starts[1:]:
        found.append(
            _diag(
                "multiple-starts",
                f"a second none start event (the first is {starts[0].id!r}); one is allowed",
                extra,
            )
        )
    for node in model.nodes.values():
        if node.kind == "start" and node.incoming:
            found.append(_diag("start-incoming", "a start event cannot have incoming flows", node))
        if node.kind == "end" and node.outgoing:
            found.append(_diag("end-outgoing", "an end event cannot have outgoing flows", node))
    return found


def check_flows(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for flow in model.flows.values():
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
            if ref not in model.nodes:
                found.append(
                    _diag(
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
            _diag(
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
                _diag(
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
                _diag(
                    "invalid-default",
                    f"default flow {default!r} is not an outgoing flow of this gateway",
                    node,
                )
            )
        elif default is not None and model.flows[default].condition is not None:
            found.append(
                _diag(
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
                    _diag(
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
            found.append(_diag("timer-syntax", err.message, node, line=line))
            continue
        if assumed_utc:
            found.append(
                _diag(
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
                _diag(
                    "boundary-target",
                    f"boundary event is attached to {node.attached_to!r}, which is not an"
                    " element of this process",
                    node,
                )
            )
        elif host.kind not in TASK_KINDS:
            found.append(
                _diag(
                    "boundary-target",
                    f"timer boundary events are supported on user and service tasks, not on"
                    f" {host.tag} {host.id!r}",
                    node,
                )
            )
    return found


def _expression_problem(node: FlowNode, what: str, raw: RawText, as_list: bool) -> list[Diagnostic]:
    try:
        compile_value(raw, as_list=as_list)
    except ExpressionSyntaxError as err:
        return [
            _diag("expression-syntax", f"{what}: {err.message}", node, line=raw.line or node.line)
        ]
    return []


def check_tasks(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        ext = node.ext
        for what, raw, as_list in (
            ("assignee", ext.assignee, False),
            ("candidate users", ext.candidate_users, True),
            ("candidate groups", ext.candidate_groups, True),
        ):
            if raw is not None and node.kind == "user_task":
                found += _expression_problem(node, what, raw, as_list)
        for mapping in ext.inputs + ext.outputs if node.kind in TASK_KINDS else []:
            for raw in ([mapping.source] if mapping.source else []) + mapping.items:
                found += _expression_problem(node, f"mapping {mapping.target!r}", raw, False)
        if (ext.inputs or ext.outputs) and node.kind not in (*TASK_KINDS, "unsupported"):
            found.append(
                _diag(
                    "ignored-mapping",
                    f"input/output mappings on a {node.tag} are ignored",
                    node,
                    severity="warning",
                )
            )
        if node.kind == "service_task":
            found += _task_type(node)
        if ext.timeout is not None and node.kind == "service_task":
            try:
                duration_seconds(ext.timeout.text)
            except TimerSyntaxError as err:
                found.append(_diag("timer-syntax", f"shenpi:timeout: {err.message}", node))
        if node.kind == "user_task" and not (
            ext.assignee or ext.candidate_users or ext.candidate_groups
        ):
            found.append(
                _diag(
                    "unassigned-task",
                    "the user task has no assignee or candidates; only an admin can decide it",
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
            _diag(
                "missing-task-type",
                "the service task has no type: set shenpi:type, zeebe:taskDefinition type or"
                ' camunda:type="external" with camunda:topic',
                node,
            )
        ]
    if task_type in SHIPPED_TASK_TYPES:
        return []
    return [
        _diag(
            "unknown-task-type",
            f"task type {task_type!r} is not shipped with Shenpi; it runs on any worker that"
            f" registers activity {task_type!r}",
            node,
            severity="warning",
        )
    ]


def check_graph(model: BpmnModel) -> list[Diagnostic]:
    """Reachability from the start, dead ends, and cycles that can never reach an end."""
    starts = none_starts(model)
    if not starts:
        return []  # already reported by check_start (or the start itself is unsupported)
    graph = successors(model)
    reached = reachable(graph, [s.id for s in starts])
    # What only an unsupported element (a message start, an error boundary) leads to is not
    # reported as unreachable: that element's own diagnostic says why.
    unsupported = [n.id for n in model.nodes.values() if n.kind == "unsupported"]
    explained = reachable(graph, unsupported)
    # Unsupported nodes count as exits: their own diagnostic already refuses the file.
    exits = [n.id for n in model.nodes.values() if n.kind in ("end", "unsupported")]
    can_exit = reachable(reverse(graph), exits)
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.kind == "unsupported":
            continue
        orphan_boundary = node.attached_to is not None and node.attached_to not in model.nodes
        if node.id not in reached and node.id not in explained and not orphan_boundary:
            found.append(_diag("unreachable", "no path from the start event reaches it", node))
        if not node.outgoing and node.kind != "end":
            found.append(
                _diag("dead-end", f"the {node.tag} has no outgoing flow and is not an end", node)
            )
    trapped = [n for n in model.nodes if n in reached and n not in can_exit]
    for component in strongly_connected(graph, trapped):
        first = component[0]
        if len(component) == 1 and first not in graph[first]:
            continue
        found.append(
            _diag(
                "no-exit-cycle",
                f"a cycle through {', '.join(repr(n) for n in component)} never reaches an end",
                model.nodes[first],
            )
        )
    return found


RULES: tuple[Rule, ...] = (
    check_start,
    check_flows,
    check_conditions,
    check_gateways,
    check_timers,
    check_boundaries,
    check_tasks,
    check_graph,
)


def check(model: BpmnModel) -> list[Diagnostic]:
    """All diagnostics of the model: those found while parsing, then every rule's."""
    found = list(model.diagnostics)
    for rule in RULES:
        found.extend(rule(model))
    return found
