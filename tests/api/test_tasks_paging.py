"""The inbox a page at a time: ordered, filtered and cut by the API (`GET /tasks?page_size=`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api import bpmn
from tests.api.conftest import Stack, unique
from tests.api.flows import deploy, start
from tests.helpers import assert_eventually


async def _page(http: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/v1/tasks", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _all_pages(http: httpx.AsyncClient, **params: Any) -> list[list[str]]:
    """The instance ids of every page, following the tokens."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        body = await _page(http, **params, **({"page_token": token} if token else {}))
        pages.append([t["instance_id"] for t in body["data"]])
        token = body["next_page_token"]
        if token is None:
            return pages


async def test_the_inbox_pages_in_order_with_filters_and_keeps_the_unpaged_answer(
    stack: Stack,
) -> None:
    user = unique("pager")
    # Three processes for one approver: due at once (overdue a moment later), in an hour, never.
    late, hour, never = unique("late"), unique("hour"), unique("never")
    await deploy(stack, bpmn.approval_step(late, f'approvers="{user}" dueIn="PT1S"'))
    await deploy(stack, bpmn.approval_step(hour, f'approvers="{user}" dueIn="PT1H"'))
    await deploy(stack, bpmn.single_approval(never))
    started: list[str] = []
    async with stack.http("alice") as alice:
        for process_id in (never, hour, late, never, hour, late):
            variables = {"manager": user} if process_id == never else {}
            started.append(await start(alice, process_id, variables=variables))
    by_process = {p: [i for i in started if i.startswith(f"{p}:")] for p in (late, hour, never)}

    async with stack.http(user) as http:

        async def all_open_and_overdue() -> dict[str, Any]:
            body = await _page(http, page_size=2, overdue=True)
            assert body["total"] == 2, body
            return body

        await assert_eventually(all_open_and_overdue, timeout=30)

        # Due date: overdue first, then the soonest due, then no due date; oldest first within.
        due = await _all_pages(http, page_size=4, sort="due")
        assert due == [by_process[late] + by_process[hour], by_process[never]]
        first = await _page(http, page_size=4, sort="due")
        # Visibility finds the page (ShenpiNextDue): no whole inbox is read, so no total.
        assert (first["count"], first["total"]) == (4, None)
        assert await _all_pages(http, page_size=1, sort="due") == [
            [i] for i in by_process[late] + by_process[hour] + by_process[never]
        ]

        # Newest and oldest first: visibility's own pages, and the API's slices.
        newest = await _all_pages(http, page_size=4)
        assert [len(p) for p in newest] == [4, 2]
        assert [i for page in newest for i in page] == started[::-1]
        assert await _all_pages(http, page_size=5, sort="oldest") == [started[:5], started[5:]]

        # Filters: the process, the overdue ones, the AI's advice, a text.
        only_never = await _page(http, page_size=10, process_id=never)
        assert [t["instance_id"] for t in only_never["data"]] == by_process[never][::-1]
        overdue = await _page(http, page_size=10, overdue=True, sort="newest")
        assert [t["instance_id"] for t in overdue["data"]] == by_process[late][::-1]
        assert (await _page(http, page_size=10, advice="none"))["total"] == 6
        assert (await _page(http, page_size=10, advice="approve"))["total"] == 0
        ref = first["data"][0]["ref"]
        found = await _page(http, page_size=10, q=ref.lower())
        assert [t["ref"] for t in found["data"]] == [ref]

        # Without page_size, the answer is what it always was: every task, no token, no total.
        everything = await _page(http)
        assert sorted(t["instance_id"] for t in everything["data"]) == sorted(started)
        assert (everything["count"], everything["next_page_token"], everything["total"]) == (
            6,
            None,
            None,
        )

        # A token from another order, or none the API gave, is refused.
        token = first["next_page_token"]
        refused = await http.get("/api/v1/tasks", params={"page_size": 4, "page_token": token})
        assert refused.status_code == 400, refused.text
        garbage = await http.get("/api/v1/tasks", params={"page_size": 4, "page_token": "x!"})
        assert garbage.status_code == 400, garbage.text
