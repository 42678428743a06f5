"""The ``notify`` activity: tell people on their channels, feed the webhook, report who failed.

Who gets what and on which channel: :mod:`activities.channels.routing`; what it says:
:mod:`activities.channels.message`. The activity is async and runs each blocking send (wechatpy,
smtplib) in a thread, so it does not occupy the worker's activity executor while it waits.

Failures: a retryable one (rate limit, busy, 5xx, connection refused) raises after the other
recipients were served, so Temporal retries; what was already delivered is kept in the heartbeat
details and not sent again on the next attempt. A permanent one (a bad user id) is recorded for
that person, and their next channel is tried. The result is one key (a drawn notify task merges it
into the instance variables)::

    {"notify": {"sent": [{"to", "channel", "address", "task_id", "msgid", ...}],
                "failed": [{"to", "channel", "error"}]}}

If nobody could be reached and someone failed for good: ``ApplicationError(type=
"NotificationRejected", non_retryable=True)`` with that result as details.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import Channel, ChannelError
from activities.channels.message import Message, render
from activities.channels.routing import (
    Contacts,
    build_channels,
    requested,
    resolve,
    route,
    task_audiences,
    with_bindings,
)
from activities.channels.webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    post_webhook,
    sign,
)
from activities.delivery import delivery_id
from activities.heartbeat import Beat, heartbeating
from shenpi.db.lazy import LazyDatabase
from shenpi.db.wechat import bound_ids
from shenpi.directory_file import UserEntry
from shenpi.settings import Settings
from shenpi_core.contracts import ServiceTaskInput

__all__ = ["EVENT_ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "NotifyActivities", "sign"]

WECHAT_CHANNELS = frozenset({"wechat_work", "wechat_mp"})


class _Progress:
    """What this notification has delivered so far; survives retries in heartbeat details."""

    def __init__(self, beat: Beat) -> None:
        self._beat = beat
        details = beat.details
        saved: dict[str, Any] = details[0] if details and isinstance(details[0], dict) else {}
        self.sent: list[dict[str, Any]] = list(saved.get("sent", []))
        self.failed: list[dict[str, Any]] = list(saved.get("failed", []))
        self.done: set[str] = set(saved.get("done", []))
        self.webhook_done: bool = bool(saved.get("webhook_done", False))

    def save(self) -> None:
        self._beat.save(
            {
                "sent": self.sent,
                "failed": self.failed,
                "done": sorted(self.done),
                "webhook_done": self.webhook_done,
            }
        )

    def result(self) -> dict[str, Any]:
        return {"notify": {"sent": self.sent, "failed": self.failed}}


class NotifyActivities:
    def __init__(
        self, settings: Settings, client: httpx.AsyncClient, contacts: Contacts | None = None
    ) -> None:
        self._settings = settings
        self._client = client
        self._contacts = contacts
        self._channels = build_channels(settings)
        # The WeChat bindings (wechat_bindings) are read from the app database, when WeChat is on.
        self._database = LazyDatabase(settings)
        self._reads_bindings = bool(WECHAT_CHANNELS & set(self._channels))

    @activity.defn(name="notify")
    async def notify(self, input: ServiceTaskInput) -> dict[str, Any]:
        # Beats while a send waits on WeChat or SMTP, so a dead worker's attempt is retried
        # within the heartbeat timeout; the next attempt resumes from the saved progress.
        async with heartbeating() as beat:
            return await self._notify(input, _Progress(beat))

    async def _notify(self, input: ServiceTaskInput, progress: _Progress) -> dict[str, Any]:
        info = activity.info()
        event = input.config.get("event", "notify")
        messages = render(
            event,
            input.instance_id,
            input.process_id,
            input.variables,
            self._settings.public_url,
            message=input.config.get("message"),
        )
        named = requested(input)
        users, unresolved = await asyncio.to_thread(resolve, named, self._contacts)
        audiences = await asyncio.to_thread(task_audiences, input, self._contacts)
        if "resolved" not in progress.done:
            progress.failed += unresolved
            progress.done.add("resolved")
        activity.logger.info("notify %s on %s to %s", event, input.instance_id, users or "-")
        url = input.config.get("url") or self._settings.notify_webhook_url
        # Who no personal channel reaches is in the webhook feed, or only in the log.
        fallback = "webhook" if url else "log"
        retry: ChannelError | None = None
        for user in users:
            contact = with_bindings(
                await asyncio.to_thread(self._contact, user), await self._bound(user)
            )
            plan = route(user, contact, self._channels)
            for index, message in enumerate(messages):
                key = f"{user}#{index}"
                if key in progress.done or not _addressed(message, user, audiences):
                    continue
                try:
                    entries = await self._deliver(user, plan, message, fallback)
                    self._record(progress, message, entries)
                except ChannelError as err:
                    retry = err  # serve the others first; Temporal retries this one
                    continue
                progress.done.add(key)
                progress.save()
        if url and not progress.webhook_done:
            secret = self._settings.notify_webhook_secret
            delivery = delivery_id(info)
            await post_webhook(self._client, url, secret, input, users, info.attempt, delivery)
            progress.webhook_done = True
            progress.save()
        if retry is not None:
            raise retry_error(retry, self._settings.notify_rate_limit_retry_seconds)
        if progress.failed and not progress.sent:
            raise ApplicationError(
                "no recipient could be notified",
                progress.result(),
                type="NotificationRejected",
                non_retryable=True,
            )
        return progress.result()

    async def aclose(self) -> None:
        await self._database.aclose()

    async def _bound(self, user: str) -> list[str]:
        if not self._reads_bindings:
            return []
        sessions = await self._database()
        async with sessions() as session:
            return await bound_ids(session, user)

    def _contact(self, user: str) -> UserEntry | None:
        return self._contacts.contact(user) if self._contacts is not None else None

    @staticmethod
    async def _deliver(
        user: str, plan: list[tuple[Channel, str]], message: Message, fallback: str
    ) -> list[dict[str, Any]]:
        """Try ``user``'s channels in order; the entries to record. Raises a retryable error."""
        entries: list[dict[str, Any]] = []
        for channel, address in plan:
            try:
                answer = await asyncio.to_thread(
                    channel.send, address, message, card_id=card_id(message, user)
                )
            except ChannelError as err:
                if err.retryable:
                    raise
                entries.append({"to": user, "channel": channel.name, "error": str(err)})
                continue
            return [*entries, {"to": user, "channel": channel.name, "address": address, **answer}]
        return entries or [{"to": user, "channel": fallback}]  # no personal channel at all

    @staticmethod
    def _record(progress: _Progress, message: Message, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if message.task is not None:
                entry["task_id"] = message.task.task_id
            (progress.failed if "error" in entry else progress.sent).append(entry)


def _addressed(message: Message, user: str, audiences: dict[str, set[str]]) -> bool:
    """A task's message goes only to that task's people when the summary names them."""
    return message.task is None or user in audiences.get(message.task.task_id, {user})


def card_id(message: Message, user: str) -> str:
    """WeChat's card id: the task ref plus a suffix unique per recipient and notification."""
    info = activity.info()
    what = message.task.task_id if message.task is not None else message.title
    seed = f"{info.workflow_id}|{info.workflow_run_id}|{info.activity_id}|{user}|{what}"
    ref = message.task.ref if message.task is not None else "n"
    return f"{ref}_{hashlib.sha256(seed.encode()).hexdigest()[:12]}"


def retry_error(err: ChannelError, rate_limit_delay: float) -> ApplicationError:
    """Retried by Temporal; after a rate limit, not before ``rate_limit_delay`` seconds (WeChat's
    limits count per minute: retrying at the policy's first seconds would only hit it again)."""
    delay = timedelta(seconds=rate_limit_delay) if err.rate_limited else None
    return ApplicationError(
        f"notification not delivered yet: {err}", type="NotificationDelayed", next_retry_delay=delay
    )
