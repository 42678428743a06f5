"""Call activities in every dialect: which process they call, which version, and what variables
cross the boundary (docs/interpreter.md "Call activities").

- Camunda 7 / Flowable: ``calledElement``, ``camunda:calledElementBinding`` (``latest``,
  ``deployment``, ``version`` with ``calledElementVersion``, ``versionTag`` with
  ``calledElementVersionTag``), ``<camunda:in source|sourceExpression target>``,
  ``<camunda:in variables="all">`` and the same ``out``; nothing crosses unless mapped.
- Zeebe: ``<zeebe:calledElement processId bindingType versionTag propagateAllChildVariables
  propagateAllParentVariables>`` with ``zeebe:ioMapping``; both propagations default to true.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.dialects import ext_children
from bpmn_compiler.model import (
    ACTIVITI_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    SHENPI_NS,
    ZEEBE_NS,
    RawCall,
    RawMapping,
    RawText,
)
from bpmn_compiler.safe_xml import line_of

Element = etree._Element
_JAVA = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_BINDINGS = {"latest": "latest", "deployment": "deployment", "version": "version"}
_TAG_BINDINGS = ("versionTag", "version_tag")


def _true(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() == "true"


def read_call(el: Element) -> RawCall:
    zeebe = next(iter(ext_children(el, ZEEBE_NS, "calledElement")), None)
    if zeebe is not None:
        binding = (zeebe.get("bindingType") or "latest").strip()
        return RawCall(
            called=_called(zeebe.get("processId"), zeebe),
            binding=binding if binding in _BINDINGS else "version_tag",
            binding_as_written=binding,
            version_tag=zeebe.get("versionTag"),
            all_in=_true(zeebe.get("propagateAllParentVariables"), True),
            all_out=_true(zeebe.get("propagateAllChildVariables"), True),
            line=line_of(zeebe),
        )
    call = RawCall(called=_called(el.get("calledElement"), el), line=line_of(el))
    for ns in (*_JAVA, SHENPI_NS):
        written = el.get(f"{{{ns}}}calledElementBinding")
        if written is not None:
            call.binding_as_written = written.strip()
            found = _BINDINGS.get(call.binding_as_written)
            call.binding = found or ("version_tag" if written in _TAG_BINDINGS else "unknown")
        call.version = call.version or el.get(f"{{{ns}}}calledElementVersion")
        call.version_tag = call.version_tag or el.get(f"{{{ns}}}calledElementVersionTag")
        if _true(el.get(f"{{{ns}}}inheritVariables"), False):
            call.all_in = True
        for direction in ("in", "out"):
            for item in ext_children(el, ns, direction):
                _read_pass(item, call, direction)
    return call


def _called(value: str | None, el: Element) -> RawText | None:
    return RawText(value.strip(), line_of(el)) if value and value.strip() else None


def _read_pass(item: Element, call: RawCall, direction: str) -> None:
    """One ``camunda:in`` / ``camunda:out``: a variable, an expression, or all of them."""
    if (item.get("variables") or "").strip() == "all":
        if direction == "in":
            call.all_in = True
        else:
            call.all_out = True
        return
    target = (item.get("target") or "").strip()
    source = item.get("sourceExpression") or item.get("source")
    if not target or not source:
        return  # businessKey and local= passes carry no variable: nothing to map
    if item.get("source") is not None and item.get("sourceExpression") is None:
        # A variable name: passed as null when it is not set, as Camunda does.
        name = source.strip()
        source = f"= if is defined({name}) then {name} else null"
    mapping = RawMapping(target, RawText(source.strip(), line_of(item)))
    (call.inputs if direction == "in" else call.outputs).append(mapping)


def read_version_tag(process: Element) -> str | None:
    """The process's own version tag: what a caller's ``versionTag`` binding asks for."""
    for ns in (CAMUNDA_NS, FLOWABLE_NS, SHENPI_NS):
        tag = process.get(f"{{{ns}}}versionTag")
        if tag and tag.strip():
            return tag.strip()
    zeebe = next(iter(ext_children(process, ZEEBE_NS, "versionTag")), None)
    value = zeebe.get("value") if zeebe is not None else None
    return value.strip() if value and value.strip() else None
