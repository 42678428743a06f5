"""The tag dispatch table ``ELEMENT_PARSERS``: one BPMN flow element → one ``FlowNode``.

As SpiffWorkflow's ``BpmnParser.PARSER_CLASSES``. Every BPMN element of a process is either parsed
here, deliberately ignored (``IGNORED``), or kept as an ``unsupported`` node with a diagnostic
naming it: nothing is skipped without a word, and flows to a refused element stay valid.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from bpmn_compiler.ai_xml import read_ai, read_human_required
from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.dialects import read_extensions
from bpmn_compiler.forms import read_variables
from bpmn_compiler.loops import read_approvals, read_multi_instance
from bpmn_compiler.model import BPMN_NS, FlowNode, RawText, RawTimer
from bpmn_compiler.notify_xml import read_notify
from bpmn_compiler.safe_xml import line_of

Element = etree._Element
ElementParser = Callable[[Element, "Context"], FlowNode]

# Artifacts and data: no behaviour, no diagnostic.
IGNORED = frozenset(
    {
        "documentation", "extensionElements", "laneSet", "textAnnotation", "association",
        "group", "dataObject", "dataObjectReference", "dataStoreReference", "dataStore",
        "ioSpecification", "property", "category", "auditing", "monitoring",
        "correlationSubscription",
    }
)  # fmt: skip
_LOOPS = ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")


def local_name(el: Element) -> str:
    return etree.QName(el).localname


def bpmn_children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS]


class Context:
    """Per-process parsing state: diagnostics found so far and the ids already seen."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

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
        ext, diags = read_extensions(el, el.get("id", ""))
        self.diagnostics.extend(diags)
        multi_instance = None
        for child in bpmn_children(el):
            if local_name(child) == _LOOPS[0] and kind == "user_task":
                # A multi-instance user task is an approval step with one task per approver.
                multi_instance = multi_instance or read_multi_instance(child)
            elif local_name(child) in _LOOPS:
                what = local_name(child)
                if what == _LOOPS[0]:
                    what += " on a " + local_name(el) + " (only user tasks)"
                self.report(el, "unsupported-loop", f"{what} is unsupported")
        return FlowNode(
            id=el.get("id", ""),
            tag=local_name(el),
            kind=kind,  # type: ignore[arg-type]
            line=line_of(el),
            name=el.get("name"),
            ext=ext,
            approvals=read_approvals(el),
            multi_instance=multi_instance,
            ai=read_ai(el),
            human_required=read_human_required(el),
            notify=read_notify(el),
            **details,  # type: ignore[arg-type]
        )


def _event_definitions(el: Element) -> list[Element]:
    return [c for c in bpmn_children(el) if local_name(c).endswith("EventDefinition")]


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


def _read_timer(definition: Element, ctx: Context) -> RawTimer | None:
    for tag, kind in (("timeDuration", "duration"), ("timeDate", "date"), ("timeCycle", "cycle")):
        found = definition.find(f"{{{BPMN_NS}}}{tag}")
        if found is not None:
            return RawTimer(kind, RawText((found.text or "").strip(), line_of(found)))  # type: ignore[arg-type]
    event = definition.getparent()
    where = event if event is not None else definition  # name the event, as every timer error does
    ctx.report(where, "timer-syntax", "the timer has no timeDuration, timeDate or timeCycle")
    return None


def _only_timer(el: Element, ctx: Context, what: str) -> RawTimer | FlowNode | None:
    """The timer of an event that must have exactly one timerEventDefinition, or its refusal."""
    definitions = _event_definitions(el)
    kinds = sorted({local_name(d) for d in definitions})
    if kinds != ["timerEventDefinition"] or len(definitions) != 1:
        named = ", ".join(kinds) or "no event definition"
        return _unsupported(el, ctx, f"{what} with {named} is unsupported (only timers)")
    return _read_timer(definitions[0], ctx)


def _start(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    if definitions:
        kinds = ", ".join(sorted({local_name(d) for d in definitions}))
        return _unsupported(el, ctx, f"start event with {kinds} is unsupported (only none starts)")
    return ctx.node(el, "start")


def _end(el: Element, ctx: Context) -> FlowNode:
    kinds = {local_name(d) for d in _event_definitions(el)}
    if kinds - {"terminateEventDefinition"}:
        named = ", ".join(sorted(kinds))
        return _unsupported(el, ctx, f"end event with {named} is unsupported")
    return ctx.node(el, "end", terminate=bool(kinds))


def _user_task(el: Element, ctx: Context) -> FlowNode:
    node = ctx.node(el, "user_task")
    node.ext.variables, node.ext.form_link = read_variables(el)
    return node


def _service_task(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "service_task")


def _pass(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "pass")


def _throw_event(el: Element, ctx: Context) -> FlowNode:
    if _event_definitions(el):
        return _unsupported(el, ctx, "intermediate throw events with a definition are unsupported")
    return ctx.node(el, "pass")  # a none intermediate event only marks a milestone


def _exclusive(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "exclusive", default_flow=el.get("default"))


def _parallel(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "parallel")


def _catch_event(el: Element, ctx: Context) -> FlowNode:
    timer = _only_timer(el, ctx, "intermediate catch event")
    if isinstance(timer, FlowNode):
        return timer
    return ctx.node(el, "timer", timer=timer)


def _boundary(el: Element, ctx: Context) -> FlowNode:
    timer = _only_timer(el, ctx, "boundary event")
    if isinstance(timer, FlowNode):
        return timer
    return ctx.node(
        el,
        "boundary_timer",
        timer=timer,
        attached_to=el.get("attachedToRef"),
        interrupting=el.get("cancelActivity", "true").strip().lower() != "false",
    )


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
    "scriptTask": refused("scriptTask runs code inside the engine; use a serviceTask with a type"),
    "businessRuleTask": refused("businessRuleTask (DMN) is not supported yet"),
    "receiveTask": refused("receiveTask (messages) is not supported yet"),
}
