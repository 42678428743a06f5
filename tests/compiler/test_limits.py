"""Limits the compiler enforces so that what deploys can run (docs/compiler.md "Limits")."""

from __future__ import annotations

import pytest

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.rules_limits import MAX_NODES, MAX_PLAN_BYTES, MAX_PROCESS_ID_LENGTH

HEAD = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">'
    '<process id="big" isExecutable="true"><startEvent id="s"/>'
)


def _chain(count: int, name: str = "") -> bytes:
    """start → ``count`` tasks in a row → end."""
    parts = [HEAD]
    previous = "s"
    for i in range(count):
        parts.append(f'<sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
        parts.append(f'<userTask id="t{i}" name="{name}" assignee="a"/>')
        previous = f"t{i}"
    parts.append(f'<sequenceFlow id="fe" sourceRef="{previous}" targetRef="e"/><endEvent id="e"/>')
    return ("".join(parts) + "</process></definitions>").encode()


def _codes(xml: bytes) -> set[str]:
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml)
    return {d.code for d in err.value.diagnostics if d.severity == "error"}


def test_a_plan_over_the_size_limit_is_refused_at_deploy() -> None:
    # 400 tasks with 3,000-character names: the XML is fine, the plan is over 1 MiB.
    assert _codes(_chain(400, "名" * 3000)) == {"plan-too-large"}


def test_a_plan_just_under_the_limit_compiles() -> None:
    result = compile_bpmn(_chain(100, "名" * 3000))
    assert len(result.plan.model_dump_json(exclude_defaults=True)) < MAX_PLAN_BYTES


def test_a_process_with_too_many_nodes_is_refused() -> None:
    assert _codes(_chain(MAX_NODES)) == {"process-too-large"}


def test_a_process_id_over_the_limit_is_refused() -> None:
    xml = _chain(1).replace(b'id="big"', b'id="' + b"p" * (MAX_PROCESS_ID_LENGTH + 1) + b'"')
    assert _codes(xml) == {"process-id-too-long"}
