"""A 1,000-element parallel multi-instance service task on the real dev server: never more than
``max_in_flight`` activities at once, no huge workflow task, and a continue-as-new between
instances when the history asks for one (docs/interpreter.md "Multi-instance"). The numbers it
prints are in docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle

from shenpi.settings import Settings
from shenpi_core.process_plan import MULTI_IN_FLIGHT
from tests.workflows.multi_support import MOST, multi_activities
from tests.workflows.support import settings_for_tests, start
from worker import build_worker

ITEMS = list(range(1000))
# What one workflow task completion writes: its commands, then nothing until the next task.
_COMMANDS = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)

_CLOSED = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    }
)


@pytest_asyncio.fixture
async def many_worker(client: Client, task_queue: str, tmp_path: Any) -> AsyncIterator[Settings]:
    settings = settings_for_tests(data_dir=tmp_path)
    async with build_worker(
        client, task_queue=task_queue, settings=settings, extra_activities=multi_activities()
    ):
        yield settings


async def _runs(client: Client, handle: WorkflowHandle[Any, Any]) -> list[list[HistoryEvent]]:
    """The history of every run of the instance, following continue-as-new."""
    runs: list[list[HistoryEvent]] = []
    run_id = handle.first_execution_run_id
    while run_id:
        run = client.get_workflow_handle(handle.id, run_id=run_id)
        events = [e async for e in run.fetch_history_events()]
        runs.append(events)
        last = events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else ""
        )
    return runs


def _most_in_flight(events: list[HistoryEvent]) -> int:
    """The most activities scheduled and not yet closed at any point of the history."""
    running, most = 0, 0
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            running += 1
            most = max(most, running)
        elif event.event_type in _CLOSED:
            running -= 1
    return most


def _largest_task(events: list[HistoryEvent]) -> tuple[int, int]:
    """The most commands one workflow task completion wrote, and their size in bytes."""
    most, size = 0, 0
    for i, event in enumerate(events):
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            continue
        written = []
        for following in events[i + 1 :]:
            if following.event_type not in _COMMANDS:
                break
            written.append(following)
        if len(written) > most:
            most, size = len(written), sum(e.ByteSize() for e in written)
    return most, size


async def test_a_thousand_instances_run_fifty_at_a_time(
    client: Client, many_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "mi_many", task_queue, variables={"items": ITEMS})
    done = await handle.result()
    assert done.variables["doubled"] == [2 * i for i in ITEMS]
    # The server may suggest continue-as-new on the way: the body then drains and goes on.
    runs = await _runs(client, handle)
    # The workflow's bound: the worker may run fewer at once than were scheduled.
    assert max(_most_in_flight(r) for r in runs) == MULTI_IN_FLIGHT >= MOST[(handle.id, "each")]
    commands, size = max(_largest_task(r) for r in runs)
    tasks = sum(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for r in runs for e in r
    )
    print(
        f"\n1,000 instances: runs of {[len(r) for r in runs]} events, {tasks} workflow tasks;"
        f" the largest wrote {commands} commands ({size} bytes)"
    )
    assert commands <= MULTI_IN_FLIGHT + 5 and size < 50_000  # no run carries the collection


async def test_a_long_body_continues_as_new_between_instances(
    client: Client, many_worker: Settings, task_queue: str
) -> None:
    handle = await start(
        client, "mi_many", task_queue, variables={"items": ITEMS}, max_history_events=1500
    )
    done = await handle.result()
    assert done.variables["doubled"] == [2 * i for i in ITEMS]
    runs = await _runs(client, handle)
    lengths = [len(r) for r in runs]
    print(f"\n1,000 instances, continue-as-new at 1,500 events: runs of {lengths} events")
    assert all(_most_in_flight(r) <= MULTI_IN_FLIGHT for r in runs)
    assert len(runs) >= 2 and max(lengths) < 1500 + 3 * MULTI_IN_FLIGHT + 50
