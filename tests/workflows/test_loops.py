"""Standard loops on the real dev server: test-after until a condition fails or the maximum is
reached; test-before, where the condition may stop the activity from running at all."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.support import decide, open_task, start


async def test_a_task_loops_while_its_condition_holds_and_a_test_before_loop_counts(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "standard_loop", task_queue)
    await decide(handle, await open_task(handle, "review"), "reject", "mia", comment="redo")
    await decide(handle, await open_task(handle, "review"), "approve", "mia")  # condition fails
    done = await handle.result()
    reviews = [t for t in done.tasks if t.node_id == "review"]
    assert [t.outcome for t in reviews] == ["rejected", "approved"]
    # loopCounter (the runs done) < 2, tested before each run: two runs.
    scored = [e for e in done.timeline if e.event == "service_completed"]
    assert len(scored) == 2 and done.variables["loopCounter"] == 2
    assert done.status == "completed"


async def test_a_loop_stops_at_its_maximum(client: Client, worker: Worker, task_queue: str) -> None:
    handle = await start(client, "standard_loop", task_queue)
    for _ in range(3):
        await decide(handle, await open_task(handle, "review"), "reject", "mia")
    done = await handle.result()  # loopMaximum 3: the fourth run never opens
    assert [t.outcome for t in done.tasks if t.node_id == "review"] == ["rejected"] * 3


async def test_each_run_of_a_loop_is_compensated_the_last_first(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "loop_compensation", task_queue)
    done = await handle.result()
    ran = [e.node_id for e in done.timeline if e.event == "service_completed"]
    assert ran[:5] == ["book", "book", "book", "reserve", "reserve"]
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    # The subprocess's two runs (each compensated inside), then the task's three.
    assert thrown == {
        "activity": None,
        "handlers": ["release", "release", "unbook", "unbook", "unbook"],
    }
    assert ran[5:] == thrown["handlers"] and done.compensable == []


async def test_the_runs_of_an_interrupted_loop_are_not_undone(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # One run completes (approved), the timer cuts the second: the loop did not complete, so
    # the throw after the timer has nothing of it to undo.
    handle = await start(client, "loop_compensation_cut", task_queue)
    await decide(handle, await open_task(handle, "book"), "approve", "mia")
    done = await handle.result()
    assert [t.outcome for t in done.tasks if t.node_id == "book"] == ["approved", "timeout"]
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    assert thrown == {"activity": None, "handlers": []} and done.compensable == []
