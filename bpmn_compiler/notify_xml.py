"""Parse helper: ``<shenpi:notify>`` (on a task, an end event or the process) → raw model.

Only reads what is written, with line numbers; ``rules_notify`` checks it and builds the rules.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.dialects import ext_direct, raw_attributes
from bpmn_compiler.model import SHENPI_NS, RawNotify
from bpmn_compiler.safe_xml import line_of

Element = etree._Element


def read_notify(el: Element) -> list[RawNotify]:
    """Every ``extensionElements/shenpi:notify`` directly under ``el``'s extension elements."""
    return [
        RawNotify(attributes=raw_attributes(notify), line=line_of(notify))
        for notify in ext_direct(el, SHENPI_NS, "notify")
    ]
