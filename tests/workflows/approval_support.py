"""Helpers for approval-step tests: plans with an ``ApprovalSpec`` put on a fixture's user task,
a test directory and archive registered under the real activity names."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle

from shenpi_core.contracts import (
    ACTIVITY_ARCHIVE,
    ACTIVITY_DIRECTORY,
    ArchiveInput,
    DirectoryResolveInput,
    DirectoryResolveResult,
    InstanceState,
    StartInput,
)
from shenpi_core.expressions import evaluate
from shenpi_core.process_plan import ApprovalSpec, Expression, ProcessPlan, UserTask
from tests.workflows.support import plan

# What the test archive stored, by instance id.
ARCHIVED: dict[str, list[InstanceState]] = defaultdict(list)
MANAGERS = {"ida": "mona", "alice": "mona", "bob": "mona", "mona": "max"}
GROUPS = {"board": ["bea", "ben", "bo"]}


def literal(value: Any) -> Expression:
    return Expression(source=repr(value), dialect="literal", ast={"lit": value})


def with_approval(name: str, node_id: str, **spec: Any) -> ProcessPlan:
    """The plan of fixture ``name`` with ``<shenpi:approval>`` on ``node_id``.

    ``approvers`` may be given as a Python list (a literal) or an ``Expression``.
    """
    approvers = spec.get("approvers")
    if isinstance(approvers, list):
        spec["approvers"] = literal(approvers)
    base = plan(name)
    nodes = tuple(
        n.model_copy(update={"approval": ApprovalSpec(**spec)})
        if isinstance(n, UserTask) and n.id == node_id
        else n
        for n in base.nodes
    )
    return base.model_copy(update={"nodes": nodes}).with_hash()


async def start_plan(
    client: Client,
    process: ProcessPlan,
    task_queue: str,
    *,
    variables: dict[str, Any] | None = None,
    initiator: str = "ida",
    **options: Any,
) -> WorkflowHandle[Any, InstanceState]:
    return await client.start_workflow(
        process.process_id,
        StartInput(
            plan=process, version=1, variables=variables or {}, initiator=initiator, **options
        ),
        id=f"{process.process_id}-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
        result_type=InstanceState,
    )


def _manager(user: Any, levels: Any = 1) -> str | None:
    current: str | None = str(user)
    for _ in range(int(levels)):
        current = MANAGERS.get(current or "")
    return current


def _members(group: Any) -> list[str]:
    return GROUPS.get(str(group), [])


@activity.defn(name=ACTIVITY_DIRECTORY)
async def fake_directory(input: DirectoryResolveInput) -> DirectoryResolveResult:
    """ida, alice and bob report to mona, mona to max; the board is bea, ben and bo."""
    functions: dict[str, Callable[..., Any]] = {"manager": _manager, "members": _members}
    value = evaluate(input.ast, input.variables, functions=functions)
    if value is None:
        return DirectoryResolveResult(values=[])
    return DirectoryResolveResult(values=value if isinstance(value, list) else [str(value)])


@activity.defn(name=ACTIVITY_ARCHIVE)
async def fake_archive(input: ArchiveInput) -> None:
    ARCHIVED[input.instance_id].append(input.state)


def approval_activities() -> list[Any]:
    return [fake_directory, fake_archive]
