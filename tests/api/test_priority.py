"""Priority over real HTTP and the real dev server: chosen at start, defaulted by the process,
changed by the initiator's manager or an admin, ordering the inbox, and carried by Temporal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from shenpi_core import search_attributes as sa
from tests.api.bpmn import HEAD
from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.api.flows import deploy, start, task_of
from tests.helpers import assert_eventually

DIRECTORY = """\
users:
  alice: {manager: bob}
  bob: {}
  carol: {}
"""


def process(process_id: str, *, priority: str | None = None, due: str = "PT4H") -> bytes:
    """start → a drawn notify task (an activity) → carol approves within ``due`` → end."""
    default = (
        f"<extensionElements><shenpi:priority>{priority}</shenpi:priority></extensionElements>\n"
        if priority
        else ""
    )
    body = (
        default + '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="tell"/>\n'
        '  <serviceTask id="tell" name="Tell" shenpi:type="notify"/>\n'
        '  <sequenceFlow id="f2" sourceRef="tell" targetRef="step"/>\n'
        '  <userTask id="step" name="Approve">\n'
        f'    <extensionElements><shenpi:approval approvers="carol" dueIn="{due}"/>'
        "</extensionElements>\n"
        "  </userTask>\n"
        '  <sequenceFlow id="f3" sourceRef="step" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n'
    )
    xml = f'{HEAD}<process id="{process_id}" isExecutable="true">\n{body}</process>\n'
    return (xml + "</definitions>\n").encode()


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    async with running_stack(temporal_env, api_settings(tmp_path, directory_file=path)) as s:
        yield s


async def _instance(stack: Stack, instance_id: str) -> dict[str, object]:
    async with stack.http("ops", ["admin"]) as admin:
        response = await admin.get(f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_start_with_priority_shows_on_instance_task_and_temporal(stack: Stack) -> None:
    process_id = unique("prio")
    await deploy(stack, process(process_id))
    async with stack.http("alice") as alice, stack.http("carol") as carol:
        response = await alice.post(
            f"/api/v1/processes/{process_id}/instances", json={"priority": "urgent"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["priority"] == "urgent"
        instance_id = response.json()["instance_id"]
        task = await task_of(carol, instance_id)
    assert task["priority"] == "urgent"
    assert (await _instance(stack, instance_id))["priority"] == "urgent"
    handle = stack.temporal.get_workflow_handle(instance_id)
    description = await handle.describe()
    assert description.typed_search_attributes.get(sa.PRIORITY) == "urgent"
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.priority.priority_key == 1
    # The activities the instance schedules carry it too (the notify task here).
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled
    assert {s.priority.priority_key for s in scheduled} == {1}


async def test_an_unknown_priority_is_refused_with_400(stack: Stack) -> None:
    process_id = unique("prio")
    await deploy(stack, process(process_id))
    async with stack.http("alice") as alice:
        response = await alice.post(
            f"/api/v1/processes/{process_id}/instances", json={"priority": "asap"}
        )
    assert response.status_code == 400, response.text  # as any value outside an enumeration
    assert response.json()["error"]["details"][0]["loc"] == ["body", "priority"]


async def test_default_priority_from_the_process_literal_and_expression(stack: Stack) -> None:
    literal, rule = unique("prio_lit"), unique("prio_expr")
    await deploy(stack, process(literal, priority="high"))
    await deploy(stack, process(rule, priority='amount &gt; 50000 ? "urgent" : "normal"'))
    async with stack.http("alice") as alice:
        high = await start(alice, literal)
        big = await start(alice, rule, variables={"amount": 60000})
        small = await start(alice, rule, variables={"amount": 1200})
        chosen = await start(alice, rule, variables={"amount": 60000}, priority="low")
    assert (await _instance(stack, high))["priority"] == "high"
    assert (await _instance(stack, big))["priority"] == "urgent"
    assert (await _instance(stack, small))["priority"] == "normal"
    assert (await _instance(stack, chosen))["priority"] == "low"  # the request's own wins


async def test_manager_and_admin_change_priority_others_are_refused_without_trace(
    stack: Stack,
) -> None:
    process_id = unique("prio")
    await deploy(stack, process(process_id))
    async with (
        stack.http("alice") as alice,
        stack.http("bob") as bob,
        stack.http("carol") as carol,
        stack.http("ops", ["admin"]) as admin,
    ):
        instance_id = await start(alice, process_id)
        await task_of(carol, instance_id)
        url = f"/api/v1/instances/{instance_id}/priority"
        before = await stack.history_length(instance_id)
        for stranger in (alice, carol):  # the initiator herself, an approver
            refused = await stranger.post(url, json={"priority": "urgent"})
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "forbidden"
        assert await stack.history_length(instance_id) == before  # no trace in history

        changed = await bob.post(url, json={"priority": "urgent", "comment": "board meeting"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["priority"] == "urgent"
        assert changed.json()["previous"] == "normal"
        same = await bob.post(url, json={"priority": "urgent"})
        assert same.status_code == 409, same.text
        lowered = await admin.post(url, json={"priority": "low"})
        assert lowered.status_code == 200, lowered.text

        async def published() -> None:
            task = await task_of(carol, instance_id)
            assert task["priority"] == "low"

        await assert_eventually(published)
    state = await _instance(stack, instance_id)
    assert state["priority"] == "low"
    changes = [e for e in state["timeline"] if e["event"] == "priority_changed"]  # type: ignore[attr-defined]
    assert [(e["actor"], e["details"]) for e in changes] == [
        ("bob", {"from": "normal", "to": "urgent"}),
        ("ops", {"from": "urgent", "to": "low"}),
    ]
    assert changes[0]["comment"] == "board meeting"
    # The instance's own workflow tasks follow the change (Temporal's execution options).
    history = await stack.temporal.get_workflow_handle(instance_id).fetch_history()
    retagged = [
        e.workflow_execution_options_updated_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED
    ]
    assert [o.priority.priority_key for o in retagged] == [1, 4]


async def test_inbox_lists_urgent_first_then_by_due_date(stack: Stack) -> None:
    soon, late = unique("prio_soon"), unique("prio_late")
    await deploy(stack, process(soon, due="PT1H"))
    await deploy(stack, process(late, due="PT9H"))
    async with stack.http("alice") as alice, stack.http("carol") as carol:
        low = await start(alice, soon, priority="low")
        normal_late = await start(alice, late)
        normal_soon = await start(alice, soon)
        urgent_late = await start(alice, late, priority="urgent")
        high_late = await start(alice, late, priority="high")
        wanted = [urgent_late, high_late, normal_soon, normal_late, low]

        async def ordered() -> None:
            pages: list[dict[str, str | int]] = [
                {},
                {"page_size": 200, "sort": "priority", "limit": 1000},
            ]
            for params in pages:
                response = await carol.get("/api/v1/tasks", params=params)
                assert response.status_code == 200, response.text
                listed = [t["instance_id"] for t in response.json()["data"]]
                assert [i for i in listed if i in wanted] == wanted, params

        await assert_eventually(ordered)
