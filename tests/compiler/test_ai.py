"""``<shenpi:ai>`` beyond the golden files: warnings that do not stop a deploy, defaults per
element, and the AI principal's prefix agreeing with the workflow's."""

from __future__ import annotations

import pytest

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.rules_ai import AI_PRINCIPAL_PREFIX
from shenpi_core.contracts import AI_PRINCIPAL_PREFIX as WORKFLOW_AI_PRINCIPAL_PREFIX
from shenpi_core.process_plan import ExclusiveGateway, ServiceTask, UserTask

PROCESS = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
  <process id="ai" isExecutable="true">
    <startEvent id="start" />
    <userTask id="review" shenpi:assignee="alice">
      <extensionElements>{ai}</extensionElements>
    </userTask>
    <endEvent id="end" />
    <sequenceFlow id="s1" sourceRef="start" targetRef="review" />
    <sequenceFlow id="s2" sourceRef="review" targetRef="end" />
  </process>
</definitions>"""


def _review(ai: str) -> UserTask:
    node = compile_bpmn(PROCESS.format(ai=ai).encode()).plan.node("review")
    assert isinstance(node, UserTask)
    return node


def test_unknown_ai_attribute_is_a_warning_and_the_file_compiles() -> None:
    result = compile_bpmn(PROCESS.format(ai='<shenpi:ai mode="advise" temperature="0"/>').encode())

    assert [(w.code, w.severity, w.element_id) for w in result.warnings] == [
        ("ignored-ai-attribute", "warning", "review")
    ]
    node = result.plan.node("review")
    assert isinstance(node, UserTask) and node.ai is not None and node.ai.mode == "advise"


@pytest.mark.parametrize(
    ("ai", "threshold"), [('threshold="0"', 0.0), ('threshold="1"', 1.0), ('threshold=".85"', 0.85)]
)
def test_threshold_accepts_the_closed_range(ai: str, threshold: float) -> None:
    spec = _review(f"<shenpi:ai {ai}/>").ai
    assert spec is not None and spec.threshold == threshold


def test_empty_ai_element_on_a_user_task_advises_with_the_defaults() -> None:
    spec = _review("<shenpi:ai/>").ai
    assert spec is not None
    assert (spec.mode, spec.threshold, spec.fallback, spec.prompt) == (
        "advise",
        0.8,
        "manual",
        None,
    )


def test_task_without_ai_leaves_the_ai_fields_out_of_the_hashed_body() -> None:
    plain = compile_bpmn(PROCESS.format(ai="").encode()).plan
    node = plain.node("review")
    assert isinstance(node, UserTask) and node.ai is None and not node.human_required
    # The hash covers the body without defaults, so plans without AI keep their hashes.
    body = plain.model_dump(mode="json", exclude_defaults=True)
    assert not [key for n in body["nodes"] for key in n if key in ("ai", "human_required")]
    assert not [key for f in body["flows"] for key in f if key == "documentation"]


def test_ai_review_task_timeout_and_retries_apply_to_the_ai_call_unless_ai_says() -> None:
    xml = (
        PROCESS.format(ai="")
        .replace(
            '<userTask id="review" shenpi:assignee="alice">',
            '<serviceTask id="review" shenpi:type="ai-review" shenpi:timeout="PT20S"'
            ' shenpi:retries="2">',
        )
        .replace("</userTask>", "</serviceTask>")
    )
    node = compile_bpmn(xml.encode()).plan.node("review")

    assert isinstance(node, ServiceTask) and node.ai is not None
    assert (node.ai.mode, node.ai.timeout_seconds, node.ai.max_attempts) == ("decide", 20.0, 2)


def test_route_gateway_defaults_to_route_mode() -> None:
    xml = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
      <process id="route" isExecutable="true">
        <startEvent id="start" />
        <exclusiveGateway id="g" default="a">
          <extensionElements><shenpi:ai/></extensionElements>
        </exclusiveGateway>
        <endEvent id="end" />
        <sequenceFlow id="s1" sourceRef="start" targetRef="g" />
        <sequenceFlow id="a" name="Routine" sourceRef="g" targetRef="end" />
        <sequenceFlow id="b" sourceRef="g" targetRef="end">
          <documentation>Large</documentation>
          <conditionExpression>${amount &gt; 10}</conditionExpression>
        </sequenceFlow>
      </process>
    </definitions>"""
    plan = compile_bpmn(xml.encode()).plan
    gateway = plan.node("g")
    assert isinstance(gateway, ExclusiveGateway) and gateway.ai is not None
    assert gateway.ai.mode == "route"
    assert [(f.id, f.name, f.documentation) for f in plan.flows[1:]] == [
        ("a", "Routine", None),
        ("b", None, "Large"),
    ]


@pytest.mark.parametrize(
    "template",
    ["{{ " + "(" * 5000 + "x" + ")" * 5000 + " }}", "{% if x %}" * 3000 + "{% endif %}" * 3000],
    ids=["parentheses", "blocks"],
)
def test_absurdly_nested_prompt_is_a_diagnostic_not_a_crash(template: str) -> None:
    with pytest.raises(CompileError) as err:
        compile_bpmn(PROCESS.format(ai=f'<shenpi:ai prompt="{template}"/>').encode())

    assert [(d.code, d.message) for d in err.value.diagnostics] == [
        ("ai-prompt-syntax", "the prompt template nests too deeply")
    ]


def test_ai_principal_prefix_is_the_workflows() -> None:
    assert AI_PRINCIPAL_PREFIX == WORKFLOW_AI_PRINCIPAL_PREFIX


def test_shadow_mode_compiles_on_a_user_task_and_refuses_a_deciding_fallback() -> None:
    spec = _review('<shenpi:ai mode="shadow" prompt="Approve business travel."/>').ai
    assert spec is not None and (spec.mode, spec.policy) == ("shadow", "Approve business travel.")
    with pytest.raises(CompileError) as err:
        compile_bpmn(PROCESS.format(ai='<shenpi:ai mode="shadow" fallback="approve"/>').encode())
    assert [d.code for d in err.value.diagnostics] == ["ai-attribute"]
    assert 'mode="shadow" leaves every decision to people' in err.value.diagnostics[0].message
