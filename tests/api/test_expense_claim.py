"""The expense claim of ``processes/expense-claim.bpmn``, end to end over HTTP.

The receipt is uploaded through the documents API, read by the real ``ocr`` activity in its
process pool on the OCR task queue, and the claim is reviewed by the real ``ai-review`` activity:
against the local OpenAI-compatible server (real HTTP, the real ``openai`` client), or offline with
the precedent reviewer. Small clear claims are decided by the AI alone; the rest reach people with
the AI's advice in their inbox; finance is people only.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.ai.fake_openai import FakeOpenAi, running_fake_openai
from tests.api.conftest import Stack, api_settings, running_stack
from tests.api.flows import decided, deploy, ended, inbox, start, task_of
from tests.helpers import REPO_ROOT, assert_eventually
from tests.ocr.documents import make_invoice, make_receipt, render
from worker import build_ocr_worker

EXPENSE_BPMN = REPO_ROOT / "processes" / "expense-claim.bpmn"
DIRECTORY = REPO_ROOT / "processes" / "directory.yaml"  # alice's manager is bob; erin is finance


@asynccontextmanager
async def _stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, **settings: Any
) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        config = api_settings(tmp_path, directory_file=DIRECTORY, **settings)
        stack = await exits.enter_async_context(running_stack(temporal_env, config))
        ocr_worker = build_ocr_worker(
            temporal_env.client, task_queue=config.task_queue, settings=config, processes=1
        )
        await exits.enter_async_context(ocr_worker)
        await deploy(stack, EXPENSE_BPMN.read_bytes())
        yield stack


@pytest_asyncio.fixture
async def model() -> AsyncIterator[FakeOpenAi]:
    async with running_fake_openai() as server:
        yield server


@pytest_asyncio.fixture
async def with_model(
    temporal_env: WorkflowEnvironment, tmp_path: Path, model: FakeOpenAi
) -> AsyncIterator[Stack]:
    """The stack with the OpenAI-compatible provider; the model answers as each test scripts."""
    async with _stack(
        temporal_env,
        tmp_path,
        ai_provider="openai",
        ai_base_url=model.base_url,
        ai_api_key="test-key",
        ai_model="reviewer",
    ) as stack:
        yield stack


@pytest_asyncio.fixture
async def offline(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    """The stack with the default offline precedent reviewer: no model server at all."""
    async with _stack(temporal_env, tmp_path, ai_provider="local") as stack:
        yield stack


async def _upload(stack: Stack, kind: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    maker = make_invoice if kind == "vat_invoice" else make_receipt
    doc = maker(random.Random(seed))
    image = render(doc, "clean_png", random.Random(seed))
    async with stack.http("alice") as http:
        response = await http.post(
            "/api/v1/documents", files={"file": (f"{kind}.png", image, "image/png")}
        )
    assert response.status_code == 201, response.text
    return response.json(), doc.truth


async def _upload_receipt(stack: Stack, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A generated receipt (PNG) uploaded by alice: its document reference and its true fields."""
    return await _upload(stack, "receipt", seed)


async def _claim(stack: Stack, amount: float, description: str, receipt: dict[str, Any]) -> str:
    async with stack.http("alice") as http:
        variables = {"amount": amount, "description": description, "receipt": receipt}
        return await start(http, "expense-claim", variables=variables)


