"""The inbox by due date found by visibility (api/inbox_due.py) against the real dev server.

Requests are started with the search attributes and memo a running instance publishes, on a task
queue no worker polls, so they stay open with exactly the due dates the test chose: overdue ones
(enough for a page, so the search gallops back from now), upcoming ones seconds apart and one in
a year, three due at the same microsecond, one with two of my tasks, and some with none due.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api import inbox_due, visibility
from shenpi.auth_tokens import Principal
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import MEMO_TASKS, TaskView
from tests.api.conftest import unique
from tests.helpers import assert_eventually


async def _start(
    client: Client, process_id: str, user: str, dues: list[datetime | None], queue: str
) -> tuple[str, list[str]]:
    """A request whose open tasks are ``user``'s, one per due date; (its id, its task ids)."""
    now = datetime.now(UTC)
    tasks = [
        TaskView(
            task_id=f"t{n}",
            ref=f"R{n}",
            node_id="approve",
            assignee=user,
            created_at=now,
            due_at=due,
        )
        for n, due in enumerate(dues)
    ]
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.VERSION, f"{process_id}:1"),
        SearchAttributePair(sa.PENDING_ACTORS, [sa.user_actor(user)]),
    ]
    known = [d for d in dues if d is not None]
    if known:
        pairs.append(SearchAttributePair(sa.NEXT_DUE, min(known)))
    # No worker polls ``queue``: the input is never read.
    handle: WorkflowHandle[Any, Any] = await client.start_workflow(
        process_id,
        args=[],
        id=f"{process_id}:{uuid.uuid4().hex[:8]}",
        task_queue=queue,
        search_attributes=TypedSearchAttributes(pairs),
        memo={MEMO_TASKS: tasks},
    )
    return handle.id, [t.task_id for t in sorted(tasks, key=lambda t: t.due_at or now)]


async def _pages(
    client: Client, principal: Principal, query: str, page_size: int
) -> list[list[tuple[str, str]]]:
    pages: list[list[tuple[str, str]]] = []
    token: str | None = None
    while True:
        page = await inbox_due.due_page(
            client, principal, query, page_size=page_size, page_token=token, limit=1000
        )
        pages.append([(t.instance_id, t.task_id) for t in page.tasks])
        token = page.next_page_token
        if token is None:
            return pages


async def test_pages_by_due_date_read_only_what_each_page_needs(
    client: Client, task_queue: str
) -> None:
    process_id, user = unique("due_pages"), unique("dana")
    now = datetime.now(UTC)
    tied = now + timedelta(hours=5)
    singles = [now - timedelta(minutes=7 * k) for k in range(1, 11)]
    singles += [now + timedelta(seconds=13 * k) for k in range(25)]
    singles += [now + timedelta(days=365), tied, tied, tied]
    dated: list[tuple[datetime, list[datetime | None]]] = [(due, [due]) for due in singles]
    dated.append((now + timedelta(hours=2), [now + timedelta(hours=9), now + timedelta(hours=2)]))
    started: list[tuple[datetime, str, list[str]]] = []
    for due, dues in dated:
        instance_id, task_ids = await _start(client, process_id, user, dues, task_queue)
        started.append((due, instance_id, task_ids))
    undated = [await _start(client, process_id, user, [None], task_queue) for _ in range(6)]
    # Requests by their earliest due date (ties by id), a request's tasks by theirs: the one with
    # tasks due in 2 and 9 hours gives both before the three due in 5 hours.
    expected = [(i, t) for _, i, ts in sorted(started) for t in ts]
    expected += [(i, t) for i, ts in undated for t in ts]

    principal = Principal(sub=user)
    query = visibility.inbox_query(principal, process_id)

    async def all_listed() -> None:
        assert (await client.count_workflows(query)).count == len(dated) + len(undated)

    await assert_eventually(all_listed, timeout=30)
    for page_size in (1, 4, 20, 200):
        pages = await _pages(client, principal, query, page_size)
        assert [task for page in pages for task in page] == expected, page_size
        assert all(len(page) == page_size for page in pages[:-1]), page_size
