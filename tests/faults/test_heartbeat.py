"""The heartbeat helper keeps a long call alive under a short heartbeat timeout, from an async
activity and from a sync one on a thread pool, and its beats carry the saved details on."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.heartbeat import heartbeating, heartbeating_thread

CALL_SECONDS = 3.0  # three heartbeat timeouts long


@activity.defn
async def slow_async_call() -> int:
    async with heartbeating():
        await asyncio.sleep(CALL_SECONDS)
    return activity.info().attempt


@activity.defn
def slow_sync_call() -> int:
    with heartbeating_thread():
        time.sleep(CALL_SECONDS)
    return activity.info().attempt


@activity.defn
async def resumes_from_saved_details() -> Any:
    """Attempt 1 saves progress, beats past it, then fails; attempt 2 returns what it finds."""
    async with heartbeating() as beat:
        if activity.info().attempt == 1:
            beat.save({"delivered": ["bob"]})
            await asyncio.sleep(CALL_SECONDS)  # background beats follow the save
            raise ApplicationError("retry me")
        return beat.details[0]


@workflow.defn
class CallOnce:
    @workflow.run
    async def run(self, name: str) -> Any:
        return await workflow.execute_activity(
            name,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=1),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100), maximum_attempts=2
            ),
        )


async def run(client: Client, task_queue: str, name: str) -> Any:
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[CallOnce],
            activities=[slow_async_call, slow_sync_call, resumes_from_saved_details],
            activity_executor=executor,
            max_heartbeat_throttle_interval=timedelta(milliseconds=300),
        ):
            return await client.execute_workflow(
                CallOnce.run, name, id=f"beat-{uuid.uuid4()}", task_queue=task_queue
            )


async def test_a_long_async_call_outlives_a_short_heartbeat_timeout(
    client: Client, task_queue: str
) -> None:
    assert await run(client, task_queue, "slow_async_call") == 1  # no timeout, no retry


async def test_a_long_sync_call_on_a_thread_outlives_a_short_heartbeat_timeout(
    client: Client, task_queue: str
) -> None:
    assert await run(client, task_queue, "slow_sync_call") == 1


async def test_background_beats_keep_the_saved_details_for_the_next_attempt(
    client: Client, task_queue: str
) -> None:
    assert await run(client, task_queue, "resumes_from_saved_details") == {"delivered": ["bob"]}
