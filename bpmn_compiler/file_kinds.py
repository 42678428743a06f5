"""What kind of file a deploy holds (BPMN, DMN, a Camunda Form), told from its first bytes
without parsing it.

Light on purpose (no lxml, no grammar): ``shenpi compile`` and the deploy route ask before they
import the compiler for that kind.
"""

from __future__ import annotations


def is_dmn(xml: bytes) -> bool:
    """Whether ``xml`` looks like a DMN file (for a deploy route that takes BPMN and DMN)."""
    head = xml[:4096]
    return b"/spec/DMN/" in head and b"/spec/BPMN/" not in head


def is_form(data: bytes) -> bool:
    """Whether ``data`` looks like a Camunda Form (``.form``): JSON, so an object; BPMN and DMN
    files are XML and start with ``<``."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"
