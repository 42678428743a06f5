"""What kind of file a deploy holds, told from its first bytes without parsing it.

Light on purpose (no lxml, no grammar): ``shenpi compile`` and the deploy route ask before they
import the compiler for that kind.
"""

from __future__ import annotations


def is_dmn(xml: bytes) -> bool:
    """Whether ``xml`` looks like a DMN file (for a deploy route that takes BPMN and DMN)."""
    head = xml[:4096]
    return b"/spec/DMN/" in head and b"/spec/BPMN/" not in head
