"""Helpers for the action, instance-action and deadline tests: a recording ``notify`` activity,
the test directory file, a worker with both, and the instance-action update."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from shenpi_core.contracts import (
    UPDATE_INSTANCE_ACTION,
    InstanceActionInput,
    InstanceActionResult,
    ServiceTaskInput,
)
from shenpi_core.process_plan import ProcessPlan
from tests.workflows import approval_support
from tests.workflows.support import fake_activities, settings_for_tests
from worker import build_worker

# What the recording notify activity saw, by instance id (each test starts its own instances).
NOTICES: dict[str, list[ServiceTaskInput]] = defaultdict(list)

# The real directory activity reads this file: alice and bob report to mona, mona to max.
DIRECTORY_FILE = Path(__file__).parent / "directory.yaml"


@activity.defn(name="notify")
async def recording_notify(input: ServiceTaskInput) -> dict[str, Any]:
    NOTICES[input.instance_id].append(input)
    return {}


def notices(handle: WorkflowHandle[Any, Any], event: str | None = None) -> list[ServiceTaskInput]:
    sent = NOTICES[handle.id]
    return [n for n in sent if event is None or n.config.get("event") == event]


def recording_worker(client: Client, task_queue: str) -> Worker:
    """The production worker (the real directory on ``DIRECTORY_FILE``), notify recorded."""
    return build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(directory_file=DIRECTORY_FILE),
        extra_activities=[*fake_activities(), recording_notify],
    )


async def act(
    handle: WorkflowHandle[Any, Any], action: str, actor: str, **fields: Any
) -> InstanceActionResult:
    result: InstanceActionResult = await handle.execute_update(
        UPDATE_INSTANCE_ACTION,
        InstanceActionInput(action=action, actor=actor, **fields),
        result_type=InstanceActionResult,
    )
    return result


def with_approval(
    name: str, node_id: str, approvers: list[str] | None = None, **spec: Any
) -> ProcessPlan:
    """``approval_support.with_approval`` with the approvers as the third argument."""
    if approvers is not None:
        spec["approvers"] = approvers
    return approval_support.with_approval(name, node_id, **spec)


start_plan = approval_support.start_plan
