"""Business rule tasks on the real dev server: each dialect evaluates a deployed DMN decision in
the workflow and writes its result its own way; a decision not deployed is an incident that a
deploy and a retry resolve; a table that cannot decide is an expression error; the version a
binding names is found when the token arrives (docs/dmn.md "Business rule tasks")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowHandle

from shenpi.settings import Settings
from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
    InstanceState,
)
from tests.helpers import assert_eventually
from tests.workflows.call_support import deploy_fixture
from tests.workflows.decision_support import APPROVER_LEVEL, DMN_DIR, deploy_dmn
from tests.workflows.support import decide, open_task, settings_for_tests, start, state
from worker import build_worker

RULE_RESULTS = DMN_DIR / "rule_results.dmn"


@pytest_asyncio.fixture
async def rules_worker(client: Client, task_queue: str, tmp_path: Any) -> AsyncIterator[Settings]:
    """A worker whose app database is this test's own (DMN files deployed by the test)."""
    settings = settings_for_tests(data_dir=tmp_path)
    async with build_worker(client, task_queue=task_queue, settings=settings):
        yield settings


async def _deploy_tables(settings: Settings) -> None:
    await deploy_dmn(settings, APPROVER_LEVEL)
    await deploy_dmn(settings, RULE_RESULTS)


async def _finish(handle: WorkflowHandle[Any, InstanceState]) -> InstanceState:
    """Approve the task after the rules; the variables the rules wrote."""
    await decide(handle, await open_task(handle, "after"), "approve", "ida")
    return await handle.result()


def _evaluated(instance: InstanceState) -> list[tuple[str | None, Any]]:
    return [
        (e.node_id, e.details["version"])
        for e in instance.timeline
        if e.event == "decision_evaluated"
    ]


async def test_zeebe_writes_the_decision_result_as_it_is(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    await _deploy_tables(rules_worker)
    handle = await start(client, "rules_zeebe", task_queue, variables={"amount": 250})
    done = await _finish(handle)
    variables = done.variables
    assert variables["level"] == "team-lead"  # a single output: the bare value
    assert variables["limit"] == 99999  # the output mapping read the task's local result...
    assert "result" not in variables and variables["amount"] == 250  # ...and input
    assert variables["discounts"] == [5]  # COLLECT: the list
    assert _evaluated(done) == [("level", 1), ("limits", 1), ("discounts", 1)]


async def test_camunda_maps_the_rule_results_as_map_decision_result_says(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    await _deploy_tables(rules_worker)
    handle = await start(client, "rules_camunda", task_queue, variables={"amount": 1500})
    variables = (await _finish(handle)).variables
    assert variables["rows"] == [{"level": "director", "limit": 99999}]  # resultList
    assert variables["row"] == {"level": "director", "limit": 99999}  # singleResult
    assert variables["level"] == "manager"  # singleEntry
    assert variables["discounts"] == [5, 10]  # collectEntries
    assert variables["total"] == 15  # COLLECT SUM: one entry


async def test_flowable_sets_a_single_results_outputs_and_lists_many(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    await deploy_dmn(rules_worker, RULE_RESULTS)
    handle = await start(client, "rules_flowable", task_queue, variables={"amount": 1500})
    variables = (await _finish(handle)).variables
    assert (variables["level"], variables["limit"]) == ("director", 99999)
    assert variables["discounts"] == [{"discount": 5}, {"discount": 10}]  # under the decision id


async def _open_incident(handle: WorkflowHandle[Any, InstanceState], kind: str) -> tuple[str, str]:
    async def found() -> tuple[str, str]:
        current = await state(handle)
        open_ones = [i for i in current.incidents if i.resolved_at is None]
        assert len(open_ones) == 1, current.incidents
        assert open_ones[0].kind == kind
        return str(open_ones[0].incident_id), open_ones[0].message

    return await assert_eventually(found)


async def _retry(handle: WorkflowHandle[Any, InstanceState], incident_id: str) -> None:
    await handle.execute_update(
        UPDATE_INCIDENT_ACTION,
        IncidentActionInput(incident_id=incident_id, action="retry", actor="root", is_admin=True),
        result_type=IncidentActionResult,
    )


async def test_a_decision_not_deployed_is_an_incident_a_deploy_and_a_retry_resolve(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "rules_zeebe", task_queue, variables={"amount": 250})
    incident_id, message = await _open_incident(handle, "decision_failed")
    assert "decision 'approver-level' is not deployed" in message
    await _deploy_tables(rules_worker)
    await _retry(handle, incident_id)
    done = await _finish(handle)
    assert done.variables["level"] == "team-lead"
    assert all(i.resolved_at is not None for i in done.incidents)


async def test_a_table_that_cannot_decide_is_an_expression_error(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    await deploy_dmn(rules_worker, RULE_RESULTS)
    handle = await start(client, "rules_overlap", task_queue, variables={"amount": 150})
    _, message = await _open_incident(handle, "expression_error")
    assert "UNIQUE" in message and "o1" in message and "o2" in message
    assert "who" not in (await state(handle)).variables


async def test_latest_resolves_when_the_token_arrives_version_and_deployment_pin(
    client: Client, rules_worker: Settings, task_queue: str
) -> None:
    # v1 of the table, then the process, then (while an instance waits before its rules) v2.
    assert await deploy_dmn(rules_worker, APPROVER_LEVEL) == 1
    await deploy_fixture(rules_worker, "rules_pinning")
    handle = await start(client, "rules_pinning", task_queue, variables={"amount": 700})
    before = await open_task(handle, "before")
    assert await deploy_dmn(rules_worker, DMN_DIR / "approver_level_v2.dmn") == 2
    await decide(handle, before, "approve", "ida")
    done = await _finish(handle)
    assert done.variables["latest_level"] == "manager"  # v2: 500 and more is a manager's
    assert done.variables["v1_level"] == "team-lead"
    assert done.variables["deployment_level"] == "team-lead"  # deployed before the process
    assert _evaluated(done) == [("latest", 2), ("pinned", 1), ("deployed_with", 1)]
