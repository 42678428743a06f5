"""``<shenpi:ai>`` and ``shenpi:humanRequired``: where they may sit and what they may say.

``compile_ai`` serves both the check rule (its diagnostics) and the plan (its ``AiSpec``), so what
is reported and what is built never disagree, as ``approvals.compile_approval`` does for approvals.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Literal

from bpmn_compiler.ai_spec import AiReader
from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.model import BpmnModel, FlowNode
from bpmn_compiler.rules_flow import diag
from bpmn_compiler.timers import TimerSyntaxError, duration_seconds
from shenpi_core.process_plan import AiSpec

AI_TASK_TYPE = "ai-review"
# The AI's principal is "ai:<model>" (shenpi_core.contracts.AI_PRINCIPAL_PREFIX, repeated here:
# the compiler does not import workflow code).
AI_PRINCIPAL_PREFIX = "ai:"
Place = Literal["user_task", "service_task", "exclusive"]
# The mode an element gets when <shenpi:ai> leaves it out. A service task does not use the mode
# (its result lands in variables), but it must still be a valid one.
DEFAULT_MODES: dict[Place, str] = {
    "user_task": "advise",
    "service_task": "decide",
    "exclusive": "route",
}
_WHERE = 'user tasks, ai-review service tasks (shenpi:type="ai-review") and exclusive gateways'


def _place(node: FlowNode) -> Place | None:
    if node.kind == "user_task" or node.kind == "exclusive":
        return node.kind
    if node.kind == "service_task" and node.ext.task_type == AI_TASK_TYPE:
        return "service_task"
    return None


def _a(tag: str) -> str:
    return ("an " if tag[0] in "aeiou" else "a ") + tag


def human_required(node: FlowNode) -> bool:
    raw = node.human_required
    return node.kind == "user_task" and raw is not None and raw.text.lower() == "true"


def _misplaced(node: FlowNode) -> list[Diagnostic]:
    if node.kind == "unsupported":
        return []  # the element is already reported
    if node.kind == "service_task":
        task_type = node.ext.task_type or ("notify" if node.tag == "sendTask" else None)
        if task_type is None:
            return []  # missing-task-type or unsupported-implementation says it
        what = f"{_a(node.tag)} of type {task_type!r}"
    else:
        what = _a(node.tag)
    return [
        diag(
            "ai-placement",
            f"shenpi:ai on {what} is not read (only on {_WHERE})",
            node,
            line=node.ai[0].line,
        )
    ]


def _mode_fits(node: FlowNode, place: Place, reader: AiReader) -> None:
    mode = reader.spec.get("mode")
    if mode == "route" and place != "exclusive":
        reader.problem(
            'mode="route" picks a flow, so it applies to exclusive gateways only; on a task'
            ' write "advise" or "decide"',
            None,
        )
    elif mode in ("advise", "decide", "shadow") and place == "exclusive":
        reader.problem(
            f'mode="{mode}" applies to tasks; on an exclusive gateway the AI routes'
            ' (write mode="route" or leave mode out)',
            None,
        )


def _separation_of_duties(node: FlowNode, reader: AiReader) -> None:
    if not human_required(node):
        return
    if reader.spec.get("mode") == "decide":
        reader.problem(
            'mode="decide" lets the AI complete this task, but shenpi:humanRequired="true" says'
            ' only people may; write mode="advise"',
            None,
            "ai-human-required",
        )
    fallback = reader.spec.get("fallback")
    if fallback in ("approve", "reject"):
        reader.problem(
            f'fallback="{fallback}" would complete this task without a person, but'
            ' shenpi:humanRequired="true" says only people may; write fallback="manual"',
            None,
            "ai-human-required",
        )


def _route(node: FlowNode, model: BpmnModel, reader: AiReader) -> None:
    fallback = reader.spec.get("fallback")
    if fallback in ("approve", "reject"):
        reader.problem(
            f'fallback="{fallback}" does not apply to a route: when the AI cannot pick a flow,'
            " the gateway's conditions decide (leave fallback out)",
            None,
            "ai-route",
        )
    if len(node.outgoing) < 2:
        reader.problem(
            f"an AI route needs two or more outgoing flows to choose from; {node.id!r} has"
            f" {len(node.outgoing)}",
            None,
            "ai-route",
        )
        return
    for flow_id in node.outgoing:
        flow = model.flows[flow_id]
        if (flow.name or "").strip() or flow.documentation:
            continue
        reader.found.append(
            diag(
                "ai-route",
                f"sequence flow {flow.id!r} leaves AI-routed gateway {node.id!r} with neither a"
                " name nor documentation, so the model cannot tell it apart",
                element_id=flow.id,
                line=flow.line,
            )
        )


def _task_settings(node: FlowNode, spec: dict[str, object]) -> None:
    """An ai-review task's own timeout and retries count for the AI call unless shenpi:ai says."""
    ext = node.ext
    if "timeout_seconds" not in spec and ext.timeout is not None:
        with suppress(TimerSyntaxError):  # check_tasks reports it
            spec["timeout_seconds"] = duration_seconds(ext.timeout.text)
    if "max_attempts" not in spec and ext.max_attempts:  # 0 (unlimited) would never fall back
        spec["max_attempts"] = ext.max_attempts


