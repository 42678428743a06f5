"""The broadcast of one BPMN signal, a workflow keyed by the signal id so that publishing the same
signal twice has one effect, and a broadcast to thousands of instances survives a worker crash
(its activity heartbeats its progress; docs/architecture.md "Messages and signals")."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shenpi_core.messaging import (
        ACTIVITY_BROADCAST,
        BROADCAST_WORKFLOW,
        BroadcastInput,
        BroadcastResult,
    )


@workflow.defn(name=BROADCAST_WORKFLOW)
class Broadcast:
    @workflow.run
    async def run(self, arg: BroadcastInput) -> BroadcastResult:
        result: BroadcastResult = await workflow.execute_activity(
            ACTIVITY_BROADCAST,
            arg,
            result_type=BroadcastResult,
            start_to_close_timeout=timedelta(hours=1),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            summary=f"signal {arg.signal.name}",
        )
        return result
