"""The signed webhook: every notification, once, to the configured URL (an integration feed).

The receiver checks ``X-Shenpi-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
shared secret; the body carries ``sent_at`` (also in ``X-Shenpi-Timestamp``) so a receiver can
refuse stale replays with a signed value. A 4xx answer fails the activity for good, a 5xx or 429
is retried by Temporal (``activities.http.raise_for_outcome``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx

from activities.http import raise_for_outcome
from workflows.contracts import ServiceTaskInput

SIGNATURE_HEADER = "X-Shenpi-Signature"
TIMESTAMP_HEADER = "X-Shenpi-Timestamp"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    secret: str | None,
    input: ServiceTaskInput,
    recipients: list[str],
    attempt: int,
) -> None:
    """POST the notification; raises ``ApplicationError`` as ``raise_for_outcome`` decides."""
    now = datetime.now(UTC)
    payload = {
        "event": input.config.get("event", "notify"),
        "instance_id": input.instance_id,
        "process_id": input.process_id,
        "node_id": input.node_id,
        "to": input.config.get("to"),
        "recipients": recipients,  # the people, groups resolved through the directory
        "message": input.config.get("message"),
        "variables": input.variables,
        "attempt": attempt,
        "sent_at": now.isoformat(),
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(now.timestamp()))}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    response = await client.post(url, content=body, headers=headers)
    raise_for_outcome(response, f"webhook {url}")
