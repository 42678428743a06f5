"""Timer starts as Temporal Schedules, synced by deploys, on the session's dev server.

The time-skipping test server does not implement Schedules (CreateSchedule is unimplemented), so
a Schedule fires here on the dev server, by ``ScheduleHandle.trigger()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleOverlapPolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from shenpi.schedules import CATCHUP_WINDOW, schedule_id
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import StartInput
from tests.api.bpmn import HEAD
from tests.api.conftest import Stack, unique
from tests.helpers import assert_eventually

DEFINITIONS = "/api/v1/definitions"
MONTHLY = "0 0 9 1 * ?"  # Zeebe's (Spring's) cron: 09:00 on the first of each month


def timer_process(
    process_id: str, timers: dict[str, tuple[str, str]], *, name: str = "Reminder"
) -> bytes:
    """Timer starts ``{node id: (timeDate|timeDuration|timeCycle, text)}``, each to the finance
    task ``remind``; a kind "" is a none start, to the task ``ask`` (so is no timer at all)."""
    body = ""
    for node, (kind, text) in (timers or {"start": ("", "")}).items():
        timer = f"<timerEventDefinition><{kind}>{text}</{kind}></timerEventDefinition>"
        body += f'<startEvent id="{node}">{timer if kind else ""}</startEvent>\n'
        task = "remind" if kind else "ask"
        body += f'<sequenceFlow id="f_{node}" sourceRef="{node}" targetRef="{task}"/>\n'
    for task in ("remind", "ask"):
        if f'targetRef="{task}"' in body:
            body += (
                f'<userTask id="{task}" shenpi:candidateGroups="finance"/>\n'
                f'<sequenceFlow id="f_{task}" sourceRef="{task}" targetRef="end"/>\n'
            )
    process = f'<process id="{process_id}" name="{name}" isExecutable="true">{body}'
    return f'{HEAD}{process}<endEvent id="end"/></process></definitions>'.encode()


@pytest_asyncio.fixture
async def process_id(client: Client) -> AsyncIterator[str]:
    """A fresh process id; its Schedules are deleted after the test (the dev server is shared)."""
    pid = unique("reminder")
    yield pid
    async for listed in await client.list_schedules():
        if listed.id.startswith(schedule_id(pid, "")):
            await client.get_schedule_handle(listed.id).delete()


async def _deploy(stack: Stack, xml: bytes) -> tuple[int, dict[str, Any]]:
    async with stack.http("ops", ["admin"]) as http:
        response = await http.post(DEFINITIONS, content=xml)
    return response.status_code, response.json()


async def _describe(client: Client, process_id: str, node: str) -> ScheduleDescription:
    return await client.get_schedule_handle(schedule_id(process_id, node)).describe()


async def _started_with(client: Client, description: ScheduleDescription) -> StartInput:
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    [arg] = await client.data_converter.decode(action.args, [StartInput])
    assert isinstance(arg, StartInput)
    return arg


async def _missing(client: Client, process_id: str, node: str) -> None:
    with pytest.raises(RPCError) as err:
        await _describe(client, process_id, node)
    assert err.value.status == RPCStatusCode.NOT_FOUND


async def test_deploy_creates_a_schedule_that_starts_the_deployed_version_at_its_timer(
    api_only: Stack, process_id: str
) -> None:
    status, body = await _deploy(
        api_only, timer_process(process_id, {"monthly": ("timeCycle", MONTHLY)})
    )
    assert status == 201, body

    described = await _describe(api_only.temporal, process_id, "monthly")
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id, action.task_queue) == (
        process_id, f"{process_id}:monthly", api_only.settings.task_queue,
    )  # fmt: skip
    assert action.typed_search_attributes.get(sa.VERSION) == f"{process_id}:1"
    assert action.typed_search_attributes.get(sa.INITIATOR) == "scheduler"
    started = await _started_with(api_only.temporal, described)
    assert (started.version, started.start_event, started.initiator) == (1, "monthly", "scheduler")
    assert started.plan.hash == body["hash"]
    policy = described.schedule.policy
    assert (policy.overlap, policy.catchup_window) == (
        ScheduleOverlapPolicy.ALLOW_ALL, CATCHUP_WINDOW,
    )  # fmt: skip
    [first, second, *_] = described.info.next_action_times
    assert (first.day, first.hour, first.minute, second.day) == (1, 9, 0, 1)  # UTC by default

    async def listed() -> None:  # what the Temporal UI shows under Schedules
        ids = [s.id async for s in await api_only.temporal.list_schedules()]
        assert schedule_id(process_id, "monthly") in ids

    await assert_eventually(listed)


async def test_redeploy_replaces_the_schedule_and_a_deploy_without_the_timer_removes_it(
    api_only: Stack, process_id: str
) -> None:
    v1 = timer_process(process_id, {"monthly": ("timeCycle", MONTHLY)})
    assert (await _deploy(api_only, v1))[0] == 201
    v2 = timer_process(process_id, {"monthly": ("timeCycle", MONTHLY)}, name="Renamed")
    assert (await _deploy(api_only, v2))[0] == 201

    replaced = await _describe(api_only.temporal, process_id, "monthly")
    assert (await _started_with(api_only.temporal, replaced)).version == 2
    action = replaced.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.typed_search_attributes.get(sa.VERSION) == f"{process_id}:2"

    # The same content again is a no-op: the Schedule is left as it is.
    status, _ = await _deploy(api_only, v2)
    unchanged = await _describe(api_only.temporal, process_id, "monthly")
    assert status == 200 and unchanged.info.last_updated_at == replaced.info.last_updated_at

    status, _ = await _deploy(api_only, timer_process(process_id, {}))
    assert status == 201
    await _missing(api_only.temporal, process_id, "monthly")


async def test_a_renamed_timer_start_moves_to_a_new_schedule(
    api_only: Stack, process_id: str
) -> None:
    await _deploy(api_only, timer_process(process_id, {"monthly": ("timeCycle", MONTHLY)}))
    await _deploy(api_only, timer_process(process_id, {"first_of_month": ("timeCycle", MONTHLY)}))

    await _missing(api_only.temporal, process_id, "monthly")
    moved = await _describe(api_only.temporal, process_id, "first_of_month")
    assert (await _started_with(api_only.temporal, moved)).version == 2


async def test_each_timer_kind_is_accepted_by_temporal_with_its_next_times(
    api_only: Stack, process_id: str
) -> None:
    timers = {
        "on_date": ("timeDate", "2099-06-01T09:00:00+08:00"),
        "after": ("timeDuration", "PT2H"),
        "hourly": ("timeCycle", "R3/PT1H"),
        "weekly": ("timeCycle", "R2/2099-01-05T09:00:00Z/P7D"),
        "monthly": ("timeCycle", MONTHLY),
    }
    before = datetime.now(UTC).replace(microsecond=0)
    status, body = await _deploy(api_only, timer_process(process_id, timers))
    assert status == 201, body

    async def next_times(node: str) -> list[datetime]:
        return list((await _describe(api_only.temporal, process_id, node)).info.next_action_times)

    assert (await next_times("on_date"))[0] == datetime(2099, 6, 1, 1, 0, tzinfo=UTC)
    [after] = await next_times("after")
    assert before + timedelta(hours=2) <= after <= before + timedelta(hours=2, seconds=30)
    hourly = await next_times("hourly")
    assert len(hourly) == 3 and hourly[2] - hourly[0] == timedelta(hours=2)
    assert await next_times("weekly") == [
        datetime(2099, 1, 5, 9, tzinfo=UTC), datetime(2099, 1, 12, 9, tzinfo=UTC),
    ]  # fmt: skip
    hourly_state = (await _describe(api_only.temporal, process_id, "hourly")).schedule.state
    assert (hourly_state.limited_actions, hourly_state.remaining_actions) == (True, 3)


async def test_a_date_that_has_passed_deploys_with_a_warning_and_no_schedule(
    api_only: Stack, process_id: str
) -> None:
    status, body = await _deploy(
        api_only, timer_process(process_id, {"once": ("timeDate", "2020-01-01T00:00:00Z")})
    )

    assert status == 201
    assert [(w["code"], w["element_id"]) for w in body["warnings"]] == [("timer-passed", "once")]
    await _missing(api_only.temporal, process_id, "once")


async def test_a_cron_temporal_refuses_fails_the_deploy_and_changes_nothing(
    api_only: Stack, process_id: str
) -> None:
    await _deploy(api_only, timer_process(process_id, {"monthly": ("timeCycle", MONTHLY)}))
    # Spring's `L` (the last day of the month) compiles, but Temporal's cron has no `L`.
    bad = {"monthly": ("timeCycle", "0 0 9 * * ?"), "last_day": ("timeCycle", "0 0 9 L * ?")}
    status, body = await _deploy(api_only, timer_process(process_id, bad))

    assert status == 422
    [diagnostic] = body["error"]["details"]
    assert (diagnostic["code"], diagnostic["element_id"]) == ("timer-schedule", "last_day")
    assert "DayOfMonth" in diagnostic["message"]
    async with api_only.http("ops", ["admin"]) as http:
        versions = (await http.get(f"{DEFINITIONS}/{process_id}")).json()
    assert [v["version"] for v in versions["data"]] == [1]  # the deploy stored nothing
    # The Schedule the deploy had already replaced is back as version 1 left it.
    kept = await _describe(api_only.temporal, process_id, "monthly")
    assert (await _started_with(api_only.temporal, kept)).version == 1
    assert kept.info.next_action_times[0].day == 1
    await _missing(api_only.temporal, process_id, "last_day")


async def test_a_schedule_that_fires_starts_an_instance_at_its_timer_start(
    stack: Stack, process_id: str
) -> None:
    xml = timer_process(process_id, {"start": ("", ""), "monthly": ("timeCycle", MONTHLY)})
    assert (await _deploy(stack, xml))[0] == 201
    handle = stack.temporal.get_schedule_handle(schedule_id(process_id, "monthly"))
    await handle.trigger()

    async def started() -> str:
        [taken] = (await handle.describe()).info.recent_actions
        assert isinstance(taken.action, ScheduleActionExecutionStartWorkflow)
        return taken.action.workflow_id

    instance_id = await assert_eventually(started)
    assert instance_id.startswith(f"{process_id}:monthly-")
    async with stack.http("erin", ["finance"]) as finance:

        async def waits_for_finance() -> dict[str, Any]:
            state: dict[str, Any] = (await finance.get(f"/api/v1/instances/{instance_id}")).json()
            # At the timer start's task, not the none start's ("ask").
            assert [t["node_id"] for t in state["tasks"]] == ["remind"], state
            return state

        state = await assert_eventually(waits_for_finance)
    assert state["variables"]["initiator"] == "scheduler"
    assert state["timeline"][0]["event"] == "started"
    assert state["timeline"][0]["actor"] == "scheduler"


async def test_a_short_cycle_fires_by_the_servers_own_clock(stack: Stack, process_id: str) -> None:
    # Nothing triggers it: the dev server's scheduler starts the instances of an every-2-seconds
    # cycle (three at most), each with the version deployed.
    xml = timer_process(process_id, {"every": ("timeCycle", "R3/PT2S")})
    status, body = await _deploy(stack, xml)
    assert status == 201, body
    handle = stack.temporal.get_schedule_handle(schedule_id(process_id, "every"))

    async def fired() -> list[str]:
        taken = (await handle.describe()).info.recent_actions
        assert len(taken) >= 2, taken
        ids = []
        for action in taken:
            assert isinstance(action.action, ScheduleActionExecutionStartWorkflow)
            ids.append(action.action.workflow_id)
        return ids

    ids = await assert_eventually(fired, timeout=30)
    assert len(set(ids)) == len(ids) and all(i.startswith(f"{process_id}:every-") for i in ids)
    instance = await stack.temporal.get_workflow_handle(ids[0]).describe()
    assert instance.typed_search_attributes.get(sa.VERSION) == f"{process_id}:1"
