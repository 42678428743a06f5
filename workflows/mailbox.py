"""The mailbox of one (message name, correlation key): where messages meet subscriptions.

Publishers and subscribing instances reach it by update-with-start (``activities/messaging.py``,
``api/messages.py``), so it exists while someone needs it, and a workflow serialises what arrives:
a message and a subscription that meet at the same moment meet exactly once. A message goes to
the oldest subscription of each process waiting for it (Zeebe's rule: once per process), and is
kept for its time to live for processes that subscribe later. The mailbox ends once nothing is
waiting and nothing is kept (docs/architecture.md "Messages and signals").
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from shenpi_core.messaging import (
        MAILBOX_PUBLISH,
        MAILBOX_RETURN,
        MAILBOX_SUBSCRIBE,
        MAILBOX_UNSUBSCRIBE,
        MAILBOX_WORKFLOW,
        SIGNAL_MESSAGE,
        Message,
        MessageDelivery,
        MessageSubscription,
        PublishInput,
        PublishResult,
        ReturnedMessage,
        SubscribeResult,
        Unsubscription,
    )

# A message id is remembered at least this long, so a publisher's retry has one effect even for
# a message that was not kept (ttl 0).
DEDUP_WINDOW = timedelta(hours=1)
# A long-lived mailbox (a key many instances wait on for months) starts afresh past this.
HISTORY_LIMIT = 10_000


class Kept(BaseModel):
    """A message waiting for subscriptions, and the processes it went to already."""

    message: Message
    until: datetime
    processes: list[str] = Field(default_factory=list)


class Seen(BaseModel):
    until: datetime
    result: PublishResult


class MailboxState(BaseModel):
    subscriptions: list[MessageSubscription] = Field(default_factory=list)  # oldest first
    kept: list[Kept] = Field(default_factory=list)
    seen: dict[str, Seen] = Field(default_factory=dict)  # message id ->
    # "<instance id> <subscription id>" -> the kept message it took when subscribing (a retried
    # subscribe activity gets the same answer).
    answered: dict[str, MessageDelivery] = Field(default_factory=dict)


@workflow.defn(name=MAILBOX_WORKFLOW)
class Mailbox:
    @workflow.init
    def __init__(self, state: MailboxState | None) -> None:
        self._state = state or MailboxState()
        self._changed = False

    @workflow.run
    async def run(self, state: MailboxState | None) -> None:
        while True:
            self._expire()
            if self._idle():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._idle():
                    return
            if workflow.info().get_current_history_length() > HISTORY_LIMIT:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._state)
            self._changed = False
            with contextlib.suppress(TimeoutError):  # a kept message or remembered id expires
                await workflow.wait_condition(lambda: self._changed, timeout=self._next_expiry())

    def _idle(self) -> bool:
        state = self._state
        return not (state.subscriptions or state.kept or state.seen)

    def _expire(self) -> None:
        now = workflow.now()
        state = self._state
        state.kept = [k for k in state.kept if k.until > now]
        state.seen = {m: s for m, s in state.seen.items() if s.until > now}
        if not state.subscriptions and not state.kept:
            state.answered = {}

    def _next_expiry(self) -> timedelta | None:
        moments = [k.until for k in self._state.kept] + [s.until for s in self._state.seen.values()]
        if not moments:
            return None
        return max(min(moments) - workflow.now(), timedelta(seconds=1))

    # --- handlers -------------------------------------------------------------------------------

    @workflow.update(name=MAILBOX_PUBLISH)
    async def publish(self, input: PublishInput) -> PublishResult:
        message = input.message
        seen = self._state.seen.get(message.message_id)
        if seen is not None:
            return seen.result.model_copy(update={"duplicate": True})
        now = workflow.now()
        taken = await self._correlate(message, exclude=set())
        result = PublishResult(correlated=[s.instance_id for s in taken])
        if input.ttl_seconds > 0:
            until = now + timedelta(seconds=input.ttl_seconds)
            processes = [s.process_id for s in taken]
            self._state.kept.append(Kept(message=message, until=until, processes=processes))
            result.buffered = True
        window = max(timedelta(seconds=input.ttl_seconds), DEDUP_WINDOW)
        self._state.seen[message.message_id] = Seen(until=now + window, result=result)
        self._changed = True
        return result

    @workflow.update(name=MAILBOX_SUBSCRIBE)
    def subscribe(self, input: MessageSubscription) -> SubscribeResult:
        state = self._state
        key = f"{input.instance_id} {input.sub_id}"
        if key in state.answered:  # a retried subscribe: the same answer
            return SubscribeResult(delivery=state.answered[key])
        if any(_same(s, input) for s in state.subscriptions):
            return SubscribeResult()
        now = workflow.now()
        for kept in state.kept:
            if kept.until > now and input.process_id not in kept.processes:
                kept.processes.append(input.process_id)
                delivery = MessageDelivery(**kept.message.model_dump(), sub_id=input.sub_id)
                state.answered[key] = delivery
                self._changed = True
                return SubscribeResult(delivery=delivery)
        state.subscriptions.append(input)
        self._changed = True
        return SubscribeResult()

    @workflow.signal(name=MAILBOX_UNSUBSCRIBE)
    def unsubscribe(self, input: Unsubscription) -> None:
        self._state.subscriptions = [s for s in self._state.subscriptions if not _same(s, input)]
        self._changed = True

    @workflow.update(name=MAILBOX_RETURN)
    async def take_back(self, input: ReturnedMessage) -> PublishResult:
        """An instance closed the subscription the message was sent to: another subscription of
        that process takes it, else it is kept again while its time to live lasts."""
        message = Message(**input.delivery.model_dump(exclude={"sub_id"}))
        self._state.subscriptions = [
            s for s in self._state.subscriptions if s.instance_id != input.instance_id
        ]
        for kept in self._state.kept:
            if kept.message.message_id == message.message_id:
                kept.processes = [p for p in kept.processes if p != input.process_id]
        others = {s.process_id for s in self._state.subscriptions} - {input.process_id}
        taken = await self._correlate(message, exclude=others)
        for kept in self._state.kept:
            if kept.message.message_id == message.message_id:
                kept.processes += [s.process_id for s in taken]
        self._changed = True
        return PublishResult(correlated=[s.instance_id for s in taken])

    # --- correlation ----------------------------------------------------------------------------

    async def _correlate(self, message: Message, exclude: set[str]) -> list[MessageSubscription]:
        """Send ``message`` to the oldest live subscription of each process (but ``exclude``d
        ones); a subscription whose instance is gone is dropped and the next one tried."""
        taken: list[MessageSubscription] = []
        done: set[str] = set(exclude)
        while True:
            chosen = next((s for s in self._state.subscriptions if s.process_id not in done), None)
            if chosen is None:
                return taken
            # Taken off before the signal is awaited: a concurrent publish cannot pick it too.
            self._state.subscriptions.remove(chosen)
            delivery = MessageDelivery(**message.model_dump(), sub_id=chosen.sub_id)
            handle = workflow.get_external_workflow_handle(chosen.instance_id)
            try:
                await handle.signal(SIGNAL_MESSAGE, delivery)
            except FailureError:
                continue  # the instance has ended: its subscription was stale
            done.add(chosen.process_id)
            taken.append(chosen)


def _same(subscription: MessageSubscription, other: MessageSubscription | Unsubscription) -> bool:
    return (subscription.instance_id, subscription.sub_id) == (other.instance_id, other.sub_id)
