"""Every ``<shenpi:approval>`` shown in docs/approvals.md compiles, so the page stays true."""

from __future__ import annotations

import re

import pytest

from bpmn_compiler import compile_bpmn
from shenpi_core.process_plan import UserTask
from tests.helpers import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "approvals.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"<shenpi:approval\s[^>]*/>", DOC)

PROCESS = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
  <process id="doc" isExecutable="true">
    <startEvent id="start" shenpi:initiator="initiator" />
    <userTask id="Task_Legal" shenpi:assignee="${{lawyer}}" />
    <userTask id="Task_Step" shenpi:assignee="${{approver}}">
      <extensionElements>{snippet}</extensionElements>{loop}
    </userTask>
    <endEvent id="end" />
    <sequenceFlow id="s1" sourceRef="start" targetRef="Task_Legal" />
    <sequenceFlow id="s2" sourceRef="Task_Legal" targetRef="Task_Step" />
    <sequenceFlow id="s3" sourceRef="Task_Step" targetRef="end" />
  </process>
</definitions>"""

MULTI_INSTANCE = (
    '<multiInstanceLoopCharacteristics xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
    ' camunda:collection="${voters}" camunda:elementVariable="approver" />'
)


def test_the_page_shows_approvals() -> None:
    assert len(SNIPPETS) >= 8


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_approval_shown_in_the_docs_compiles(snippet: str) -> None:
    # The page shows a vote without approvers as an addition to a multi-instance task.
    loop = "" if "approvers=" in snippet or 'mode="vote"' not in snippet else MULTI_INSTANCE
    plan = compile_bpmn(PROCESS.format(snippet=snippet, loop=loop).encode()).plan
    step = plan.node("Task_Step")
    assert isinstance(step, UserTask) and step.approval is not None
