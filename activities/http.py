"""The generic ``http`` activity, and how every outbound call maps HTTP outcomes to retries.

Clients are built without retries of their own: Temporal retries, and every attempt is visible in
the history. A refusal by the other side (4xx but 429) is final; anything else is worth retrying.
An attempt cut short (a timeout, a worker crash) may have reached the other side, so every attempt
of one task sends the same ``Idempotency-Key`` (unless the task sets its own header): a service
that honours it applies the call once.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import delivery_id
from activities.heartbeat import heartbeating
from shenpi_core.contracts import BPMN_ERROR_TYPE, ServiceTaskInput

HEADER_PREFIX = "header."  # config key "header.X-Api-Key" sets that request header
# Config key "error.402" = "card_declined" (or "error.4xx"): that answer throws the BPMN error
# "card_declined" from the task (docs/interpreter.md "Errors and escalations") instead of failing.
ERROR_PREFIX = "error."
IDEMPOTENCY_HEADER = "Idempotency-Key"


def new_http_client(timeout_seconds: float = 10.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout_seconds, transport=httpx.AsyncHTTPTransport(retries=0))


def raise_for_outcome(response: httpx.Response, what: str) -> None:
    """4xx (except 429) → non-retryable; 429 and 5xx → retryable; 2xx/3xx → fine."""
    code = response.status_code
    if code < 400:
        return
    message = f"{what} answered HTTP {code}: {response.text[:200]}"
    if code < 500 and code != 429:
        raise ApplicationError(message, type="HttpRejected", non_retryable=True)
    raise ApplicationError(message, type="HttpUnavailable")


class HttpActivities:
    """Calls a URL from the task's configuration; the JSON answer becomes the task's result."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @activity.defn(name="http")
    async def http(self, input: ServiceTaskInput) -> dict[str, Any]:
        config = input.config
        url = config.get("url")
        if not url:
            raise ApplicationError("http task has no 'url' configured", non_retryable=True)
        method = config.get("method", "POST").upper()
        headers = {
            k.removeprefix(HEADER_PREFIX): v
            for k, v in config.items()
            if k.startswith(HEADER_PREFIX)
        }
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = delivery_id(activity.info())
        body = _body(config, input.variables, method)
        async with heartbeating():  # a slow service must not look like a dead worker
            response = await self._client.request(method, url, headers=headers, json=body)
        _raise_bpmn_error(config, response, f"{method} {url}")
        raise_for_outcome(response, f"{method} {url}")
        return _result(response)


def _raise_bpmn_error(config: dict[str, str], response: httpx.Response, what: str) -> None:
    status = response.status_code
    code = config.get(f"{ERROR_PREFIX}{status}") or config.get(f"{ERROR_PREFIX}{status // 100}xx")
    if not code:
        return
    message = f"{what} answered HTTP {status}: {response.text[:200]}"
    detail = {"code": code, "status": status}
    raise ApplicationError(message, detail, type=BPMN_ERROR_TYPE, non_retryable=True)


def _body(config: dict[str, str], variables: dict[str, Any], method: str) -> Any:
    if "body" in config:
        try:
            return json.loads(config["body"])
        except ValueError as err:
            raise ApplicationError(f"http 'body' is not JSON: {err}", non_retryable=True) from None
    return variables if method in ("POST", "PUT", "PATCH") else None


def _result(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        payload = response.json()
    except ValueError:
        return {"response": response.text}
    return payload if isinstance(payload, dict) else {"response": payload}
