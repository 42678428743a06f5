"""Pass 1: BPMN XML → ``BpmnModel`` (ids, flows, line numbers, raw extension values).

Loads the XML hardened (``safe_xml``), picks the process to compile, runs each flow element through
the tag dispatch table ``ELEMENT_PARSERS`` (``elements``) and indexes the flows once.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.ai_xml import read_documentation
from bpmn_compiler.calls import read_version_tag
from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.dialects import Written
from bpmn_compiler.elements import (
    ELEMENT_PARSERS,
    IGNORED,
    Context,
    local_name,
    refused,
)
from bpmn_compiler.memo import bpmn_children, compile_run
from bpmn_compiler.model import BPMN_NS, BpmnModel, Flow, RawText
from bpmn_compiler.notify_xml import read_notify
from bpmn_compiler.priority import read_priority
from bpmn_compiler.safe_xml import DEFAULT_MAX_BYTES, XmlRejected, line_of, load

Element = etree._Element

__all__ = ["ELEMENT_PARSERS", "parse"]


_CONDITION = f"{{{BPMN_NS}}}conditionExpression"
_PROCESS = f"{{{BPMN_NS}}}process"


def _flow(el: Element, flow_id: str) -> Flow:
    raw = documentation = None
    # Most flows have neither condition nor documentation: no children to look at.
    if len(el) and (children := bpmn_children(el)):
        condition = next((c for c in children if c.tag == _CONDITION), None)
        if condition is not None:
            text = (condition.text or "").strip()
            raw = RawText(text, line_of(condition), condition.get("language"))
        documentation = read_documentation(el)
    return Flow(
        id=flow_id,
        source=el.get("sourceRef", ""),
        target=el.get("targetRef", ""),
        line=el.sourceline,  # type: ignore[arg-type]  # line_of, inlined: every flow passes here
        name=el.get("name"),
        condition=raw,
        documentation=documentation,
    )


def _flow_id(el: Element, seen: set[str]) -> str:
    base = f"{el.get('sourceRef', '')}->{el.get('targetRef', '')}"
    candidate, counter = base, 1
    while candidate in seen:
        counter += 1
        candidate = f"{base}#{counter}"
    return candidate


# Containers whose flow elements are read as their children (``FlowNode.parent``); an unsupported
# one (a transaction) still has each of its own elements checked, so every problem is named.
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
# A container's own BPMN children that are not flow elements (read by the element parsers).
CONTAINER_OWN = frozenset(
    {
        "incoming", "outgoing", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
        "dataInputAssociation", "dataOutputAssociation", "completionCondition",
    }
)  # fmt: skip


def _parse_scope(
    container: Element, parent: str | None, model: BpmnModel, ctx: Context, seen: set[str]
) -> None:
    for el in bpmn_children(container):
        tag = el.tag.rpartition("}")[2]  # local_name, inlined: this loop sees every element
        if tag == "association":  # no behaviour, but it ties compensation handlers
            model.associations.append((el.get("sourceRef", ""), el.get("targetRef", "")))
            continue
        if tag in IGNORED or (parent is not None and tag in CONTAINER_OWN):
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
            model.flows[element_id] = _flow(el, element_id)
            continue
        parser = ELEMENT_PARSERS.get(tag) or refused(f"{tag} is not supported yet")
        node = parser(el, ctx)
        node.parent = parent
        compensates = el.get("isForCompensation")  # on few elements
        node.for_compensation = compensates is not None and compensates.strip().lower() == "true"
        model.nodes[element_id] = node
        if tag in CONTAINERS:
            _parse_scope(el, element_id, model, ctx, seen)


def _link_flows(model: BpmnModel) -> None:
    """A link throw continues at the link catch of the same name in the same scope: the pair
    becomes an ordinary sequence flow, so the interpreter never sees a link."""
    links = [n for n in model.nodes.values() if n.event == "link"]
    for throw in (n for n in links if n.tag == "intermediateThrowEvent"):
        catches = [
            n
            for n in links
            if n.tag == "intermediateCatchEvent"
            and n.code == throw.code
            and n.parent == throw.parent
        ]
        if len(catches) != 1:
            found = "no" if not catches else f"{len(catches)}"
            model.diagnostics.append(
                Diagnostic(
                    code="link-target",
                    message=f"link {throw.code!r} has {found} catching link event of that name"
                    " in its scope; exactly one is needed",
                    element_id=throw.id,
                    line=throw.line,
                )
            )
            continue
        flow_id = f"{throw.id}->{catches[0].id}"
        model.flows[flow_id] = Flow(flow_id, throw.id, catches[0].id, throw.line)


def _parse_process(process: Element, source: str) -> BpmnModel:
    model = BpmnModel(source, process.get("id", ""), process.get("name"), line_of(process))
    written = Written(process, bpmn_children(process))
    if written.children:  # most processes have no extension elements: nothing to look for
        model.notify = read_notify(process)
        model.priority = read_priority(process)
    if written.attrs or written.children:
        model.version_tag = read_version_tag(process)
    root = process.getparent()
    ctx = Context(root)
    _parse_scope(process, None, model, ctx, set())
    model.diagnostics = ctx.diagnostics
    _link_flows(model)
    nodes = model.nodes
    for flow in model.flows.values():
        if (leaves := nodes.get(flow.source)) is not None:
            leaves.outgoing.append(flow.id)
        if (enters := nodes.get(flow.target)) is not None:
            enters.incoming.append(flow.id)
    model.index_scopes()  # every node is read, with its parent and kind
    return model


def _is_executable(process: Element) -> bool:
    return process.get("isExecutable", "").strip().lower() == "true"


def _select_process(root: Element) -> Element:
    """The process to compile: the executable one, else the only one with flow nodes."""
    processes = [p for p in bpmn_children(root) if p.tag == _PROCESS]
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
    drawn = [
        p for p in processes if any(local_name(c) in ELEMENT_PARSERS for c in bpmn_children(p))
    ]
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
    with compile_run():
        return _parse_process(_select_process(root), source)
