"""The variables a start must bring, read from the compiled plan: what the expressions read that
no task, decision or the engine writes; reads guarded by ``is defined`` do not count."""

from __future__ import annotations

import pytest

from bpmn_compiler import compile_bpmn
from bpmn_compiler.start_inputs import start_inputs
from tests.api.bpmn import _doc
from tests.helpers import REPO_ROOT


@pytest.mark.parametrize(
    ("name", "needed"),
    [
        ("purchase-approval", ["amount", "manager"]),
        ("expense-claim", ["amount"]),  # the receipt is optional: is_defined(receipt) && ...
        ("leave-request", ["days", "teamLead"]),
    ],
)
def test_the_shipped_processes_need_what_their_documentation_says(
    name: str, needed: list[str]
) -> None:
    plan = compile_bpmn((REPO_ROOT / "processes" / f"{name}.bpmn").read_bytes()).plan
    assert start_inputs(plan) == needed


def test_results_decisions_and_the_initiator_are_written_not_needed() -> None:
    xml = _doc(
        "p",
        "Book",
        '  <startEvent id="start" shenpi:initiator="requester"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="quote"/>\n'
        '  <serviceTask id="quote" shenpi:type="http" shenpi:resultVariable="quote">\n'
        '    <extensionElements><shenpi:header key="url" value="http://x"/></extensionElements>\n'
        "  </serviceTask>\n"
        '  <sequenceFlow id="f2" sourceRef="quote" targetRef="ok"/>\n'
        '  <userTask id="ok" shenpi:assignee="${requester}">\n'
        '    <extensionElements><shenpi:variable name="note"/></extensionElements>\n'
        "  </userTask>\n"
        '  <sequenceFlow id="f3" sourceRef="ok" targetRef="gw"/>\n'
        '  <exclusiveGateway id="gw" default="f5"/>\n'
        '  <sequenceFlow id="f4" sourceRef="gw" targetRef="end">\n'
        "    <conditionExpression>${quote.total > limit &amp;&amp; note != null}"
        "</conditionExpression>\n"
        "  </sequenceFlow>\n"
        '  <sequenceFlow id="f5" sourceRef="gw" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )
    assert start_inputs(compile_bpmn(xml).plan) == ["limit"]
