"""Helpers for interpreter tests: compile a fixture, start an instance, decide, read its state."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError

from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from shenpi_core.contracts import (
    BPMN_ERROR_TYPE,
    QUERY_STATE,
    UPDATE_DECIDE,
    DecisionInput,
    DecisionResult,
    InstanceState,
    ServiceTaskInput,
    StartInput,
    TaskView,
)
from shenpi_core.process_plan import ProcessPlan
from tests.helpers import assert_eventually

BPMN_DIR = Path(__file__).parent / "bpmn"


@cache
def plan(name: str) -> ProcessPlan:
    """The plan of ``tests/workflows/bpmn/<name>.bpmn``, compiled by the real compiler."""
    return compile_bpmn((BPMN_DIR / f"{name}.bpmn").read_bytes(), source=name).plan


@cache
def _data_dir() -> Path:
    # The worker's archive writes the app database under data_dir: never into the checkout.
    return Path(tempfile.mkdtemp(prefix="shenpi-test-"))


def settings_for_tests(**overrides: Any) -> Settings:
    return Settings(_env_file=None, env="test", **{"data_dir": _data_dir(), **overrides})


async def start(
    client: Client,
    name: str,
    task_queue: str,
    *,
    variables: dict[str, Any] | None = None,
    initiator: str = "ida",
    **options: Any,
) -> WorkflowHandle[Any, InstanceState]:
    process = plan(name)
    return await client.start_workflow(
        process.process_id,
        StartInput(
            plan=process,
            version=1,
            variables=variables or {},
            initiator=initiator,
            **options,
        ),
        id=f"{process.process_id}-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
        result_type=InstanceState,
    )


async def state(handle: WorkflowHandle[Any, Any]) -> InstanceState:
    result: InstanceState = await handle.query(QUERY_STATE, result_type=InstanceState)
    return result


async def open_tasks(handle: WorkflowHandle[Any, Any]) -> list[TaskView]:
    return [t for t in (await state(handle)).tasks if t.status == "open"]


async def wait_open_tasks(handle: WorkflowHandle[Any, Any], count: int) -> list[TaskView]:
    """The open tasks, once there are exactly ``count`` of them."""

    async def check() -> list[TaskView]:
        tasks = await open_tasks(handle)
        assert len(tasks) == count, tasks
        return tasks

    return await assert_eventually(check)


async def open_task(handle: WorkflowHandle[Any, Any], node_id: str) -> TaskView:
    """Wait until a task of ``node_id`` is open (the workflow may still be stepping)."""
    for _ in range(200):
        for task in await open_tasks(handle):
            if task.node_id == node_id:
                return task
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open task on {node_id}: {await open_tasks(handle)}")


async def decide(
    handle: WorkflowHandle[Any, Any],
    task: TaskView | str,
    action: str,
    actor: str,
    **fields: Any,
) -> DecisionResult:
    task_id = task if isinstance(task, str) else task.task_id
    result: DecisionResult = await handle.execute_update(
        UPDATE_DECIDE,
        DecisionInput(task_id=task_id, action=action, actor=actor, **fields),
        result_type=DecisionResult,
    )
    return result


async def history_length(handle: WorkflowHandle[Any, Any]) -> int:
    return len((await handle.fetch_history()).events)


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [EventType.Name(e.event_type) for e in history.events]


def timeline_events(instance: InstanceState) -> list[str]:
    return [e.event for e in instance.timeline]


# --- activities only the tests register (under the names the fixtures' service tasks use) ------


@activity.defn(name="score")
async def score(input: ServiceTaskInput) -> dict[str, Any]:
    return {"score": 0.9, "amount_seen": input.variables.get("amount")}


@activity.defn(name="always-fails")
async def always_fails(input: ServiceTaskInput) -> dict[str, Any]:
    raise ApplicationError(
        f"ERP refused booking {input.node_id} (attempt {activity.info().attempt})"
    )


@activity.defn(name="slow")
async def slow(input: ServiceTaskInput) -> dict[str, Any]:
    """Runs until cancelled or until its worker shuts down (so test teardown stays fast)."""
    activity.heartbeat()
    await activity.wait_for_worker_shutdown()
    raise ApplicationError("worker shut down", non_retryable=True)


@activity.defn(name="charge")
async def charge(input: ServiceTaskInput) -> dict[str, Any]:
    """Throws the BPMN error the variable ``card`` names ("ok": charged), as any SDK would."""
    card = input.variables.get("card", "ok")
    if card != "ok":
        raise ApplicationError(
            f"the bank said {card}", {"code": card}, type=BPMN_ERROR_TYPE, non_retryable=True
        )
    return {"charged": True}


def fake_activities() -> list[Any]:
    return [score, always_fails, slow, charge]
