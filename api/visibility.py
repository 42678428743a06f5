"""Lists and inboxes from Temporal visibility (search attributes + memo), never one query each.

Also the access rules shared by routes: who may see an instance and who may act on a task.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from api.errors import ApiError
from api.schemas import IncidentSummary, InstanceSummary, ListedStatus, TaskPublic
from shenpi.auth_tokens import Principal
from shenpi.db import ai_results
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import MEMO_INCIDENTS, MEMO_TASKS, InstanceState, TaskView
from shenpi_core.process_plan import Priority
from workflows import priority

_CLOSED_STATUS: dict[WorkflowExecutionStatus, ListedStatus] = {
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued_as_new",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


# The workflow's own statuses that stand while its execution is still open.
_OWN_STATUS: dict[str, ListedStatus] = {
    "incident": "incident",
    "completed": "completed",
    "cancelled": "cancelled",
    "terminated": "terminated",
}


def quote(value: str) -> str:
    """A visibility-query string literal for a value from a user, a token or a URL.

    Temporal's SQL visibility matches no value containing a double quote or a backslash, however
    escaped, so such values are refused rather than escaped: nothing can break out of the literal.
    """
    if not _is_queryable(value):
        raise ApiError(400, "invalid_request", f"unsupported characters in {value!r}")
    return f'"{value}"'


def _is_queryable(value: str) -> bool:
    return not any(c in '"\\' or ord(c) < 0x20 for c in value)


def actors_of(principal: Principal) -> list[str]:
    """The ``ShenpiPendingActors`` values that mean this principal."""
    # A group visibility cannot match is skipped, not fatal: the rest of the inbox still works.
    groups = (sa.group_actor(g) for g in principal.groups if _is_queryable(g))
    return [sa.user_actor(principal.sub), *groups]


def instances_query(
    principal: Principal, *, process_id: str | None, status: str | None, mine: bool
) -> str:
    # Every Shenpi instance carries ShenpiVersion: this keeps other workflows of the namespace out.
    clauses = ["ShenpiVersion IS NOT NULL"]
    if process_id:
        clauses.append(f"WorkflowType = {quote(process_id)}")
    if status:
        clauses.append(f"ShenpiStatus = {quote(status)}")
    initiated = f"ShenpiInitiator = {quote(principal.sub)}"
    if mine:
        clauses.append(initiated)
    elif not principal.is_admin:
        # Others see what they started or are asked to act on; admins see everything.
        actors = ", ".join(quote(a) for a in [*actors_of(principal), sa.OVERFLOW_ACTOR])
        clauses.append(f"({initiated} OR ShenpiPendingActors IN ({actors}))")
    return " AND ".join(clauses)


# The inbox reads elevated requests first, so however long it is, an urgent task is never left
# beyond the scan limit; instances started before priorities existed have none (normal).
_ELEVATED = 'ShenpiPriority IN ("urgent", "high")'
_ROUTINE = '(ShenpiPriority IS NULL OR ShenpiPriority IN ("normal", "low"))'


def inbox_query(principal: Principal, process_id: str | None = None) -> str:
    # Instances whose actors overflowed the attribute match too; the memo then says who acts.
    actors = ", ".join(quote(a) for a in [*actors_of(principal), sa.OVERFLOW_ACTOR])
    query = f'ShenpiPendingActors IN ({actors}) AND ExecutionStatus = "Running"'
    return f"{query} AND WorkflowType = {quote(process_id)}" if process_id else query


def summarize(execution: WorkflowExecution) -> InstanceSummary:
    attrs = execution.typed_search_attributes
    version_attr = attrs.get(sa.VERSION) or ""
    _, _, version = version_attr.rpartition(":")
    return InstanceSummary(
        instance_id=execution.id,
        process_id=execution.workflow_type,
        version=int(version) if version.isdigit() else None,
        status=listed_status(execution.status, attrs.get(sa.STATUS)),
        initiator=attrs.get(sa.INITIATOR),
        business_key=attrs.get(sa.BUSINESS_KEY),
        priority=_priority_of(execution),
        started_at=execution.start_time,
        closed_at=execution.close_time,
    )


def listed_status(execution: WorkflowExecutionStatus | None, shenpi: str | None) -> ListedStatus:
    """The workflow's own status, unless Temporal closed it without the workflow noticing."""
    if execution is None or execution == WorkflowExecutionStatus.RUNNING:
        # An ended instance runs on for a moment to archive itself: its own word wins.
        return _OWN_STATUS.get(shenpi or "", "running")
    if execution == WorkflowExecutionStatus.COMPLETED and shenpi in ("terminated", "cancelled"):
        # Ended by a terminate end event or a cancel (撤销) action: the workflow completed itself.
        return "cancelled" if shenpi == "cancelled" else "terminated"
    return _CLOSED_STATUS[execution]


