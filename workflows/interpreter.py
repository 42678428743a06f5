"""The interpreter workflow: one dynamic workflow whose type is the BPMN process id.

``Interpreter`` only reads its input (sharing the plan with other instances of the same
version, ``plan_cache``); the handlers and the main loop are
``InstanceWorkflow``'s (``workflows/instance.py``), which ``--emit python`` workflows share.
This module stays small on purpose: the sandbox imports it afresh for every new instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import InstanceState
    from workflows.instance import InstanceWorkflow
    from workflows.plan_cache import start_input


@workflow.defn(dynamic=True)
class Interpreter(InstanceWorkflow):
    """Runs any compiled process; the workflow type of an instance is its BPMN process id."""

    @workflow.init
    def __init__(self, args: Sequence[RawValue]) -> None:
        payload = args[0].payload
        raw = workflow.payload_converter().from_payload(payload, dict[str, Any])
        self._setup(start_input(raw))
        # The SDK keeps the start arguments for the life of the run, but nothing reads them once
        # the instance is built: without this, every instance would hold its own copy of the plan
        # as bytes, however shared the parsed plan is. A replay decodes a fresh activation.
        payload.data = b""

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> InstanceState:
        return await self._execute()
