"""Activities that reach mailboxes and broadcast signals on an instance's behalf.

The workflow cannot call the Temporal client itself; these activities do, with the worker's
client (docs/architecture.md "Messages and signals"). Each is safe to retry: a subscription and a
return are keyed by the subscription id, a broadcast by its signal id.
"""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from shenpi import messaging_client
from shenpi.db.lazy import LazyDatabase
from shenpi.event_starts import start_by_event
from shenpi.settings import Settings
from shenpi_core import search_attributes as sa
from shenpi_core.messaging import (
    ACTIVITY_BROADCAST,
    ACTIVITY_RETURN,
    ACTIVITY_SIGNAL_THROW,
    ACTIVITY_SUBSCRIBE,
    ACTIVITY_UNSUBSCRIBE,
    SIGNAL_BPMN,
    BroadcastInput,
    BroadcastResult,
    MessageSubscription,
    ReturnedMessage,
    SubscribeResult,
    Unsubscription,
)

# Signals sent at once by one broadcast: enough to keep the frontend busy, not to flood it.
BROADCAST_CONCURRENCY = 32


def waiting_query(name: str) -> str:
    """The visibility query of the running instances waiting for signal ``name``."""
    value = sa.waiting_for_signal(name).replace("\\", "\\\\").replace("'", "\\'")
    return f"{sa.WAITING_FOR.name} = '{value}' AND ExecutionStatus = 'Running'"


class MessagingActivities:
    """Owns the app database's engine (made on first use) for signal starts."""

    def __init__(self, client: Client, settings: Settings, task_queue: str) -> None:
        self._client = client
        self._settings = settings
        self._task_queue = task_queue  # the worker's: where the mailboxes run
        self._database = LazyDatabase(settings)

    @activity.defn(name=ACTIVITY_SUBSCRIBE)
    async def subscribe(self, arg: MessageSubscription) -> SubscribeResult:
        return await messaging_client.subscribe(self._client, self._task_queue, arg)

    @activity.defn(name=ACTIVITY_UNSUBSCRIBE)
    async def unsubscribe(self, arg: Unsubscription) -> None:
        await messaging_client.unsubscribe(self._client, arg)

    @activity.defn(name=ACTIVITY_RETURN)
    async def take_back(self, arg: ReturnedMessage) -> None:
        await messaging_client.take_back(self._client, self._task_queue, arg)

    @activity.defn(name=ACTIVITY_SIGNAL_THROW)
    async def throw(self, arg: BroadcastInput) -> None:
        await messaging_client.start_broadcast(self._client, self._task_queue, arg)

    @activity.defn(name=ACTIVITY_BROADCAST)
    async def broadcast(self, arg: BroadcastInput) -> BroadcastResult:
        """Signal every running instance waiting for the signal, page by page; the heartbeat
        carries how many were signalled, so the API can report progress."""
        delivered = 0
        query = waiting_query(arg.signal.name)
        gate = asyncio.Semaphore(BROADCAST_CONCURRENCY)

        async def send(workflow_id: str) -> int:
            async with gate:
                try:
                    await self._client.get_workflow_handle(workflow_id).signal(
                        SIGNAL_BPMN, arg.signal
                    )
                except RPCError as err:
                    if err.status == RPCStatusCode.NOT_FOUND:
                        return 0  # ended since the query listed it
                    raise
                return 1

        started = await self._start_processes(arg)
        batch: list[asyncio.Task[int]] = []
        async for execution in self._client.list_workflows(query, page_size=1000):
            batch.append(asyncio.create_task(send(execution.id)))
            if len(batch) >= BROADCAST_CONCURRENCY * 8:
                delivered += sum(await asyncio.gather(*batch))
                batch = []
                activity.heartbeat(delivered)
        delivered += sum(await asyncio.gather(*batch))
        return BroadcastResult(delivered=delivered, started=started)

    async def _start_processes(self, arg: BroadcastInput) -> list[str]:
        if arg.start_as is None:
            return []
        sessions = await self._database()
        async with sessions() as session:
            return await start_by_event(
                session,
                self._client,
                self._settings,
                event="signal",
                name=arg.signal.name,
                trigger_id=arg.signal.signal_id,
                variables=arg.signal.variables,
                initiator=arg.start_as,
            )

    async def aclose(self) -> None:
        await self._database.aclose()