async def list_instances(
    client: Client, query: str, principal: Principal, *, limit: int
) -> list[InstanceSummary]:
    executions = client.list_workflows(query, limit=limit, page_size=min(limit, 1000))
    return [summarize(e) async for e in executions if await _listable(e, principal)]


async def _listable(execution: WorkflowExecution, principal: Principal) -> bool:
    """Whether a listed execution is really the principal's: one matched only through the
    overflow marker is, if an open task in its memo names them."""
    attrs = execution.typed_search_attributes
    pending = attrs.get(sa.PENDING_ACTORS) or []
    if principal.is_admin or sa.OVERFLOW_ACTOR not in pending:
        return True
    if attrs.get(sa.INITIATOR) == principal.sub or not set(actors_of(principal)).isdisjoint(
        pending
    ):
        return True
    views: list[TaskView] = await execution.memo_value(
        MEMO_TASKS, default=[], type_hint=list[TaskView]
    )
    return any(may_act(view, principal) for view in views)


async def inbox(
    client: Client, principal: Principal, *, limit: int, process_id: str | None = None
) -> list[TaskPublic]:
    """Open tasks this principal may act on, from the memo of each running instance."""
    return [task for _, task in await _scan(client, principal, limit, process_id)]


async def _scan(
    client: Client, principal: Principal, limit: int, process_id: str | None
) -> list[tuple[datetime, TaskPublic]]:
    """(when the request started, task) for every open task of mine in the first ``limit``
    requests, urgent and high ones read first."""
    found: list[tuple[datetime, TaskPublic]] = []
    scanned = 0
    for tier in (_ELEVATED, _ROUTINE):
        if scanned >= limit:
            break
        query = f"{inbox_query(principal, process_id)} AND {tier}"
        left = limit - scanned
        async for execution in client.list_workflows(query, limit=left, page_size=left):
            scanned += 1
            found.extend((execution.start_time, t) for t in await tasks_of(execution, principal))
    return found


async def tasks_of(execution: WorkflowExecution, principal: Principal) -> list[TaskPublic]:
    views: list[TaskView] = await execution.memo_value(
        MEMO_TASKS, default=[], type_hint=list[TaskView]
    )
    level = _priority_of(execution)
    return [
        task_public(execution.id, execution.workflow_type, view, level)
        for view in views
        if may_act(view, principal)
    ]


def _priority_of(execution: WorkflowExecution) -> Priority:
    value = execution.typed_search_attributes.get(sa.PRIORITY)
    return value if priority.is_priority(value) else priority.DEFAULT


InboxSort = Literal["priority", "due", "newest", "oldest"]
Advice = Literal["approve", "reject", "abstain", "none"]


@dataclass(frozen=True)
class InboxFilter:
    """What the memo answers (the process is a visibility clause): overdue, advice, text."""

    overdue: bool = False
    advice: Advice | None = None
    text: str | None = None

    @property
    def empty(self) -> bool:
        return not self.overdue and self.advice is None and not self.text

    def keeps(self, task: TaskPublic, now: datetime) -> bool:
        if self.overdue and (task.due_at is None or task.due_at >= now):
            return False
        if self.advice is not None:
            decision = task.ai.decision if task.ai is not None else "none"
            if decision != self.advice:
                return False
        if self.text:
            needle = self.text.strip().lower()
            fields = (task.name, task.ref, task.instance_id, task.node_id)
            return any(needle in f.lower() for f in fields if f)
        return True


