"""A worker serving ``notify`` (the real activity) and the NotifyOnce workflow, for these tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from shenpi.db.lazy import LazyDatabase
from shenpi.db.wechat import put_binding
from shenpi.directory import YamlDirectory
from shenpi.settings import Settings
from shenpi_core.contracts import ServiceTaskInput
from tests.notify.notify_workflow import NotifyOnce, NotifyOnceInput
from tests.notify.smtp_server import SmtpServer, smtp_server
from tests.wechat import mp_server, work_server

DIRECTORY = """
users:
  ida: {name: Ida, manager: bob}
  bob: {name: Bob, wechat_work_userid: WW_BOB}
  frank: {name: Frank, groups: [finance]}
  erin: {name: Erin, groups: [finance], email: erin@example.com, channels: [email]}
  mp_mia: {name: Mia, wechat_mp_openid: oMIA123, channels: [wechat_mp]}
  ghost: {name: Ghost, wechat_work_userid: WW_GHOST, email: ghost@example.com,
          channels: [wechat_work, email]}
  nobody: {name: Nobody, wechat_work_userid: WW_NOBODY}
"""

TASK = {
    "task_id": "Task_Approve-1",
    "ref": "K7Q2XM",
    "node_id": "Task_Approve",
    "name": "经理审批 Manager approval",
    "due_at": "2026-11-23T09:00:00+00:00",
}


def work_settings(work: work_server.WorkServer | None, **extra: Any) -> dict[str, Any]:
    if work is None:
        return extra
    return {
        "wechat_work_corp_id": work_server.CORP_ID,
        "wechat_work_secret": work_server.SECRET,
        "wechat_work_agent_id": work_server.AGENT_ID,
        "wechat_work_api_base": work.url,
        "notify_rate_limit_retry_seconds": 0.5,  # keeps the rate-limit tests short
        **extra,
    }


def mp_settings(mp: mp_server.MpServer) -> dict[str, Any]:
    return {
        "wechat_mp_app_id": mp_server.APP_ID,
        "wechat_mp_secret": mp_server.SECRET,
        "wechat_mp_template_id": mp_server.TEMPLATE_ID,
        "wechat_mp_api_base": mp.url,
    }


@asynccontextmanager
async def notify_worker(
    client: Client, task_queue: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[Worker]:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    config = notify_settings(tmp_path, **settings)
    async with httpx.AsyncClient() as http:
        activities = NotifyActivities(config, http, YamlDirectory(path))
        try:
            async with Worker(
                client,
                task_queue=task_queue,
                workflows=[NotifyOnce],
                activities=[activities.notify],
            ) as worker:
                yield worker
        finally:
            await activities.aclose()


SENDER = "approvals@shenpi.example"


@asynccontextmanager
async def mail_and_work_worker(
    client: Client, task_queue: str, tmp_path: Path, work: work_server.WorkServer
) -> AsyncIterator[SmtpServer]:
    """A notify worker that sends WeChat Work cards to ``work`` and email from ``SENDER``
    through a local SMTP server, which it yields: what it received stays readable after."""
    with smtp_server() as smtp:
        settings = work_settings(
            work, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, smtp_from=SENDER
        )
        async with notify_worker(client, task_queue, tmp_path, **settings):
            yield smtp


def notify_settings(tmp_path: Path, **settings: Any) -> Settings:
    """The worker's settings; its app database (the WeChat bindings) lives under ``tmp_path``."""
    return Settings(
        _env_file=None,
        env="test",
        public_url="https://shenpi.example",
        data_dir=tmp_path / "shenpi",
        **settings,
    )


async def bind(tmp_path: Path, wechat_id: str, user: str) -> None:
    """Bind ``wechat_id`` (a WeChat Work userid or ``mp:<openid>``) to ``user`` as an admin
    does, in the database :func:`notify_worker` reads."""
    database = LazyDatabase(notify_settings(tmp_path))
    try:
        sessions = await database()
        async with sessions() as session:
            now = datetime.now(UTC)
            await put_binding(session, wechat_id, user, source="api", by="ops", now=now)
    finally:
        await database.aclose()


async def start_notify(
    client: Client,
    task_queue: str,
    event: str,
    recipients: list[str],
    *,
    tasks: list[dict[str, Any]] | None = None,
    attempts: int = 3,
    instance_id: str = "purchase-1",
    **variables: Any,
) -> WorkflowHandle[Any, dict[str, Any]]:
    arg = ServiceTaskInput(
        instance_id=instance_id,
        node_id="Task_Approve",
        process_id="purchase-approval",
        config={"event": event, "to": ",".join(recipients)},
        variables={
            "event": event,
            "recipients": recipients,
            "tasks": tasks if tasks is not None else [TASK],
            "initiator": "ida",
            **variables,
        },
    )
    return await client.start_workflow(
        NotifyOnce.run,
        NotifyOnceInput(arg=arg, attempts=attempts),
        id=f"notify-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
    )


async def notify(
    client: Client, task_queue: str, event: str, recipients: list[str], **kwargs: Any
) -> dict[str, Any]:
    """Run one notification to the end; its ``notify`` result."""
    handle = await start_notify(client, task_queue, event, recipients, **kwargs)
    result = await handle.result()
    return dict(result["notify"])
