"""Instances of one version share one plan in the worker; a plan's hash must match its content."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bpmn_compiler import compile_bpmn
from shenpi_core.contracts import StartInput
from tests.workflows.support import open_task, plan, start
from workflows import plan_cache

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "purchase-approval.bpmn"


def _raw_start(plan_json: dict[str, object], **variables: object) -> dict[str, object]:
    start = {"plan": plan_json, "version": 1, "initiator": "ida", "variables": variables}
    copy: dict[str, object] = json.loads(json.dumps(start))  # as each payload decodes anew
    return copy


def test_two_starts_of_one_version_share_the_plan_object() -> None:
    plan = compile_bpmn(PROCESS.read_bytes()).plan
    body = plan.model_dump(mode="json")
    first = plan_cache.start_input(_raw_start(body, amount=1))
    second = plan_cache.start_input(_raw_start(body, amount=2))
    assert isinstance(first, StartInput) and first.plan is second.plan
    assert first.plan == plan and second.variables == {"amount": 2}
    assert plan.hash in plan_cache.cached_hashes()


def test_a_plan_whose_content_does_not_match_its_hash_is_not_shared() -> None:
    plan = compile_bpmn(PROCESS.read_bytes()).plan
    forged = plan.model_dump(mode="json") | {"hash": "0" * 64, "name": "forged"}
    first = plan_cache.start_input(_raw_start(forged))
    second = plan_cache.start_input(_raw_start(forged))
    assert first.plan is not second.plan
    assert "0" * 64 not in plan_cache.cached_hashes()


async def test_instances_in_the_worker_share_the_plan_of_their_version(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # The cache must be the worker process's, not a copy the sandbox imports per instance.
    handles = [
        await start(client, "two_steps", task_queue, variables={"manager": f"m{i}"})
        for i in range(3)
    ]
    for handle in handles:
        await open_task(handle, "manager")
    assert plan("two_steps").hash in plan_cache.cached_hashes()
