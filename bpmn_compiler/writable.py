"""What a decision on a user task may write (docs/approvals.md "What a decision may write").

``check_variables`` is a check rule (bad ``<shenpi:variable>``s, declarations the engine owns, a
form whose fields this file does not hold); ``declared_variables`` builds the plan's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.forms import VARIABLE_TYPES
from bpmn_compiler.memo import once
from bpmn_compiler.model import BpmnModel, FlowNode
from bpmn_compiler.rules_flow import diag
from shenpi_core.process_plan import DeclaredVariable, ParameterMapping, is_engine_variable

FLOWABLE_INITIATOR = "$INITIATOR"  # Flowable's "the user who started the process"
DEFAULT_INITIATOR_VARIABLE = "initiator"
# Compiled on first use (``re`` caches it): the class of 65,000 characters takes milliseconds,
# paid only by files that declare a <shenpi:variable>.
_NAME = r"[A-Za-z_\u0080-\uffff][\w\u0080-\uffff-]{0,127}"


def engine_owned(model: BpmnModel, initiator: str | None) -> frozenset[str]:
    """Names the engine writes in this process: its own, the initiator variable, and what
    service and business rule tasks store (result variables, output mapping targets)."""
    owned = {initiator} if initiator else set()
    for node in model.of_kind("service_task", "business_rule"):
        owned.update(m.target for m in node.ext.outputs)
        if node.ext.result_variable:
            owned.add(node.ext.result_variable)
    return frozenset(owned)


def initiator_and_owned(model: BpmnModel) -> tuple[str | None, frozenset[str]]:
    """``initiator_variable`` and the ``engine_owned`` names that follow from it, worked out
    once per compile: ``check_variables`` and the plan both read them, and each walks the
    process's nodes."""

    def build() -> tuple[str | None, frozenset[str]]:
        initiator = initiator_variable(model)
        return initiator, engine_owned(model, initiator)

    return once("initiator", id(model), build, ValueError)


def check_variables(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    owned = initiator_and_owned(model)[1]
    for node in model.of_kind("user_task"):
        for var in node.ext.variables:
            line = var.line or node.line
            if var.source == "shenpi" and not re.fullmatch(_NAME, var.name):
                found.append(
                    diag(
                        "variable-name",
                        f"<shenpi:variable> name {var.name!r} is not a variable name",
                        node,
                        line=line,
                    )
                )
            elif var.source == "shenpi" and var.type not in VARIABLE_TYPES:
                found.append(
                    diag(
                        "variable-type",
                        f"<shenpi:variable name={var.name!r}> type {var.type!r} is not one of "
                        + ", ".join(VARIABLE_TYPES),
                        node,
                        line=line,
                    )
                )
            elif is_engine_variable(var.name) or var.name in owned:
                found.append(
                    diag(
                        "variable-reserved",
                        f"{var.name!r} is set by the engine, so a decision on this task may not "
                        "write it; the declaration is ignored",
                        node,
                        line=line,
                        severity="warning",
                    )
                )
        if node.ext.form_link and not node.ext.variables:
            found.append(
                diag(
                    "form-fields-unknown",
                    f"the form {node.ext.form_link!r} is not in this file, so its fields are "
                    "unknown: decisions on this task may write only what <shenpi:variable> and "
                    "its output mappings declare",
                    node,
                    severity="warning",
                )
            )
    return found


def declared_variables(
    node: FlowNode, outputs: tuple[ParameterMapping, ...], owned: frozenset[str]
) -> tuple[DeclaredVariable, ...]:
    """The plan's list: declarations in document order (the first type of a name wins), then
    the names the output mappings read, minus what the engine owns."""
    chosen: dict[str, DeclaredVariable] = {}
    for var in node.ext.variables:
        if var.name and var.name not in chosen and var.type in VARIABLE_TYPES:
            chosen[var.name] = DeclaredVariable(name=var.name, type=var.type)
    for mapping in outputs:
        for name in _names(mapping.source.ast):
            chosen.setdefault(name, DeclaredVariable(name=name))
    return tuple(
        v for v in chosen.values() if not is_engine_variable(v.name) and v.name not in owned
    )


def _names(ast: Any) -> Iterator[str]:
    """The variables an expression reads (the first segment of each path), without recursion."""
    stack = [ast]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "var" in item and isinstance(item["var"], list) and item["var"]:
                yield str(item["var"][0])
            elif item.get("feel") == "name" and item.get("v") != "?":
                yield str(item["v"]).split(".")[0]  # FEEL (shenpi_core.feel_parser)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def initiator_variable(model: BpmnModel) -> str | None:
    """The variable the start event names for the initiator (Camunda/Flowable ``initiator``)."""
    start = model.none_start_of(None)
    if start is None:  # check_start reports it
        return None
    if start.ext.initiator_variable:
        return start.ext.initiator_variable
    for n in model.nodes.values():
        if n.ext.assignee is not None and n.ext.assignee.text == FLOWABLE_INITIATOR:
            return DEFAULT_INITIATOR_VARIABLE
    return None
