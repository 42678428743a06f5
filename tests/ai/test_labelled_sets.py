"""The offline reviewer on the repository's labelled sets (dev halves only: the held-out halves
are read by the evaluation report, docs/ai.md): it decides most clear cases, rightly, by each
node's own threshold, and leaves the unclear ones to people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from activities.ai.evaluate import UNCLEAR, LabelledCase, Report, evaluate, examples_from
from activities.ai.local_reviewer import LocalReviewer
from activities.ai.policy import read_policy
from shenpi.db.lazy import LazyDatabase
from shenpi_core.process_plan import AiExample
from tests.ai.conftest import ai_settings
from tests.ai.labelled import SETS, labelled_set, routing_set

COVERAGE = 0.60  # of the clear cases, decided at the node's threshold
PRECISION = 0.98  # of those decisions, right
# Routes are held to the same precision at the threshold `shenpi ai eval` calibrates on the dev
# split (0.8 on routing.bpmn), with the coverage that threshold leaves: the set's requests that
# name another desk's words keep the embedding model under 60 % (docs/ai.md, "Routing").
ROUTING_COVERAGE = 0.45
# With the dev split's other requests as the node's examples (leave-one-out), at 0.6.
ROUTING_WITH_EXAMPLES_COVERAGE = 0.5


@pytest_asyncio.fixture
async def reviewer(tmp_path: Path) -> AsyncIterator[LocalReviewer]:
    settings = ai_settings(tmp_path, ai_provider="local")
    database = LazyDatabase(settings)
    try:
        yield LocalReviewer(settings, database)
    finally:
        await database.aclose()


async def _dev_report(reviewer: LocalReviewer, name: str) -> Report:
    labelled = labelled_set(name, "dev")
    assert len(labelled.cases) >= 20 and {c.split for c in labelled.cases} == {"dev"}
    return await evaluate(reviewer, labelled.node, labelled.spec, labelled.cases)


@pytest.mark.parametrize("name", sorted(SETS))
async def test_offline_reviewer_decides_most_clear_cases_rightly(
    reviewer: LocalReviewer, name: str
) -> None:
    report = await _dev_report(reviewer, name)
    row = report.at(report.threshold)
    print(f"\n{name}:\n{report.text()}")
    assert row.coverage >= COVERAGE, report.text()
    assert row.precision >= PRECISION, report.text()
    undecided = [a for a in report.answers if a.case.label == UNCLEAR]
    assert undecided and not any(a.decides(report.threshold) for a in undecided)


async def test_sets_are_bilingual_and_hold_out_half_of_each_kind() -> None:
    for name in SETS:
        every = labelled_set(name).cases
        texts = " ".join(str(v) for c in every for v in c.variables.values())
        assert any("\u4e00" <= ch <= "\u9fff" for ch in texts) and any(ch.isascii() for ch in texts)
        for label in ("approve", "reject", UNCLEAR):
            splits = [c.split for c in every if c.label == label]
            assert splits.count("heldout") == splits.count("dev") > 0, (name, label)


def test_a_policy_reads_as_labelled_statements_and_limits() -> None:
    policy = read_policy(
        "Annual leave up to 5 days and marriage leave are approved. Leave for a second job and"
        " leave longer than 20 days are rejected. Point out anything unusual."
    )
    assert [(s.decision, s.text) for s in policy.statements] == [
        ("approve", "Annual leave"),
        ("approve", "marriage leave"),
        ("reject", "Leave for a second job"),
    ]
    assert [(lim.decision, lim.variable, lim.value) for lim in policy.limits] == [
        ("approve", "days", 5.0),
        ("reject", "days", 20.0),
    ]
    chinese = read_policy("差旅费2000元以内予以报销；个人消费不予报销，超过5000元的一律驳回。")
    assert [(s.decision, s.text) for s in chinese.statements] == [
        ("approve", "差旅费"),
        ("reject", "个人消费"),
    ]
    assert [(lim.decision, lim.variable, lim.value) for lim in chinese.limits] == [
        ("approve", "amount", 2000.0),
        ("reject", "amount", 5000.0),
    ]


async def test_routes_follow_the_requests_text_on_the_labelled_routing_set(
    reviewer: LocalReviewer,
) -> None:
    labelled = routing_set("dev")
    report = await evaluate(reviewer, labelled.node, labelled.spec, labelled.cases)
    row = report.at(report.threshold)
    print(f"\nrouting:\n{report.text()}")
    assert row.coverage >= ROUTING_COVERAGE and row.precision >= PRECISION, report.text()
    undecided = [a for a in report.answers if a.case.label == UNCLEAR]
    assert undecided and not any(a.decides(report.threshold) for a in undecided)


@pytest.mark.parametrize("category", ["travel", "it", "差旅", "其他"])
async def test_a_route_is_not_picked_by_an_unrelated_variable(
    reviewer: LocalReviewer, category: str
) -> None:
    labelled = routing_set()
    vague = LabelledCase({"description": "其他", "category": category, "amount": 300}, UNCLEAR, "")
    paper = LabelledCase({"description": "买一箱A4打印纸", "category": category}, "to_admin", "")
    report = await evaluate(reviewer, labelled.node, labelled.spec, [vague, paper])
    assert [(a.decision, a.decides(labelled.spec.threshold)) for a in report.answers] == [
        ("abstain", False),
        ("to_admin", True),
    ]


@pytest.mark.parametrize(
    "description",
    ["The projector in the meeting room won't connect to my laptop", "出差期间VPN连不上"],
)
async def test_a_word_of_another_desk_does_not_route_a_request_there(
    reviewer: LocalReviewer, description: str
) -> None:
    # Both went to the desk their side word names (行政 by "meeting rooms", 差旅 by "出差")
    # when a flow scored its single best phrase; an IT request is routed to IT or left to people.
    labelled = routing_set()
    case = LabelledCase({"description": description, "category": "other"}, "to_it", "")
    [answer] = (await evaluate(reviewer, labelled.node, labelled.spec, [case])).answers
    assert answer.decision == "to_it" or not answer.decides(labelled.spec.threshold), answer


async def test_examples_of_routed_requests_make_routes_precise(reviewer: LocalReviewer) -> None:
    # Each dev request routed with the other dev requests as the node's examples, as a desk's
    # routing reads once people have routed some (`shenpi ai eval --examples`): no example for
    # itself. Without them the split's traps go astray at 0.6 (the test above).
    labelled = routing_set("dev")
    examples = examples_from(labelled.node, labelled.spec, labelled.cases)
    assert len(examples) == len([c for c in labelled.cases if c.label != UNCLEAR])
    report = await evaluate(
        reviewer, labelled.node, labelled.spec, labelled.cases, examples=examples
    )
    row = report.at(0.6)
    print(f"\nrouting with examples:\n{report.text()}")
    assert row.coverage >= ROUTING_WITH_EXAMPLES_COVERAGE, report.text()
    assert row.precision >= PRECISION, report.text()


async def test_an_example_takes_a_request_worded_like_it_to_its_flow(
    reviewer: LocalReviewer,
) -> None:
    # The lamp at the server-room door reads like IT ("服务器") by the flows' words alone; one
    # example of a broken lamp that went to 行政 takes it there.
    labelled = routing_set()
    case = LabelledCase({"description": "服务器机房门口的灯坏了"}, "to_admin", "")
    before = (await evaluate(reviewer, labelled.node, labelled.spec, [case])).answers[0]
    assert before.decision == "to_it"
    lamp = AiExample(decision="to_admin", text="会议室门口的灯坏了，请找人修")
    spec = labelled.spec.model_copy(update={"examples": (lamp,)})
    [after] = (await evaluate(reviewer, labelled.node, spec, [case])).answers
    assert after.decision == "to_admin" and after.decides(0.6), after
