"""HTTP steps that ride out a crash: a client retries what the server could not answer.

A request that meets a dead worker or dev server gets a 5xx or no answer at all; a real client
tries again, with the same ``Idempotency-Key`` for a decision, until it gets a real answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import assert_eventually

# Answers that say "not now", not "no": the worker or the dev server is down or restarting.
TRANSIENT = frozenset({500, 502, 503, 504})


async def persist(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    timeout: float = 90.0,  # noqa: ASYNC109 - a retry deadline, not a cancel scope
    **kwargs: Any,
) -> httpx.Response:
    """The first answer that is not transient; retries connection errors and 5xx until then."""

    async def answered() -> httpx.Response:
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError as err:
            raise AssertionError(f"{method} {url}: {err!r}") from err
        assert response.status_code not in TRANSIENT, response.text
        return response

    return await assert_eventually(answered, timeout=timeout, interval=0.5)


async def instance(http: httpx.AsyncClient, instance_id: str) -> dict[str, Any]:
    response = await persist(http, "GET", f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def open_task(http: httpx.AsyncClient, instance_id: str, node_id: str) -> dict[str, Any]:
    """The open task of ``node_id``, once the instance has reached it."""

    async def opened() -> dict[str, Any]:
        body = await instance(http, instance_id)
        tasks = [t for t in body["tasks"] if t["node_id"] == node_id and t["status"] == "open"]
        assert len(tasks) == 1, (body["status"], body["tasks"])
        task: dict[str, Any] = tasks[0]
        return task

    return await assert_eventually(opened, timeout=90, interval=0.5)


async def decide(
    http: httpx.AsyncClient, instance_id: str, task_id: str, action: str
) -> httpx.Response:
    """Send one decision until it is answered, under one key for every try: the answer."""
    url = f"/api/v1/instances/{instance_id}/tasks/{task_id}/decision"
    headers = {"Idempotency-Key": f"{instance_id}:{task_id}:{action}"}
    return await persist(http, "POST", url, json={"action": action}, headers=headers)


async def ended(
    http: httpx.AsyncClient,
    instance_id: str,
    *,
    timeout: float = 90.0,  # noqa: ASYNC109 - a polling deadline
) -> dict[str, Any]:
    async def closed() -> dict[str, Any]:
        body = await instance(http, instance_id)
        assert body["status"] not in ("running", "incident"), body["status"]
        # The state says "completed" before the end's notices and archive are done; the
        # instance has ended once its execution closed with the archive written.
        assert body["archived"], "not archived yet"
        return body

    return await assert_eventually(closed, timeout=timeout, interval=0.5)


async def gather_all(*aws: Any) -> list[Any]:
    """``asyncio.gather`` that cancels the rest when one fails: a failed assertion ends all."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(a) for a in aws]
    return [t.result() for t in tasks]
