"""The ``<shenpi:ai>`` examples in docs/compiler.md compile (or fail with the code they show).

Each ```xml block of the page that mentions ``shenpi:ai`` is a piece of a process; the test
completes it with a start event, an end event and the flows it leaves out. A block whose first
line is ``<!-- code: ... -->`` must give that diagnostic; every other block must compile cleanly.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from bpmn_compiler import CompileError, compile_bpmn
from tests.helpers import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "compiler.md").read_text(encoding="utf-8")
BLOCKS = [b for b in re.findall(r"```xml\n(.*?)```", DOC, re.DOTALL) if "shenpi:ai" in b]
EXPECTED = re.compile(r"^<!-- ([a-z-]+):")
AI_CODES = {
    code
    for code in re.findall(r"^\| `([a-z-]+)` \|", DOC, re.MULTILINE)
    if code.startswith("ai-") or code == "ignored-ai-attribute"
}

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SHENPI = "http://shenpi.dev/schema/bpmn/1.0"
PROCESS = f"""<definitions xmlns="{BPMN}" xmlns:shenpi="{SHENPI}" id="d" targetNamespace="t">
  <process id="doc" isExecutable="true">{{body}}</process></definitions>"""


def _completed(block: str) -> bytes:
    """The block inside a process, with a start, an end and flows into and out of its nodes."""
    root = etree.fromstring(PROCESS.format(body=block).encode())
    process = root[0]
    nodes = [
        el
        for el in process
        if isinstance(el.tag, str) and etree.QName(el).localname != "sequenceFlow"
    ]
    flows = [el for el in process if isinstance(el.tag, str) and el not in nodes]
    sources = {f.get("sourceRef") for f in flows}
    targets = {f.get("targetRef") for f in flows}

    def add(tag: str, **attrs: str) -> None:
        etree.SubElement(process, f"{{{BPMN}}}{tag}", attrs)

    if etree.QName(nodes[0]).localname != "startEvent":
        add("startEvent", id="doc_start")
        add("sequenceFlow", id="doc_in", sourceRef="doc_start", targetRef=nodes[0].get("id", ""))
    for node in nodes:
        node_id = node.get("id", "")
        if node_id not in sources and etree.QName(node).localname != "endEvent":
            add("sequenceFlow", id=f"doc_{node_id}_out", sourceRef=node_id, targetRef="doc_end")
    if process.find(f"{{{BPMN}}}sequenceFlow[@targetRef='doc_end']") is not None:
        add("endEvent", id="doc_end")
        assert node is nodes[0] or node_id in targets, f"{node_id} has no incoming flow"
    return bytes(etree.tostring(root))


def _id(block: str) -> str:
    found = EXPECTED.match(block)
    return found.group(1) if found else block.split('id="')[1].split('"')[0]


def test_the_page_shows_valid_ai_examples_and_one_per_ai_diagnostic() -> None:
    shown = {m.group(1) for b in BLOCKS if (m := EXPECTED.match(b))}
    assert len(BLOCKS) - len(shown) >= 3
    assert shown == AI_CODES and len(AI_CODES) == 7


@pytest.mark.parametrize("block", [b for b in BLOCKS if not EXPECTED.match(b)], ids=_id)
def test_ai_example_in_the_docs_compiles_with_its_spec(block: str) -> None:
    result = compile_bpmn(_completed(block))

    assert result.warnings == []
    root = etree.fromstring(PROCESS.format(body=block).encode())
    hosts = [
        el.get("id", "")
        for el in root[0]
        if el.find(f"{{{BPMN}}}extensionElements/{{{SHENPI}}}ai") is not None
    ]
    assert hosts
    for host in hosts:
        assert getattr(result.plan.node(host), "ai", None) is not None, host


@pytest.mark.parametrize("block", [b for b in BLOCKS if EXPECTED.match(b)], ids=_id)
def test_ai_diagnostic_example_in_the_docs_gives_its_code(block: str) -> None:
    match = EXPECTED.match(block)
    assert match is not None
    code = match.group(1)
    try:
        result = compile_bpmn(_completed(block))
    except CompileError as err:
        assert {d.code for d in err.diagnostics if d.severity == "error"} == {code}
    else:
        assert [w.code for w in result.warnings] == [code]