@dataclass
class InboxPage:
    tasks: list[TaskPublic]
    next_page_token: str | None
    total: int | None  # every matching task, when the page came from reading them all


_FAR = datetime.max.replace(tzinfo=UTC)


def sort_tasks(found: list[tuple[datetime, TaskPublic]], sort: InboxSort) -> list[TaskPublic]:
    """``priority``: urgent first, then by due date as ``due``; ``due``: overdue first, then the
    soonest due, then the oldest (no due date last); ``newest`` / ``oldest``: by when the request
    started."""
    if sort == "priority":
        ordered = sorted(
            found,
            key=lambda f: (
                priority.rank(f[1].priority),
                f[1].due_at or _FAR,
                f[1].created_at,
                f[0],
            ),
        )
    elif sort == "due":
        ordered = sorted(found, key=lambda f: (f[1].due_at or _FAR, f[1].created_at, f[0]))
    else:
        ordered = sorted(
            found, key=lambda f: (f[0], f[1].instance_id, f[1].created_at), reverse=sort == "newest"
        )
    return [task for _, task in ordered]


def bad_token() -> ApiError:
    return ApiError(400, "invalid_request", "page_token is not one this inbox listing gave")


def encode_token(value: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def decode_token(token: str, sort: InboxSort) -> dict[str, object]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = None
    if not isinstance(value, dict) or value.get("s") != sort:
        raise bad_token()
    return value


async def inbox_all(
    client: Client,
    principal: Principal,
    *,
    limit: int,
    process_id: str | None,
    sort: InboxSort | None,
    only: InboxFilter,
) -> list[TaskPublic]:
    """The whole inbox in one answer (no ``page_size``): by priority, then due date, unless
    sorted otherwise."""
    now = datetime.now(UTC)
    found = [f for f in await _scan(client, principal, limit, process_id) if only.keeps(f[1], now)]
    return sort_tasks(found, sort or "priority")


async def inbox_page(
    client: Client,
    principal: Principal,
    *,
    limit: int,
    page_size: int,
    page_token: str | None,
    sort: InboxSort,
    process_id: str | None,
    only: InboxFilter,
) -> InboxPage:
    """One page of the inbox, ordered and filtered by the API.

    Newest first with no memo filter is visibility's own order (open executions by start time,
    newest first): one page of requests is read per page and the token is Temporal's. SQL
    visibility cannot order by anything else, so any other order or filter reads the matching
    requests (up to ``limit``), sorts them and returns a slice (the token holds the offset): the
    answer carries one page, not the whole inbox, and the total.
    """
    token: dict[str, object] = decode_token(page_token, sort) if page_token else {"s": sort}
    query = inbox_query(principal, process_id)
    if sort == "newest" and only.empty and "o" not in token:
        return await _newest_page(client, principal, query, page_size, token.get("t"))
    offset = token.get("o", 0)
    if not isinstance(offset, int) or offset < 0 or "p" in token:  # "p": a token of inbox_due
        raise bad_token()
    now = datetime.now(UTC)
    found = await _scan(client, principal, limit, process_id)
    ordered = sort_tasks([f for f in found if only.keeps(f[1], now)], sort)
    end = offset + page_size
    more = encode_token({"s": sort, "o": end}) if end < len(ordered) else None
    return InboxPage(ordered[offset:end], more, len(ordered))


async def _newest_page(
    client: Client, principal: Principal, query: str, page_size: int, token: object
) -> InboxPage:
    """Visibility's own order (open executions newest first) and its own page token."""
    try:
        next_token = base64.b64decode(token, validate=True) if isinstance(token, str) else None
    except binascii.Error:
        raise bad_token() from None
    tasks: list[TaskPublic] = []
    # Requests matched only through the overflow marker may hold no task of mine: read on
    # until the page has rows or visibility has no more.
    while True:
        listing = client.list_workflows(query, page_size=page_size, next_page_token=next_token)
        await listing.fetch_next_page()
        for execution in listing.current_page or []:
            tasks.extend(await tasks_of(execution, principal))
        next_token = listing.next_page_token
        if tasks or next_token is None:
            break
    more = {"s": "newest", "t": base64.b64encode(next_token).decode()} if next_token else None
    return InboxPage(tasks, encode_token(more) if more else None, None)


async def incidents(client: Client, *, process_id: str | None, limit: int) -> list[IncidentSummary]:
    """Open incidents of running instances, from the memo each keeps current (one list call)."""
    clauses = ['ShenpiStatus = "incident"', 'ExecutionStatus = "Running"']
    if process_id:
        clauses.append(f"WorkflowType = {quote(process_id)}")
    found: list[IncidentSummary] = []
    executions = client.list_workflows(" AND ".join(clauses), limit=limit, page_size=limit)
    async for execution in executions:
        memo: list[dict[str, object]] = await execution.memo_value(MEMO_INCIDENTS, default=[])
        found.extend(
            IncidentSummary.model_validate(
                {**item, "instance_id": execution.id, "process_id": execution.workflow_type}
            )
            for item in memo
        )
    return found


def task_public(
    instance_id: str,
    process_id: str,
    view: TaskView,
    level: Priority = priority.DEFAULT,
) -> TaskPublic:
    return TaskPublic(
        instance_id=instance_id,
        process_id=process_id,
        priority=level,
        ai=view.ai,
        **view.model_dump(
            include={
                "task_id",
                "ref",
                "node_id",
                "name",
                "due_at",
                "assignee",
                "candidate_groups",
                "claimed_by",
                "created_at",
                "step_id",
                "mode",
                "kind",
                "owner",
                "delegated_to",
                "reminders_sent",
                "escalated",
            }
        ),
    )


async def with_advice(session: AsyncSession, tasks: list[TaskPublic]) -> list[TaskPublic]:
    """Fill the AI's advice and risk flags, which the memo leaves out (they are request content,
    docs/architecture.md §3), from the app database: one query for the whole page."""
    ids = {t.ai.result_id for t in tasks if t.ai is not None and t.ai.result_id is not None}
    stored = await ai_results.advice_for(session, ids)
    for task in tasks:
        found = stored.get(task.ai.result_id or "") if task.ai is not None else None
        if task.ai is not None and found is not None:
            task.ai = task.ai.model_copy(
                update={"advice": found.advice, "risk_flags": found.risk_flags}
            )
    return tasks


def may_act(task: TaskView, principal: Principal) -> bool:
    """Whether the principal may decide (or claim) this open task right now."""
    if task.status != "open":
        return False
    if task.delegated_to is not None:  # 委派: the delegate acts until the task returns
        return task.delegated_to == principal.sub
    if task.claimed_by is not None:
        return task.claimed_by == principal.sub
    if task.assignee is not None:
        return task.assignee == principal.sub
    return principal.sub in task.candidate_users or _shares(task.candidate_groups, principal.groups)


def may_read(state: InstanceState, principal: Principal) -> bool:
    """Initiator, admins, and anyone who is or was an actor of one of its tasks."""
    if principal.is_admin or state.initiator == principal.sub:
        return True
    for task in state.tasks:
        people = [task.assignee, task.claimed_by, task.owner, task.delegated_to]
        people += task.candidate_users
        if principal.sub in people or _shares(task.candidate_groups, principal.groups):
            return True
    return any(entry.actor == principal.sub for entry in state.timeline)


def _shares(a: Iterable[str], b: Iterable[str]) -> bool:
    return not set(a).isdisjoint(b)
