"""What a requester fills in to start a process: its Camunda Form, else fields from its variables.

A process may embed a Camunda Form (Camunda Modeler 8 writes it as ``<zeebe:userTaskForm>`` in the
process's extension elements, referenced from the start event's ``<zeebe:formDefinition
formKey="camunda-forms:bpmn:<id>">``); the console renders it with form-js. Otherwise the fields are
the variables the process declares in its documentation (``Variables: amount (number), receipt (an
uploaded document).``, the convention of ``processes/``) followed by the variables its expressions
read that the requester can supply (not the initiator variable, not what a step writes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel, Field

from bpmn_compiler import safe_xml
from shenpi_core.process_plan import ProcessPlan

FieldType = Literal["text", "number", "user", "document", "boolean"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_FORM_KEY_PREFIX = "camunda-forms:bpmn:"
_DECLARED = re.compile(r"Variables:\s*(.+?)(?:\.\s|\.$|$)", re.DOTALL)
_ONE_DECLARED = re.compile(r"([A-Za-z_][\w]*)\s*(?:\(([^)]*)\))?")
_ARITHMETIC = {"lt", "le", "gt", "ge", "add", "sub", "mul", "div", "mod", "neg", "pow", "between"}
# Written by the engine or by decisions (workflows/decisions.py), never asked of the requester.
_ENGINE_VARIABLES = {"initiator", "outcome", "comment", "decision", "approved"}


class StartField(BaseModel):
    name: str
    type: FieldType = "text"
    label: str | None = None  # the declaration's words, e.g. "user id"
    required: bool = False


class StartFormPublic(BaseModel):
    process_id: str
    version: int
    form: dict[str, Any] | None = Field(
        default=None, description="A Camunda Form (form-js schema) when the process embeds one."
    )
    fields: list[StartField] = Field(default_factory=list)
    # The id of a deployed Camunda Form the start event links to (``zeebe:formDefinition
    # formId``), filled in by the route from the forms deployed (docs/api.md "Forms").
    linked_form_id: str | None = Field(default=None, exclude=True)


def start_form(plan: ProcessPlan, version: int, xml: bytes) -> StartFormPublic:
    """The start form of one deployed version."""
    root = safe_xml.load(xml)
    process = _process(root, plan.process_id)
    form = _embedded_form(process, plan.start_node) if process is not None else None
    declared = _declared(process) if process is not None else []
    names = {f.name for f in declared}
    read = [f for f in _read_by_expressions(plan) if f.name not in names]
    linked = _linked_form_id(process, plan.start_node) if process is not None else None
    return StartFormPublic(
        process_id=plan.process_id,
        version=version,
        form=form,
        fields=declared + read,
        linked_form_id=linked if form is None else None,
    )


def _linked_form_id(process: etree._Element, start_node: str) -> str | None:
    start = next((e for e in process if e.get("id") == start_node), None)
    definition = (
        next(start.iter(f"{{{ZEEBE_NS}}}formDefinition"), None) if start is not None else None
    )
    form_id = (definition.get("formId") or "").strip() if definition is not None else ""
    return form_id or None


def _process(root: etree._Element, process_id: str) -> etree._Element | None:
    for el in root.iter(f"{{{BPMN_NS}}}process"):
        if el.get("id") == process_id:
            return el
    return None


def _embedded_form(process: etree._Element, start_node: str) -> dict[str, Any] | None:
    start = next((e for e in process if e.get("id") == start_node), None)
    if start is None:
        return None
    definition = next(start.iter(f"{{{ZEEBE_NS}}}formDefinition"), None)
    key = definition.get("formKey", "") if definition is not None else ""
    if not key.startswith(_FORM_KEY_PREFIX):
        return None
    form_id = key.removeprefix(_FORM_KEY_PREFIX)
    for el in process.iter(f"{{{ZEEBE_NS}}}userTaskForm"):
        if el.get("id") == form_id and el.text:
            try:
                parsed = json.loads(el.text)
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None


def _declared(process: etree._Element) -> list[StartField]:
    doc = process.find(f"{{{BPMN_NS}}}documentation")
    match = _DECLARED.search(doc.text or "") if doc is not None else None
    if match is None:
        return []
    fields = []
    for part in match.group(1).split(","):
        one = _ONE_DECLARED.match(part.strip())
        if one:
            words = (one.group(2) or "").strip()
            fields.append(StartField(name=one.group(1), type=_type_of(words), label=words or None))
    return fields


def _type_of(words: str) -> FieldType:
    lowered = words.lower()
    for hint, kind in (
        ("document", "document"),
        ("number", "number"),
        ("amount", "number"),
        ("user", "user"),
        ("bool", "boolean"),
    ):
        if hint in lowered:
            return kind  # type: ignore[return-value]
    return "text"


def _read_by_expressions(plan: ProcessPlan) -> list[StartField]:
    dumped = plan.model_dump(mode="json")
    written = set(_strings_under(dumped, ("target", "result_variable", "element_variable")))
    for node in plan.nodes:
        if node.kind == "start" and node.initiator_variable:
            written.add(node.initiator_variable)
    found: dict[str, FieldType] = {}
    for name, numeric in _variables(dumped, numeric=False):
        if name in written or name in _ENGINE_VARIABLES:
            continue
        if numeric or name not in found:
            found[name] = "number" if numeric else found.get(name, "text")
    return [StartField(name=n, type=t, required=True) for n, t in found.items()]


def _strings_under(node: Any, keys: tuple[str, ...]) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str):
                yield value
            else:
                yield from _strings_under(value, keys)
    elif isinstance(node, list):
        for item in node:
            yield from _strings_under(item, keys)


def _variables(
    node: Any, *, numeric: bool, bound: frozenset[str] = frozenset()
) -> Iterator[tuple[str, bool]]:
    """``(name, used in arithmetic or an ordering)`` for every variable path in expression ASTs."""
    if isinstance(node, dict):
        var = node.get("var")
        if isinstance(var, list) and var and isinstance(var[0], str):
            yield var[0], numeric
            return
        if "feel" in node:
            yield from _feel_variables(node, numeric=numeric, bound=bound)
            return
        op = node.get("op")
        inner = numeric or (isinstance(op, str) and op in _ARITHMETIC)
        for key, value in node.items():
            yield from _variables(value, numeric=inner if key == "args" else False)
    elif isinstance(node, list):
        for item in node:
            yield from _variables(item, numeric=numeric, bound=bound)


def _feel_variables(
    node: dict[str, Any], *, numeric: bool, bound: frozenset[str]
) -> Iterator[tuple[str, bool]]:
    """FEEL's names (``shenpi_core.feel_parser``), less those an iteration, a context or a
    filter binds."""
    kind, args = node.get("feel"), node.get("args", [])
    if kind == "name":
        name = str(node.get("v"))
        if name not in bound and name != "?":
            yield name.split(".")[0], numeric
        return
    inner = numeric or kind in _ARITHMETIC
    if kind in ("for", "some", "every"):
        yield from _variables(args[:-1], numeric=False, bound=bound)
        binders = bound | frozenset(str(v) for v in node.get("vars", []))
        yield from _variables(args[-1:], numeric=inner, bound=binders)
    elif kind == "filter":  # the condition names the items' fields
        yield from _variables(args[:1], numeric=False, bound=bound)
    elif kind == "context":
        keys = frozenset(str(k) for k in node.get("keys", []))
        yield from _variables(args, numeric=False, bound=bound | keys)
    else:
        yield from _variables(args, numeric=inner, bound=bound)
