"""Fake activities for multi-instance tests, registered under the names the fixtures use, and
what they saw: how many ran at once per node, which were cancelled."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from temporalio import activity

from shenpi_core.contracts import ServiceTaskInput

# Per (instance id, node id): activities running now, and the most that ever ran at once.
RUNNING: dict[tuple[str, str], int] = defaultdict(int)
MOST: dict[tuple[str, str], int] = defaultdict(int)


@activity.defn(name="mi-double")
async def mi_double(input: ServiceTaskInput) -> dict[str, Any]:
    """``item`` doubled; later items finish first, so completion order is not the item order."""
    key = (input.instance_id.split(".")[0], input.node_id)
    RUNNING[key] += 1
    MOST[key] = max(MOST[key], RUNNING[key])
    try:
        # Each waits (a few seconds at most) until the instances active beside it run too, so
        # on a loaded machine a parallel body is not measured as one that ran them in turn.
        active = int(input.variables.get("nrOfActiveInstances") or 1)
        for _ in range(500):
            if MOST[key] >= active:
                break
            await asyncio.sleep(0.01)
        item = input.variables["item"]
        await asyncio.sleep(0.01 * (3 - int(item) % 3))
        return {"result": item * 2}
    finally:
        RUNNING[key] -= 1


@activity.defn(name="mi-work")
async def mi_work(input: ServiceTaskInput) -> dict[str, Any]:
    """Supplier "slow" never answers (until cancelled or the worker stops); the others answer
    with what the instance saw: its loopCounter and Camunda's counters."""
    seen = input.variables
    if seen.get("supplier") == "slow":
        await activity.wait_for_worker_shutdown()
        return {}
    return {"last_counter": seen["loopCounter"], "of": seen["nrOfInstances"]}


def multi_activities() -> list[Any]:
    return [mi_double, mi_work]
