"""Start a request from a chat message ("报销 出差北京 住宿3晚 1260元"), as its sender.

Goes through the HTTP API's own start (``api.routes.instances.start_instance``): the same
definition lookup, search attributes, memo and metrics. The business key ``wechat:<MsgId>`` makes
a redelivered message find the instance the first delivery started instead of starting another.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.document_access import DocumentAccess
from api.errors import ApiError
from api.routes.instances import start_instance
from api.schemas import InstanceCreate
from api.wechat import replies
from api.wechat.commands import Lang, StartCommand
from api.wechat.deadline import Deadline
from bpmn_compiler.start_inputs import start_inputs
from shenpi.auth_tokens import Principal
from shenpi.db import repository
from shenpi.settings import Settings


async def start_from_chat(
    app: FastAPI,
    principal: Principal,
    command: StartCommand,
    *,
    business_key: str,
    lang: Lang,
    deadline: Deadline,
) -> str:
    """Start ``command``'s process; the reply text (the instance reference, or why not). Past
    ``deadline`` the sender is told to try again: a redelivery finds a start that went through
    by its business key."""
    client: Client = app.state.temporal_client
    settings: Settings = app.state.settings
    body = InstanceCreate(variables=command.variables, business_key=business_key)
    try:
        async with asyncio.timeout(deadline.remaining()), app.state.sessions() as session:
            missing = await _missing_variables(session, command)
            if missing:
                return replies.say(
                    "missing_variables",
                    lang,
                    process_id=command.process_id,
                    names=", ".join(missing),
                    console=f"{settings.public_url.rstrip('/')}/ui/",
                )
            started = await start_instance(
                process_id=command.process_id,
                body=body,
                session=session,
                client=client,
                principal=principal,
                settings=app.state.settings,
                metrics=app.state.metrics,
                documents=DocumentAccess(session, client, app.state.settings, principal),
            )
    except WorkflowAlreadyStartedError as err:
        return replies.say("started", lang, instance_id=err.workflow_id)
    except ApiError as err:
        if err.status == 404:
            return replies.say("not_deployed", lang, process_id=command.process_id)
        raise
    except (RPCError, RPCTimeoutOrCancelledError, TimeoutError):
        return replies.say("unavailable", lang)
    return replies.say("started", lang, instance_id=started.instance_id)


async def _missing_variables(session: AsyncSession, command: StartCommand) -> list[str]:
    """What the process reads that the message did not give: started anyway, the instance would
    stop at once on an unknown variable while the sender is told it was submitted. Empty when
    the process is not deployed (the start says so)."""
    definition = await repository.get_definition(session, command.process_id)
    if definition is None:
        return []
    needed = start_inputs(repository.load_plan(definition))
    return [name for name in needed if name not in command.variables]
