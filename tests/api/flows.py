"""HTTP steps the API scenario tests share: deploy, start, find tasks, decide, act, read."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Stack
from tests.helpers import assert_eventually


async def deploy(stack: Stack, xml: bytes) -> dict[str, Any]:
    async with stack.http("ops", ["admin"]) as http:
        response = await http.post("/api/v1/definitions", content=xml)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def start(http: httpx.AsyncClient, process_id: str, **body: Any) -> str:
    response = await http.post(f"/api/v1/processes/{process_id}/instances", json=body)
    assert response.status_code == 201, response.text
    instance_id: str = response.json()["instance_id"]
    return instance_id


async def inbox(http: httpx.AsyncClient, instance_id: str) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/tasks")
    assert response.status_code == 200, response.text
    return [t for t in response.json()["data"] if t["instance_id"] == instance_id]


async def task_of(http: httpx.AsyncClient, instance_id: str, **match: Any) -> dict[str, Any]:
    """The one open task of ``instance_id`` in this user's inbox (with the given fields)."""

    async def one() -> dict[str, Any]:
        tasks = [
            t
            for t in await inbox(http, instance_id)
            if all(t.get(k) == v for k, v in match.items())
        ]
        assert len(tasks) == 1, tasks
        return tasks[0]

    return await assert_eventually(one)


async def decide(
    http: httpx.AsyncClient, instance_id: str, task_id: str, action: str, **body: Any
) -> httpx.Response:
    url = f"/api/v1/instances/{instance_id}/tasks/{task_id}/decision"
    return await http.post(url, json={"action": action, **body})


async def decided(
    http: httpx.AsyncClient, instance_id: str, task_id: str, action: str, **body: Any
) -> dict[str, Any]:
    response = await decide(http, instance_id, task_id, action, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def act(
    http: httpx.AsyncClient, instance_id: str, action: str, **kwargs: Any
) -> httpx.Response:
    """POST withdraw / cancel / urge (``kwargs`` go to httpx: json, params, headers)."""
    return await http.post(f"/api/v1/instances/{instance_id}/{action}", **kwargs)


async def state(http: httpx.AsyncClient, instance_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ended(
    http: httpx.AsyncClient,
    instance_id: str,
    *,
    timeout: float = 15.0,  # noqa: ASYNC109 - a polling deadline
) -> dict[str, Any]:
    """The instance's state once it is no longer running."""

    async def closed() -> dict[str, Any]:
        body = await state(http, instance_id)
        assert body["status"] not in ("running", "incident"), body["status"]
        return body

    return await assert_eventually(closed, timeout=timeout)


def events(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(event, actor) of every timeline entry."""
    return [(e["event"], e["actor"]) for e in body["timeline"]]
