"""Calibration: a node's AI configuration replayed over labelled cases or people's archived
decisions, from the command line (a real process) and the admin API (real HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from activities.ai.evaluate import Answer, LabelledCase, Report
from shenpi.db.archive import archive_instance
from shenpi.db.lazy import LazyDatabase
from shenpi_core.contracts import InstanceState
from shenpi_core.contracts import TimelineEntry as Entry
from tests.ai.labelled import SETS_DIR
from tests.api.conftest import api_settings, running_stack
from tests.api.flows import deploy

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SHENPI = Path(sys.executable).parent / "shenpi"


def _answer(label: str, decision: str, confidence: float) -> Answer:
    return Answer(LabelledCase({}, label, f"{label}/{decision}"), decision, confidence, "why")


def test_report_counts_coverage_precision_agreement_and_the_threshold_for_a_precision() -> None:
    report = Report("review", 0.8)
    report.answers = [
        _answer("approve", "approve", 0.95),
        _answer("approve", "approve", 0.7),
        _answer("reject", "reject", 0.9),
        _answer("reject", "approve", 0.6),  # wrong, below 0.7
        _answer("unclear", "reject", 0.75),  # wrong: people should decide it
        _answer("unclear", "abstain", 0.0),
    ]
    at_08 = report.at(0.8)
    assert (at_08.decided, at_08.correct, at_08.clear, at_08.coverage) == (2, 2, 4, 0.5)
    at_06 = report.at(0.6)
    assert (at_06.decided, at_06.correct, round(at_06.precision, 2)) == (5, 3, 0.6)
    assert report.agreement == 0.75  # 3 of the 4 clear cases answered as people did
    assert [a.case.source for a in report.disagreements()] == ["unclear/reject", "reject/approve"]
    assert report.threshold_for(0.98) == 0.751  # 0.75 lets the unclear case through
    assert report.threshold_for(0.5) == 0.6
    assert "threshold reaching 98% precision: 0.751" in report.text()


def test_shenpi_ai_eval_prints_the_report_of_a_labelled_file(tmp_path: Path) -> None:
    command = [str(SHENPI), "ai", "eval", str(SETS_DIR / "purchases.bpmn"), "--node", "review"]
    command += ["--cases", str(SETS_DIR / "purchases.jsonl"), "--split", "dev", "--json"]
    env = {**os.environ, "SHENPI_DATA_DIR": str(tmp_path), "SHENPI_AI_PROVIDER": "local"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["node_id"], report["cases"], report["node_threshold"]) == ("review", 24, 0.85)
    assert [r["threshold"] for r in report["rows"]][:2] == [0.5, 0.6]
    node_row = next(r for r in report["rows"] if r["threshold"] == 0.85)
    assert node_row["coverage"] >= 0.6 and node_row["precision"] >= 0.98
    assert report["threshold_for_target"] is not None
    assert 0.5 < report["agreement"] <= 1.0

    text = subprocess.run(command[:-1], capture_output=True, text=True, env=env, timeout=300)
    assert "threshold  decided  coverage  precision" in text.stdout
    assert "<- node" in text.stdout and "agreement with people:" in text.stdout


def test_shenpi_ai_eval_tries_labelled_requests_as_the_nodes_examples(tmp_path: Path) -> None:
    # The routing set's dev split, each request routed with the others as examples: what a
    # team sees before writing its routed requests into the file as <shenpi:example>s.
    routing = [str(SHENPI), "ai", "eval", str(SETS_DIR / "routing.bpmn"), "--node", "route"]
    routing += ["--cases", str(SETS_DIR / "routing.jsonl"), "--split", "dev", "--json"]
    env = {**os.environ, "SHENPI_DATA_DIR": str(tmp_path), "SHENPI_AI_PROVIDER": "local"}
    rows = {}
    for extra in ([], ["--examples", str(SETS_DIR / "routing.jsonl"), "--examples-split", "dev"]):
        done = subprocess.run(routing + extra, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        rows[bool(extra)] = next(r for r in report["rows"] if r["threshold"] == 0.6)
    assert rows[False]["precision"] < 0.98  # the traps of the split, by the flows' words alone
    assert rows[True]["precision"] >= 0.98 and rows[True]["coverage"] >= 0.5


def test_shenpi_ai_eval_refuses_a_node_without_ai(tmp_path: Path) -> None:
    command = [str(SHENPI), "ai", "eval", str(SETS_DIR / "purchases.bpmn"), "--node", "end"]
    env = {**os.environ, "SHENPI_DATA_DIR": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and "has no AI step 'end'" in done.stderr


def _archived(n: int, variables: dict[str, Any], event: str) -> InstanceState:
    return InstanceState(
        process_id="purchase-eval",
        version=1,
        status="completed",
        outcome=event,
        initiator="ivan",
        variables={**variables, "initiator": "ivan"},
        timeline=[
            Entry(at=AT, event="task_opened", node_id="review", task_id=f"review-{n}"),
            Entry(at=AT, event=event, node_id="review", task_id=f"review-{n}", actor="mia"),
        ],
    )


PAST = [
    ({"item": "复印纸 5箱", "reason": "行政部日常办公", "amount": 300}, "approved"),
    ({"item": "笔记本电脑", "reason": "新员工入职 工作用", "amount": 4800}, "approved"),
    ({"item": "家用电视机", "reason": "放在家里客厅", "amount": 3999}, "rejected"),
    ({"item": "名牌包", "reason": "送给家人的礼物", "amount": 4500}, "rejected"),
]


async def test_admin_api_replays_a_nodes_archived_decisions(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = api_settings(tmp_path, ai_provider="local")
    database = LazyDatabase(settings)
    async with (await database())() as session:
        for n, (variables, event) in enumerate(PAST):
            state = _archived(n, variables, event)
            await archive_instance(session, f"purchase-eval:{n}", state, archived_at=AT)
    await database.aclose()
    async with running_stack(temporal_env, settings, worker=False) as stack:
        await deploy(stack, (SETS_DIR / "purchases.bpmn").read_bytes())
        body = {"process_id": "purchase-eval", "node_id": "review", "target_precision": 0.9}
        async with stack.http("ops", ["admin"]) as http:
            archived = await http.post("/api/v1/admin/ai/eval", json=body)
            labelled = await http.post(
                "/api/v1/admin/ai/eval",
                json={**body, "cases": [{"variables": PAST[2][0], "label": "reject"}]},
            )
            no_ai = await http.post("/api/v1/admin/ai/eval", json={**body, "node_id": "end"})
            unknown = await http.post(
                "/api/v1/admin/ai/eval", json={**body, "process_id": "nothing"}
            )
        async with stack.http("mia") as http:
            refused = await http.post("/api/v1/admin/ai/eval", json=body)
    assert archived.status_code == 200, archived.text
    report = archived.json()
    assert (report["cases"], report["target_precision"]) == (4, 0.9)
    # Each past request is reviewed without itself among the precedents (leave one out), so
    # the report measures the AI on requests it has not seen.
    assert report["agreement"] > 0.5
    assert {r["threshold"] for r in report["rows"]} >= {0.5, 0.85}
    assert labelled.status_code == 200 and labelled.json()["cases"] == 1
    assert (no_ai.status_code, no_ai.json()["error"]["code"]) == (422, "not_evaluable")
    assert unknown.status_code == 404
    assert refused.status_code == 403


async def test_admin_api_tries_labelled_requests_as_a_routes_examples(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = api_settings(tmp_path, ai_provider="local")
    lamp = {"variables": {"description": "服务器机房门口的灯坏了"}, "label": "to_admin"}
    example = {"variables": {"description": "会议室门口的灯坏了，请找人修"}, "label": "to_admin"}
    body = {"process_id": "routing-eval", "node_id": "route", "cases": [lamp]}
    async with running_stack(temporal_env, settings, worker=False) as stack:
        await deploy(stack, (SETS_DIR / "routing.bpmn").read_bytes())
        async with stack.http("ops", ["admin"]) as http:
            alone = await http.post("/api/v1/admin/ai/eval", json=body)
            steered = await http.post("/api/v1/admin/ai/eval", json={**body, "examples": [example]})
            itself = await http.post("/api/v1/admin/ai/eval", json={**body, "examples": [lamp]})
    assert alone.status_code == steered.status_code == itself.status_code == 200, alone.text
    assert [d["decision"] for d in alone.json()["disagreements"]] == ["to_it"]
    assert steered.json()["disagreements"] == [] and steered.json()["agreement"] == 1.0
    # The request itself as an example is left out: the report is as without it.
    assert itself.json()["disagreements"] == alone.json()["disagreements"]


async def test_an_archived_case_is_not_its_own_precedent(tmp_path: Path) -> None:
    from activities.ai.evaluate import archived_cases

    settings = api_settings(tmp_path, ai_provider="local")
    database = LazyDatabase(settings)
    try:
        async with (await database())() as session:
            state = _archived(0, PAST[0][0], "approved")
            await archive_instance(session, "purchase-eval:0", state, archived_at=AT)
            (case,) = await archived_cases(session, "purchase-eval", "review")
    finally:
        await database.aclose()
    assert (case.label, case.instance_id, case.source) == (
        "approve",
        "purchase-eval:0",
        "instance purchase-eval:0 (mia)",
    )
