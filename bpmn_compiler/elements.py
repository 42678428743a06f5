"""The tag dispatch table ``ELEMENT_PARSERS``: one BPMN flow element → one ``FlowNode``.

As SpiffWorkflow's ``BpmnParser.PARSER_CLASSES``. Every BPMN element of a process is either parsed
here, deliberately ignored (``IGNORED``), or kept as an ``unsupported`` node with a diagnostic
naming it: nothing is skipped without a word, and flows to a refused element stay valid.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from bpmn_compiler.ai_xml import read_ai, read_human_required
from bpmn_compiler.calls import read_call
from bpmn_compiler.decision_refs import is_decision_task, parse_business_rule_task
from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.dialects import Written, ext_children, read_extensions
from bpmn_compiler.events_xml import OUTSIDE, read_declarations, read_trigger, reference
from bpmn_compiler.forms import read_variables
from bpmn_compiler.loops import read_approvals, read_multi_instance, read_standard_loop
from bpmn_compiler.memo import bpmn_children, first_child
from bpmn_compiler.model import BPMN_NS, ZEEBE_NS, FlowNode, RawText, RawTimer, RawTrigger
from bpmn_compiler.multi_activities import MULTI_KINDS
from bpmn_compiler.notify_xml import read_notify
from bpmn_compiler.safe_xml import line_of
from bpmn_compiler.task_form_xml import read_form

Element = etree._Element
ElementParser = Callable[[Element, "Context"], FlowNode]

# Artifacts and data: no behaviour, no diagnostic.
IGNORED = frozenset(
    {
        "documentation", "extensionElements", "laneSet", "textAnnotation",
        "group", "dataObject", "dataObjectReference", "dataStoreReference", "dataStore",
        "ioSpecification", "property", "category", "auditing", "monitoring",
        "correlationSubscription",
    }
)  # fmt: skip
_LOOPS = ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")
_MULTI_INSTANCE, _STANDARD_LOOP = (f"{{{BPMN_NS}}}{loop}" for loop in _LOOPS)
# The activities a standard loop may repeat.
LOOPING_KINDS = ("pass", "user_task", "service_task", "subprocess", "call_activity", "script")
# The activities that may be multi-instance (bpmn_compiler/multi_activities.py).
MULTI_INSTANCE_KINDS = ("user_task", *MULTI_KINDS)


def local_name(el: Element) -> str:
    return str(el.tag).rpartition("}")[2]  # not etree.QName: one object per call, 3x slower


class Context:
    """Per-process parsing state: diagnostics found so far, the file's error and escalation
    codes by id (``<bpmn:error errorCode>``, ``<bpmn:escalation escalationCode>``), its messages
    and signals by id."""

    def __init__(self, root: Element | None = None) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.codes: dict[str, dict[str, str | None]] = {"error": {}, "escalation": {}}
        self.declared = read_declarations(root, self.codes)  # one walk fills both

    def report(self, el: Element, code: str, message: str, *, severity: str = "error") -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                message=message,
                element_id=el.get("id"),
                line=line_of(el),
                severity="warning" if severity == "warning" else "error",
            )
        )

    def node(self, el: Element, kind: str, **details: object) -> FlowNode:
        element_id = el.get("id", "")
        children = bpmn_children(el)
        written = Written(el, children)  # its vendor attributes and extension elements, read once
        ext, diags = read_extensions(written, element_id, children)
        self.diagnostics.extend(diags)
        multi_instance = None
        standard_loop = None
        for child in children:
            if (tag := child.tag) == _MULTI_INSTANCE:
                if kind in MULTI_INSTANCE_KINDS:
                    # A user task's is an approval step; the others run once per element.
                    multi_instance = multi_instance or read_multi_instance(child)
                else:
                    what = f"{_LOOPS[0]} on a {local_name(el)}"
                    self.report(el, "unsupported-loop", f"{what} is unsupported")
            elif tag == _STANDARD_LOOP:
                if kind in LOOPING_KINDS:
                    standard_loop = read_standard_loop(child)
                else:
                    self.report(el, "unsupported-loop", f"{_LOOPS[1]} is unsupported")
        # Most elements have no extension elements (then no approval, AI or notify to read) and
        # no vendor attribute (then no shenpi:humanRequired).
        extended = bool(written.children)
        return FlowNode(
            id=element_id,
            tag=el.tag.rpartition("}")[2],  # local_name, inlined: every node passes here
            kind=kind,  # type: ignore[arg-type]
            line=el.sourceline,  # type: ignore[arg-type]  # line_of, inlined: every node passes here
            name=el.get("name"),
            ext=ext,
            approvals=read_approvals(el) if extended else [],
            multi_instance=multi_instance,
            standard_loop=standard_loop,
            ai=read_ai(el) if extended else [],
            human_required=read_human_required(el) if written.attrs else None,
            notify=read_notify(el) if extended else [],
            **details,  # type: ignore[arg-type]
        )


def _event_definitions(el: Element) -> list[Element]:
    if not len(el):
        return []  # a bare event (<startEvent id="s"/>)
    return [c for c in bpmn_children(el) if c.tag.endswith("EventDefinition")]


def _outside(el: Element, definitions: list[Element], ctx: Context) -> RawTrigger | None:
    """The trigger of an event whose one definition is a message, signal or condition."""
    if len(definitions) != 1 or local_name(definitions[0]) not in OUTSIDE:
        return None
    return read_trigger(definitions[0], el, ctx)


def _unsupported(el: Element, ctx: Context, why: str = "") -> FlowNode:
    tag = local_name(el)
    ctx.report(el, "unsupported-element", why or f"{tag} is not supported yet")
    return FlowNode(
        id=el.get("id", ""),
        tag=tag,
        kind="unsupported",
        line=line_of(el),
        attached_to=el.get("attachedToRef"),  # keeps what follows it reachable in the graph
    )


_TIMER_TAGS = tuple(
    (f"{{{BPMN_NS}}}{tag}", kind)
    for tag, kind in (("timeDuration", "duration"), ("timeDate", "date"), ("timeCycle", "cycle"))
)


def _read_timer(definition: Element, ctx: Context) -> RawTimer | None:
    for tag, kind in _TIMER_TAGS:
        found = first_child(definition, tag)
        if found is not None:
            return RawTimer(kind, RawText((found.text or "").strip(), line_of(found)))  # type: ignore[arg-type]
    event = definition.getparent()
    where = event if event is not None else definition  # name the event, as every timer error does
    ctx.report(where, "timer-syntax", "the timer has no timeDuration, timeDate or timeCycle")
    return None


def _only_timer(
    el: Element, ctx: Context, what: str, allowed: str = "timers"
) -> RawTimer | FlowNode | None:
    """The timer of an event that must have exactly one timerEventDefinition, or its refusal."""
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    if kinds != ["timerEventDefinition"] or len(definitions) != 1:
        named = ", ".join(kinds) or "no event definition"
        return _unsupported(el, ctx, f"{what} with {named} is unsupported (only {allowed})")
    return _read_timer(definitions[0], ctx)


def _in_event_subprocess(el: Element) -> bool:
    parent = el.getparent()
    return (
        parent is not None
        and isinstance(parent.tag, str)
        and local_name(parent) == "subProcess"
        and parent.get("triggeredByEvent", "").strip().lower() == "true"
    )


def _event_code(definition: Element, ctx: Context, what: str) -> str | None:
    """The code an error / escalation definition names; None: catch-all (or throw without)."""
    ref = definition.get(f"{what}Ref")
    if ref is None:
        return None
    if ref not in ctx.codes[what]:
        event = definition.getparent()
        ctx.report(
            event if event is not None else definition,
            f"unknown-{what}",
            f"{what}Ref {ref!r} names no <{what}> of this file",
        )
        return None
    return ctx.codes[what][ref]


def _interrupting(el: Element, attribute: str) -> bool:
    return el.get(attribute, "true").strip().lower() != "false"


def _start(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    if not definitions:
        return ctx.node(el, "start")
    trigger = _outside(el, definitions, ctx)
    in_event_subprocess = _in_event_subprocess(el)
    if in_event_subprocess and trigger is not None:
        interrupting = _interrupting(el, "isInterrupting")
        return ctx.node(
            el, "start", event=trigger.event, trigger=trigger, interrupting=interrupting
        )
    if not in_event_subprocess and len(definitions) == 1:
        # A process's message, signal or timer start (check refuses them in a subprocess).
        if trigger is not None and trigger.event != "conditional":
            return ctx.node(el, "start", event=trigger.event, trigger=trigger)
        if kinds == ["timerEventDefinition"]:
            return ctx.node(el, "start", event="timer", timer=_read_timer(definitions[0], ctx))
    if in_event_subprocess and len(definitions) == 1:
        definition = definitions[0]
        interrupting = _interrupting(el, "isInterrupting")
        if kinds == ["timerEventDefinition"]:
            timer = _read_timer(definition, ctx)
            return ctx.node(el, "start", event="timer", timer=timer, interrupting=interrupting)
        for what in ("error", "escalation"):
            if kinds == [f"{what}EventDefinition"]:
                code = _event_code(definition, ctx, what)
                return ctx.node(el, "start", event=what, code=code, interrupting=interrupting)
        if kinds == ["compensateEventDefinition"]:  # compensates its completed subprocess
            return ctx.node(el, "start", event="compensation")
    named = ", ".join(kinds)
    if in_event_subprocess:
        allowed = "one definition"
    else:
        allowed = "none, message, signal and timer starts; conditions in event subprocesses"
    return _unsupported(el, ctx, f"start event with {named} is unsupported (only {allowed})")


def _end(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    if kinds == ["terminateEventDefinition"]:
        return ctx.node(el, "end", terminate=True)
    if not kinds:
        return ctx.node(el, "end")
    for what in ("error", "escalation"):
        if kinds == [f"{what}EventDefinition"] and len(definitions) == 1:
            return ctx.node(el, "end", event=what, code=_event_code(definitions[0], ctx, what))
    if kinds == ["compensateEventDefinition"] and len(definitions) == 1:
        return _compensation_throw(el, definitions[0], ctx, "end")
    if kinds == ["signalEventDefinition"] and len(definitions) == 1:
        return ctx.node(el, "end", event="signal", code=read_trigger(definitions[0], el, ctx).name)
    if kinds == ["messageEventDefinition"] and len(definitions) == 1:
        return _message_throw(el, ctx, "end")
    return _unsupported(el, ctx, f"end event with {', '.join(kinds)} is unsupported")


def _user_task(el: Element, ctx: Context) -> FlowNode:
    node = ctx.node(el, "user_task")
    node.ext.variables, node.ext.form_link = read_variables(el)
    node.ext.form = read_form(el)
    return node


def _service_task(el: Element, ctx: Context) -> FlowNode:
    if is_decision_task(el):  # Flowable draws a business rule task as a "dmn" service task
        return parse_business_rule_task(el, ctx)
    node = ctx.node(el, "service_task")
    if node.ext.computes_nothing and node.ext.task_type is None:
        node.kind = "pass"  # a Java expression that calls no bean (docs/compiler.md)
    return node


def _pass(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "pass")


def _compensation_throw(el: Element, definition: Element, ctx: Context, kind: str) -> FlowNode:
    """``activityRef``: the one activity to compensate; none: every one of the scope."""
    wait = definition.get("waitForCompletion", "true").strip().lower() != "false"
    ref = (definition.get("activityRef") or "").strip() or None
    return ctx.node(el, kind, event="compensation", code=ref, wait_for_completion=wait)


def _message_throw(el: Element, ctx: Context, otherwise: str) -> FlowNode:
    """A message throw (or end) event runs an activity as a send task does: the type from its
    task definition. Without one it sends nothing, and says so."""
    node = ctx.node(el, "service_task")
    if node.ext.task_type is None and not node.ext.refused_implementation:
        ctx.report(
            el,
            "message-throw-no-type",
            "the message throw event names no task type, so it sends nothing; give it a"
            " zeebe:taskDefinition type, a camunda:topic or a shenpi:type",
            severity="warning",
        )
        node.kind = otherwise  # type: ignore[assignment]
    return node


def _receive_task(el: Element, ctx: Context) -> FlowNode:
    if el.get("instantiate", "").strip().lower() == "true":
        return _unsupported(el, ctx, "a receive task that starts the process is unsupported")
    trigger = reference("message", el.get("messageRef"), el, ctx, line_of(el))
    return ctx.node(el, "catch", event="message", trigger=trigger)


def _link_name(definition: Element) -> str:
    return (definition.get("name") or "").strip()


def _throw_event(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    if not definitions:
        return ctx.node(el, "pass")  # a none intermediate event only marks a milestone
    if kinds == ["escalationEventDefinition"] and len(definitions) == 1:
        code = _event_code(definitions[0], ctx, "escalation")
        return ctx.node(el, "throw", event="escalation", code=code)
    if kinds == ["compensateEventDefinition"] and len(definitions) == 1:
        return _compensation_throw(el, definitions[0], ctx, "throw")
    if kinds == ["linkEventDefinition"] and len(definitions) == 1:
        # Resolved by ``parse`` into a flow to the catching link of the same name.
        return ctx.node(el, "pass", event="link", code=_link_name(definitions[0]))
    if kinds == ["signalEventDefinition"] and len(definitions) == 1:
        name = read_trigger(definitions[0], el, ctx).name
        return ctx.node(el, "throw", event="signal", code=name)
    if kinds == ["messageEventDefinition"] and len(definitions) == 1:
        return _message_throw(el, ctx, "pass")
    named = ", ".join(kinds)
    return _unsupported(el, ctx, f"intermediate throw event with {named} is unsupported")


def _exclusive(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "exclusive", default_flow=el.get("default"))


def _parallel(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "parallel")


def _catch_event(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    if [local_name(d) for d in definitions] == ["linkEventDefinition"]:
        return ctx.node(el, "pass", event="link", code=_link_name(definitions[0]))
    trigger = _outside(el, definitions, ctx)
    if trigger is not None:
        return ctx.node(el, "catch", event=trigger.event, trigger=trigger)
    timer = _only_timer(
        el, ctx, "intermediate catch event", "timers, messages, signals, conditions and links"
    )
    if isinstance(timer, FlowNode):
        return timer
    return ctx.node(el, "timer", timer=timer)


def _boundary(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    attached = {
        "attached_to": el.get("attachedToRef"),
        "interrupting": _interrupting(el, "cancelActivity"),
    }
    for what in ("error", "escalation"):
        if kinds == [f"{what}EventDefinition"] and len(definitions) == 1:
            code = _event_code(definitions[0], ctx, what)
            return ctx.node(el, "boundary_event", event=what, code=code, **attached)
    if kinds == ["compensateEventDefinition"] and len(definitions) == 1:
        return ctx.node(el, "boundary_event", event="compensation", **attached)
    trigger = _outside(el, definitions, ctx)
    if trigger is not None:
        return ctx.node(el, "boundary_catch", event=trigger.event, trigger=trigger, **attached)
    timer = _only_timer(el, ctx, "boundary event", "one event definition")
    if isinstance(timer, FlowNode):
        return timer
    return ctx.node(el, "boundary_timer", timer=timer, **attached)


def _inclusive(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "inclusive", default_flow=el.get("default"))


def _event_gateway(el: Element, ctx: Context) -> FlowNode:
    if el.get("instantiate", "").strip().lower() == "true":
        return _unsupported(
            el, ctx, "an event-based gateway that starts the process is unsupported"
        )
    return ctx.node(el, "event_gateway")


# Script formats that are expressions Shenpi evaluates itself, as the dialects name them.
EXPRESSION_FORMATS = {"feel": "feel", "juel": "juel", "": "feel"}


def _script_task(el: Element, ctx: Context) -> FlowNode:
    """A script that is an expression runs in the workflow; code in a general-purpose language
    never does (docs/compiler.md "Script tasks")."""
    zeebe = next(iter(ext_children(el, ZEEBE_NS, "script")), None)
    if zeebe is not None and (zeebe.get("expression") or "").strip():
        text = RawText(zeebe.get("expression", "").strip(), line_of(zeebe), "feel")
        node = ctx.node(el, "script", script=text)
        node.ext.result_variable = zeebe.get("resultVariable") or node.ext.result_variable
        return node
    script_format = (el.get("scriptFormat") or "").strip().lower()
    body = first_child(el, f"{{{BPMN_NS}}}script")
    source = (body.text or "").strip() if body is not None else ""
    if script_format in EXPRESSION_FORMATS and source and script_format:
        dialect = EXPRESSION_FORMATS[script_format]
        text = RawText(source, line_of(body) if body is not None else line_of(el), dialect)
        return ctx.node(el, "script", script=text)
    named = script_format or "no scriptFormat"
    return _unsupported(
        el,
        ctx,
        f"a {named} script runs code inside the engine; make it a serviceTask with a type and"
        " run the code as a Temporal activity (a script that is a FEEL or JUEL expression runs)",
    )


def _call_activity(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "call_activity", call=read_call(el))


def _subprocess(el: Element, ctx: Context) -> FlowNode:
    """The container only: ``parse`` reads its flow elements with this node as their parent."""
    by_event = el.get("triggeredByEvent", "").strip().lower() == "true"
    return ctx.node(el, "subprocess", triggered_by_event=by_event)


def refused(why: str) -> ElementParser:
    return lambda el, ctx: _unsupported(el, ctx, why)


ELEMENT_PARSERS: dict[str, ElementParser] = {
    "startEvent": _start,
    "endEvent": _end,
    "userTask": _user_task,
    "serviceTask": _service_task,
    "sendTask": _service_task,
    "task": _pass,
    "manualTask": _pass,
    "intermediateThrowEvent": _throw_event,
    "exclusiveGateway": _exclusive,
    "parallelGateway": _parallel,
    "intermediateCatchEvent": _catch_event,
    "boundaryEvent": _boundary,
    "inclusiveGateway": _inclusive,
    "eventBasedGateway": _event_gateway,
    "subProcess": _subprocess,
    "callActivity": _call_activity,
    "scriptTask": _script_task,
    "businessRuleTask": parse_business_rule_task,
    "receiveTask": _receive_task,
}
