"""Embedded subprocesses on the real servers: local variables and output mappings, boundary
timers on the subprocess, terminate ending the subprocess only."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.helpers import assert_eventually
from tests.workflows.support import decide, open_task, open_tasks, start, state, timeline_events


async def test_subprocess_has_local_variables_and_maps_its_outputs_out(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "subprocess_scope", task_queue, variables={"amount": 300})
    check = await open_task(handle, "check")
    current = await state(handle)
    assert "limit" not in current.variables  # local to the subprocess
    scope = next(t for t in current.tokens if t["node_id"] == "review")
    assert scope["state"] == "wait" and scope["locals"] == {"limit": 600}
    inside = next(t for t in current.tokens if t["node_id"] == "check")
    assert inside["scope"] == scope["id"]
    await decide(handle, check, "approve", "mia")
    # The subprocess waits for its other branch: it completes only when nothing runs inside.
    await decide(handle, await open_task(handle, "side"), "approve", "ray")
    final = await open_task(handle, "final")
    current = await state(handle)
    assert current.variables["granted"] == 600 and "limit" not in current.variables
    assert [t["node_id"] for t in current.tokens] == ["final"]
    await decide(handle, final, "approve", "ida")
    done = await handle.result()
    assert done.status == "completed"
    events = timeline_events(done)
    assert events.index("subprocess_started") < events.index("subprocess_completed")


async def test_terminate_end_inside_a_subprocess_ends_that_subprocess_only(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "subprocess_scope", task_queue, variables={"amount": 900})
    await decide(handle, await open_task(handle, "check"), "approve", "mia")  # limit 1800: stop
    final = await open_task(handle, "final")  # the process went on after the subprocess
    current = await state(handle)
    side = next(t for t in current.tasks if t.node_id == "side")
    assert (side.status, side.outcome) == ("cancelled", "terminated")
    assert current.status == "running"
    await decide(handle, final, "approve", "ida")
    assert (await handle.result()).status == "completed"  # not "terminated": only a scope ended


async def test_interrupting_timer_on_a_subprocess_cancels_everything_inside(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    client = skipping_env.client
    handle = await start(client, "subprocess_scope", task_queue, variables={"amount": 10})
    await open_task(handle, "check")
    await skipping_env.sleep(timedelta(hours=2, minutes=1))

    async def moved_to_late_review() -> None:
        assert [t.node_id for t in await open_tasks(handle)] == ["late_review"]

    await assert_eventually(moved_to_late_review)
    current = await state(handle)
    cancelled = {t.node_id: t.outcome for t in current.tasks if t.status == "cancelled"}
    assert cancelled == {"check": "timeout", "side": "timeout"}
    assert [t["node_id"] for t in current.tokens] == ["late_review"]
    await decide(handle, await open_task(handle, "late_review"), "approve", "boss")
    assert (await handle.result()).status == "completed"


async def test_event_subprocesses_of_a_subprocess_live_and_end_with_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "nested_events", task_queue)
    do = await open_task(handle, "do")
    helper = await open_task(handle, "helper")  # the escalation started it beside "do"
    current = await state(handle)
    work = next(t for t in current.tokens if t["node_id"] == "work")
    listener = next(t for t in current.tokens if t["node_id"] == "too_long_start")
    assert (listener["state"], listener["scope"]) == ("listen", work["id"])
    await decide(handle, do, "approve", "dan")
    assert "subprocess_completed" not in timeline_events(await state(handle))  # help runs
    await decide(handle, helper, "approve", "hal")
    done = await handle.result()  # the armed timer start did not keep the subprocess open
    assert done.status == "completed" and "chase" not in {t.node_id for t in done.tasks}
