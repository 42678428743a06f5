"""The inbox by due date, a page at a time, served by visibility's ``ShenpiNextDue``.

SQL visibility filters by a Datetime search attribute but orders by start time only, so a page
cannot simply be asked for. Counts are cheap (no memo travels), so the page is found by counting:
a short range ``[after, end)`` of ``ShenpiNextDue`` holding enough requests is found by galloping
and halving with count queries, then only the requests of that range are listed and sorted here.
Requests without a due date come after, ordered the same way by their start time.

An attribute belongs to an instance, not to a task: requests are ordered by the earliest due date
of their open tasks (anyone's), and a request's tasks of mine follow one another by their own due
date (docs/api.md, "GET /tasks").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecution

from api.schemas import TaskPublic
from api.visibility import InboxPage, bad_token, decode_token, encode_token, tasks_of
from shenpi.auth_tokens import Principal
from shenpi_core import search_attributes as sa

# A range may hold this many times the requests a page needs before it is narrowed further:
# listing a few more is cheaper than more counts.
_SLACK = 4
# Galloping from the cursor (or now): 1 s, 4 s, 16 s ... 34 years.
_STEPS = [timedelta(seconds=4**k) for k in range(16)]
_RESOLUTION = timedelta(milliseconds=1)
# Visibility does not compare a stored Datetime equal to the value it returned for it (seen both
# above and below on the dev server's SQLite), so a range from the cursor starts this much
# before it; what was read before is skipped here, by (value, id) as visibility returned them.
_SKEW = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Phase:
    """Requests with a due date (by it), then those without (by start time)."""

    clause: str
    field: str
    key: Callable[[WorkflowExecution], datetime | None]


_PHASES = (
    _Phase(f"{sa.NEXT_DUE.name} IS NOT NULL", sa.NEXT_DUE.name, lambda e: _due_of(e)),
    _Phase(f"{sa.NEXT_DUE.name} IS NULL", "StartTime", lambda e: e.start_time),
)


def _due_of(execution: WorkflowExecution) -> datetime | None:
    return execution.typed_search_attributes.get(sa.NEXT_DUE)


@dataclass(frozen=True)
class _Cursor:
    """Where the last page stopped: a phase, the key of the last request read (its order value
    and id), and how many of its tasks were given."""

    phase: int = 0
    at: datetime | None = None
    instance_id: str = ""
    given: int = 0

    def token(self) -> str:
        at = self.at.isoformat() if self.at else None
        value = {"s": "due", "p": self.phase, "v": at, "i": self.instance_id, "k": self.given}
        return encode_token(value)

    @classmethod
    def parse(cls, token: str | None) -> _Cursor:
        if token is None:
            return cls()
        value = decode_token(token, "due")
        phase, at, instance_id, given = (value.get(k) for k in ("p", "v", "i", "k"))
        if phase not in (0, 1) or not isinstance(at, str) or not isinstance(instance_id, str):
            raise bad_token()
        if not isinstance(given, int) or given < 0:
            raise bad_token()
        try:
            return cls(phase, datetime.fromisoformat(at), instance_id, given)
        except ValueError:
            raise bad_token() from None


async def due_page(
    client: Client,
    principal: Principal,
    query: str,
    *,
    page_size: int,
    page_token: str | None,
    limit: int,
) -> InboxPage:
    """One page of my open tasks by due date: overdue first, then the soonest due, then the
    requests without a due date, oldest first. ``query`` is the inbox's visibility query."""
    cursor = _Cursor.parse(page_token)
    tasks: list[TaskPublic] = []
    grow = 1
    while True:
        phase, before = _PHASES[cursor.phase], cursor
        # The request the cursor stopped in is listed again: one more than the tasks wanted.
        need = (page_size - len(tasks) + 1) * grow
        executions, rest = await _next_requests(client, query, phase, cursor.at, need, limit)
        ordered = sorted(executions, key=lambda e: (phase.key(e) or _FAR, e.id))
        for position, execution in enumerate(ordered):
            at = phase.key(execution) or _FAR
            if cursor.at is not None and (at, execution.id) < (cursor.at, cursor.instance_id):
                continue
            mine = _in_due_order(await tasks_of(execution, principal))
            skip = cursor.given if (at, execution.id) == (cursor.at, cursor.instance_id) else 0
            taken = mine[skip : skip + page_size - len(tasks)]
            tasks.extend(taken)
            cursor = _Cursor(cursor.phase, at, execution.id, skip + len(taken))
            if len(tasks) == page_size:
                unread = len(mine) > cursor.given or position + 1 < len(ordered) or rest
                if unread or await _has_later_phase(client, query, cursor.phase):
                    return InboxPage(tasks, cursor.token(), None)
                return InboxPage(tasks, None, None)
        if rest:
            # The range held too few tasks of mine: the next one, from where this one ended. If
            # it held only requests read before (within the skew of the cursor), a wider one.
            grow = grow * 2 if cursor == before else 1
            if need * 2 > limit:  # more within a millisecond than a listing holds: skip on
                cursor, grow = _Cursor(cursor.phase, _after(cursor.at), "", 0), 1
            continue
        if cursor.phase + 1 < len(_PHASES):
            cursor = _Cursor(cursor.phase + 1)
            continue
        return InboxPage(tasks, None, None)


