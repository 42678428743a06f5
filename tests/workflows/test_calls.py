"""Call activities on the real dev server: the called process runs as a child workflow from the
app database's definitions, variables cross by the mappings, the child's uncaught error and
escalation reach the call activity's boundaries, a process not deployed is an incident a deploy
and a retry resolve, and cancelling the caller ends the child."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client

from shenpi.settings import Settings
from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
)
from tests.helpers import assert_eventually
from tests.workflows.call_support import called_child, deploy_fixture
from tests.workflows.support import (
    decide,
    open_task,
    settings_for_tests,
    start,
    state,
    timeline_events,
)
from worker import build_worker


@pytest_asyncio.fixture
async def call_worker(client: Client, task_queue: str, tmp_path: Any) -> AsyncIterator[Settings]:
    """A worker whose app database is this test's own (definitions deployed by the test)."""
    settings = settings_for_tests(data_dir=tmp_path)
    async with build_worker(client, task_queue=task_queue, settings=settings):
        yield settings


async def test_the_called_process_runs_as_a_child_with_mapped_variables(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "call_legal", task_queue, variables={"amount": 5000})
    child = await called_child(client, caller)
    lawyer = await open_task(child, "lawyer")  # the child's task, in the child's instance
    seen = await state(child)
    assert seen.variables["contract_amount"] == 5000 and seen.variables["asked_by"] == "ida"
    assert "amount" not in seen.variables  # Camunda 7: only what camunda:in passes
    assert seen.initiator == "ida" and seen.called_by is not None
    assert seen.called_by.workflow_id == caller.id
    await decide(child, lawyer, "approve", "lea", variables={"legal_note": "fine"})
    after = await open_task(caller, "after")
    current = await state(caller)
    assert current.variables["note"] == "fine"
    assert current.variables["legal_outcome"] == "approved"
    assert "contract_amount" not in current.variables  # only what camunda:out passes
    assert timeline_events(current).count("call_completed") == 1
    await decide(caller, after, "approve", "ida")
    assert (await caller.result()).status == "completed"
    assert (await child.result()).status == "completed"


async def test_an_error_the_child_does_not_catch_reaches_the_call_activity(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "call_legal", task_queue, variables={"amount": -1})
    handle = await open_task(caller, "handle_error")
    child = await called_child(client, caller)
    ended = await child.result()
    assert (ended.status, ended.outcome) == ("completed", "error")
    assert ended.error is not None and ended.error.code == "card_declined"
    thrown = [e.details for e in (await state(caller)).timeline if e.event == "error_thrown"]
    assert thrown[0]["caught_by"] == "legal_error"
    await decide(caller, handle, "approve", "ida")
    assert (await caller.result()).status == "completed"


async def test_a_childs_escalation_reaches_a_non_interrupting_boundary(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "call_legal", task_queue, variables={"amount": 500_000})
    fyi = await open_task(caller, "cfo_fyi")  # beside the call, which goes on
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "approve", "lea")
    await decide(caller, fyi, "approve", "cfo")
    after = await open_task(caller, "after")
    assert (await state(caller)).variables["note"] is None  # camunda:out of a variable not set
    await decide(caller, after, "approve", "ida")
    assert (await caller.result()).status == "completed"


async def test_a_process_not_deployed_is_an_incident_a_deploy_and_a_retry_resolve(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    caller = await start(client, "call_legal", task_queue, variables={"amount": 10})

    async def incident() -> str:
        current = await state(caller)
        open_ones = [i for i in current.incidents if i.resolved_at is None]
        assert len(open_ones) == 1, current.incidents
        found = open_ones[0]
        assert (found.node_id, found.kind) == ("legal", "call_failed")
        assert "'legal_review' is not deployed" in found.message
        return str(found.incident_id)

    incident_id = await assert_eventually(incident)
    await deploy_fixture(call_worker, "legal_review")
    await caller.execute_update(
        UPDATE_INCIDENT_ACTION,
        IncidentActionInput(incident_id=incident_id, action="retry", actor="root", is_admin=True),
        result_type=IncidentActionResult,
    )
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "approve", "lea")
    await decide(caller, await open_task(caller, "after"), "approve", "ida")
    assert (await caller.result()).status == "completed"


async def test_cancelling_the_caller_cancels_the_child(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "call_legal", task_queue, variables={"amount": 10})
    child = await called_child(client, caller)
    await open_task(child, "lawyer")
    await caller.cancel()

    async def child_cancelled() -> None:
        current = await state(child)
        assert current.status == "cancelled"
        assert [t.status for t in current.tasks] == ["cancelled"]

    await assert_eventually(child_cancelled)


async def test_a_called_approval_that_rejects_rejects_the_caller_like_a_step(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "call_legal", task_queue, variables={"amount": 10})
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "reject", "lea", comment="no")
    done = await caller.result()  # no gateway after the call activity: the caller ends rejected
    assert (done.status, done.outcome) == ("completed", "rejected")
    assert done.variables["legal_outcome"] == "rejected" and done.variables["approved"] is False
    assert "after" not in {t.node_id for t in done.tasks}
