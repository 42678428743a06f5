"""The process's default priority as the starter evaluates it (docs/priority.md)."""

from __future__ import annotations

from bpmn_compiler.pipeline import compile_bpmn
from shenpi_core.process_plan import ProcessPlan
from workflows.priority import TEMPORAL_KEYS, process_default, rank, temporal_priority


def plan_with(priority: str) -> ProcessPlan:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="t">
  <process id="p" isExecutable="true">
    <extensionElements><shenpi:priority>{priority}</shenpi:priority></extensionElements>
    <startEvent id="start"/>
    <sequenceFlow id="f" sourceRef="start" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""
    return compile_bpmn(xml.encode()).plan


def test_a_literal_default_is_the_priority() -> None:
    assert process_default(plan_with("urgent"), {}) == "urgent"


def test_an_expression_default_follows_the_variables() -> None:
    plan = plan_with("${level == 'vip' ? 'high' : (amount &gt; 50000 ? 'urgent' : 'low')}")
    assert process_default(plan, {"level": "vip", "amount": 1}) == "high"
    assert process_default(plan, {"level": "staff", "amount": 60000}) == "urgent"
    assert process_default(plan, {"level": "staff", "amount": 10}) == "low"


def test_a_default_that_fails_or_names_no_priority_is_normal() -> None:
    assert process_default(plan_with("= amount &gt; 1"), {}) == "normal"  # amount missing
    assert process_default(plan_with("= label"), {"label": "asap"}) == "normal"
    assert process_default(plan_with("= amount &gt; 1"), {"amount": 5}) == "normal"  # a bool


def test_urgent_comes_first_in_temporal_and_in_the_inbox() -> None:
    assert [rank(p) for p in ("urgent", "high", "normal", "low")] == [1, 2, 3, 4]
    assert rank(None) == rank("bogus") == TEMPORAL_KEYS["normal"]
    assert temporal_priority("urgent").priority_key == 1
