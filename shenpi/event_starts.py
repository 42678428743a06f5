"""Starting the processes whose start event a message or a signal triggers.

Found by one indexed lookup (``repository.started_by``) among the latest deployed versions; each
instance's id derives from the message or signal id, so a publisher's retry starts nothing more
(docs/api.md "Messages and signals").
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from shenpi.db import repository
from shenpi.settings import Settings
from shenpi.starting import instance_start


def event_instance_id(process_id: str, event: str, trigger_id: str) -> str:
    digest = hashlib.sha256(trigger_id.encode()).hexdigest()[:24]
    return f"{process_id}:{event}-{digest}"


async def start_by_event(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    *,
    event: Literal["message", "signal"],
    name: str,
    trigger_id: str,
    variables: dict[str, Any],
    initiator: str,
    business_key: str | None = None,
) -> list[str]:
    """The instances started (or, on a retry, started before) for this message or signal."""
    started: list[str] = []
    for found in await repository.started_by(session, event, name):
        definition = await repository.get_definition(session, found.process_id, found.version)
        if definition is None:
            continue
        begin = instance_start(
            repository.load_plan(definition),
            definition.version,
            variables=variables,
            initiator=initiator,
            settings=settings,
            business_key=business_key,
            start_event=found.node_id,
        )
        instance_id = event_instance_id(found.process_id, event, trigger_id)
        # Started before by this message or signal: one effect.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                begin.workflow_type,
                begin.arg,
                id=instance_id,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                **begin.options(settings),
            )
        started.append(instance_id)
    return started
