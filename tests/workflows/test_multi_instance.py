"""Multi-instance activities on the real dev server (docs/interpreter.md "Multi-instance"):
service and send tasks, subprocesses, call activities and business rule tasks, parallel and
sequential; the output collection in item order; a completion condition that cancels the rest;
loopCardinality; an empty collection; a boundary timer that ends every instance."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shenpi.settings import Settings
from tests.workflows.call_support import deploy_fixture
from tests.workflows.decision_support import APPROVER_LEVEL, deploy_dmn
from tests.workflows.multi_support import MOST
from tests.workflows.support import (
    decide,
    settings_for_tests,
    start,
    timeline_events,
    wait_open_tasks,
)
from worker import build_worker


async def test_a_parallel_service_task_collects_its_outputs_in_item_order(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "mi_service", task_queue, variables={"items": [1, 2, 3, 4]})
    done = await handle.result()
    assert done.status == "completed"
    assert done.variables["doubled"] == [2, 4, 6, 8]  # later items finished first
    # The sequential send task: one at a time, Zeebe's loopCounter from 1.
    assert done.variables["quadrupled"] == [
        {"at": 1, "value": 4},
        {"at": 2, "value": 8},
        {"at": 3, "value": 12},
        {"at": 4, "value": 16},
    ]
    assert MOST[(handle.id, "double")] == 4 and MOST[(handle.id, "again")] == 1
    # The instances' locals end with them. An output element that names a variable makes it
    # local too (the first task's `result`); the second's is a context, so its last instance's
    # `result` reaches the process, as in Zeebe.
    assert "item" not in done.variables and done.variables["result"] == 16
    assert timeline_events(done).count("multi_instance_completed") == 2


async def test_an_empty_collection_completes_at_once(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "mi_service", task_queue, variables={"items": []})
    done = await handle.result()
    assert done.variables["doubled"] == [] and done.variables["quadrupled"] == []
    assert "service_completed" not in timeline_events(done)


async def test_a_completion_condition_cancels_the_rest_and_cardinality_counts(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    handle = await start(
        client,
        "mi_camunda",
        task_queue,
        variables={"suppliers": ["a", "slow", "b"], "rounds": 3},
    )
    done = await handle.result()
    ended = [e.details for e in done.timeline if e.event == "multi_instance_completed"]
    assert ended[0] == {"instances": 3, "completed": 2, "cancelled": 1}
    assert ended[1] == {"instances": 3, "completed": 3, "cancelled": 0}
    # Camunda's loopCounter counts from 0; the last sequential run was the third.
    assert done.variables["last_counter"] == 2 and done.variables["of"] == 3
    history = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in history


async def test_a_multi_instance_subprocess_runs_one_scope_per_element(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    docs = [{"name": "id card", "owner": "mia"}, {"name": "contract", "owner": "ray"}]
    handle = await start(
        client, "mi_subprocess", task_queue, variables={"docs": docs, "timeout": "PT1H"}
    )
    tasks = await wait_open_tasks(handle, 2)
    by_owner = {t.assignee: t for t in tasks}
    await decide(handle, by_owner["ray"], "approve", "ray", comment="second, decided first")
    await decide(handle, by_owner["mia"], "approve", "mia")
    (last,) = await wait_open_tasks(handle, 1)
    await decide(handle, last, "approve", "ida")
    done = await handle.result()
    assert done.variables["verdicts"] == ["id card: approve", "contract: approve"]
    assert [t.assignee for t in done.tasks if t.node_id == "check"] == ["mia", "ray"]
    assert "doc" not in done.variables and "verdict" not in done.variables


async def test_a_boundary_timer_interrupts_every_instance_of_a_subprocess(
    skipping_env: WorkflowEnvironment, task_queue: str, tmp_path: Any
) -> None:
    client = skipping_env.client
    docs = [{"name": "a", "owner": "mia"}, {"name": "b", "owner": "ray"}]
    async with build_worker(
        client, task_queue=task_queue, settings=settings_for_tests(data_dir=tmp_path)
    ):
        handle = await start(
            client, "mi_subprocess", task_queue, variables={"docs": docs, "timeout": "PT1H"}
        )
        done = await handle.result()  # nobody decides: the clock skips to the timer
    checks = [t for t in done.tasks if t.node_id == "check"]
    assert [(t.status, t.outcome) for t in checks] == [("cancelled", "timeout")] * 2
    assert "verdicts" not in done.variables and done.status == "completed"
    assert "multi_instance_completed" not in timeline_events(done)
    assert not [t for t in done.tasks if t.node_id == "done"]


async def test_call_activities_and_business_rule_tasks_run_once_per_element(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(multi_worker, "mi_child")
    await deploy_dmn(multi_worker, APPROVER_LEVEL)
    handle = await start(
        client,
        "mi_call_rules",
        task_queue,
        variables={"items": [5, 6, 7], "amounts": [500, 500_000]},
    )
    done = await handle.result()
    assert done.variables["results"] == [10, 12, 14]
    children = [e.details["instance_id"] for e in done.timeline if e.event == "call_started"]
    assert sorted(children) == [f"{handle.id}.children.{n}" for n in (1, 2, 3)]
    levels = done.variables["levels"]
    assert len(levels) == 2 and levels[0] != levels[1]
    assert timeline_events(done).count("decision_evaluated") == 2
