"""Compensating a multi-instance activity on the real dev server (docs/interpreter.md
"Multi-instance"): the handler runs once for each instance that completed, the last completed
first; an instance a completion condition cancelled is not undone, and each instance of a
multi-instance subprocess is compensated inside."""

from __future__ import annotations

from temporalio.client import Client

from shenpi.settings import Settings
from tests.workflows.support import decide, open_task, start
from workflows.compensation import PATCH_EACH_INSTANCE

VARIABLES = {"items": [1, 2, 3], "suppliers": ["a", "slow", "b"], "rooms": ["east", "west"]}


async def test_each_completed_instance_is_compensated_once_the_last_first(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "mi_compensation", task_queue, variables=VARIABLES)
    await decide(handle, await open_task(handle, "approve"), "reject", "mia")
    done = await handle.result()
    assert done.status == "completed"
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    # Two rooms (sequential, inside each instance's scope), two quotes that answered (the slow
    # supplier's was cancelled by the completion condition), three seats.
    assert thrown == {
        "activity": None,
        "handlers": ["release", "release", "withdraw", "withdraw", "unbook", "unbook", "unbook"],
    }
    undone = [
        e.node_id
        for e in done.timeline
        if e.event == "service_completed" and e.node_id in ("release", "withdraw", "unbook")
    ]
    assert undone == thrown["handlers"]  # one at a time, in that order
    assert done.compensable == []  # each instance undone once
    history = [e async for e in handle.fetch_history_events()]
    assert any(PATCH_EACH_INSTANCE.encode() in e.SerializeToString() for e in history)


async def test_without_a_throw_each_instance_is_remembered_inside_its_body(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    handle = await start(client, "mi_compensation", task_queue, variables=VARIABLES)
    await decide(handle, await open_task(handle, "approve"), "approve", "mia")
    done = await handle.result()
    assert "compensation_thrown" not in {e.event for e in done.timeline}
    remembered = [(r["node_id"], str(r["scope"]).startswith("multi:")) for r in done.compensable]
    assert remembered.count(("book", True)) == 3 and remembered.count(("book", False)) == 1
    assert remembered.count(("quotes", True)) == 2 and remembered.count(("quotes", False)) == 1
    # Each room's reservation is remembered in its instance's scope, which its body holds.
    assert remembered.count(("rooms", True)) == 2 and remembered.count(("reserve", False)) == 2


async def test_the_instances_of_an_interrupted_body_are_not_undone(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    # Two suppliers answer, the slow one never does; the boundary timer ends the body, and the
    # throw after it finds nothing to undo (Zeebe: terminated activities are not compensated).
    variables = {"suppliers": ["a", "slow", "b"]}
    handle = await start(client, "mi_compensation_cut", task_queue, variables=variables)
    done = await handle.result()
    answered = [e.node_id for e in done.timeline if e.event == "service_completed"]
    assert answered == ["quotes", "quotes"]
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    assert thrown == {"activity": None, "handlers": []}
    assert done.compensable == []


async def test_a_second_run_cut_short_keeps_the_first_runs_instances_undoable(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    # A gateway sends the token through the body twice: the first run completes both of its
    # instances, the second (a supplier that never answers) is cut by the timer, and the throw
    # after it undoes the first run's instances, not the second's.
    variables = {"n": 0, "first": ["a", "b"], "second": ["slow"]}
    handle = await start(client, "mi_compensation_cycle", task_queue, variables=variables)
    done = await handle.result()
    answered = [e.node_id for e in done.timeline if e.event == "service_completed"]
    assert answered[:2] == ["quotes", "quotes"]
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    assert thrown == {"activity": None, "handlers": ["withdraw", "withdraw"]}


async def test_an_interrupted_body_keeps_what_the_token_completed_before_undoable(
    client: Client, multi_worker: Settings, task_queue: str
) -> None:
    # The token completed a subprocess (its reservation undoable), then entered the body that
    # the timer cuts: the reservation is still undone by the throw.
    variables = {"suppliers": ["slow"]}
    handle = await start(client, "mi_compensation_after_scope", task_queue, variables=variables)
    done = await handle.result()
    [thrown] = [e.details for e in done.timeline if e.event == "compensation_thrown"]
    assert thrown == {"activity": None, "handlers": ["release"]}
