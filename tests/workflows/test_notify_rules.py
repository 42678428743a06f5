"""``<shenpi:notify>`` in the model: more people for a task's events and for the outcome, on top
of the starter's defaults; a drawn notify task that reaches nobody does not stop the process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.helpers import assert_eventually
from tests.workflows.action_support import act
from tests.workflows.approval_support import start_plan
from tests.workflows.notify_support import (
    BAD_USER,
    DEFAULTS,
    SCOPED_NOTIFY,
    RecordingNotify,
    bpmn,
    failures,
    notify_worker,
)
from tests.workflows.support import decide, open_task, state

PURCHASE = bpmn(
    "notify_purchase",
    """
    <extensionElements><shenpi:notify on="outcome" to="group:finance" /></extensionElements>
    <startEvent id="start" />
    <userTask id="manager" name="Manager approval" shenpi:assignee="${manager}">
      <extensionElements>
        <shenpi:notify on="task_opened,urge" to="${assistant}" />
        <shenpi:notify on="outcome" to="${manager}" />
      </extensionElements>
    </userTask>
    <exclusiveGateway id="ok" default="yes" />
    <endEvent id="done" />
    <endEvent id="refused">
      <extensionElements><shenpi:notify on="outcome" to="legal" /></extensionElements>
    </endEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="manager" />
    <sequenceFlow id="f2" sourceRef="manager" targetRef="ok" />
    <sequenceFlow id="yes" sourceRef="ok" targetRef="done" />
    <sequenceFlow id="no" sourceRef="ok" targetRef="refused">
      <conditionExpression>${!approved}</conditionExpression>
    </sequenceFlow>
    """,
)

DRAWN = bpmn(
    "notify_drawn",
    """
    <startEvent id="start" />
    <sendTask id="tell" name="Tell the requester">
      <extensionElements>
        <shenpi:header key="message" value="Your request is in" />
        <shenpi:header key="to" value="ghost" />
      </extensionElements>
    </sendTask>
    <userTask id="approve" shenpi:assignee="mona" />
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="tell" />
    <sequenceFlow id="f2" sourceRef="tell" targetRef="approve" />
    <sequenceFlow id="f3" sourceRef="approve" targetRef="end" />
    """,
)


async def test_the_model_adds_people_to_a_task_and_its_outcome_without_duplicates(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    variables = {"manager": "mona", "assistant": "mona,sam"}  # mona is named twice
    async with notify_worker(client, task_queue, recorder):
        handle = await start_plan(
            client, PURCHASE, task_queue, variables=variables, notify_events=DEFAULTS
        )
        task = await open_task(handle, "manager")
        await act(handle, "urge", "ida")

        async def urged() -> None:
            assert recorder.events(handle) == ["task_opened", "urge"]

        await assert_eventually(urged)
        await decide(handle, task, "reject", "mona")
        await handle.result()

    (opened, tasks), (urge, _) = recorder.of(handle)[:2]
    assert opened == ["mona", "sam"] and tasks[0]["to"] == ["mona", "sam"]
    assert urge == ["mona", "sam"]
    # The default (initiator), the process's rule, the task's (it opened), the end reached.
    ((outcome, _),) = recorder.of(handle, "outcome")
    assert outcome == ["ida", "group:finance", "mona", "legal"]


async def test_a_task_inside_a_subprocess_notifies_by_its_local_variables(
    client: Client, task_queue: str
) -> None:
    # Each instance's document names its own watcher: `doc` is local to the instance.
    recorder = RecordingNotify()
    docs = [{"name": "id card", "watcher": "sam"}, {"name": "contract", "watcher": "lea"}]
    async with notify_worker(client, task_queue, recorder):
        handle = await start_plan(client, SCOPED_NOTIFY, task_queue, variables={"docs": docs})

        async def told() -> None:
            assert sum(len(to) for to, _ in recorder.of(handle, "task_opened")) >= 2

        await assert_eventually(told)
        current = await state(handle)
        await handle.terminate("done")
    told_people = sorted(p for to, _ in recorder.of(handle, "task_opened") for p in to)
    assert told_people == ["lea", "sam"], recorder.of(handle)
    assert not failures(current)


async def test_without_defaults_only_the_model_s_rules_notify(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    variables = {"manager": "mona", "assistant": "sam"}
    async with notify_worker(client, task_queue, recorder):
        handle = await start_plan(client, PURCHASE, task_queue, variables=variables)
        await decide(handle, await open_task(handle, "manager"), "approve", "mona")
        await handle.result()

    assert [to for to, _ in recorder.of(handle)] == [["sam"], ["group:finance", "mona"]]


async def test_a_rule_whose_recipients_cannot_be_evaluated_is_recorded_and_the_task_opens(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        handle = await start_plan(
            client, PURCHASE, task_queue, variables={"manager": "mona"}, notify_events=DEFAULTS
        )
        await decide(handle, await open_task(handle, "manager"), "approve", "mona")
        final = await handle.result()

    (failed,) = failures(final)
    assert (failed.node_id, failed.details["event"]) == ("manager", "task_opened")
    assert "assistant" in failed.details["error"]
    assert recorder.of(handle, "task_opened")[0][0] == ["mona"]  # the approver is still told
    assert final.outcome == "approved"


async def test_a_drawn_notify_task_that_reaches_nobody_is_recorded_and_the_process_goes_on(
    client: Client, task_queue: str
) -> None:
    recorder = RecordingNotify(unreachable={"ghost"})
    async with notify_worker(client, task_queue, recorder):
        handle = await start_plan(client, DRAWN, task_queue)
        task = await open_task(handle, "approve")
        current = await state(handle)
        await decide(handle, task, "approve", "mona")
        final = await handle.result()

    assert current.incidents == []
    (failed,) = failures(final)
    assert (failed.node_id, failed.details) == (
        "tell",
        {"event": "notify", "to": "ghost", "channel": "wechat_work", "error": BAD_USER},
    )
    assert final.variables["notify"]["failed"][0]["to"] == "ghost"
    assert (final.status, final.outcome) == ("completed", "approved")


REMINDED = bpmn(
    "notify_reminded",
    """
    <startEvent id="start" />
    <userTask id="manager" name="Manager approval" shenpi:assignee="${manager}">
      <extensionElements>
        <shenpi:approval dueIn="P2D" remindEvery="P1D" remindMax="1" onTimeout="escalate"
                         escalateTo="dan" />
        <shenpi:notify on="task_reminder,task_escalated" to="${assistant}" />
      </extensionElements>
    </userTask>
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="manager" />
    <sequenceFlow id="f2" sourceRef="manager" targetRef="end" />
    """,
)


async def test_reminders_and_escalations_also_reach_whom_the_model_names(
    skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    recorder = RecordingNotify()
    variables = {"manager": "mona", "assistant": "sam"}
    async with notify_worker(skipping_env.client, task_queue, recorder):
        handle = await start_plan(skipping_env.client, REMINDED, task_queue, variables=variables)
        await open_task(handle, "manager")
        await skipping_env.sleep(timedelta(days=2, minutes=1))

        async def told() -> None:
            assert [(n.config["event"], to) for n, (to, _) in _with(recorder, handle)] == [
                ("task_reminder", ["mona", "sam"]),
                ("task_escalated", ["dan", "mona", "sam"]),
            ]

        await assert_eventually(told)


def _with(recorder: RecordingNotify, handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return list(zip(recorder.calls[handle.id], recorder.of(handle), strict=True))
