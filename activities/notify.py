"""The ``notify`` activity: log a notification and, when configured, POST a signed webhook.

The receiver checks ``X-Shenpi-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
shared secret; the body carries ``sent_at`` (also in ``X-Shenpi-Timestamp``) so a receiver can
refuse stale replays with a signed value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio import activity

from activities.http import raise_for_outcome
from shenpi.settings import Settings
from workflows.contracts import ServiceTaskInput

SIGNATURE_HEADER = "X-Shenpi-Signature"
TIMESTAMP_HEADER = "X-Shenpi-Timestamp"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class NotifyActivities:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    @activity.defn(name="notify")
    async def notify(self, input: ServiceTaskInput) -> dict[str, Any]:
        info = activity.info()
        activity.logger.info(
            "notify %s on %s (%s) to %s",
            input.config.get("message", input.node_id),
            input.instance_id,
            input.process_id,
            input.config.get("to", "-"),
        )
        url = input.config.get("url") or self._settings.notify_webhook_url
        if not url:
            return {}
        now = datetime.now(UTC)
        payload = {
            "event": "notify",
            "instance_id": input.instance_id,
            "process_id": input.process_id,
            "node_id": input.node_id,
            "to": input.config.get("to"),
            "message": input.config.get("message"),
            "variables": input.variables,
            "attempt": info.attempt,
            "sent_at": now.isoformat(),
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(now.timestamp()))}
        if self._settings.notify_webhook_secret:
            headers[SIGNATURE_HEADER] = sign(body, self._settings.notify_webhook_secret)
        response = await self._client.post(url, content=body, headers=headers)
        raise_for_outcome(response, f"webhook {url}")
        return {}
