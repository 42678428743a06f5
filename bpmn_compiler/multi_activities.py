"""Multi-instance service, send, receive, business rule and script tasks, subprocesses, call
activities (and plain or manual tasks, which only pass).

A multi-instance user task is an approval step (``multi_instance``); on these activities the
loop runs the activity once per element of its collection, or ``loopCardinality`` times
(docs/interpreter.md "Multi-instance"). ``check_multi_activities`` reports what cannot run and
``planned_multi`` builds the ``MultiInstance`` of a checked node, from the same reading.
"""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition
from bpmn_compiler.memo import once
from bpmn_compiler.model import BpmnModel, FlowNode, RawMultiInstance, RawText, whole_number
from bpmn_compiler.multi_instance import renamed_counters
from bpmn_compiler.rules_flow import diag
from bpmn_compiler.validated import validated
from shenpi_core.process_plan import MULTI_IN_FLIGHT, Expression, MultiInstance

# The node kinds whose multi-instance runs the activity itself (a user task's is a step).
# "pass" and "script" are cheap: a Camunda service task that calls no bean plans as a pass.
# "catch" is a receive task's kind (an intermediate catch event has no loop in BPMN's schema):
# each instance subscribes with the correlation key its element gives.
MULTI_KINDS = (
    "service_task", "subprocess", "call_activity", "business_rule", "pass", "script", "catch"
)  # fmt: skip


def check_multi_activities(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        loop = node.multi_instance
        if loop is None or node.kind not in MULTI_KINDS:
            continue
        found.extend(_read_once(node, loop)[1])
    return found


def planned_multi(node: FlowNode) -> MultiInstance | None:
    """The plan's ``MultiInstance`` of a checked node (None: it has no multi-instance)."""
    if node.multi_instance is None or node.kind not in MULTI_KINDS:
        return None
    return _read_once(node, node.multi_instance)[0]


def _read_once(node: FlowNode, loop: RawMultiInstance) -> tuple[MultiInstance, list[Diagnostic]]:
    """``_read``, once per compile: the check and the plan both read each multi-instance (the
    model keeps the node alive for the whole compile, so its id names it)."""
    return once("multi-instance", id(node), lambda: _read(node, loop), ExpressionSyntaxError)


def _read(node: FlowNode, loop: RawMultiInstance) -> tuple[MultiInstance, list[Diagnostic]]:
    found: list[Diagnostic] = []
    line = loop.line or node.line

    def expression(raw: RawText | None, what: str) -> Expression | None:
        if raw is None:
            return None
        try:
            compiled = compile_condition(raw)
        except ExpressionSyntaxError as err:
            found.append(diag("expression-syntax", f"{what}: {err.message}", node, line=raw.line))
            return None
        # As ``model_copy(update=...)`` would, without its Python copy: every field is given.
        ast = renamed_counters(compiled.ast)
        return validated(
            Expression, {"source": compiled.source, "dialect": compiled.dialect, "ast": ast}
        )

    if node.triggered_by_event:
        found.append(diag("unsupported-loop", "an event subprocess cannot be multi-instance", node))
    if node.kind == "catch" and node.tag != "receiveTask":
        message = f"multiInstanceLoopCharacteristics on an {node.tag} is unsupported"
        found.append(diag("unsupported-loop", message, node))
    if loop.collection is None and loop.cardinality is None:
        message = (
            "a multi-instance activity needs a collection (camunda:collection, flowable:collection,"
            " zeebe:loopCharacteristics inputCollection) or a loopCardinality"
        )
        found.append(diag("multi-instance", message, node, line=line))
    if loop.output_collection is not None and loop.output_element is None:
        message = "outputCollection needs an outputElement: what each instance adds to it"
        found.append(diag("multi-instance", message, node, line=line))
    in_flight = MULTI_IN_FLIGHT
    if loop.max_in_flight is not None:
        given = whole_number(loop.max_in_flight.text)
        if given is None or given < 1:
            message = f"shenpi:maxInFlight={loop.max_in_flight.text!r} is not a count above 0"
            found.append(diag("multi-instance", message, node, line=line))
        else:
            in_flight = given
    spec = MultiInstance(
        sequential=loop.sequential,
        collection=expression(loop.collection, "multi-instance collection"),
        cardinality=(
            expression(loop.cardinality, "loopCardinality") if loop.collection is None else None
        ),
        element_variable=loop.element_variable,
        output_collection=loop.output_collection,
        output_element=expression(loop.output_element, "outputElement"),
        completion_condition=expression(loop.completion_condition, "completion condition"),
        counter_base=1 if loop.zeebe else 0,
        max_in_flight=in_flight,
    )
    return spec, found
