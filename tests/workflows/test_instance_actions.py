"""Instance actions on the real servers: withdraw (撤回), cancel (撤销) and urge (催办)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi_core.contracts import ErrorType, ServiceTaskInput
from tests.helpers import assert_eventually
from tests.workflows.action_support import act, notices, recording_worker
from tests.workflows.support import (
    decide,
    history_length,
    open_task,
    settings_for_tests,
    start,
    state,
)
from worker import build_worker


@pytest_asyncio.fixture
async def notify_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with recording_worker(client, task_queue) as running:
        yield running


async def test_withdraw_before_anyone_acted_ends_with_outcome_withdrawn(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    result = await act(handle, "withdraw", "ida", comment="wrong amount")

    assert result.accepted and result.instance_status == "completed"
    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "withdrawn")
    (closed,) = final.tasks
    assert (closed.task_id, closed.status, closed.outcome) == (
        task.task_id,
        "cancelled",
        "withdrawn",
    )
    withdrawn = next(e for e in final.timeline if e.event == "withdrawn")
    assert (withdrawn.actor, withdrawn.comment) == ("ida", "wrong amount")


async def test_withdraw_by_someone_else_is_refused_and_leaves_no_trace(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await open_task(handle, "manager")
    before = await history_length(handle)

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "withdraw", "mona")

    assert err.value.cause.type == ErrorType.NOT_INITIATOR  # type: ignore[attr-defined]
    assert await history_length(handle) == before
    assert (await state(handle)).status == "running"


async def test_withdraw_is_refused_once_an_approver_acted_on_the_current_step(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    finance = await open_task(handle, "finance")
    await decide(handle, finance, "claim", "fay", groups=["finance"])

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "withdraw", "ida")

    assert err.value.cause.type == ErrorType.ALREADY_ACTED  # type: ignore[attr-defined]
    assert "fay" in str(err.value.cause)
    assert (await state(handle)).status == "running"


async def test_withdraw_at_a_later_step_is_allowed_while_nobody_acted_on_it(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    await open_task(handle, "finance")

    await act(handle, "withdraw", "ida")

    final = await handle.result()
    assert final.outcome == "withdrawn"
    assert [(t.node_id, t.outcome) for t in final.tasks] == [
        ("manager", "approved"),
        ("finance", "withdrawn"),
    ]


async def test_admin_cancels_a_running_instance_with_outcome_cancelled(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    await open_task(handle, "finance")

    result = await act(handle, "cancel", "root", is_admin=True, comment="duplicate request")

    assert result.instance_status == "cancelled"
    final = await handle.result()
    assert (final.status, final.outcome) == ("cancelled", "cancelled")
    cancelled = next(e for e in final.timeline if e.event == "cancelled")
    assert (cancelled.actor, cancelled.comment) == ("root", "duplicate request")
    assert [t.status for t in final.tasks] == ["completed", "cancelled"]


async def test_cancel_by_an_approver_who_is_not_admin_is_refused(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await open_task(handle, "manager")

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "cancel", "mona")

    assert err.value.cause.type == ErrorType.NOT_ALLOWED  # type: ignore[attr-defined]
    await act(handle, "cancel", "ida")  # the initiator may, at any step
    assert (await handle.result()).outcome == "cancelled"


async def test_urge_notifies_the_pending_approvers_and_records_who(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    result = await act(handle, "urge", "ida", comment="needed by Friday")

    assert result.notified == ["mona"]

    async def notified() -> None:
        sent = notices(handle, "urge")
        assert len(sent) == 1
        notice = sent[0]
        assert notice.config["to"] == "mona"
        assert notice.variables["tasks"][0]["task_id"] == task.task_id
        assert notice.variables["comment"] == "needed by Friday"

    await assert_eventually(notified)
    urged = next(e for e in (await state(handle)).timeline if e.event == "urged")
    assert (urged.actor, urged.details["to"]) == ("ida", ["mona"])


async def test_urge_of_a_group_task_names_the_group(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    await open_task(handle, "finance")

    assert (await act(handle, "urge", "ida")).notified == ["group:finance"]


async def test_urge_again_too_soon_is_rate_limited_then_allowed_after_the_interval(
    skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    async with recording_worker(skipping_env.client, task_queue):
        handle = await start(
            skipping_env.client,
            "two_steps",
            task_queue,
            variables={"manager": "mona"},
            urge_min_interval_seconds=600,
        )
        await open_task(handle, "manager")
        await act(handle, "urge", "ida")

        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, "urge", "ida")
        assert err.value.cause.type == ErrorType.RATE_LIMITED  # type: ignore[attr-defined]
        assert err.value.cause.details == ({"retry_after_seconds": 600},)  # type: ignore[attr-defined]
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, "urge", "mona")
        assert err.value.cause.type == ErrorType.NOT_INITIATOR  # type: ignore[attr-defined]

        await skipping_env.sleep(timedelta(minutes=11))
        await act(handle, "urge", "ida")
        urges = [e for e in (await state(handle)).timeline if e.event == "urged"]
        assert urges[1].at - urges[0].at >= timedelta(minutes=10)
        await act(handle, "cancel", "ida")
        await handle.result()


@activity.defn(name="notify")
async def refusing_notify(input: ServiceTaskInput) -> dict[str, Any]:
    raise ApplicationError("the chat gateway refused the message", non_retryable=True)


async def test_a_failed_urge_notification_is_recorded_and_the_instance_goes_on(
    client: Client, task_queue: str
) -> None:
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=[refusing_notify],
    ):
        handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
        await open_task(handle, "manager")
        await act(handle, "urge", "ida")

        async def failure_recorded() -> None:
            failed = [e for e in (await state(handle)).timeline if e.event == "notify_failed"]
            assert len(failed) == 1
            assert failed[0].details["event"] == "urge"
            assert "refused the message" in failed[0].details["message"]

        await assert_eventually(failure_recorded)
        await decide(handle, await open_task(handle, "manager"), "approve", "mona")
        assert (await open_task(handle, "finance")).status == "open"
