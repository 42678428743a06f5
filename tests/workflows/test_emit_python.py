"""``--emit python``: the emitted module is clean code and runs an instance to completion."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from bpmn_compiler.emit_python import class_name, emit_python
from shenpi_core.contracts import EmbeddedStartInput, InstanceState
from tests.helpers import REPO_ROOT
from tests.workflows.support import decide, open_task, plan, score, state

BIN = Path(sys.executable).parent


@pytest.fixture
def emitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """The module of ``service_task.bpmn``, importable by name (the sandbox re-imports it)."""
    module = f"emitted_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{module}.py"
    path.write_text(emit_python(plan("service_task")), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return path, module


async def test_emitted_workflow_runs_an_instance_to_completion(
    client: Client, task_queue: str, emitted: tuple[Path, str]
) -> None:
    _, module = emitted
    workflow_cls = getattr(importlib.import_module(module), class_name("service_task"))
    async with Worker(client, task_queue=task_queue, workflows=[workflow_cls], activities=[score]):
        handle = await client.start_workflow(
            "service_task",  # the workflow type is the process id, as with the interpreter
            EmbeddedStartInput(variables={"amount": 7}, initiator="ida"),
            id=f"emitted-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            result_type=InstanceState,
        )
        task = await open_task(handle, "approve")
        assert (await state(handle)).variables["scoring"]["amount_seen"] == 7
        await decide(handle, task, "approve", "alice")
        final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "approved")


async def test_emitted_module_is_ruff_formatted_lint_clean_and_type_checks(
    emitted: tuple[Path, str],
) -> None:
    path, _ = emitted
    for command in (
        [BIN / "ruff", "format", "--check", "--quiet", path],
        [BIN / "ruff", "check", "--quiet", "--no-cache", path],
        [BIN / "mypy", "--strict", "--no-error-summary", path],
    ):
        proc = await asyncio.create_subprocess_exec(
            *map(str, command), cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, (command[0], out.decode())


def test_class_name_is_a_camel_case_identifier() -> None:
    assert class_name("purchase-approval") == "PurchaseApprovalWorkflow"
    assert class_name("2024_leave.v2") == "Process2024LeaveV2Workflow"
    assert class_name("---") == "ProcessWorkflow"
