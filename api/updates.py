"""Updates to a running instance, bounded and idempotent (docs/architecture.md §3).

Shared by the routes. The update id is the request's ``Idempotency-Key``; Temporal answers a
repeated update id with the first result without looking at the arguments, so the key's first
request is remembered here and another request under the same key is refused (docs/api.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.errors import ApiError
from api.schemas import ErrorBody
from shenpi.auth_tokens import Principal
from shenpi.db import idempotency
from shenpi.settings import Settings

R = TypeVar("R", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat it on a retry: the request then takes effect once. Reused for "
        "another request on the same instance: 422 `idempotency_key_reused`.",
    ),
]


# For the OpenAPI schema of every route that takes the header.
KEYED_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "`idempotency_key_reused`: the key named another request",
    }
}


class KeyedRequest:
    """The request a route is answering, with its ``Idempotency-Key`` (if any)."""

    def __init__(
        self, request: Request, session: AsyncSession, principal: Principal, key: str | None
    ) -> None:
        self._request = request
        self._session = session
        self._principal = principal
        self.key = key

    async def update_id(self, instance_id: str, body: BaseModel | None) -> str:
        """The update id for this request on ``instance_id``: scoped by user, so one user's key
        neither collides with nor replays another's; 422 if the key was used for another
        request (another action, task, body or query) on this instance."""
        if self.key is None:
            return str(uuid.uuid4())
        wanted = fingerprint(self._request, body)
        bound = await idempotency.claim_key(
            self._session,
            instance_id=instance_id,
            principal=self._principal.sub,
            key=self.key,
            fingerprint=wanted,
            now=datetime.now(UTC),
        )
        if bound != wanted:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used for another request; use a new key",
                details={"idempotency_key": self.key},
            )
        return f"{self._principal.sub}:{self.key}"


def fingerprint(request: Request, body: BaseModel | None) -> str:
    """sha256 of what the request asks: method, path, query and the body's fields as validated.
    A body that differs only in spelling (key order, spaces, a field sent with its default)
    is the same request."""
    asked = {
        "method": request.method,
        "path": request.url.path,
        "query": sorted(request.query_params.multi_items()),
        "body": body.model_dump(mode="json", exclude_defaults=True) if body is not None else {},
    }
    canonical = json.dumps(asked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def keyed_request(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> KeyedRequest:
    return KeyedRequest(request, session, principal, idempotency_key)


KeyedRequestDep = Annotated[KeyedRequest, Depends(keyed_request)]


def rpc_bound(settings: Settings) -> timedelta:
    """How long one call to an instance (describe, query, update) may take: no worker is a 503,
    never a hung request (docs/architecture.md §3)."""
    return timedelta(seconds=settings.update_timeout_seconds)


class KeyedUpdate:
    """Run an update on behalf of the request a route is answering: its update id from the
    request's ``Idempotency-Key``, bounded by the settings. The plumbing every route that acts
    on a running instance shares; the route builds the update's input and its answer."""

    def __init__(self, client: Client, settings: Settings, keyed: KeyedRequest) -> None:
        self.client = client
        self.settings = settings
        self._keyed = keyed

    async def __call__(
        self,
        instance_id: str,
        name: str,
        arg: BaseModel,
        *,
        body: BaseModel | None,
        result_type: type[R],
    ) -> R:
        update_id = await self._keyed.update_id(instance_id, body)
        return await execute(
            self.client,
            instance_id,
            name,
            arg,
            result_type=result_type,
            update_id=update_id,
            settings=self.settings,
        )


def keyed_update(
    client: TemporalClientDep, settings: SettingsDep, keyed: KeyedRequestDep
) -> KeyedUpdate:
    return KeyedUpdate(client, settings, keyed)


KeyedUpdateDep = Annotated[KeyedUpdate, Depends(keyed_update)]


async def execute(
    client: Client,
    instance_id: str,
    name: str,
    arg: Any,
    *,
    result_type: type[R],
    update_id: str,
    settings: Settings,
) -> R:
    """Run update ``name``; a refusal raises ``WorkflowUpdateFailedError`` (mapped in errors)."""
    handle = client.get_workflow_handle(instance_id)
    # Bounded twice: per RPC by the SDK, and as a whole here (the SDK re-polls until accepted).
    async with asyncio.timeout(settings.update_timeout_seconds):
        result: R = await handle.execute_update(
            name,
            arg,
            id=update_id,
            result_type=result_type,
            rpc_timeout=rpc_bound(settings),
        )
    return result