async def _claim_with_receipt(
    stack: Stack, seed: int, description: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A claim for exactly what its (generated, uploaded) receipt says."""
    receipt, truth = await _upload_receipt(stack, seed)
    return await _claim(stack, truth["total"], description, receipt), receipt, truth


async def _final(stack: Stack, instance_id: str) -> dict[str, Any]:
    async with stack.http("alice") as http:
        return await ended(http, instance_id)


def _payload_texts(node: Any) -> list[str]:
    """Every payload of a history (JSON, base64 in ``data`` fields), decoded."""
    if isinstance(node, dict):
        texts = (
            [base64.b64decode(node["data"]).decode("utf-8", "replace")]
            if isinstance(node.get("data"), str)
            else []
        )
        return texts + [t for value in node.values() for t in _payload_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _payload_texts(value)]
    return []


def _events(state: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [e for e in state["timeline"] if e["event"] == event]


async def test_small_clear_claim_is_read_by_ocr_and_approved_by_the_ai_alone(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["approve"])
    instance_id, receipt, truth = await _claim_with_receipt(stack, 11, "出差期间的工作餐和饮料")

    final = await _final(stack, instance_id)
    assert final["outcome"] == "approved"
    (decision,) = _events(final, "approved")
    assert decision["actor"] == "ai:reviewer" and decision["node_id"] == "Task_AiReview"
    read = final["variables"]["receipt_ocr"]
    assert read["total"] == pytest.approx(truth["total"])
    assert read["ocr"]["kind"] == "receipt"
    # The model saw the receipt's text (loaded from the blob store by its reference).
    prompt = json.dumps(model.requests[-1]["messages"], ensure_ascii=False)
    assert truth["merchant"] in prompt
    async with stack.http("bob") as http:
        assert await inbox(http, instance_id) == []  # the manager was never asked
    # History holds the receipt's reference and hash, never its bytes.
    history = await stack.temporal.get_workflow_handle(instance_id).fetch_history()
    payloads = "\n".join(_payload_texts(history.to_json_dict()))
    assert receipt["sha256"] in payloads
    async with stack.http("alice") as http:
        image = (await http.get(f"/api/v1/documents/{receipt['document_id']}")).content
    assert base64.b64encode(image[99:159]).decode() not in payloads
    assert image[99:159].hex() not in payloads


async def test_hesitant_review_hands_the_claim_to_the_manager_with_the_advice(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["hesitant"])
    instance_id, _, _ = await _claim_with_receipt(stack, 12, "团队咖啡")

    async with stack.http("bob") as http:
        task = await task_of(http, instance_id, node_id="Task_AiReview")
        assert task["ai"]["decision"] == "approve"
        assert task["ai"]["confidence"] == pytest.approx(0.55)
        assert task["ai"]["advice"] == "Probably fine; the receipt is unclear."
        assert task["ai"]["risk_flags"] == ["unclear_receipt"]
        await decided(http, instance_id, task["task_id"], "approve", comment="OK")
    final = await _final(stack, instance_id)
    assert final["outcome"] == "approved"
    assert [e["actor"] for e in _events(final, "approved")] == ["bob"]


async def test_large_claim_goes_to_the_manager_with_advice_then_to_finance_people_only(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["approve"])  # confident, but the manager step only takes advice
    receipt, _ = await _upload_receipt(stack, seed=13)
    instance_id = await _claim(stack, 4800, "客户现场部署 差旅费", receipt)

    async with stack.http("bob") as http:
        task = await task_of(http, instance_id, node_id="Task_ManagerApproval")
        assert task["ai"]["decision"] == "approve" and task["ai"]["advice"]
        await decided(http, instance_id, task["task_id"], "approve")
    async with stack.http("erin", ["finance"]) as http:
        task = await task_of(http, instance_id, node_id="Task_FinanceApproval")
        assert task.get("ai") is None  # finance decides without the AI
        await decided(http, instance_id, task["task_id"], "approve")
    final = await _final(stack, instance_id)
    assert final["outcome"] == "approved"
    assert [e["actor"] for e in _events(final, "approved")] == ["bob", "erin"]
    assert model.calls("reviewer") == 1


async def test_model_down_falls_back_to_people_and_nothing_is_lost(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["error-500"])
    instance_id, _, _ = await _claim_with_receipt(stack, 14, "出差打车")

    async with stack.http("bob") as http:
        task = await task_of(http, instance_id, node_id="Task_AiReview")
        assert task.get("ai") is None
        await decided(http, instance_id, task["task_id"], "reject", comment="No trip that day")
    final = await _final(stack, instance_id)
    assert final["outcome"] == "rejected"
    (failure,) = _events(final, "ai_failed")
    assert failure["node_id"] == "Task_AiReview"
    assert model.calls("reviewer") == 3  # the node's retry policy: three attempts, then people


async def test_offline_reviewer_approves_a_claim_like_its_precedents_and_hands_over_a_novel_one(
    offline: Stack,
) -> None:
    stack = offline
    receipt, truth = await _upload_receipt(stack, seed=15)
    familiar = await _claim(stack, truth["total"], "出差期间市内打车 电子发票", receipt)
    novel = await _claim(stack, truth["total"], "量子纠缠实验用液氦补充", receipt)

    final = await _final(stack, familiar)
    assert final["outcome"] == "approved"
    (decision,) = _events(final, "approved")
    assert decision["actor"].startswith("ai:")
    async with stack.http("bob") as http:
        task = await task_of(http, novel, node_id="Task_AiReview")
        assert task["ai"]["decision"] == "abstain" or task["ai"]["confidence"] < 0.85


async def test_a_claim_its_receipt_contradicts_goes_to_people_however_small(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["approve"])
    receipt, truth = await _upload_receipt(stack, seed=17)
    instance_id = await _claim(stack, round(truth["total"] + 50, 2), "出差打车", receipt)

    async with stack.http("bob") as http:
        task = await task_of(http, instance_id, node_id="Task_ManagerApproval")
        assert task["ai"]["decision"] == "approve"  # the AI advises; the manager decides
        await decided(http, instance_id, task["task_id"], "reject", comment="Receipt says less")
    async with stack.http("alice") as http:
        state = await task_of(http, instance_id, node_id="Task_ManagerApproval", kind="resubmit")
    assert state["kind"] == "resubmit"  # back to alice to correct the claim


async def test_the_inbox_shows_the_advice_without_putting_it_in_visibility(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["hesitant"])
    instance_id, _, _ = await _claim_with_receipt(stack, 16, "团队下午茶")
    async with stack.http("bob") as http:
        await task_of(http, instance_id, node_id="Task_AiReview")

    async def memo_has_no_advice() -> None:
        description = await stack.temporal.get_workflow_handle(instance_id).describe()
        memo = json.dumps(await description.memo(), ensure_ascii=False)
        assert "result_id" in memo
        assert "unclear" not in memo  # neither the advice text nor the risk flags

    await assert_eventually(memo_has_no_advice)


async def test_a_claim_without_a_receipt_goes_to_the_manager(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["approve"])
    async with stack.http("alice") as http:  # e.g. started from a chat message: no document
        variables = {"amount": 1260, "description": "报销 出差北京 住宿3晚 1260元"}
        instance_id = await start(http, "expense-claim", variables=variables)
    async with stack.http("bob") as http:
        task = await task_of(http, instance_id, node_id="Task_ManagerApproval")
        assert task["ai"]["decision"] == "approve"
    async with stack.http("alice") as http:
        state = await http.get(f"/api/v1/instances/{instance_id}")
    assert not _events(state.json(), "service_completed")  # no OCR without a document


async def test_a_vat_invoice_leaves_the_claimed_amount_as_claimed(
    with_model: Stack, model: FakeOpenAi
) -> None:
    stack = with_model
    model.script("reviewer", ["hesitant"])
    invoice, truth = await _upload(stack, "vat_invoice", seed=18)
    instance_id = await _claim(stack, truth["total"], "办公用品采购", invoice)

    async def read() -> dict[str, Any]:
        async with stack.http("alice") as http:
            body = await http.get(f"/api/v1/instances/{instance_id}")
        variables: dict[str, Any] = body.json()["variables"]
        assert "receipt_ocr" in variables
        return variables

    variables = await assert_eventually(read)
    # The invoice's 金额 (before tax) is read into receipt_ocr; the claim keeps its own amount.
    assert variables["amount"] == truth["total"]
    assert variables["receipt_ocr"]["amount"] == pytest.approx(truth["amount"])
    assert variables["receipt_ocr"]["total"] == pytest.approx(truth["total"])