def _in_due_order(tasks: list[TaskPublic]) -> list[TaskPublic]:
    return sorted(tasks, key=lambda t: (t.due_at or _FAR, t.created_at, t.task_id))


def _after(at: datetime | None) -> datetime:
    return (at or _EPOCH) + _SKEW + timedelta(microseconds=1)


async def _has_later_phase(client: Client, query: str, phase: int) -> bool:
    for later in _PHASES[phase + 1 :]:
        if await _count(client, f"{query} AND {later.clause}") > 0:
            return True
    return False


async def _next_requests(
    client: Client, query: str, phase: _Phase, after: datetime | None, need: int, limit: int
) -> tuple[list[WorkflowExecution], bool]:
    """The first requests of ``phase`` from ``after`` on (at least ``need`` where there are), and
    whether more follow them."""
    scope = f"{query} AND {phase.clause}"
    if after is not None:
        scope += f" AND {phase.field} >= {_literal(after - _SKEW)}"
    total = await _count(client, scope)
    end, held = await _range_end(client, scope, phase.field, after, need, total)
    listed = scope if end is None else f"{scope} AND {phase.field} < {_literal(end)}"
    size = min(held, limit)
    if size == 0:
        return [], False
    executions = [e async for e in client.list_workflows(listed, limit=size, page_size=size)]
    return executions, held < total or len(executions) < held


async def _range_end(
    client: Client, scope: str, field: str, after: datetime | None, need: int, total: int
) -> tuple[datetime | None, int]:
    """(end, n): ``scope`` before ``end`` holds n ≥ ``need`` requests, and not many more unless
    they share a millisecond; (None, total) when the whole scope is small enough to list."""
    if total <= _SLACK * need:
        return None, total

    async def before(at: datetime) -> int:
        return await _count(client, f"{scope} AND {field} < {_literal(at)}")

    # Bracket the end between a point with fewer than ``need`` before it (low) and one with
    # enough (high, holding ``held``), galloping away from the cursor, or from now.
    origin = after or datetime.now(UTC)
    overdue = await before(origin) if after is None else 0
    if overdue >= need:  # overdue work alone fills the page: gallop back into the past
        low, high, held = _EPOCH, origin, overdue
        for step in _STEPS:
            count = await before(origin - step)
            if count < need:
                low = origin - step
                break
            high, held = origin - step, count
    else:
        low, end = origin, None
        for step in _STEPS:
            count = await before(origin + step)
            if count >= need:
                end = origin + step, count
                break
            low = origin + step
        if end is None:  # due dates beyond 34 years: list what there is
            return None, total
        high, held = end
    # Then halve it. One count at a time: a count costs the server more than a round trip, and
    # counts asked together (eight, an eightfold cut a round) needed twice as many in all.
    while held > _SLACK * need and high - low > _RESOLUTION:
        middle = low + (high - low) / 2
        count = await before(middle)
        if count >= need:
            high, held = middle, count
        else:
            low = middle
    return high, held


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


def _literal(at: datetime) -> str:
    # RFC 3339 with microseconds: what visibility stored is compared to the microsecond.
    return f'"{at.astimezone(UTC).isoformat(timespec="microseconds")}"'
