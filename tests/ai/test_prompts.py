"""Prompts: the sandboxed template, its version and hash, the request text, document text from
the blob store (real local store), and what the model is sent."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from activities.ai.prompts import DOCUMENT_CHARS, Document, load_documents, render
from activities.ai.request_text import request_text, request_values
from shenpi.blobs import open_blob_store
from shenpi_core.contracts import AiReviewInput, AiRouteOption
from shenpi_core.process_plan import AiExample, AiSpec
from tests.ai.conftest import ai_settings, ai_worker, openai_settings, review_input, run_probe
from tests.ai.fake_openai import FakeOpenAi


def test_request_text_leaves_out_engine_keys_and_documents() -> None:
    variables = {
        "reason": "出差北京",
        "amount": 1260,
        "approved": True,
        "decision": "approve",
        "initiator": "ivan",
        "outcome": "approved",
        "ai_decision": "approve",
        "receipt": {"document_id": "sha256:" + "a" * 64, "size": 3},
        "ocr": {"kind": "receipt", "text_ref": "sha256:" + "b" * 64},
        "items": [{"what": "hotel", "cost": 800}],
    }
    assert request_text(variables) == (
        'amount: 1260\nitems: [{"what": "hotel", "cost": 800}]\nreason: 出差北京'
    )


def test_custom_template_sees_variables_and_is_versioned_by_its_hash() -> None:
    template = "Claim of {{ amount }} for {{ reason }} at {{ node.name }}{{ missing }}."
    rendered = render(review_input(prompt=template), [])
    assert rendered.text == "Claim of 1260 for 出差北京 at Manager review."
    sha8 = hashlib.sha256(template.encode()).hexdigest()[:8]
    assert rendered.template_version == f"custom:{sha8}"
    assert rendered.prompt_hash == hashlib.sha256(rendered.text.encode()).hexdigest()


def test_default_templates_are_versioned_per_node_kind() -> None:
    review = review_input()
    service = review.model_copy(update={"node_kind": "service_task"})
    assert render(review, []).template_version == "default-review@1"
    assert render(service, []).template_version == "default-service-review@1"


@pytest.mark.parametrize(
    "template",
    [
        "{{ (1).__class__.__base__.__subclasses__() }}",  # escaping the sandbox
        "{% for i in range(10**9) %}{% endfor %}",  # beyond the sandbox's range bound
        "{{ amount / 0 }}",
        "{% if %}",  # a syntax error
    ],
)
def test_template_that_cannot_render_fails_without_retry(template: str) -> None:
    with pytest.raises(ApplicationError) as err:
        render(review_input(prompt=template), [])
    assert err.value.type == "AiPromptError" and err.value.non_retryable


@pytest.mark.parametrize(
    "template",
    [
        "{{ 10**10**9 }}",  # Jinja's ** groups to the left: (10**10)**9, still refused
        "{{ 10**(10**9) }}",
        "{{ 'x' * 10**10 }}",
        "{{ [0] * 10**10 }}",
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",  # beyond the output bound
    ],
)
def test_template_that_would_exhaust_the_worker_fails_fast(template: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ApplicationError) as err:
        render(review_input(prompt=template), [])
    assert err.value.type == "AiPromptError" and err.value.non_retryable
    assert time.perf_counter() - started < 1.0


def test_sandbox_still_computes_small_powers_and_repeats() -> None:
    rendered = render(review_input(prompt="{{ 2**10 }} {{ 1.5**2 }} {{ '-' * 3 }}"), [])
    assert rendered.text == "1024 2.25 ---"


async def test_document_text_is_loaded_from_the_blob_store_into_the_prompt(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    store = open_blob_store(settings)
    text = "发票代码 044001900111 价税合计 ¥1,260.00 " + "x" * (DOCUMENT_CHARS * 2)
    try:
        ref = await store.put(text.encode(), content_type="text/plain")
    finally:
        await store.aclose()
    ocr = {"kind": "vat_invoice", "pages": 1, "text_ref": ref.document_id}
    async with ai_worker(client, settings, task_queue):
        await run_probe(client, task_queue, review_input({"amount": 1260, "ocr": ocr}))
    prompt = fake_openai.requests[0]["messages"][-1]["content"]
    assert 'Document "ocr" (vat_invoice):\n发票代码 044001900111 价税合计 ¥1,260.00' in prompt
    assert "x" * DOCUMENT_CHARS not in prompt  # truncated to the per-document bound
    assert "text_ref" not in prompt  # the reference itself is not request text


async def test_document_text_nested_in_a_result_variable_is_loaded(tmp_path: Path) -> None:
    store = open_blob_store(ai_settings(tmp_path))
    try:
        receipt = await store.put("滴滴出行 86.00".encode(), content_type="text/plain")
        contract = await store.put("合同 第一条".encode(), content_type="text/plain")
        too_deep = await store.put(b"never read", content_type="text/plain")
        variables = {
            "receipt_ocr": {"ocr": {"kind": "receipt", "text_ref": receipt.document_id}},
            "a_contract": {"text_ref": contract.document_id},
            "z": {"b": {"c": {"d": {"text_ref": too_deep.document_id}}}},
        }
        documents = await load_documents(lambda: store, variables)
    finally:
        await store.aclose()
    assert documents == [
        Document("a_contract", "document", "合同 第一条"),
        Document("receipt_ocr.ocr", "receipt", "滴滴出行 86.00"),
    ]


async def test_json_object_mode_puts_the_schema_in_the_prompt(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai, ai_structured_output="json_object")
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, review_input())
    sent = fake_openai.requests[0]
    assert sent["response_format"] == {"type": "json_object"}
    assert '"risk_flags"' in sent["messages"][0]["content"]
    assert result.decision == "approve"


async def test_route_asks_the_model_for_one_of_the_outgoing_flows(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    options = [
        AiRouteOption(flow_id="to_finance", name="Finance", documentation="Amounts over 10000"),
        AiRouteOption(flow_id="to_manager", name="Manager"),
    ]
    route = review_input(model="route:to_finance").model_copy(
        update={"purpose": "route", "node_kind": "exclusive", "options": options}
    )
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, route)
    sent = fake_openai.requests[0]
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["decision"]["enum"] == ["to_finance", "to_manager", "abstain"]
    assert "- to_finance: Finance (Amounts over 10000)" in sent["messages"][-1]["content"]
    assert (result.decision, result.template_version) == ("to_finance", "default-route@1")


async def test_route_answer_naming_no_outgoing_flow_is_bad_output(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    route = review_input(model="route:elsewhere").model_copy(
        update={
            "purpose": "route",
            "node_kind": "exclusive",
            "options": [AiRouteOption(flow_id="to_manager", name="Manager")],
        }
    )
    async with ai_worker(client, settings, task_queue):
        with pytest.raises(WorkflowFailureError) as err:
            await run_probe(client, task_queue, route, attempts=2)
    cause = err.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "AiBadOutput"
    assert fake_openai.calls("route:elsewhere") == 2


def test_a_document_prints_as_its_text_in_a_template() -> None:
    template = "{% for doc in documents %}{{ doc.variable }}/{{ doc.kind }}: {{ doc }}{% endfor %}"
    documents = [Document("ocr", "receipt", "滴滴出行 86.00")]
    rendered = render(review_input(prompt=template), documents)
    assert rendered.text == "ocr/receipt: 滴滴出行 86.00"


def test_a_request_template_replaces_the_default_request_text() -> None:
    review = review_input({"amount": 1260, "description": "出差北京", "approved": True})
    templated = review.model_copy(
        update={
            "spec": review.spec.model_copy(update={"request": "{{ description }} {{ amount }}元"})
        }
    )
    assert "Request:\n出差北京 1260元\n" in render(templated, []).text
    assert request_values(templated.variables) == "1260 出差北京"  # values only, engine keys out
    assert request_values(templated.variables, templated.spec.request) == "出差北京 1260元"


ISSUE_POLICY = "Approve travel expenses under 2000 CNY with a receipt; reject personal items."
POLICY_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
  <process id="travel" isExecutable="true">
    <startEvent id="start"/>
    <userTask id="review" name="Review" shenpi:assignee="mia">
      <extensionElements>{ai}</extensionElements>
    </userTask>
    <endEvent id="end"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  </process>
</definitions>"""


