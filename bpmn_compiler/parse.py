"""Pass 1: BPMN XML → ``BpmnModel`` (ids, flows, line numbers, raw extension values).

One tag dispatch table, ``ELEMENT_PARSERS``, as SpiffWorkflow's ``BpmnParser.PARSER_CLASSES``.
Every BPMN element of a process is either parsed, deliberately ignored (``IGNORED``), or kept as an
``unsupported`` node with a diagnostic naming it: nothing is skipped without a word.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.dialects import read_extensions
from bpmn_compiler.model import BPMN_NS, BpmnModel, Flow, FlowNode, RawText, RawTimer
from bpmn_compiler.safe_xml import DEFAULT_MAX_BYTES, XmlRejected, line_of, load

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


def _local(el: Element) -> str:
    return etree.QName(el).localname


def _bpmn_children(el: Element) -> list[Element]:
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
        for child in _bpmn_children(el):
            if _local(child) in _LOOPS:
                self.report(el, "unsupported-loop", f"{_local(child)} is unsupported")
        return FlowNode(
            id=el.get("id", ""),
            tag=_local(el),
            kind=kind,  # type: ignore[arg-type]
            line=line_of(el),
            name=el.get("name"),
            ext=ext,
            **details,  # type: ignore[arg-type]
        )


def _event_definitions(el: Element) -> list[Element]:
    return [c for c in _bpmn_children(el) if _local(c).endswith("EventDefinition")]


def _unsupported(el: Element, ctx: Context, why: str = "") -> FlowNode:
    tag = _local(el)
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
    return None


def _only_timer(el: Element, ctx: Context, what: str) -> RawTimer | FlowNode | None:
    """The timer of an event that must have exactly one timerEventDefinition, or its refusal."""
    definitions = _event_definitions(el)
    kinds = sorted({_local(d) for d in definitions})
    if kinds != ["timerEventDefinition"] or len(definitions) != 1:
        named = ", ".join(kinds) or "no event definition"
        return _unsupported(el, ctx, f"{what} with {named} is unsupported (only timers)")
    return _read_timer(definitions[0], ctx)


def _start(el: Element, ctx: Context) -> FlowNode:
    definitions = _event_definitions(el)
    if definitions:
        kinds = ", ".join(sorted({_local(d) for d in definitions}))
        return _unsupported(el, ctx, f"start event with {kinds} is unsupported (only none starts)")
    return ctx.node(el, "start")


def _end(el: Element, ctx: Context) -> FlowNode:
    kinds = {_local(d) for d in _event_definitions(el)}
    if kinds - {"terminateEventDefinition"}:
        named = ", ".join(sorted(kinds))
        return _unsupported(el, ctx, f"end event with {named} is unsupported")
    return ctx.node(el, "end", terminate=bool(kinds))


def _user_task(el: Element, ctx: Context) -> FlowNode:
    return ctx.node(el, "user_task")


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


def _refused(why: str) -> ElementParser:
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
    "scriptTask": _refused("scriptTask runs code inside the engine; use a serviceTask with a type"),
    "businessRuleTask": _refused("businessRuleTask (DMN) is not supported yet"),
    "receiveTask": _refused("receiveTask (messages) is not supported yet"),
}


def _flow(el: Element, ctx: Context) -> Flow:
    condition = next((c for c in _bpmn_children(el) if _local(c) == "conditionExpression"), None)
    raw = None
    if condition is not None:
        text = (condition.text or "").strip()
        raw = RawText(text, line_of(condition), condition.get("language"))
    return Flow(
        id=el.get("id", ""),
        source=el.get("sourceRef", ""),
        target=el.get("targetRef", ""),
        line=line_of(el),
        name=el.get("name"),
        condition=raw,
    )


def _flow_id(el: Element, seen: set[str]) -> str:
    base = f"{el.get('sourceRef', '')}->{el.get('targetRef', '')}"
    candidate, counter = base, 1
    while candidate in seen:
        counter += 1
        candidate = f"{base}#{counter}"
    return candidate


def _parse_process(process: Element, source: str) -> BpmnModel:
    model = BpmnModel(source, process.get("id", ""), process.get("name"), line_of(process))
    ctx = Context()
    seen: set[str] = set()
    for el in _bpmn_children(process):
        tag = _local(el)
        if tag in IGNORED:
            continue
        element_id = el.get("id")
        if not element_id and tag == "sequenceFlow":
            # Engines accept id-less flows (Camunda's own tests have them); derive a stable id.
            element_id = _flow_id(el, seen)
            el.set("id", element_id)
        if not element_id:
            ctx.report(el, "missing-id", f"{tag} at line {line_of(el)} has no id")
            continue
        if element_id in seen:
            ctx.report(el, "duplicate-id", f"id {element_id!r} is used more than once")
            continue
        seen.add(element_id)
        if tag == "sequenceFlow":
            model.flows[element_id] = _flow(el, ctx)
            continue
        parser = ELEMENT_PARSERS.get(tag, _refused(f"{tag} is not supported yet"))
        if el.get("isForCompensation", "").strip().lower() == "true":
            parser = _refused("compensation handlers are not supported yet")
        model.nodes[element_id] = parser(el, ctx)
    for flow in model.flows.values():
        if flow.source in model.nodes:
            model.nodes[flow.source].outgoing.append(flow.id)
        if flow.target in model.nodes:
            model.nodes[flow.target].incoming.append(flow.id)
    model.diagnostics = ctx.diagnostics
    return model


def _is_executable(process: Element) -> bool:
    return process.get("isExecutable", "").strip().lower() == "true"


def _select_process(root: Element) -> Element:
    """The process to compile: the executable one, else the only one with flow nodes."""
    processes = [p for p in _bpmn_children(root) if _local(p) == "process"]
    executable = [p for p in processes if _is_executable(p)]
    if len(executable) == 1:
        return executable[0]
    if len(executable) > 1:
        ids = ", ".join(repr(p.get("id")) for p in executable)
        raise CompileError(
            [
                Diagnostic(
                    code="multiple-executable-processes",
                    message=f"the file has {len(executable)} executable processes ({ids});"
                    ' mark exactly one isExecutable="true"',
                    element_id=executable[1].get("id"),
                    line=line_of(executable[1]),
                )
            ]
        )
    drawn = [p for p in processes if any(_local(c) in ELEMENT_PARSERS for c in _bpmn_children(p))]
    if len(drawn) == 1:
        return drawn[0]
    if not drawn:
        raise CompileError(
            [Diagnostic(code="no-process", message="the file has no process with flow nodes")]
        )
    ids = ", ".join(repr(p.get("id")) for p in drawn)
    raise CompileError(
        [
            Diagnostic(
                code="no-executable-process",
                message=f'none of the processes {ids} is marked isExecutable="true"',
                line=line_of(root),
            )
        ]
    )


def parse(xml: bytes, *, source: str = "<upload>", max_bytes: int = DEFAULT_MAX_BYTES) -> BpmnModel:
    """Parse a BPMN file; raise ``CompileError`` if it is not a BPMN document we may read."""
    try:
        root = load(xml, max_bytes=max_bytes)
    except XmlRejected as err:
        raise CompileError([err.diagnostic]) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise CompileError(
            [
                Diagnostic(
                    code="not-bpmn",
                    message=f"the root element is {root.tag!r}, not BPMN 2.0 definitions"
                    f" ({{{BPMN_NS}}}definitions)",
                    line=line_of(root),
                )
            ]
        )
    return _parse_process(_select_process(root), source)
