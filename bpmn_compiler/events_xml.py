"""Message, signal and conditional event definitions: what a catching event waits for.

A ``<message>`` or ``<signal>`` is declared once in the file and referenced by id (``messageRef``,
``signalRef``). A message's correlation key is Zeebe's ``<zeebe:subscription correlationKey=
"=orderId"/>`` on the message, or ``shenpi:correlationKey`` on the message or on the catching
event; without one, the rule of Camunda 7 and Flowable applies: the instance's business key
(docs/interpreter.md "Messages, signals and conditions").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lxml import etree

from bpmn_compiler.dialects import ext_children
from bpmn_compiler.memo import bpmn_children, first_child
from bpmn_compiler.model import BPMN_NS, SHENPI_NS, ZEEBE_NS, RawText, RawTrigger
from bpmn_compiler.safe_xml import line_of

if TYPE_CHECKING:
    from bpmn_compiler.elements import Context

Element = etree._Element

OUTSIDE: dict[str, Literal["message", "signal", "conditional"]] = {
    "messageEventDefinition": "message",
    "signalEventDefinition": "signal",
    "conditionalEventDefinition": "conditional",
}


@dataclass
class Declared:
    """A ``<message>`` or ``<signal>`` of the file."""

    name: str
    correlation_key: RawText | None = None


def read_declarations(
    root: Element | None, codes: dict[str, dict[str, str | None]] | None = None
) -> dict[str, dict[str, Declared]]:
    """The file's messages and signals by id; a declaration without a name is named by its id.
    ``codes``: ``{"error": {}, "escalation": {}}`` to fill, in the same walk, with the file's
    error and escalation codes by id (``errorCode``, ``escalationCode``; None when blank)."""
    found: dict[str, dict[str, Declared]] = {"message": {}, "signal": {}}
    if root is None:
        return found
    for el in bpmn_children(root):
        what = el.tag.rpartition("}")[2]
        element_id = el.get("id")
        if not element_id:
            continue
        if codes is not None and what in codes:
            codes[what][element_id] = (el.get(f"{what}Code") or "").strip() or None
        elif what in found:
            name = (el.get("name") or "").strip() or element_id
            key = _correlation_key(el) if what == "message" else None
            found[what][element_id] = Declared(name, key)
    return found


def _correlation_key(el: Element) -> RawText | None:
    for subscription in ext_children(el, ZEEBE_NS, "subscription"):
        text = (subscription.get("correlationKey") or "").strip()
        if text:
            return RawText(text, line_of(subscription))
    text = (el.get(f"{{{SHENPI_NS}}}correlationKey") or "").strip()
    return RawText(text, line_of(el)) if text else None


def read_trigger(definition: Element, event: Element, ctx: Context) -> RawTrigger:
    """The trigger of a message, signal or conditional definition of ``event``."""
    what = OUTSIDE[etree.QName(definition).localname]
    line = line_of(definition)
    if what == "conditional":
        condition = first_child(definition, f"{{{BPMN_NS}}}condition")
        text = (condition.text or "").strip() if condition is not None else ""
        if not text or condition is None:
            ctx.report(event, "condition-missing", "a conditional event needs a <condition>")
            return RawTrigger("conditional", line)
        return RawTrigger(
            "conditional",
            line,
            condition=RawText(text, line_of(condition), condition.get("language")),
        )
    ref = definition.get(f"{what}Ref")
    return reference(what, ref, event, ctx, line)


def reference(
    what: Literal["message", "signal"],
    ref: str | None,
    event: Element,
    ctx: Context,
    line: int | None,
) -> RawTrigger:
    """The trigger of a ``messageRef`` / ``signalRef`` (a receive task has the attribute)."""
    declared = ctx.declared[what].get(ref or "")
    if ref and declared is None:
        ctx.report(event, f"unknown-{what}", f"{what}Ref {ref!r} names no <{what}> of this file")
    if declared is None:
        # Camunda 7's receive tasks without a message: addressed by the event's own id.
        name = event.get("id", "")
        if not ref:
            ctx.report(
                event,
                f"{what}-unnamed",
                f"the {what} event names no <{what}>; it is the {what} {name!r}",
                severity="warning",
            )
        declared = Declared(name)
    key = declared.correlation_key
    own = (event.get(f"{{{SHENPI_NS}}}correlationKey") or "").strip()
    if own:
        key = RawText(own, line_of(event))
    return RawTrigger(what, line, name=declared.name, correlation_key=key)
