"""BPMN errors and escalations on the real dev server: an activity's BPMN error caught by a
boundary event, errors and escalations thrown inside a subprocess, event subprocesses, and an
uncaught error as an incident naming its code."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import TimelineEntry
from tests.helpers import assert_eventually
from tests.workflows.support import decide, open_task, open_tasks, start, state, timeline_events


def _thrown(timeline: list[TimelineEntry], event: str) -> list[dict[str, Any]]:
    return [e.details for e in timeline if e.event == event]


async def test_an_activitys_bpmn_error_is_caught_by_the_boundary_with_its_code(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "error_boundary", task_queue, variables={"card": "card_declined"})
    fix = await open_task(handle, "fix_payment")
    current = await state(handle)
    [thrown] = _thrown(current.timeline, "error_thrown")
    assert thrown["code"] == "card_declined" and thrown["caught_by"] == "on_declined"
    assert "the bank said card_declined" in str(thrown["message"])
    await decide(handle, fix, "approve", "ida")
    done = await handle.result()
    assert done.status == "completed" and "service_completed" not in timeline_events(done)


async def test_without_the_error_the_task_completes_normally(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "error_boundary", task_queue, variables={"card": "ok"})
    done = await handle.result()
    assert done.variables["charged"] is True and "error_thrown" not in timeline_events(done)


async def test_an_error_nobody_catches_is_an_incident_naming_its_code(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "error_boundary", task_queue, variables={"card": "card_expired"})

    async def incident() -> None:
        current = await state(handle)
        assert current.status == "incident"
        [found] = current.incidents
        assert (found.node_id, found.kind) == ("charge", "unhandled_error")
        assert "'card_expired'" in found.message
        assert [(t["node_id"], t["state"]) for t in current.tokens] == [("charge", "incident")]

    await assert_eventually(incident)


async def test_an_escalation_inside_a_subprocess_reaches_a_non_interrupting_boundary(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "scope_throws", task_queue, variables={"amount": 2000})
    controller = await open_task(handle, "controller")
    fyi = await open_task(handle, "manager_fyi")  # beside the subprocess, which goes on
    current = await state(handle)
    [thrown] = _thrown(current.timeline, "escalation_thrown")
    assert thrown == {"code": "big_amount", "caught_by": "on_big"}
    await decide(handle, controller, "approve", "carl")
    await decide(handle, fyi, "approve", "max")
    done = await handle.result()
    assert done.status == "completed" and "subprocess_completed" in timeline_events(done)


async def test_an_error_end_event_ends_the_subprocess_through_its_error_boundary(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "scope_throws", task_queue, variables={"amount": 9000})
    await decide(handle, await open_task(handle, "controller"), "approve", "carl")
    ask = await open_task(handle, "ask_budget")
    current = await state(handle)
    [thrown] = _thrown(current.timeline, "error_thrown")
    assert (thrown["code"], thrown["caught_by"]) == ("no_budget", "on_no_budget")
    assert "subprocess_completed" not in timeline_events(current)
    assert sorted(t.node_id for t in await open_tasks(handle)) == ["ask_budget", "manager_fyi"]
    await decide(handle, ask, "approve", "ida")
    await decide(handle, await open_task(handle, "manager_fyi"), "approve", "max")
    assert (await handle.result()).status == "completed"


async def test_an_error_event_subprocess_interrupts_the_process(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(
        client, "event_subprocesses", task_queue, variables={"card": "card_declined"}
    )
    call = await open_task(handle, "call_customer")
    current = await state(handle)
    assert "event_subprocess_started" in timeline_events(current)
    # Interrupting: the repeating timer start of the other event subprocess is gone too.
    assert [t["node_id"] for t in current.tokens] == ["payment_failed", "call_customer"]
    await decide(handle, call, "approve", "ida")
    done = await handle.result()
    assert done.status == "completed" and "deliver" not in {t.node_id for t in done.tasks}


async def test_a_non_interrupting_timer_event_subprocess_runs_beside_the_process(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "event_subprocesses", task_queue, variables={"card": "ok"})
    deliver = await open_task(handle, "deliver")

    async def nudged_twice() -> None:
        current = await state(handle)
        assert timeline_events(current).count("event_subprocess_started") == 2
        assert [t["node_id"] for t in current.tokens] == ["deliver"]  # R2: no listener left

    await assert_eventually(nudged_twice, timeout=15)
    await decide(handle, deliver, "approve", "dan")
    assert (await handle.result()).status == "completed"
