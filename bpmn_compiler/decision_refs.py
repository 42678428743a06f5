"""Business rule tasks in every dialect: which DMN decision they evaluate, which version, and how
its result becomes variables (docs/dmn.md "Business rule tasks").

- Zeebe: ``<zeebe:calledDecision decisionId resultVariable bindingType versionTag>``.
- Camunda 7: ``camunda:decisionRef``, ``camunda:decisionRefBinding`` (``latest``,
  ``deployment``, ``version`` with ``camunda:decisionRefVersion``), ``camunda:resultVariable``,
  ``camunda:mapDecisionResult`` (``resultList`` unless set).
- Flowable: ``flowable:decisionTableReferenceKey``, or the ``<flowable:field
  name="decisionTableReferenceKey">`` Flowable's modeler writes (there on a ``serviceTask
  flowable:type="dmn"``), and its ``sameDeployment`` field.

A business rule task that names no decision but a job type (``zeebe:taskDefinition``, an
external topic, a Java delegate) is a service task: a worker implements it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.dialects import ext_children
from bpmn_compiler.model import (
    ACTIVITI_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    ZEEBE_NS,
    BpmnModel,
    FlowNode,
    RawDecisionRef,
    RawText,
    whole_number,
)
from bpmn_compiler.rules_flow import diag
from bpmn_compiler.safe_xml import line_of
from shenpi_core.process_plan import DecisionResultMapping

if TYPE_CHECKING:
    from bpmn_compiler.elements import Context

Element = etree._Element
_FLOWABLE = (FLOWABLE_NS, ACTIVITI_NS)
_KEY_FIELD = "decisionTableReferenceKey"
# Zeebe's bindingType and camunda:decisionRefBinding, as the plan names them. A version tag is
# not kept by deployed DMN files yet, so a ``versionTag`` binding is refused.
_BINDINGS = {"latest": "latest", "deployment": "deployment", "version": "version"}
# camunda:mapDecisionResult → the plan's mapping.
CAMUNDA_MAPPINGS: dict[str, DecisionResultMapping] = {
    "singleEntry": "single_entry",
    "singleResult": "single_result",
    "collectEntries": "collect_entries",
    "resultList": "result_list",
}


def parse_business_rule_task(el: Element, ctx: Context) -> FlowNode:
    """``ELEMENT_PARSERS["businessRuleTask"]``: a decision to evaluate, else a job for a worker."""
    decision = read_decision(el)
    kind = "business_rule" if decision is not None else "service_task"
    node = ctx.node(el, kind, decision=decision)
    if node.kind == "service_task" and node.ext.task_type is None:
        node.kind = "business_rule"  # names neither: ``decision-target`` says what to set
    return node


def _text(value: str | None, el: Element) -> RawText | None:
    return RawText(value.strip(), line_of(el)) if value and value.strip() else None


def read_decision(el: Element) -> RawDecisionRef | None:
    """The decision ``el`` names in any dialect; None when it names none."""
    zeebe = next(iter(ext_children(el, ZEEBE_NS, "calledDecision")), None)
    if zeebe is not None:
        binding = (zeebe.get("bindingType") or "latest").strip()
        return RawDecisionRef(
            decision_id=_text(zeebe.get("decisionId"), zeebe),
            dialect="zeebe",
            line=line_of(zeebe),
            binding=_BINDINGS.get(binding, "unknown"),
            binding_as_written=binding,
            result_variable=(zeebe.get("resultVariable") or "").strip() or None,
        )
    camunda = el.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if camunda is not None:
        binding = (el.get(f"{{{CAMUNDA_NS}}}decisionRefBinding") or "latest").strip()
        return RawDecisionRef(
            decision_id=_text(camunda, el),
            dialect="camunda",
            line=line_of(el),
            binding=_BINDINGS.get(binding, "unknown"),
            binding_as_written=binding,
            version=el.get(f"{{{CAMUNDA_NS}}}decisionRefVersion"),
            map_result=el.get(f"{{{CAMUNDA_NS}}}mapDecisionResult"),
        )
    return _read_flowable(el)


def _read_flowable(el: Element) -> RawDecisionRef | None:
    for ns in _FLOWABLE:
        fields = {f.get("name"): f for f in ext_children(el, ns, "field")}
        key = el.get(f"{{{ns}}}{_KEY_FIELD}")
        where = el
        if key is None and _KEY_FIELD in fields:
            where = fields[_KEY_FIELD]
            key = _field_value(where, ns)
        if key is None:
            continue
        same = fields.get("sameDeployment")
        deployment = same is not None and (_field_value(same, ns) or "").strip() == "true"
        return RawDecisionRef(
            decision_id=_text(key, where),
            dialect="flowable",
            line=line_of(where),
            binding="deployment" if deployment else "latest",
        )
    return None


def _field_value(field: Element, ns: str) -> str | None:
    """``stringValue``, ``<flowable:string>`` or ``<flowable:expression>`` of a field."""
    if field.get("stringValue") is not None:
        return field.get("stringValue")
    for tag in ("string", "expression"):
        found = field.find(f"{{{ns}}}{tag}")
        if found is not None:
            return found.text or ""
    return None


def is_decision_task(el: Element) -> bool:
    """A ``serviceTask flowable:type="dmn"``: Flowable's way of drawing a business rule task."""
    return any(el.get(f"{{{ns}}}type") == "dmn" for ns in _FLOWABLE)


