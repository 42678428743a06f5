"""Compensation on the real dev server: a throw runs the handlers of the completed activities
of its scope, the last completed first, a completed subprocess's inside included, each once."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.support import decide, open_task, open_tasks, start, state


async def test_a_compensation_throw_undoes_completed_activities_in_reverse_order(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "compensation", task_queue)
    await decide(handle, await open_task(handle, "approve"), "reject", "mia")
    # The subprocess completed last: its flight is undone first, by a person.
    cancel_flight = await open_task(handle, "cancel_flight")
    assert [t.node_id for t in await open_tasks(handle)] == ["cancel_flight"]  # one at a time
    current = await state(handle)
    [thrown] = [e.details for e in current.timeline if e.event == "compensation_thrown"]
    assert thrown == {"activity": None, "handlers": ["cancel_flight", "cancel_hotel"]}
    await decide(handle, cancel_flight, "approve", "tom")
    tell = await open_task(handle, "tell")  # after both handlers: the throw went on
    done_services = [
        e.node_id for e in (await state(handle)).timeline if e.event == "service_completed"
    ]
    assert done_services == ["book_hotel", "book_flight", "cancel_hotel"]
    await decide(handle, tell, "approve", "ida")
    done = await handle.result()
    assert done.status == "completed" and done.compensable == []  # each undone once


async def test_without_a_throw_no_handler_runs(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "compensation", task_queue)
    await decide(handle, await open_task(handle, "approve"), "approve", "mia")
    done = await handle.result()
    assert "compensation_thrown" not in {e.event for e in done.timeline}
    assert [r["node_id"] for r in done.compensable] == ["book_hotel", "book_flight", "travel"]


async def test_a_subprocess_is_compensated_by_its_compensation_event_subprocess(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "compensation_scope", task_queue)
    await decide(handle, await open_task(handle, "approve"), "reject", "mia")
    cancel = await open_task(handle, "cancel_booking")  # the event subprocess, not a handler
    [thrown] = [
        e.details for e in (await state(handle)).timeline if e.event == "compensation_thrown"
    ]
    assert thrown == {"activity": "booking", "handlers": ["undo_booking"]}
    await decide(handle, cancel, "approve", "tom")
    done = await handle.result()
    assert done.status == "completed" and done.compensable == []
