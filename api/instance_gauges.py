"""The instance gauges of /metrics, counted by Temporal's visibility when Prometheus scrapes.

Counters in the workflows say what happened; these say what is open now, which alerts need
(an incident nobody resolved, an instance open for far too long) and which no process restart
resets. A count is one cheap visibility call; a failed one leaves the last values in place.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from api.metrics import ApiMetrics
from shenpi_core import search_attributes as sa

COUNT_TIMEOUT_SECONDS = 2.0
log = logging.getLogger(__name__)


async def refresh(metrics: ApiMetrics, client: Client, stuck_after: timedelta) -> None:
    open_ = 'ExecutionStatus = "Running"'
    since = (datetime.now(UTC) - stuck_after).strftime("%Y-%m-%dT%H:%M:%SZ")
    queries = {
        "running": f'{open_} AND {sa.STATUS.name} = "running"',
        "incident": f'{open_} AND {sa.STATUS.name} = "incident"',
        "stuck": f'{open_} AND {sa.STATUS.name} IS NOT NULL AND StartTime < "{since}"',
    }
    try:
        async with asyncio.timeout(COUNT_TIMEOUT_SECONDS):
            counts = await asyncio.gather(*(client.count_workflows(q) for q in queries.values()))
    except Exception as err:  # a scrape must still answer; the gauges keep their last values
        log.warning("instance gauges not refreshed: %s", err)
        return
    running, incident, stuck = (c.count for c in counts)
    metrics.instances_open.labels("running").set(running)
    metrics.instances_open.labels("incident").set(incident)
    metrics.instances_stuck.set(stuck)