def check_decisions(model: BpmnModel) -> list[Diagnostic]:
    """A business rule task names a decision by id and a binding Shenpi knows."""
    found: list[Diagnostic] = []
    for node in model.of_kind("business_rule"):
        found += _check(node, node.decision)
    return found


def _check(node: FlowNode, ref: RawDecisionRef | None) -> list[Diagnostic]:
    if ref is None or ref.decision_id is None:
        return [
            diag(
                "decision-target",
                "the business rule task names no decision: set zeebe:calledDecision decisionId,"
                " camunda:decisionRef or flowable:decisionTableReferenceKey (or a job type, for"
                " a worker to implement it)",
                node,
                line=ref.line if ref is not None else node.line,
            )
        ]
    found: list[Diagnostic] = []
    text = ref.decision_id.text
    if "${" in text or "#{" in text or text.startswith("="):
        found.append(
            diag(
                "decision-target",
                f"decision {text!r} is an expression; name the decision id (a decision chosen at"
                " run time is not supported yet)",
                node,
                line=ref.line,
            )
        )
    if ref.binding == "unknown":
        found.append(
            diag(
                "decision-binding",
                f"binding {ref.binding_as_written!r} is not supported (latest, deployment,"
                " version; a versionTag binding is not, as deployed DMN files keep no tag)",
                node,
                line=ref.line,
            )
        )
    if ref.binding == "version" and whole_number(ref.version or "") is None:
        found.append(
            diag("decision-binding", "binding version needs decisionRefVersion, a number", node)
        )
    if ref.map_result is not None and ref.map_result not in CAMUNDA_MAPPINGS:
        found.append(
            diag(
                "decision-result",
                f"mapDecisionResult {ref.map_result!r} is not one of {', '.join(CAMUNDA_MAPPINGS)}",
                node,
                line=ref.line,
            )
        )
    return found


def planned_decision(node: FlowNode) -> dict[str, object]:
    """The ``BusinessRuleTask`` fields of a checked node's decision reference."""
    ref = node.decision
    assert ref is not None and ref.decision_id is not None  # check_decisions refused it
    match ref.dialect:
        case "zeebe":
            mapping: DecisionResultMapping = "value"
        case "camunda":
            mapping = CAMUNDA_MAPPINGS[ref.map_result or "resultList"]
        case "flowable":
            mapping = "flowable"
    version = whole_number(ref.version) if ref.binding == "version" and ref.version else None
    return {
        "decision_id": ref.decision_id.text,
        "binding": ref.binding,
        "version": version,
        "result_variable": ref.result_variable or node.ext.result_variable,
        "mapping": mapping,
    }
