"""A BPMN multi-instance user task as an approval step: the ``ApprovalSpec`` fields it sets.

Parallel → ``all``, ``isSequential`` → ``sequential``; the collection becomes the approvers, the
element variable is bound per approver by the interpreter, and the completion condition is checked
after each decision. ``approvals`` lays a ``<shenpi:approval>`` on top, which wins for what it says.
"""

from __future__ import annotations

from typing import Any

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition
from bpmn_compiler.model import FlowNode, RawMultiInstance
from bpmn_compiler.rules_flow import diag

# Camunda 8 names the counters numberOf...; the interpreter binds Camunda 7's nrOf... names.
_ZEEBE_COUNTERS = {
    "numberOfInstances": "nrOfInstances",
    "numberOfActiveInstances": "nrOfActiveInstances",
    "numberOfCompletedInstances": "nrOfCompletedInstances",
}


def multi_instance_spec(
    node: FlowNode, loop: RawMultiInstance
) -> tuple[dict[str, object], list[Diagnostic]]:
    """The spec fields of the loop, and its problems (with the element id and line)."""
    spec: dict[str, object] = {
        "mode": "sequential" if loop.sequential else "all",
        "source": "multi_instance",
    }
    found: list[Diagnostic] = []
    if loop.collection is None:
        alone = "; loopCardinality alone is unsupported" if loop.cardinality else ""
        message = (
            "a multi-instance user task needs a collection of approvers (camunda:collection,"
            f" flowable:collection or zeebe:loopCharacteristics inputCollection){alone}"
        )
        found.append(diag("unsupported-loop", message, node, line=loop.line or node.line))
    else:
        try:
            spec["approvers"] = compile_condition(loop.collection)
        except ExpressionSyntaxError as err:
            message = f"multi-instance collection: {err.message}"
            found.append(diag("expression-syntax", message, node, line=loop.collection.line))
    if loop.completion_condition is not None:
        try:
            done = compile_condition(loop.completion_condition)
        except ExpressionSyntaxError as err:
            message = f"completion condition: {err.message}"
            line = loop.completion_condition.line
            found.append(diag("condition-syntax", message, node, line=line))
        else:
            ast = renamed_counters(done.ast)
            spec["completion_condition"] = done.model_copy(update={"ast": ast})
    if loop.element_variable:
        spec["element_variable"] = loop.element_variable
    if loop.output_collection:
        message = (
            "the multi-instance outputCollection is ignored: each approver's decision is"
            " recorded on its task and in the timeline"
        )
        found.append(diag("ignored-mapping", message, node, line=loop.line, severity="warning"))
    return spec, found


def renamed_counters(ast: Any) -> Any:
    """The AST with zeebe's counter variables under the names the interpreter binds."""
    if not isinstance(ast, dict):
        return ast
    if "var" in ast:
        head, *rest = ast["var"]
        return {"var": [_ZEEBE_COUNTERS.get(head, head), *rest]}
    if ast.get("feel") == "name":
        return {**ast, "v": _ZEEBE_COUNTERS.get(ast["v"], ast["v"])}
    if "args" in ast:
        return {**ast, "args": [renamed_counters(a) for a in ast["args"]]}
    return ast
