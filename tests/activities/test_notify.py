"""The notify activity through real workflows: signed webhooks, Temporal-owned retries."""

from __future__ import annotations

import hashlib
import hmac

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from shenpi_core.contracts import QUERY_STATE, InstanceState
from tests.activities.support import running_worker, service_process, start
from tests.activities.webhook_server import Received, webhook_server
from tests.helpers import assert_eventually

SECRET = "s3cret-for-tests"


def signature_ok(request: Received) -> bool:
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-Shenpi-Signature"], f"sha256={expected}")


async def test_notify_posts_a_signed_webhook_and_is_retried_after_a_500(
    client: Client, task_queue: str
) -> None:
    process = service_process(("notify", {"message": "Your purchase was approved", "to": "ida"}))
    with webhook_server([500, 200]) as hook:
        async with running_worker(
            client, task_queue, notify_webhook_url=hook.url, notify_webhook_secret=SECRET
        ):
            handle = await start(client, process, task_queue, {"amount": 12})
            final = await handle.result()

    assert final.status == "completed"
    assert len(hook.received) == 2  # the 500, then the retry Temporal scheduled
    for request in hook.received:
        assert signature_ok(request)
    body = hook.received[1].json()
    assert (body["instance_id"], body["node_id"], body["attempt"]) == (handle.id, "call1", 2)
    assert (body["message"], body["to"], body["tasks"], body["outcome"]) == (
        "Your purchase was approved",
        "ida",
        [],
        None,
    )
    assert "variables" not in body and "amount" not in hook.received[1].body.decode()
    assert hook.received[1].headers["X-Shenpi-Timestamp"].isdigit()
    history = await handle.fetch_history()
    scheduled = {  # the instance's archive at the end is an activity too: count notify only
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    started = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and scheduled[e.activity_task_started_event_attributes.scheduled_event_id] == "notify"
    ]
    assert started == [2]  # retries are server-side: the history keeps the last attempt


async def test_notify_does_not_retry_a_400_and_raises_an_incident(
    client: Client, task_queue: str
) -> None:
    process = service_process(("notify", {"message": "hello"}))
    with webhook_server([400]) as hook:
        async with running_worker(
            client, task_queue, notify_webhook_url=hook.url, notify_webhook_secret=SECRET
        ):
            handle = await start(client, process, task_queue)

            async def incident_shown() -> None:
                current = await handle.query(QUERY_STATE, result_type=InstanceState)
                assert [i.kind for i in current.incidents] == ["activity_failed"]
                assert "HTTP 400" in current.incidents[0].message

            await assert_eventually(incident_shown)
    assert len(hook.received) == 1


async def test_task_url_overrides_the_configured_webhook(client: Client, task_queue: str) -> None:
    with webhook_server([200]) as configured, webhook_server([200]) as per_task:
        process = service_process(("notify", {"url": per_task.url}))
        async with running_worker(client, task_queue, notify_webhook_url=configured.url):
            await (await start(client, process, task_queue)).result()
    assert (len(configured.received), len(per_task.received)) == (0, 1)
    assert "X-Shenpi-Signature" not in per_task.received[0].headers  # no secret configured
