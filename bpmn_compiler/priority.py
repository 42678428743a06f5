"""``<shenpi:priority>`` on the process: a request's default priority.

Its text is a priority name (``urgent``) or an expression over the start variables
(``amount > 50000 ? "urgent" : "normal"``, ``${level == 'vip' ? 'high' : 'normal'}``, FEEL
``= ...``). ``compile_priority`` serves both the check rule (its diagnostics) and the plan (its
expression), as ``rules_notify`` does, so what is reported and what is built never disagree.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.dialects import ext_direct
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition
from bpmn_compiler.model import SHENPI_NS, BpmnModel, RawText
from bpmn_compiler.safe_xml import line_of
from shenpi_core.expressions import uses_directory
from shenpi_core.process_plan import Expression, Priority

Element = etree._Element

PRIORITIES: tuple[str, ...] = get_args(Priority)
_NAMES = ", ".join(PRIORITIES)
# A bare word is a priority name, not a variable: a variable goes in ${...}, as in attributes.
_BARE_WORD = re.compile(r"[A-Za-z_][\w-]*")


def read_priority(process: Element) -> list[RawText]:
    """Every ``extensionElements/shenpi:priority`` of the process, as written."""
    found: list[RawText] = []
    for el in ext_direct(process, SHENPI_NS, "priority"):
        found.append(RawText((el.text or "").strip(), line_of(el), el.get("language")))
    return found


def compile_priority(model: BpmnModel) -> tuple[Expression | None, list[Diagnostic]]:
    """The process's default priority and what is wrong with it."""
    found: list[Diagnostic] = []

    def problem(code: str, message: str, line: int | None) -> None:
        found.append(
            Diagnostic(
                code=code,
                message=message,
                element_id=model.process_id,
                line=line or model.process_line,
            )
        )

    if not model.priority:
        return None, found
    raw = model.priority[0]
    for extra in model.priority[1:]:
        problem("priority-duplicate", "the process has more than one shenpi:priority", extra.line)
    if not raw.text:
        problem("priority-value", f"shenpi:priority is empty (one of {_NAMES})", raw.line)
        return None, found
    if _BARE_WORD.fullmatch(raw.text):
        if raw.text not in PRIORITIES:
            problem(
                "priority-value",
                f"unknown priority {raw.text!r} (one of {_NAMES}; a variable: ${{{raw.text}}})",
                raw.line,
            )
            return None, found
        return Expression(source=raw.text, dialect="literal", ast={"lit": raw.text}), found
    try:
        expression = compile_condition(raw)
    except ExpressionSyntaxError as err:
        problem("expression-syntax", f"shenpi:priority: {err.message}", raw.line)
        return None, found
    if uses_directory(expression.ast):
        # The starter evaluates it to start the workflow at that priority: no lookups there.
        problem(
            "directory-call",
            "shenpi:priority: directory functions are not looked up for a priority; use the"
            " request's variables",
            raw.line,
        )
        return None, found
    for value in _results(expression.ast):
        if value not in PRIORITIES:
            problem(
                "priority-value",
                f"shenpi:priority can yield {value!r}, which is no priority (one of {_NAMES})",
                raw.line,
            )
    return (None if found else expression), found


def _results(ast: Any) -> list[Any]:
    """The literal values the expression can yield (through ``?:`` branches): what can be
    known before it runs. A variable or a call yields what it yields, checked when it runs."""
    if isinstance(ast, dict) and "lit" in ast:
        return [ast["lit"]]
    if isinstance(ast, dict) and (ast.get("op") == "cond" or ast.get("feel") == "if"):
        return [*_results(ast["args"][1]), *_results(ast["args"][2])]
    if isinstance(ast, dict) and ast.get("op") == "feel":  # the FEEL root
        return _results(ast["args"][0])
    return []


def check_priority(model: BpmnModel) -> list[Diagnostic]:
    return compile_priority(model)[1]


def plan_priority(model: BpmnModel) -> Expression | None:
    return compile_priority(model)[0]
