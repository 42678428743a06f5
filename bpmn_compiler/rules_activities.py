"""Check rules on activities that run other things: call activities, standard loops and
compensation (boundary events, handlers, throws)."""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition, compile_value
from bpmn_compiler.model import BpmnModel, whole_number
from bpmn_compiler.rules_flow import diag


def check_calls(model: BpmnModel) -> list[Diagnostic]:
    """A call activity names a process by id (not an expression) and a binding Shenpi knows."""
    found: list[Diagnostic] = []
    for node in model.of_kind("call_activity"):
        call = node.call
        if call is None:
            continue
        line = call.line or node.line
        if call.called is None:
            found.append(diag("call-target", "the call activity names no process to call", node))
        elif "${" in call.called.text or "#{" in call.called.text or call.called.text[0] == "=":
            found.append(
                diag(
                    "call-target",
                    f"calledElement {call.called.text!r} is an expression; name the process id"
                    " (a process chosen at run time is not supported yet)",
                    node,
                    line=line,
                )
            )
        if call.binding == "unknown":
            found.append(
                diag(
                    "call-binding",
                    f"binding {call.binding_as_written!r} is not latest, deployment, version or"
                    " versionTag",
                    node,
                    line=line,
                )
            )
        if call.binding == "version" and whole_number(call.version or "") is None:
            found.append(
                diag("call-binding", "binding version needs calledElementVersion, a number", node)
            )
        if call.binding == "version_tag" and not (call.version_tag or "").strip():
            found.append(diag("call-binding", "binding versionTag needs a versionTag", node))
        for mapping in call.inputs + call.outputs:
            if mapping.source is None:
                continue
            try:
                compile_value(mapping.source)
            except ExpressionSyntaxError as err:
                found.append(
                    diag(
                        "expression-syntax",
                        f"mapping {mapping.target!r}: {err.message}",
                        node,
                        line=mapping.source.line or node.line,
                    )
                )
    return found


def check_standard_loops(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        loop = node.standard_loop
        if loop is None:
            continue
        line = loop.line or node.line
        if loop.maximum is not None and whole_number(loop.maximum) is None:
            found.append(
                diag(
                    "loop-maximum", f"loopMaximum={loop.maximum!r} is not a count", node, line=line
                )
            )
        if loop.condition is None and loop.maximum is None:
            found.append(
                diag(
                    "loop-condition",
                    "a standard loop needs a loopCondition or a loopMaximum, or it never ends",
                    node,
                    line=line,
                )
            )
        if loop.condition is not None:
            try:
                compile_condition(loop.condition)
            except ExpressionSyntaxError as err:
                found.append(
                    diag(
                        "condition-syntax",
                        f"loopCondition: {err.message}",
                        node,
                        line=loop.condition.line or line,
                    )
                )
    return found


def check_compensation(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.event != "compensation":
            continue  # every rule below is about compensation events
        if node.kind == "boundary_event":
            handler = model.handler_of(node.id)
            if handler is None or not handler.for_compensation:
                found.append(
                    diag(
                        "compensation-handler",
                        "a compensation boundary event needs one association to an activity"
                        ' with isForCompensation="true"',
                        node,
                    )
                )
            elif handler.incoming or handler.outgoing:
                found.append(
                    diag(
                        "compensation-handler",
                        "a compensation handler has no sequence flows; it runs on its own",
                        handler,
                    )
                )
            if node.outgoing:
                found.append(
                    diag(
                        "compensation-handler",
                        "a compensation boundary event leads to its handler by an association,"
                        " not by sequence flows",
                        node,
                    )
                )
        if node.kind == "start":
            sub = model.nodes.get(node.parent or "")
            if sub is None or sub.parent is None:
                found.append(
                    diag(
                        "compensation-handler",
                        "a compensation event subprocess belongs in the subprocess it compensates"
                        " (the process itself is never compensated)",
                        node,
                    )
                )
        ref = node.code if node.kind in ("throw", "end") else None
        target = model.nodes.get(ref) if ref is not None else None
        # Thrown in an event subprocess, it compensates the scope around it (the saga pattern).
        container = model.nodes.get(node.parent or "")
        outer = container.parent if container is not None and container.triggered_by_event else None
        in_scope = target is not None and target.parent in (node.parent, outer)
        if ref is not None and not in_scope:
            found.append(
                diag(
                    "compensation-target",
                    f"activityRef {ref!r} is not an activity in the throw event's scope",
                    node,
                )
            )
    return found


def check_scripts(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for node in model.of_kind("script"):
        if node.script is None:
            continue
        try:
            compile_value(node.script)
        except ExpressionSyntaxError as err:
            found.append(
                diag(
                    "expression-syntax",
                    f"script: {err.message}",
                    node,
                    line=node.script.line or node.line,
                )
            )
    return found
