"""My inbox and decisions on tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import inbox_due, updates, visibility
from api.deps import MetricsDep, PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.document_access import DocumentAccessDep
from api.errors import ApiError
from api.schemas import DecisionCreate, DecisionPublic, TasksPublic
from api.updates import KeyedRequestDep
from shenpi_core import limits
from shenpi_core.contracts import UPDATE_DECIDE, DecisionAction, DecisionInput, DecisionResult

router = APIRouter(tags=["tasks"])

# What `to` names per action: one user, user ids, or a node. Other actions take no `to`.
_ONE_TARGET: frozenset[DecisionAction] = frozenset({"transfer", "delegate", "jump"})
_TARGETS: frozenset[DecisionAction] = _ONE_TARGET | {"add_signer", "remove_signer"}


@router.get("/tasks")
async def list_tasks(
    client: TemporalClientDep,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Instances to scan")] = 200,
    page_size: Annotated[
        int | None, Query(ge=1, le=200, description="Tasks a page; without it, all in one answer")
    ] = None,
    page_token: Annotated[
        str | None, Query(max_length=4096, description="next_page_token of the previous page")
    ] = None,
    sort: Annotated[
        visibility.InboxSort | None,
        Query(description="newest / oldest request first; due: overdue first, then soonest due"),
    ] = None,
    process_id: Annotated[str | None, Query(max_length=255)] = None,
    overdue: Annotated[bool, Query(description="Only tasks past their due date")] = False,
    advice: Annotated[
        visibility.Advice | None, Query(description="The AI's decision; none: no AI review")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the name, ref, instance or node")
    ] = None,
) -> TasksPublic:
    """My inbox: open tasks I may act on, as assignee, candidate, or member of a candidate group.

    With ``page_size``, one page ordered by ``sort`` (default ``newest``) and its
    ``next_page_token``; without it, every task of the first ``limit`` instances, as before.
    """
    listing = visibility.InboxFilter(overdue=overdue, advice=advice, text=q or None)
    if page_size is None and page_token is None:
        data = await visibility.inbox_all(
            client, principal, limit=limit, process_id=process_id, sort=sort, only=listing
        )
        data = await visibility.with_advice(session, data)
        return TasksPublic(data=data, count=len(data))
    if sort == "due" and listing.empty:  # visibility finds the page (api/inbox_due.py)
        query = visibility.inbox_query(principal, process_id)
        page = await inbox_due.due_page(
            client, principal, query, page_size=page_size or 20, page_token=page_token, limit=limit
        )
    else:
        page = await visibility.inbox_page(
            client,
            principal,
            limit=limit,
            page_size=page_size or 20,
            page_token=page_token,
            sort=sort or "newest",
            process_id=process_id,
            only=listing,
        )
    data = await visibility.with_advice(session, page.tasks)
    return TasksPublic(
        data=data, count=len(data), next_page_token=page.next_page_token, total=page.total
    )


@router.post("/instances/{instance_id}/tasks/{task_id}/decision", responses=updates.KEYED_RESPONSES)
async def decide(
    instance_id: str,
    task_id: str,
    body: DecisionCreate,
    client: TemporalClientDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    keyed: KeyedRequestDep,
    documents: DocumentAccessDep,
) -> DecisionPublic:
    """Decide on a task (any ``DecisionAction``); 403 if not mine, 409 if no longer open."""
    _check_target(body)
    decision = DecisionInput(
        task_id=task_id,
        action=body.action,
        actor=principal.sub,
        groups=list(principal.groups),
        comment=body.comment,
        variables=body.variables,
        to=body.to,
        position=body.position,
        is_admin=principal.is_admin,
    )
    update_id = await keyed.update_id(instance_id, body)
    await documents.record(instance_id, body.variables)
    result = await updates.execute(
        client,
        instance_id,
        UPDATE_DECIDE,
        decision,
        result_type=DecisionResult,
        update_id=update_id,
        settings=settings,
    )
    metrics.observe_decision(body.action, result)
    return DecisionPublic.model_validate(result.model_dump())


def _check_target(body: DecisionCreate) -> None:
    """A malformed request is a 400 here; whether the target is allowed, the validator decides."""
    if body.action not in _TARGETS:
        if body.to is not None or body.position is not None:
            raise ApiError(
                400, "invalid_request", f"action {body.action!r} takes no 'to' or 'position'"
            )
        return
    if not body.to:
        raise ApiError(400, "invalid_request", f"action {body.action!r} needs 'to'")
    if body.action in _ONE_TARGET and not isinstance(body.to, str):
        raise ApiError(400, "invalid_request", f"action {body.action!r} takes one id in 'to'")
    if body.action != "jump":  # people: the limits every user id keeps (docs/security.md)
        try:
            ids = [body.to] if isinstance(body.to, str) else body.to
            limits.check_user_ids(ids, groups=body.action in ("add_signer", "remove_signer"))
        except limits.LimitError as err:
            raise ApiError(422, "invalid_value", str(err), [{"loc": ["body", "to"]}]) from None
