"""Parse helper: ``<shenpi:notify>`` (on a task, an end event or the process) → raw model.

Only reads what is written, with line numbers; ``rules_notify`` checks it and builds the rules.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.model import BPMN_NS, SHENPI_NS, RawNotify, RawText
from bpmn_compiler.safe_xml import line_of

Element = etree._Element


def read_notify(el: Element) -> list[RawNotify]:
    """Every ``extensionElements/shenpi:notify`` directly under ``el``'s extension elements."""
    found: list[RawNotify] = []
    for ext in el.findall(f"{{{BPMN_NS}}}extensionElements"):
        for notify in ext.findall(f"{{{SHENPI_NS}}}notify"):
            line = line_of(notify)
            attributes = {
                etree.QName(key).localname: RawText(str(value).strip(), line)
                for key, value in notify.attrib.items()
            }
            found.append(RawNotify(attributes=attributes, line=line))
    return found