def _compiled_spec(ai: str) -> tuple[AiSpec, list[str]]:
    from bpmn_compiler import compile_bpmn

    result = compile_bpmn(POLICY_PROCESS.format(ai=ai).encode())
    node = next(n for n in result.plan.nodes if n.id == "review")
    spec = getattr(node, "ai", None)
    assert isinstance(spec, AiSpec)
    return spec, [d.code for d in result.warnings]


async def test_a_policy_prompt_is_sent_with_the_request_documents_and_examples(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    spec, _ = _compiled_spec(
        f'<shenpi:ai mode="decide" prompt="{ISSUE_POLICY}">'
        '<shenpi:example decision="reject">买了一台个人游戏机 2399元</shenpi:example></shenpi:ai>'
    )
    assert (spec.policy, spec.prompt) == (ISSUE_POLICY, None)
    settings = openai_settings(tmp_path, fake_openai)
    store = open_blob_store(settings)
    try:
        ref = await store.put("出租汽车专用发票 金额 80.00".encode(), content_type="text/plain")
    finally:
        await store.aclose()
    variables = {
        "item": "taxi to airport",
        "amount": 80,
        "receipt_ocr": {"ocr": {"kind": "taxi_invoice", "text_ref": ref.document_id}},
    }
    review = review_input(variables).model_copy(update={"spec": spec})
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, review)
    prompt = fake_openai.requests[0]["messages"][-1]["content"]
    assert f"The policy to apply:\n{ISSUE_POLICY}\n" in prompt
    assert "amount: 80\nitem: taxi to airport" in prompt
    assert "出租汽车专用发票 金额 80.00" in prompt
    assert "- reject: 买了一台个人游戏机 2399元" in prompt
    assert result.template_version == "default-review@2"


