"""The starter's default notifications: each approver hears of a task when it opens for them,
the initiator of the outcome; failures go to the timeline and never stop the approval."""

from __future__ import annotations

from temporalio.client import Client

from tests.helpers import assert_eventually
from tests.workflows.action_support import act
from tests.workflows.ai_support import fake_ai_review
from tests.workflows.notify_support import (
    BAD_USER,
    DEFAULTS,
    RecordingNotify,
    failures,
    notify_worker,
)
from tests.workflows.support import decide, open_task, start, state, wait_open_tasks
from workflows.notices import task_summary


async def test_approvers_hear_of_each_task_and_the_initiator_of_the_outcome(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start(
            client, "two_steps", task_queue, variables={"manager": "mona"}, notify_events=DEFAULTS
        )
        manager = await open_task(handle, "manager")

        async def manager_told() -> None:
            assert recorder.of(handle) == [
                (["mona"], [{**task_summary(manager), "to": ["mona"]}]),
            ]

        await assert_eventually(manager_told)
        await decide(handle, manager, "approve", "mona")
        finance = await open_task(handle, "finance")
        await decide(handle, finance, "approve", "fay", groups=["finance"])
        final = await handle.result()

    assert recorder.events(handle) == ["task_opened", "task_opened", "outcome"]
    assert recorder.of(handle, "task_opened")[1] == (
        ["group:finance"],
        [{**task_summary(finance), "to": ["group:finance"]}],
    )
    (outcome,) = [n for n in recorder.calls[handle.id] if n.config["event"] == "outcome"]
    assert outcome.variables["recipients"] == ["ida"]
    assert outcome.variables["outcome"] == "approved"
    assert failures(final) == []


async def test_without_default_events_the_interpreter_sends_nothing_new(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
        await decide(handle, await open_task(handle, "manager"), "approve", "mona")
        await decide(
            handle, await open_task(handle, "finance"), "reject", "fay", groups=["finance"]
        )
        await handle.result()

    assert recorder.calls[handle.id] == []


async def test_tasks_opened_together_are_one_notification_each_card_to_its_own_approver(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start(
            client,
            "countersign",
            task_queue,
            variables={"signers": ["ann", "bob", "cy"]},
            notify_events=["task_opened"],
        )
        tasks = await wait_open_tasks(handle, 3)

        async def told() -> None:
            assert recorder.of(handle) == [
                (["ann", "bob", "cy"], [{**task_summary(t), "to": [t.assignee]} for t in tasks])
            ]

        await assert_eventually(told)
        for task in tasks:
            await decide(handle, task, "approve", task.assignee or "")
        await handle.result()

    assert recorder.events(handle) == ["task_opened"]  # no outcome: only task_opened was asked


async def test_an_unreachable_approver_is_on_the_timeline_and_the_approval_completes(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify(unreachable={"mona"})
    async with notify_worker(client, task_queue, recorder):
        handle = await start(
            client, "two_steps", task_queue, variables={"manager": "mona"}, notify_events=DEFAULTS
        )
        manager = await open_task(handle, "manager")

        async def recorded() -> None:
            found = failures(await state(handle))
            assert len(found) == 1, found
            failed = found[0]
            assert (failed.event, failed.node_id, failed.task_id) == (
                "notify_failed",
                "manager",
                manager.task_id,
            )
            assert failed.details == {
                "event": "task_opened",
                "to": "mona",
                "channel": "wechat_work",
                "error": BAD_USER,
            }

        await assert_eventually(recorded)
        await decide(handle, manager, "approve", "mona")
        await decide(
            handle, await open_task(handle, "finance"), "approve", "fay", groups=["finance"]
        )
        final = await handle.result()

    assert (final.status, final.outcome) == ("completed", "approved")
    assert [e.details["to"] for e in failures(final)] == ["mona"]


async def test_the_default_events_survive_continue_as_new(client: Client, task_queue: str) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        first = await start(
            client, "rework_loop", task_queue, max_history_events=20, notify_events=DEFAULTS
        )
        latest = client.get_workflow_handle(first.id)
        for _ in range(2):
            await decide(latest, await open_task(latest, "approve"), "reject", "mia")
            await decide(latest, await open_task(latest, "rework"), "approve", "ida")
        await decide(latest, await open_task(latest, "approve"), "approve", "mia")
        await latest.result()
        runs = (await latest.describe()).run_id != first.result_run_id

    assert runs, "the instance did not continue as new"
    nodes = [tasks[0]["node_id"] for _, tasks in recorder.of(first, "task_opened")]
    assert nodes == ["approve", "rework", "approve", "rework", "approve"]
    assert recorder.events(first)[-1] == "outcome"


async def test_a_transferred_or_delegated_task_is_announced_to_whom_it_now_waits_on(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start(
            client,
            "two_steps",
            task_queue,
            variables={"manager": "mona"},
            notify_events=["task_opened"],
        )
        task = await open_task(handle, "manager")
        await decide(handle, task, "transfer", "mona", to="dan")
        await decide(handle, task, "delegate", "dan", to="eve")
        await decide(handle, task, "approve", "eve")  # back to dan, who confirms

        async def told() -> None:
            assert [to for to, _ in recorder.of(handle)] == [["mona"], ["dan"], ["eve"], ["dan"]]

        await assert_eventually(told)
        await decide(handle, task, "approve", "dan")
        await open_task(handle, "finance")
        await act(handle, "urge", "ida")

        async def urged() -> None:
            assert recorder.events(handle)[-1] == "urge"

        await assert_eventually(urged)

    claimed = [tasks[0]["node_id"] for _, tasks in recorder.of(handle, "task_opened")]
    assert claimed == ["manager", "manager", "manager", "manager", "finance"]


async def test_a_task_the_ai_decides_as_it_opens_is_not_announced(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    variables = {"approver": "alice", "script": "approve 0.95"}
    async with notify_worker(client, task_queue, recorder, fake_ai_review):
        handle = await start(
            client, "ai_decide", task_queue, variables=variables, notify_events=DEFAULTS
        )
        final = await handle.result()

    assert final.tasks[0].status == "completed"
    assert recorder.events(handle) == ["outcome"]


async def test_a_cancelled_instance_tells_the_initiator(client: Client, task_queue: str) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start(
            client, "two_steps", task_queue, variables={"manager": "mona"}, notify_events=DEFAULTS
        )
        await open_task(handle, "manager")
        await handle.cancel()

        async def told() -> None:
            assert recorder.events(handle) == ["task_opened", "outcome"]

        await assert_eventually(told)

    (outcome,) = [n for n in recorder.calls[handle.id] if n.config["event"] == "outcome"]
    assert (outcome.variables["recipients"], outcome.variables["outcome"]) == (["ida"], "cancelled")
