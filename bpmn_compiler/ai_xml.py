"""Parse helper: ``<shenpi:ai>``, ``shenpi:humanRequired`` and flow documentation → raw model.

Only reads what is written, with line numbers; ``ai_spec`` checks it and builds the ``AiSpec``.
"""

from __future__ import annotations

import textwrap

from lxml import etree

from bpmn_compiler.dialects import ext_children, raw_attributes
from bpmn_compiler.memo import bpmn_children
from bpmn_compiler.model import BPMN_NS, SHENPI_NS, RawAi, RawAiExample, RawText
from bpmn_compiler.safe_xml import line_of

Element = etree._Element


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def template_text(el: Element) -> RawText:
    """The text of ``<shenpi:prompt>``, dedented and stripped, with the line of its first line.

    The line is where the template's first line sits in the file, so a Jinja error on template
    line ``n`` is reported at ``line + n - 1``.
    """
    raw = el.text or ""
    dedented = textwrap.dedent(raw)
    stripped = dedented.strip()
    line = line_of(el)
    if line is not None and stripped:
        line += dedented[: dedented.index(stripped)].count("\n")
    return RawText(stripped, line)


def _read_one(ai: Element) -> RawAi:
    line = line_of(ai)
    found = RawAi(attributes=raw_attributes(ai), line=line)
    for child in ai:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        if child.tag == _q(SHENPI_NS, "prompt"):
            found.prompts.append(template_text(child))
        elif child.tag == _q(SHENPI_NS, "template"):
            found.templates.append(template_text(child))
        elif child.tag == _q(SHENPI_NS, "example"):
            decision = child.get("decision")
            found.examples.append(
                RawAiExample(
                    decision=decision.strip() if decision is not None else None,
                    text=(child.text or "").strip(),
                    line=line_of(child),
                )
            )
        else:
            name = etree.QName(child)
            prefix = "shenpi:" if name.namespace == SHENPI_NS else ""
            found.unknown_children.append(RawText(prefix + name.localname, line_of(child)))
    return found


def read_ai(el: Element) -> list[RawAi]:
    """Every ``extensionElements/shenpi:ai`` of ``el`` (more than one is reported later)."""
    return [_read_one(ai) for ai in ext_children(el, SHENPI_NS, "ai")]


def read_human_required(el: Element) -> RawText | None:
    value = el.get(_q(SHENPI_NS, "humanRequired"))
    return None if value is None else RawText(value.strip(), line_of(el))


_DOCUMENTATION = _q(BPMN_NS, "documentation")


def read_documentation(el: Element) -> str | None:
    """The ``<documentation>`` children's text, stripped (several are joined by a blank line)."""
    texts = [(doc.text or "").strip() for doc in bpmn_children(el) if doc.tag == _DOCUMENTATION]
    joined = "\n\n".join(t for t in texts if t)
    return joined or None
