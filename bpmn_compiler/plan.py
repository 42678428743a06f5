"""Pass 3: a checked ``BpmnModel`` → ``ProcessPlan`` (the closed union of frozen node models).

Only called when ``check`` found no error, so every expression and timer here is known to compile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bpmn_compiler.approvals import compile_approval
from bpmn_compiler.decision_refs import planned_decision
from bpmn_compiler.expressions import compile_condition, compile_value
from bpmn_compiler.model import (
    SHIPPED_TASK_TYPES,
    BpmnModel,
    FlowNode,
    RawMapping,
    RawStandardLoop,
    RawText,
    RawTrigger,
    whole_number,
)
from bpmn_compiler.multi_activities import planned_multi
from bpmn_compiler.priority import plan_priority
from bpmn_compiler.rules_ai import compile_ai, human_required
from bpmn_compiler.rules_flow import is_process_start, process_starts
from bpmn_compiler.rules_notify import compile_notify, node_notify
from bpmn_compiler.timers import compile_timer, duration_seconds
from bpmn_compiler.validated import built, set_field, validated
from bpmn_compiler.writable import (
    DEFAULT_INITIATOR_VARIABLE,
    FLOWABLE_INITIATOR,
    declared_variables,
    initiator_and_owned,
)
from shenpi_core.process_plan import (
    BoundaryCatch,
    BoundaryEvent,
    BoundaryTimer,
    BusinessRuleTask,
    CallActivity,
    EndEvent,
    EventCatch,
    EventGateway,
    ExclusiveGateway,
    Expression,
    InclusiveGateway,
    Listener,
    Node,
    ParallelGateway,
    ParameterMapping,
    PassThrough,
    ProcessPlan,
    ScriptTask,
    SequenceFlow,
    ServiceTask,
    StandardLoop,
    StartEvent,
    SubProcess,
    ThrowEvent,
    TimerCatch,
    Trigger,
    UserTask,
)


def _trigger(raw: RawTrigger | None) -> Trigger:
    assert raw is not None  # the parser sets it for these kinds
    return validated(
        Trigger,
        {
            "event": raw.event,
            "name": raw.name if raw.event != "conditional" else None,
            "correlation_key": (
                compile_value(raw.correlation_key) if raw.correlation_key else None
            ),
            "condition": compile_condition(raw.condition) if raw.condition else None,
        },
    )


def _mapping(raw: RawMapping) -> ParameterMapping:
    if raw.is_list:
        items = [compile_value(item) for item in raw.items]
        dialect = "juel" if any(e.dialect == "juel" for e in items) else "literal"
        source = "[" + ", ".join(item.text for item in raw.items) + "]"
        ast = {"op": "list", "args": [e.ast for e in items]}
        listed = validated(Expression, {"source": source, "dialect": dialect, "ast": ast})
        return validated(ParameterMapping, {"target": raw.target, "source": listed})
    if raw.source is None:
        null = validated(Expression, {"source": "", "dialect": "literal", "ast": {"lit": None}})
        return validated(ParameterMapping, {"target": raw.target, "source": null})
    return validated(ParameterMapping, {"target": raw.target, "source": compile_value(raw.source)})


def _standard_loop(raw: RawStandardLoop) -> StandardLoop:
    return validated(
        StandardLoop,
        {
            "condition": compile_condition(raw.condition) if raw.condition is not None else None,
            "test_before": raw.test_before,
            "maximum": whole_number(raw.maximum) if raw.maximum is not None else None,
        },
    )


def _assignment(raw: RawText | None, initiator: str, *, as_list: bool) -> Expression | None:
    if raw is None:
        return None
    if raw.text == FLOWABLE_INITIATOR:
        return Expression(source=raw.text, dialect="juel", ast={"var": [initiator]})
    return compile_value(raw, as_list=as_list)


@dataclass(slots=True)
class _Process:
    """What every node's planning reads of the whole process, worked out once per plan (each
    node looking it up would walk every node again)."""

    model: BpmnModel
    initiator: str | None
    boundary_timers: dict[str, tuple[str, ...]]  # activity id -> its boundary timers, in order
    owned: frozenset[str]  # what the engine writes (``writable.engine_owned``)

    @classmethod
    def of(cls, model: BpmnModel) -> _Process:
        initiator, owned = initiator_and_owned(model)
        timers: dict[str, list[str]] = {}
        for n in model.of_kind("boundary_timer"):
            if n.attached_to is not None:
                timers.setdefault(n.attached_to, []).append(n.id)
        attached = {host: tuple(ids) for host, ids in timers.items()}
        return cls(model, initiator, attached, owned)


def _node(node: FlowNode, process: _Process) -> Node:
    model, initiator = process.model, process.initiator
    base: dict[str, object] = {
        "id": node.id,
        "name": node.name,
        "incoming": tuple(node.incoming),
        "outgoing": tuple(node.outgoing),
        "line": node.line,
    }
    if node.parent is not None:  # left out at the top, so plans of flat processes keep their hash
        base["parent"] = node.parent
    if node.standard_loop is not None:
        base["loop"] = _standard_loop(node.standard_loop)
    multi = planned_multi(node) if node.multi_instance is not None else None
    if multi is not None:
        base["multi"] = multi
    ext = node.ext
    if ext.listeners:
        base["listeners"] = tuple(
            validated(Listener, {"event": raw.event, "task_type": raw.task_type})
            for raw in ext.listeners
        )
    boundary = process.boundary_timers.get(node.id, ())
    match node.kind:
        case "start" if node.event != "none":  # an event subprocess's, or an event start
            outside = {"trigger": _trigger(node.trigger)} if node.trigger is not None else {}
            return built(
                StartEvent,
                {
                    **base,
                    "event": node.event,
                    "code": node.code,
                    "timer": (
                        compile_timer(node.timer, cron=is_process_start(node))[0]
                        if node.timer is not None
                        else None
                    ),
                    "interrupting": node.interrupting,
                    **outside,
                },
            )
        case "start":
            start_as = initiator if node.parent is None else None
            return built(StartEvent, {**base, "initiator_variable": start_as})
        case "end":
            thrown = ("error", "escalation", "compensation", "signal")
            throws = node.event if node.event in thrown else None
            return built(
                EndEvent,
                {
                    **base,
                    "terminate": node.terminate,
                    "notify": node_notify(node) if node.notify else (),
                    **({"throws": throws, "code": node.code} if throws else {}),
                },
            )
        case "throw" if node.event == "compensation":
            return built(
                ThrowEvent,
                {
                    **base,
                    "throws": "compensation",
                    "code": node.code,
                    "wait_for_completion": node.wait_for_completion,
                },
            )
        case "throw":
            throws = "signal" if node.event == "signal" else "escalation"
            return built(ThrowEvent, {**base, "throws": throws, "code": node.code})
        case "catch":
            return built(
                EventCatch,
                {
                    **base,
                    "element": node.tag,
                    "trigger": _trigger(node.trigger),
                    "outputs": tuple(_mapping(m) for m in ext.outputs),
                    "boundary_timers": boundary,
                },
            )
        case "boundary_catch":
            assert node.attached_to is not None
            return built(
                BoundaryCatch,
                {
                    **base,
                    "attached_to": node.attached_to,
                    "interrupting": node.interrupting,
                    "trigger": _trigger(node.trigger),
                    "outputs": tuple(_mapping(m) for m in ext.outputs),
                },
            )
        case "inclusive":
            return built(InclusiveGateway, {**base, "default_flow": node.default_flow})
        case "event_gateway":
            return built(EventGateway, base)
        case "subprocess":
            inner = model.none_start_of(node.id) if not node.triggered_by_event else None
            start = inner or next(n for n in model.children_of(node.id) if n.kind == "start")
            return built(
                SubProcess,
                {
                    **base,
                    "triggered_by_event": node.triggered_by_event,
                    "start_node": start.id,
                    "inputs": tuple(_mapping(m) for m in ext.inputs),
                    "outputs": tuple(_mapping(m) for m in ext.outputs),
                    "boundary_timers": boundary,
                },
            )
        case "script":
            assert node.script is not None
            return built(
                ScriptTask,
                {
                    **base,
                    "expression": compile_value(node.script),
                    "result_variable": ext.result_variable,
                },
            )
        case "business_rule":
            return built(
                BusinessRuleTask,
                {
                    **base,
                    **planned_decision(node),
                    "inputs": tuple(_mapping(m) for m in ext.inputs),
                    "outputs": tuple(_mapping(m) for m in ext.outputs),
                },
            )
        case "call_activity":
            call = node.call
            assert call is not None and call.called is not None
            version = whole_number(call.version) if call.version else None
            return built(
                CallActivity,
                {
                    **base,
                    "called_process": call.called.text,
                    "binding": call.binding,
                    "version": version if call.binding == "version" else None,
                    "version_tag": call.version_tag if call.binding == "version_tag" else None,
                    "inputs": tuple(_mapping(m) for m in [*ext.inputs, *call.inputs]),
                    "outputs": tuple(_mapping(m) for m in [*ext.outputs, *call.outputs]),
                    "all_in": call.all_in,
                    "all_out": call.all_out,
                    "boundary_timers": boundary,
                },
            )
        case "boundary_event":
            assert node.attached_to is not None
            handler = model.handler_of(node.id) if node.event == "compensation" else None
            return built(
                BoundaryEvent,
                {
                    **base,
                    "attached_to": node.attached_to,
                    "interrupting": node.interrupting,
                    "catches": node.event,
                    "code": node.code,
                    **({"handler": handler.id} if handler is not None else {}),
                },
            )
        case "pass":
            return built(PassThrough, {**base, "element": node.tag})
        case "user_task":
            who = initiator or DEFAULT_INITIATOR_VARIABLE
            outputs = tuple(_mapping(m) for m in ext.outputs)
            return built(
                UserTask,
                {
                    **base,
                    "approval": compile_approval(node, model)[0],
                    "assignee": _assignment(ext.assignee, who, as_list=False),
                    "candidate_users": _assignment(ext.candidate_users, who, as_list=True),
                    "candidate_groups": _assignment(ext.candidate_groups, who, as_list=True),
                    "inputs": tuple(_mapping(m) for m in ext.inputs),
                    "outputs": outputs,
                    "boundary_timers": boundary,
                    "ai": compile_ai(node, model)[0] if node.ai else None,  # no default AI here
                    "human_required": human_required(node),
                    "notify": node_notify(node) if node.notify else (),
                    "variables": declared_variables(node, outputs, process.owned),
                    "form": ext.form,
                },
            )
        case "service_task":
            task_type = ext.task_type or "notify"  # only a sendTask may omit its type
            optional: dict[str, object] = {}
            if ext.max_attempts is not None:
                optional["max_attempts"] = ext.max_attempts
            if ext.timeout is not None:
                optional["start_to_close_seconds"] = duration_seconds(ext.timeout.text)
            return built(
                ServiceTask,
                {
                    **base,
                    **optional,
                    "element": node.tag,
                    "task_type": task_type,
                    "task_queue": ext.task_queue,
                    "builtin": task_type in SHIPPED_TASK_TYPES,
                    "config": dict(ext.config),
                    "inputs": tuple(_mapping(m) for m in ext.inputs),
                    "outputs": tuple(_mapping(m) for m in ext.outputs),
                    "result_variable": ext.result_variable,
                    "boundary_timers": boundary,
                    "ai": compile_ai(node, model)[0],
                },
            )
        case "exclusive":
            return built(
                ExclusiveGateway,
                {
                    **base,
                    "default_flow": node.default_flow,
                    "ai": compile_ai(node, model)[0] if node.ai else None,
                },
            )
        case "parallel":
            return built(ParallelGateway, base)
        case "timer":
            assert node.timer is not None  # the parser sets it for this kind
            return built(TimerCatch, {**base, "timer": compile_timer(node.timer)[0]})
        case "boundary_timer":
            assert node.timer is not None and node.attached_to is not None
            return built(
                BoundaryTimer,
                {
                    **base,
                    "attached_to": node.attached_to,
                    "interrupting": node.interrupting,
                    "timer": compile_timer(node.timer)[0],
                },
            )
    raise ValueError(f"{node.kind} node {node.id!r} cannot be planned")  # check refused it


def plan(model: BpmnModel) -> ProcessPlan:
    """Build the hashed plan of a model that passed every check."""
    return plan_sized(model)[0]


def plan_sized(model: BpmnModel) -> tuple[ProcessPlan, int]:
    """``plan``, and the size of the canonical JSON its hash covers (``rules_limits`` reads it)."""
    process = _Process.of(model)
    starts = process_starts(model)
    assert starts  # check_start refused a process without one
    start = model.none_start_of(None) or starts[0]
    event_starts = tuple(n.id for n in starts if n.id != start.id)
    # A default flow's condition is never evaluated (check warned about it): leave it out.
    defaults = {n.default_flow for n in model.of_kind("exclusive", "inclusive")}
    flows = tuple(
        [
            built(
                SequenceFlow,
                {
                    "id": f.id,
                    "source": f.source,
                    "target": f.target,
                    "name": f.name,
                    "documentation": f.documentation,
                    "condition": (
                        compile_condition(f.condition)
                        if f.condition is not None and f.id not in defaults
                        else None
                    ),
                },
            )
            for f in model.flows.values()
        ]
    )
    data: dict[str, object] = {
        "process_id": model.process_id,
        "name": model.process_name,
        "start_node": start.id,
        "event_starts": event_starts,
        "nodes": tuple([_node(n, process) for n in model.nodes.values()]),
        "flows": flows,
        "notify": (
            compile_notify(model.notify, "process", model.process_id, model.process_line)[0]
            if model.notify
            else ()
        ),
        "priority": plan_priority(model),
        "version_tag": model.version_tag,
    }
    # The hash covers the plan without it: the plan gets its hash once it is hashed, as if built
    # with it (nothing else holds the plan yet, so no one sees it change).
    planned = built(ProcessPlan, data)
    canonical = planned.canonical_json()
    set_field(planned, "hash", hashlib.sha256(canonical).hexdigest())
    return planned, len(canonical)
