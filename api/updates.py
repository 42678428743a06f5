"""Updates to a running instance, bounded and idempotent (docs/architecture.md §3).

Shared by the routes.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Header
from pydantic import BaseModel
from temporalio.client import Client

from shenpi.auth_tokens import Principal
from shenpi.settings import Settings

R = TypeVar("R", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat it on a retry: the request then takes effect once.",
    ),
]


def update_id(principal: Principal, idempotency_key: str | None) -> str:
    """The update id: scoped by user, so one user's key neither collides with nor replays
    another user's request."""
    return f"{principal.sub}:{idempotency_key}" if idempotency_key else str(uuid.uuid4())


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
            rpc_timeout=timedelta(seconds=settings.update_timeout_seconds),
        )
    return result