def _ai_actors(node: FlowNode) -> list[str]:
    """``ai:`` principals named literally among the task's assignee, candidates and approvers."""
    ext = node.ext
    written = [ext.assignee, ext.candidate_users]
    written += [a.attributes.get("approvers") for a in node.approvals]
    return [
        part
        for raw in written
        if raw is not None and not raw.text.startswith("=") and "{" not in raw.text
        for part in (p.strip() for p in raw.text.split(","))
        if part.startswith(AI_PRINCIPAL_PREFIX)
    ]


def compile_ai(node: FlowNode, model: BpmnModel) -> tuple[AiSpec | None, list[Diagnostic]]:
    """The node's AI spec (None without one) and every problem found on the way."""
    place = _place(node)
    if not node.ai:
        if place != "service_task":
            return None, []
        spec: dict[str, object] = {"mode": DEFAULT_MODES[place]}
        _task_settings(node, spec)
        return AiSpec.model_validate(spec), []
    if place is None:
        return None, _misplaced(node)
    routes = tuple(node.outgoing) if place == "exclusive" else None
    reader = AiReader(node, node.ai[0], routes)
    for extra in node.ai[1:]:
        reader.problem(
            "an element takes one shenpi:ai; this one is extra", extra.line, "ai-placement"
        )
    reader.read()
    if "mode" not in node.ai[0].attributes:
        reader.spec["mode"] = DEFAULT_MODES[place]
    _mode_fits(node, place, reader)
    _separation_of_duties(node, reader)
    if place == "user_task" and not human_required(node):  # else ai-human-required says it
        reader.advise_fallback()
    if place == "exclusive" and reader.spec.get("mode") == "route":
        _route(node, model, reader)
    if any(d.severity == "error" for d in reader.found):
        return None, reader.found
    if place == "service_task":
        _task_settings(node, reader.spec)
    return AiSpec.model_validate(reader.spec), reader.found


def check_ai(model: BpmnModel) -> list[Diagnostic]:
    """Rule: every ``<shenpi:ai>`` compiles; ``shenpi:humanRequired`` is a user task's boolean."""
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        raw = node.human_required
        if raw is None and not node.ai:
            continue  # nothing below says anything of a node without either
        if raw is not None and node.kind not in ("user_task", "unsupported"):
            found.append(
                diag(
                    "ai-placement",
                    f"shenpi:humanRequired on {_a(node.tag)} is not read (only on user tasks)",
                    node,
                )
            )
        elif human_required(node) and _ai_actors(node):
            found.append(
                diag(
                    "ai-human-required",
                    f"{', '.join(_ai_actors(node))} may not decide this task:"
                    ' shenpi:humanRequired="true" says only people may',
                    node,
                )
            )
        elif raw is not None and raw.text.lower() not in ("true", "false"):
            found.append(
                diag(
                    "ai-attribute",
                    f'shenpi:humanRequired={raw.text!r} is not "true" or "false"',
                    node,
                    line=raw.line or node.line,
                )
            )
        found += compile_ai(node, model)[1]
    return found