def _route_input(*examples: AiExample, policy: str | None = None) -> AiReviewInput:
    options = [
        AiRouteOption(flow_id="to_it", name="IT", documentation="Computers, software licences"),
        AiRouteOption(flow_id="to_legal", name="Legal", documentation="Contracts"),
    ]
    spec = AiSpec(mode="route", policy=policy, examples=examples)
    return review_input().model_copy(
        update={"purpose": "route", "node_kind": "exclusive", "options": options, "spec": spec}
    )


def test_a_route_shows_the_requests_people_routed_in_its_own_template_version() -> None:
    plain = render(_route_input(), [])
    licence = AiExample(decision="to_legal", text="Review the licence agreement of a vendor")
    shown = render(_route_input(licence), [])
    assert plain.template_version == "default-route@1" and "routed before" not in plain.text
    assert shown.template_version == "default-route@3"
    assert "Requests routed before:\n- to_legal: Review the licence agreement" in shown.text
    # Everything else reads as before: the examples are one section more.
    assert (
        shown.text.replace(
            "\nRequests routed before:\n- to_legal: Review the licence agreement of a vendor\n", ""
        )
        == plain.text
    )
    policy = render(_route_input(licence, policy="Contracts go to Legal."), [])
    assert policy.template_version == "default-route@4" and "How to route:" in policy.text
    # A plan compiled before routes took examples may hold approve/reject ones: never shown.
    old = render(_route_input(AiExample(decision="approve", text="anything")), [])
    assert (old.template_version, old.text) == ("default-route@1", plain.text)


def test_a_node_without_a_policy_keeps_the_first_template_version() -> None:
    spec, _ = _compiled_spec('<shenpi:ai mode="advise"/>')
    review = review_input().model_copy(update={"spec": spec})
    rendered = render(review, [])
    assert rendered.template_version == "default-review@1"
    assert "policy" not in rendered.text


def test_a_plan_compiled_before_policies_still_renders_its_prompt_as_the_whole_template() -> None:
    # Stored plans keep their AiSpec: "prompt" was the whole template, and still is.
    old = AiSpec.model_validate({"mode": "decide", "prompt": "Decide on {{ amount }}."})
    rendered = render(review_input(prompt=None).model_copy(update={"spec": old}), [])
    assert rendered.text == "Decide on 1260."
    assert rendered.template_version.startswith("custom:")


def test_a_policy_can_use_the_request_variables() -> None:
    review = review_input(policy="Claims under {{ limit }} CNY are fine.")
    review.variables["limit"] = 2000
    assert "Claims under 2000 CNY are fine." in render(review, []).text


@pytest.mark.parametrize(
    ("ai", "warned"),
    [
        ('<shenpi:ai template="Approve travel under 2000 CNY."/>', True),
        ('<shenpi:ai template="Policy: {{ policy }} for {{ node.name }}"/>', True),
        ('<shenpi:ai template="Approve travel under 2000 CNY: {{ request }}"/>', False),
        ('<shenpi:ai template="{{ amount }} for {{ item }}"/>', False),
        (
            "<shenpi:ai><shenpi:template>{% for d in documents %}{{ d }}{% endfor %}"
            "</shenpi:template></shenpi:ai>",
            False,
        ),
        ('<shenpi:ai prompt="Approve travel under 2000 CNY."/>', False),
    ],
)
def test_compiler_warns_when_a_full_template_shows_no_request(ai: str, warned: bool) -> None:
    spec, codes = _compiled_spec(ai)
    assert ("ai-template-no-request" in codes) is warned
    assert spec.prompt is not None or spec.policy is not None
