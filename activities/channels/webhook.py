"""The signed webhook: every notification, once, to the configured URL (an integration feed).

The receiver checks ``X-Shenpi-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
shared secret; the body carries ``sent_at`` (also in ``X-Shenpi-Timestamp``) so a receiver can
refuse stale replays with a signed value. ``event_id`` (also in ``X-Shenpi-Event-Id``) names the
delivery: the same on every attempt of it, a worker crash included, so a receiver that keeps the
ids it has handled handles each notification once (delivery is at least once; an attempt whose
answer was lost is sent again). The body names ids, the event, the recipients, the
tasks and the outcome, never the instance's variables (request content,
docs/architecture.md §3). A 4xx answer fails the activity for good, a 5xx or 429
is retried by Temporal (``activities.http.raise_for_outcome``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from activities.http import raise_for_outcome
from shenpi_core.contracts import ServiceTaskInput

EVENT_ID_HEADER = "X-Shenpi-Event-Id"
SIGNATURE_HEADER = "X-Shenpi-Signature"
# A task summary's fields the feed carries (workflows/notices.py): ids, names and dates.
TASK_FIELDS = ("task_id", "ref", "node_id", "name", "kind", "due_at")
TIMESTAMP_HEADER = "X-Shenpi-Timestamp"


def task_summaries(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The announced tasks' ids, names and due dates: nothing of the request itself."""
    tasks = variables.get("tasks") or []
    return [
        {key: task[key] for key in TASK_FIELDS if task.get(key) is not None}
        for task in tasks
        if isinstance(task, dict)
    ]


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    secret: str | None,
    input: ServiceTaskInput,
    recipients: list[str],
    attempt: int,
    event_id: str,
) -> None:
    """POST the notification; raises ``ApplicationError`` as ``raise_for_outcome`` decides."""
    now = datetime.now(UTC)
    # The interpreter's events carry their tasks and outcome in ``variables``; a drawn task's
    # variables are the instance's (request content): only its own ``message`` header goes.
    interpreter = "event" in input.config
    announced = input.variables if interpreter else {}
    payload = {
        "event_id": event_id,
        "event": input.config.get("event", "notify"),
        "instance_id": input.instance_id,
        "process_id": input.process_id,
        "node_id": input.node_id,
        "to": input.config.get("to"),
        "recipients": recipients,  # the people, groups resolved through the directory
        "message": None if interpreter else input.config.get("message"),
        "tasks": task_summaries(announced),
        "outcome": announced.get("outcome"),
        "attempt": attempt,
        "sent_at": now.isoformat(),
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        EVENT_ID_HEADER: event_id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    response = await client.post(url, content=body, headers=headers)
    raise_for_outcome(response, f"webhook {url}")
