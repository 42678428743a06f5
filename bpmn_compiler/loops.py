"""Parse helper: ``<shenpi:approval>`` and multi-instance loop characteristics → raw model.

Only reads what is written (with line numbers); ``approvals`` checks it and builds the
``ApprovalSpec``. Multi-instance is read in every dialect Shenpi honours: Camunda 7 and Flowable
(``collection`` / ``elementVariable`` attributes), Camunda 8 (``zeebe:loopCharacteristics``) and
plain BPMN (``loopDataInputRef`` / ``inputDataItem``, as SpiffWorkflow writes it).
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.dialects import ext_children, raw_attributes
from bpmn_compiler.memo import first_child
from bpmn_compiler.model import (
    ACTIVITI_NS,
    BPMN_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    SHENPI_NS,
    ZEEBE_NS,
    RawApproval,
    RawMultiInstance,
    RawStandardLoop,
    RawText,
)
from bpmn_compiler.safe_xml import line_of

Element = etree._Element

_COLLECTION_NAMESPACES = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def read_approvals(el: Element) -> list[RawApproval]:
    """Every ``extensionElements/shenpi:approval`` of ``el`` (more than one is reported later)."""
    return [
        RawApproval(attributes=raw_attributes(approval), line=line_of(approval))
        for approval in ext_children(el, SHENPI_NS, "approval")
    ]


def _child_text(el: Element, name: str) -> RawText | None:
    child = first_child(el, _q(BPMN_NS, name))
    if child is None or not (child.text or "").strip():
        return None
    return RawText((child.text or "").strip(), line_of(child), child.get("language"))


def read_multi_instance(el: Element) -> RawMultiInstance:
    """One ``multiInstanceLoopCharacteristics`` element, whatever dialect drew it."""
    line = line_of(el)
    loop = RawMultiInstance(
        sequential=el.get("isSequential", "false").strip().lower() == "true",
        line=line,
        completion_condition=_child_text(el, "completionCondition"),
        cardinality=_child_text(el, "loopCardinality"),
    )
    for ns in _COLLECTION_NAMESPACES:
        collection = (el.get(_q(ns, "collection")) or "").strip()
        if collection and loop.collection is None:
            loop.collection = RawText(collection, line)
        loop.element_variable = loop.element_variable or el.get(_q(ns, "elementVariable"))
    for zeebe in ext_children(el, ZEEBE_NS, "loopCharacteristics"):
        collection = (zeebe.get("inputCollection") or "").strip()
        if collection and loop.collection is None:
            loop.collection = RawText(collection, line_of(zeebe), "feel")
        loop.element_variable = loop.element_variable or zeebe.get("inputElement")
        loop.output_collection = (zeebe.get("outputCollection") or "").strip() or None
        output = (zeebe.get("outputElement") or "").strip()
        if output:
            loop.output_element = RawText(output, line_of(zeebe), "feel")
        loop.zeebe = True
    in_flight = (el.get(_q(SHENPI_NS, "maxInFlight")) or "").strip()
    if in_flight:
        loop.max_in_flight = RawText(in_flight, line)
    data_input = _child_text(el, "loopDataInputRef")
    if data_input is not None and loop.collection is None:
        loop.collection = data_input  # a variable name, read as a plain expression
    item = first_child(el, _q(BPMN_NS, "inputDataItem"))
    if item is not None:
        loop.element_variable = loop.element_variable or item.get("name") or item.get("id")
    if loop.element_variable is not None:
        loop.element_variable = loop.element_variable.strip() or None
    return loop


def read_standard_loop(el: Element) -> RawStandardLoop:
    condition = first_child(el, _q(BPMN_NS, "loopCondition"))
    text = (condition.text or "").strip() if condition is not None else ""
    return RawStandardLoop(
        line=line_of(el),
        test_before=(el.get("testBefore") or "").strip().lower() == "true",
        maximum=el.get("loopMaximum"),
        condition=RawText(text, line_of(condition), condition.get("language"))
        if condition is not None and text
        else None,
    )
