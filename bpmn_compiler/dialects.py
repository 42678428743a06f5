"""Read vendor extensions (camunda:, zeebe:, flowable:, activiti:, shenpi:) into ``Extensions``.

Files drawn in Camunda Modeler 7/8, Flowable or bpmn.io run unchanged where their constructs are
supported (docs/architecture.md §4). Where several dialects say the same thing, ``shenpi:`` wins,
then the vendor that drew the file. Unknown extension elements are ignored; behaviour we cannot
run (Java delegates, scripts, listeners) is reported, never silently dropped without a word.
"""

from __future__ import annotations

import re
from typing import Literal

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.memo import (
    EXTENSION_ELEMENTS,
    extension_index,
    vendor_attributes,
)
from bpmn_compiler.model import (
    ACTIVITI_NS,
    BPMN_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    SHENPI_NS,
    ZEEBE_NS,
    Extensions,
    RawListener,
    RawMapping,
    RawText,
    whole_number,
)
from bpmn_compiler.safe_xml import line_of

Element = etree._Element

# Most specific first: the first dialect that sets an attribute wins.
_ASSIGNMENT_NAMESPACES = (SHENPI_NS, CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_JAVA_NAMESPACES = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_JAVA_ATTRIBUTES = ("class", "delegateExpression", "expression")
AI_IMPLEMENTATION = "##AIService"  # BPMN's implementation attribute naming Shenpi's AI review
# The qualified names the readers look up, built once (an element gets some sixty lookups).
_ASSIGNMENTS = tuple(
    (attr, field, tuple(f"{{{ns}}}{attr}" for ns in _ASSIGNMENT_NAMESPACES))
    for attr, field in (
        ("assignee", "assignee"),
        ("candidateUsers", "candidate_users"),
        ("candidateGroups", "candidate_groups"),
    )
)
_DELEGATES = tuple(
    (attr, f"{{{ns}}}{attr}") for ns in _JAVA_NAMESPACES for attr in _JAVA_ATTRIBUTES
)
_LISTENERS = tuple(
    (name, f"{{{ns}}}{name}")
    for ns in (*_JAVA_NAMESPACES, ZEEBE_NS)
    for name in ("executionListener", "taskListener")
)
_INITIATOR_KEYS = tuple(f"{{{ns}}}initiator" for ns in _ASSIGNMENT_NAMESPACES)
_RESULT_VARIABLE_KEYS = tuple(f"{{{ns}}}resultVariable" for ns in _ASSIGNMENT_NAMESPACES)
# camunda:type="external" with camunda:topic, flowable:type="external-worker" with flowable:topic.
_EXTERNAL_TYPES = tuple(
    (f"{{{ns}}}type", external, f"{{{ns}}}topic")
    for ns, external in ((CAMUNDA_NS, "external"), (FLOWABLE_NS, "external-worker"))
)
_SHENPI_TYPE = f"{{{SHENPI_NS}}}type"
_SHENPI_TASK_QUEUE = f"{{{SHENPI_NS}}}taskQueue"
_SHENPI_RETRIES = f"{{{SHENPI_NS}}}retries"
_SHENPI_TIMEOUT = f"{{{SHENPI_NS}}}timeout"
_ZEEBE_ASSIGNMENT = f"{{{ZEEBE_NS}}}assignmentDefinition"
_ZEEBE_TASK_DEFINITION = f"{{{ZEEBE_NS}}}taskDefinition"
_CAMUNDA_CONNECTOR = f"{{{CAMUNDA_NS}}}connector"
_HEADERS = (f"{{{ZEEBE_NS}}}header", f"{{{SHENPI_NS}}}header")
_CAMUNDA_PROPERTY = f"{{{CAMUNDA_NS}}}property"
_FIELDS = tuple((f"{{{ns}}}field", f"{{{ns}}}string") for ns in _JAVA_NAMESPACES)
_ZEEBE_INPUT, _ZEEBE_OUTPUT = f"{{{ZEEBE_NS}}}input", f"{{{ZEEBE_NS}}}output"
_PARAMETERS = tuple(
    (ns, f"{{{ns}}}inputParameter", f"{{{ns}}}outputParameter") for ns in _JAVA_NAMESPACES
)
# Everything ``_read_assignment`` and ``_read_service`` look at: an element that has none of it
# leaves their fields at the defaults, so they are not run (most elements carry one or two vendor
# attributes, e.g. camunda:asyncBefore, and the two readers make some forty lookups).
_ASSIGNMENT_NAMES = (
    frozenset(key for _, _, keys in _ASSIGNMENTS for key in keys),
    frozenset({_ZEEBE_ASSIGNMENT}),
)
_SERVICE_NAMES = (
    frozenset(
        [key for _, key in _DELEGATES]
        + [type_key for type_key, _, _ in _EXTERNAL_TYPES]
        + [_SHENPI_TYPE, _SHENPI_TASK_QUEUE, _SHENPI_RETRIES, _SHENPI_TIMEOUT]
        + list(_RESULT_VARIABLE_KEYS)
    ),
    frozenset({_CAMUNDA_CONNECTOR, _ZEEBE_TASK_DEFINITION}),
)
# The extension elements ``_read_config``, ``_read_mappings`` and ``_read_listeners`` read: most
# elements with extension elements carry none of them (forms, properties of the modeler).
_CHILD_READER_TAGS = frozenset(
    [*_HEADERS, _CAMUNDA_PROPERTY, _ZEEBE_INPUT, _ZEEBE_OUTPUT]
    + [field_tag for field_tag, _ in _FIELDS]
    + [tag for _, input_tag, output_tag in _PARAMETERS for tag in (input_tag, output_tag)]
    + [tag for _, tag in _LISTENERS]
)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(el: Element, value: str | None) -> RawText | None:
    if value is None or not value.strip():
        return None
    return RawText(value.strip(), line_of(el))


def ext_children(el: Element, ns: str, name: str) -> tuple[Element, ...]:
    """``extensionElements//<ns:name>`` elements of ``el``, in document order."""
    return extension_index(el).get(f"{{{ns}}}{name}", ())


def ext_direct(el: Element, ns: str, name: str) -> list[Element]:
    """``extensionElements/<ns:name>``: only those directly under the extension elements."""
    return [
        c
        for c in ext_children(el, ns, name)
        if (parent := c.getparent()) is not None and parent.tag == EXTENSION_ELEMENTS
    ]


def raw_attributes(el: Element) -> dict[str, RawText]:
    """Every attribute of ``el`` by local name, as written, with ``el``'s line."""
    line = line_of(el)
    return {etree.QName(k).localname: RawText(str(v).strip(), line) for k, v in el.attrib.items()}


class Written:
    """What one element says in the vendor dialects: its namespaced attributes and its extension
    elements, each gathered once (the readers below make some sixty lookups per element)."""

    __slots__ = ("attrs", "children", "el")

    def __init__(self, el: Element, children: tuple[Element, ...] | None = None) -> None:
        self.el = el
        self.attrs = vendor_attributes(el)
        self.children = extension_index(el, children)  # ``children``: el's BPMN children

    def says(self, names: tuple[frozenset[str], frozenset[str]]) -> bool:
        """Whether any of ``names`` (attribute keys, extension element tags) is written."""
        keys, tags = names
        return not self.attrs.keys().isdisjoint(keys) or not self.children.keys().isdisjoint(tags)

    def first(self, keys: tuple[str, ...]) -> str | None:
        """The first of the attributes ``keys`` (qualified names) that is set (possibly blank)."""
        for key in keys:
            if value := self.attrs.get(key):
                return value
        return None


def read_extensions(
    written: Written, element_id: str, roles: tuple[Element, ...]
) -> tuple[Extensions, list[Diagnostic]]:
    """What the element ``written`` describes says in every dialect; ``roles``: its BPMN
    children, where humanPerformer and potentialOwner sit (``memo.bpmn_children``)."""
    el = written.el
    ext = Extensions()
    diags: list[Diagnostic] = []
    vendor = bool(written.attrs or written.children)  # most elements: neither
    if vendor and written.says(_ASSIGNMENT_NAMES):
        _read_assignment(written, ext)
    if vendor and written.says(_SERVICE_NAMES):
        _read_service(written, element_id, ext, diags)
    elif el.get("implementation") == AI_IMPLEMENTATION:
        # Of what ``_read_service`` reads, only this BPMN attribute is then set.
        ext.task_type = "ai-review"
    if written.children and not written.children.keys().isdisjoint(_CHILD_READER_TAGS):
        _read_config(written, ext)
        _read_mappings(written, element_id, ext, diags)
        _read_listeners(written, element_id, ext, diags)
    if written.attrs:
        ext.initiator_variable = written.first(_INITIATOR_KEYS)
    for role in roles:  # most elements' children are incoming and outgoing flows only
        if role.tag in _RESOURCE_ROLES:
            _read_resource_roles(roles, ext)
            break
    return ext, diags


def _read_assignment(written: Written, ext: Extensions) -> None:
    """The first non-blank of each: the dialects' attributes in order, then Zeebe's."""
    attrs = written.attrs
    zeebe = written.children.get(_ZEEBE_ASSIGNMENT, ())
    for attr, field, keys in _ASSIGNMENTS:
        values = [value for key in keys if (value := attrs.get(key))]
        if zeebe:
            values += [value for d in zeebe if (value := d.get(attr))]
        found = next((_text(written.el, v) for v in values if v.strip()), None)
        if found is not None:
            setattr(ext, field, found)


_RESOURCE_ROLES = (_q(BPMN_NS, "humanPerformer"), _q(BPMN_NS, "potentialOwner"))
_ROLE_EXPRESSION = f"{_q(BPMN_NS, 'resourceAssignmentExpression')}/*"


def _read_resource_roles(children: tuple[Element, ...], ext: Extensions) -> None:
    """BPMN's own humanPerformer / potentialOwner, with Camunda's ``user(x), group(y)`` syntax."""
    for role in children:
        if role.tag not in _RESOURCE_ROLES:
            continue
        formal = role.find(_ROLE_EXPRESSION)
        text = (formal.text or "").strip() if formal is not None else ""
        if not text:
            continue
        if role.tag == _RESOURCE_ROLES[0]:
            ext.assignee = ext.assignee or RawText(text, line_of(role))
            continue
        if "${" in text or "#{" in text:
            ext.candidate_groups = ext.candidate_groups or RawText(text, line_of(role))
            continue
        users, groups = [], []
        for part in (p.strip() for p in text.split(",")):
            if part.startswith("user(") and part.endswith(")"):
                users.append(part[5:-1].strip())
            elif part.startswith("group(") and part.endswith(")"):
                groups.append(part[6:-1].strip())
            elif part:
                groups.append(part)  # Camunda: a bare name is a group
        if users and ext.candidate_users is None:
            ext.candidate_users = RawText(",".join(users), line_of(role))
        if groups and ext.candidate_groups is None:
            ext.candidate_groups = RawText(",".join(groups), line_of(role))


def _warning(code: str, message: str, element_id: str, el: Element) -> Diagnostic:
    return Diagnostic(
        code=code, message=message, element_id=element_id, line=line_of(el), severity="warning"
    )


def _unsupported_impl(element_id: str, el: Element, message: str) -> Diagnostic:
    return Diagnostic(
        code="unsupported-implementation",
        message=message,
        element_id=element_id,
        line=line_of(el),
    )


def _read_service(
    written: Written, element_id: str, ext: Extensions, diags: list[Diagnostic]
) -> None:
    attrs = written.attrs
    reported = len(diags)
    _read_task_type(written, element_id, ext, diags)
    ext.refused_implementation = len(diags) > reported
    ext.task_queue = attrs.get(_SHENPI_TASK_QUEUE)
    retries = whole_number(attrs.get(_SHENPI_RETRIES) or "")
    if retries is not None:
        ext.max_attempts = retries
    ext.timeout = _text(written.el, attrs.get(_SHENPI_TIMEOUT))
    ext.result_variable = written.first(_RESULT_VARIABLE_KEYS)


def _read_task_type(
    written: Written, element_id: str, ext: Extensions, diags: list[Diagnostic]
) -> None:
    el, attrs = written.el, written.attrs
    delegates: list[str | None] = []
    for attr, key in _DELEGATES:
        value = (attrs.get(key) or "").strip()
        if value:
            delegates.append(_read_delegate(el, element_id, attr, value, ext, diags))
    for connector in written.children.get(_CAMUNDA_CONNECTOR, ()):
        diags.append(_unsupported_impl(element_id, connector, "camunda:connector is unsupported"))

    candidates: list[str | None] = [attrs.get(_SHENPI_TYPE)]
    for definition in written.children.get(_ZEEBE_TASK_DEFINITION, ()):
        candidates.append(definition.get("type"))
        retries = whole_number(definition.get("retries", ""))
        if retries is not None:
            ext.max_attempts = retries
    for type_key, external, topic_key in _EXTERNAL_TYPES:
        kind = attrs.get(type_key)
        if kind == external:
            candidates.append(attrs.get(topic_key))
        elif kind and kind != "dmn":  # a decision task: bpmn_compiler.decision_refs reads it
            diags.append(
                _unsupported_impl(element_id, el, f"{kind!r} tasks of this dialect are unsupported")
            )
    if el.get("implementation") == AI_IMPLEMENTATION:
        candidates.append("ai-review")
    candidates += delegates  # after explicit types: a file may carry both
    task_type = next((c.strip() for c in candidates if c and c.strip()), None)
    ext.from_delegate = task_type is not None and task_type in delegates
    if task_type is not None and task_type.startswith(("=", "${", "#{")):
        diags.append(
            _unsupported_impl(element_id, el, f"dynamic task type {task_type!r} is unsupported")
        )
        task_type = None
    ext.task_type = task_type


# A bean or class reference: `archiveService`, `mailer.send`, `org.acme.Undo`.
_REFERENCE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_LITERALS = frozenset({"true", "false", "null"})


def _read_delegate(
    el: Element, element_id: str, attr: str, value: str, ext: Extensions, diags: list[Diagnostic]
) -> str | None:
    """A Java delegate becomes the activity type it names (docs/compiler.md "Java delegates"):
    ``class`` its class name, ``delegateExpression`` its bean, ``expression`` the bean and
    method it calls; an expression that calls nothing (``${true}``) leaves a pass-through."""
    body = value
    if body[:2] in ("${", "#{") and body.endswith("}"):
        body = body[2:-1].strip()
    match = _REFERENCE.match(body)
    name = match.group(0) if match is not None and attr != "class" else body
    if attr == "expression" and (match is None or name in _LITERALS):
        ext.computes_nothing = True
        message = f"expression={value!r} calls no bean: the task only moves on"
        diags.append(_warning("java-delegate", message, element_id, el))
        return None
    message = (
        f"{attr}={value!r} runs as the Temporal activity {name!r}: register an activity of that"
        " name on a worker (any SDK, Java included)"
    )
    diags.append(_warning("java-delegate", message, element_id, el))
    return name


def _read_config(written: Written, ext: Extensions) -> None:
    """Static key/value pairs handed to the activity (headers, properties, string fields)."""
    children = written.children
    if not children:
        return
    for header in (h for tag in _HEADERS for h in children.get(tag, ())):
        if header.get("key"):
            ext.config[header.get("key", "")] = header.get("value", "")
    for prop in children.get(_CAMUNDA_PROPERTY, ()):
        if prop.get("name"):
            ext.config[prop.get("name", "")] = prop.get("value", "")
    for field_tag, string_tag in _FIELDS:
        for fld in children.get(field_tag, ()):
            value = fld.get("stringValue")
            if value is None:
                string = fld.find(string_tag)
                value = string.text if string is not None else None
            if fld.get("name") and value is not None:
                ext.config[fld.get("name", "")] = value.strip()


def _read_mappings(
    written: Written, element_id: str, ext: Extensions, diags: list[Diagnostic]
) -> None:
    children = written.children
    if not children:
        return
    for mapping in children.get(_ZEEBE_INPUT, ()) + children.get(_ZEEBE_OUTPUT, ()):
        target = mapping.get("target", "").strip()
        raw = RawMapping(target, _text(mapping, mapping.get("source")))
        (ext.inputs if mapping.tag == _ZEEBE_INPUT else ext.outputs).append(raw)
    for ns, input_tag, output_tag in _PARAMETERS:
        for param in children.get(input_tag, ()) + children.get(output_tag, ()):
            into = ext.inputs if param.tag == input_tag else ext.outputs
            raw_mapping = _camunda_parameter(param, ns, element_id, diags)
            if raw_mapping is not None:
                into.append(raw_mapping)


def _camunda_parameter(
    param: Element, ns: str, element_id: str, diags: list[Diagnostic]
) -> RawMapping | None:
    target = param.get("name", "").strip()
    nested = [c for c in param if isinstance(c.tag, str)]
    if not nested:
        return RawMapping(target, _text(param, param.text))
    kind = etree.QName(nested[0]).localname
    if kind == "list":
        items = [RawText((v.text or "").strip(), line_of(v)) for v in nested[0]]
        return RawMapping(target, None, is_list=True, items=items)
    diags.append(
        Diagnostic(
            code="unsupported-mapping",
            message=f"parameter {target!r} uses camunda:{kind}; only text values, expressions"
            " and lists are supported",
            element_id=element_id,
            line=line_of(param),
        )
    )
    return None


# When a listener runs: execution start (and a task's create) before the node; a task's
# complete (and execution end) once it is done. Other events are not run (a warning says so).
_LISTENER_EVENTS: dict[str, Literal["start", "end"]] = {
    "start": "start", "create": "start", "creating": "start",
    "end": "end", "complete": "end", "completing": "end",
}  # fmt: skip


_LISTENER_ORDER = {
    ("start", "executionListener"): 0,
    ("start", "taskListener"): 1,
    ("end", "taskListener"): 2,
    ("end", "executionListener"): 3,
}


def _read_listeners(
    written: Written, element_id: str, ext: Extensions, diags: list[Diagnostic]
) -> None:
    """Engine listeners run as activities of the type they name (docs/compiler.md "Listeners")."""
    if not written.children:
        return  # ``ext.listeners`` stays empty
    found: list[tuple[int, RawListener]] = []
    for name, tag in _LISTENERS:
        for listener in written.children.get(tag, ()):
            event = (listener.get("event") or listener.get("eventType") or "").strip()
            when = _LISTENER_EVENTS.get(event)
            task_type = _listener_type(listener, element_id, ext, diags)
            if when is None or task_type is None:
                scripted = any(etree.QName(c).localname == "script" for c in listener)
                why = (
                    f"its event {event!r} is not run"
                    if when is None
                    else "a script runs no code in the engine; name an activity type"
                    if scripted
                    else "it names no type"
                )
                message = f'{name} is ignored: {why} (docs/compiler.md "Listeners")'
                diags.append(_warning("ignored-listener", message, element_id, listener))
                continue
            # Execution start, then task create; task complete, then execution end.
            rank = _LISTENER_ORDER[(when, name)]
            found.append((rank, RawListener(when, task_type, line_of(listener))))
    ext.listeners = [raw for _, raw in sorted(found, key=lambda pair: pair[0])]


def _listener_type(
    listener: Element, element_id: str, ext: Extensions, diags: list[Diagnostic]
) -> str | None:
    zeebe = (listener.get("type") or "").strip()
    if zeebe:
        return zeebe
    for attr in _JAVA_ATTRIBUTES:
        value = (listener.get(attr) or "").strip()
        if value:
            computes = ext.computes_nothing
            name = _read_delegate(listener, element_id, attr, value, ext, diags)
            ext.computes_nothing = computes  # a listener never makes its node a pass
            return name
    return None
