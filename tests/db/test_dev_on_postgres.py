"""`shenpi dev --database-url` runs the whole stack on PostgreSQL: a request goes through."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from shenpi.db.engine import create_engine
from tests.cli.test_dev import Ports, shenpi_dev, stop_cleanly
from tests.ports import free_port

TOKEN_LINE = re.compile(r"export SHENPI_TOKEN=(\S+)")


async def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql))).scalar() or 0)
    finally:
        await engine.dispose()


def test_dev_stack_deploys_and_archives_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    with shenpi_dev(
        tmp_path / "state", ports, cwd=tmp_path, extra=("--database-url", postgres_url)
    ) as dev:
        token = dev.wait_for_line(TOKEN_LINE, timeout=120).group(1)
        api = f"http://127.0.0.1:{ports.api}/api/v1"
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as http:
            started = http.post(
                "/processes/leave-request/instances",
                json={"variables": {"days": 1, "manager": "alice", "team_lead": "alice"}},
            )
            assert started.status_code == 201, started.text
            instance_id = started.json()["instance_id"]
            cancelled = http.post(f"/instances/{instance_id}/cancel")
            assert cancelled.status_code == 200, cancelled.text
            deadline = time.monotonic() + 30
            while http.get(f"/instances/{instance_id}").json().get("archived") is not True:
                assert time.monotonic() < deadline, "the instance was not archived"
                time.sleep(0.3)
        stop_cleanly(dev)
    definitions = asyncio.run(_count(postgres_url, "SELECT count(*) FROM definitions"))
    archived = asyncio.run(_count(postgres_url, "SELECT count(*) FROM instance_archive"))
    assert definitions >= 4 and archived == 1
