"""Webhooks are delivered at least once, each with an event id that every retry repeats, so the
receiver of docs/notifications.md acts on each notification once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from tests.activities.webhook_server import Received, webhook_server
from tests.helpers import REPO_ROOT
from tests.notify.support import notify, notify_worker

SECRET = "webhook-secret-of-the-receiver"


def docs_receiver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """The receiver example of docs/notifications.md, run as written (in ``tmp_path``)."""
    text = (REPO_ROOT / "docs/notifications.md").read_text(encoding="utf-8")
    section = text.split("#### Delivered at least once", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the section should show a receiver"
    monkeypatch.setenv("SHENPI_NOTIFY_WEBHOOK_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), "docs/notifications.md", "exec"), namespace)
    return namespace


async def test_every_retry_of_a_webhook_carries_its_event_id(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    # The first answer is lost to a 503: the receiver got it, Shenpi cannot know and retries.
    with webhook_server([503, 200]) as hook:
        async with notify_worker(
            client, task_queue, tmp_path, notify_webhook_url=hook.url, notify_webhook_secret=SECRET
        ):
            await notify(client, task_queue, "outcome", ["ida"], outcome="approved")
            await notify(client, task_queue, "outcome", ["ida"], outcome="approved")

    first, retry, other = hook.received
    ids = [r.json()["event_id"] for r in (first, retry, other)]
    assert [r.json()["attempt"] for r in (first, retry, other)] == [1, 2, 1]
    assert ids[0] == ids[1] != ids[2]  # the same notice twice is two events
    assert [r.headers["X-Shenpi-Event-Id"] for r in (first, retry, other)] == ids


async def test_the_documented_receiver_acts_once_on_a_redelivered_webhook(
    client: Client, task_queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = docs_receiver(monkeypatch, tmp_path)
    acted: list[dict[str, Any]] = []
    receiver["act_on"] = acted.append
    with webhook_server([503, 200]) as hook:
        async with notify_worker(
            client, task_queue, tmp_path, notify_webhook_url=hook.url, notify_webhook_secret=SECRET
        ):
            await notify(client, task_queue, "outcome", ["ida"], outcome="rejected")

    deliveries: list[Received] = hook.received
    answers = [receiver["receive"](d.headers, d.body) for d in deliveries]
    assert (len(deliveries), answers) == (2, [200, 200])
    assert [(e["event"], e["outcome"]) for e in acted] == [("outcome", "rejected")]
    forged = deliveries[0].body.replace(b"rejected", b"approved")
    assert receiver["receive"](deliveries[0].headers, forged) == 401
