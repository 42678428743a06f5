"""Read what a user task's decision may write: its form's fields and ``<shenpi:variable>``s.

A decision's ``variables`` are merged into the instance, so an approver who could send any name
could rewrite routing (``amount``) or the engine's own variables (``initiator``). A task therefore
accepts only the variables it declares (docs/approvals.md "What a decision may write"):

- Camunda 7 generated forms ``<camunda:formData><camunda:formField id type>``;
- Flowable / Activiti ``<flowable:formProperty id type writable>``;
- Camunda 8 forms embedded in the file (``<zeebe:userTaskForm>`` JSON that the task's
  ``zeebe:formDefinition formKey="camunda-forms:bpmn:<id>"`` names): every component ``key``;
- ``<shenpi:variable name type/>`` in the task's ``extensionElements``;
- the names its output mappings read (added at plan time, ``bpmn_compiler.writable``).

A form the file only links to (``camunda:formKey``, ``zeebe:formDefinition formId``) is noted, so
the compiler can say its fields are unknown here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml import etree

from bpmn_compiler.dialects import ext_children
from bpmn_compiler.memo import extension_index, vendor_attributes
from bpmn_compiler.model import (
    ACTIVITI_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    SHENPI_NS,
    ZEEBE_NS,
    RawVariable,
)
from bpmn_compiler.safe_xml import line_of

Element = etree._Element

VARIABLE_TYPES = ("any", "string", "number", "boolean", "date", "list", "object")
# Form field types of Camunda 7 and Flowable, and form-js component types, as JSON value types.
_FIELD_TYPES = {
    "string": "string",
    "enum": "string",
    "long": "number",
    "double": "number",
    "integer": "number",
    "boolean": "boolean",
    "date": "date",
}
_COMPONENT_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "datetime": "string",
    "number": "number",
    "checkbox": "boolean",
    "checklist": "list",
    "taglist": "list",
    "dynamiclist": "list",
}
EMBEDDED_FORM_PREFIX = "camunda-forms:bpmn:"
_CAMUNDA_FIELD = f"{{{CAMUNDA_NS}}}formField"
_FLOWABLE_PROPERTIES = (f"{{{FLOWABLE_NS}}}formProperty", f"{{{ACTIVITI_NS}}}formProperty")
_SHENPI_VARIABLE = f"{{{SHENPI_NS}}}variable"
ZEEBE_FORM_DEFINITION = f"{{{ZEEBE_NS}}}formDefinition"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def read_variables(el: Element) -> tuple[list[RawVariable], str | None]:
    """The variables ``el`` (a user task) declares, and the key of a form it only links to."""
    index = extension_index(el)
    found: list[RawVariable] = []
    for field in index.get(_CAMUNDA_FIELD, ()):
        if "readonly" not in camunda_constraints(field):  # shown, never written by a decision
            found.append(_field(field, field.get("id"), field.get("type"), "camunda-form"))
    for tag in _FLOWABLE_PROPERTIES:
        for prop in index.get(tag, ()):
            if (prop.get("writable") or "true").strip().lower() != "false":
                found.append(_field(prop, prop.get("id"), prop.get("type"), "flowable-form"))
    for declared in index.get(_SHENPI_VARIABLE, ()):
        name, kind = declared.get("name"), (declared.get("type") or "any").strip()
        found.append(RawVariable(name or "", kind, "shenpi", line_of(declared)))
    link = _camunda_link(el)
    for definition in index.get(ZEEBE_FORM_DEFINITION, ()):
        key = (definition.get("formKey") or "").strip()
        form = embedded_form(el, key) if key.startswith(EMBEDDED_FORM_PREFIX) else None
        if form is not None:
            found.extend(schema_variables(form_schema(form), line_of(form)))
        else:
            link = link or key or (definition.get("formId") or "").strip() or None
    return found, link


def camunda_constraints(field: Element) -> set[str]:
    """The names of a ``camunda:formField``'s validation constraints (``required``,
    ``readonly``, ``minlength`` …), lower-cased."""
    return {
        (c.get("name") or "").strip().lower() for c in field.iter(f"{{{CAMUNDA_NS}}}constraint")
    }


def _field(el: Element, name: str | None, kind: str | None, source: str) -> RawVariable:
    typed = _FIELD_TYPES.get((kind or "").strip().lower(), "any")
    return RawVariable((name or "").strip(), typed, source, line_of(el))


# formKey, then formRef, each in the dialects' order.
_LINK_KEYS = tuple(
    _q(ns, attr) for attr in ("formKey", "formRef") for ns in (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
)


def _camunda_link(el: Element) -> str | None:
    attrs = vendor_attributes(el)
    for key in _LINK_KEYS:
        value = (attrs.get(key) or "").strip()
        if value:
            return value
    return None


def embedded_form(task: Element, key: str) -> Element | None:
    """The ``<zeebe:userTaskForm>`` a ``camunda-forms:bpmn:<id>`` key names, found in the
    extension elements of the task's process (or subprocess) or any ancestor."""
    form_id = key[len(EMBEDDED_FORM_PREFIX) :]
    scope = task.getparent()
    while scope is not None:
        for form in ext_children(scope, ZEEBE_NS, "userTaskForm"):
            if form.get("id") == form_id:
                return form
        scope = scope.getparent()
    return None


def form_schema(form: Element) -> dict[str, Any] | None:
    """The JSON object an embedded form holds; None when it is not one."""
    try:
        schema = json.loads(form.text or "")
    except (ValueError, RecursionError):  # RecursionError: nesting past the json module's
        return None
    return schema if isinstance(schema, dict) else None


def schema_variables(schema: Any, line: int | None) -> list[RawVariable]:
    """What a Camunda Form (embedded, or deployed and linked) lets a decision write."""
    return [RawVariable(key, kind, "zeebe-form", line) for key, kind in _components(schema)]


def _components(schema: Any) -> Iterator[tuple[str, str]]:
    """(name, type) of every variable the form writes, without recursion (a form is data from
    the file: its depth is not ours to trust). A key ``a.b`` and a group with ``path`` write the
    object ``a``; a dynamic list writes a list."""
    stack = [schema]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type", ""))
        key, path = item.get("key"), item.get("path")
        if kind in ("group", "dynamiclist") and isinstance(path, str) and path.strip():
            yield path.strip().split(".")[0], "list" if kind == "dynamiclist" else "object"
            continue
        if isinstance(key, str) and key.strip():
            name, _, rest = key.strip().partition(".")
            yield name, "object" if rest else _COMPONENT_TYPES.get(kind, "any")
        children = item.get("components")
        if isinstance(children, list):
            stack.extend(reversed(children))
