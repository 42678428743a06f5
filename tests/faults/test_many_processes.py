"""Two `shenpi api` and two `shenpi worker` processes on one Temporal server and one PostgreSQL
app database, as a replicated deployment runs them: 200 approvals started and decided across both
APIs while one worker is killed with SIGKILL half-way. Every instance ends once, approved, with
one decision and its archive; the surviving worker takes over the dead one's instances.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from shenpi.auth_tokens import mint_token
from tests.api.conftest import JWT_SECRET, unique
from tests.db.postgres import create_database, pg_bin, postgres_server
from tests.faults.cluster import ApiProcess, DevServer, WorkerProcess
from tests.faults.flows import decide, ended, gather_all, open_task, persist
from tests.faults.processes import notify_only
from tests.faults.receiver import Receiver, receiver
from tests.helpers import assert_eventually

INSTANCES = 200
KILL_AFTER = INSTANCES // 2  # decisions answered before one worker is killed
CONCURRENCY = 16  # instances driven at once (each: start, wait for its task, decide, wait)
BOUND_SECONDS = 150


def _approval(process_id: str) -> bytes:
    """start → a drawn notify (an activity in flight at the kill) → manager → end."""
    xml = notify_only(process_id).decode()
    return xml.replace(
        '<sequenceFlow id="f2" sourceRef="tell" targetRef="end"/>',
        '<sequenceFlow id="f2" sourceRef="tell" targetRef="manager"/>\n'
        '  <userTask id="manager" name="Manager" shenpi:assignee="${manager}"/>\n'
        '  <sequenceFlow id="f3" sourceRef="manager" targetRef="end"/>',
    ).encode()


@pytest.fixture(scope="module")
def app_database() -> Iterator[str]:
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql)")
    with postgres_server(bin_dir) as url:
        yield create_database(bin_dir, url, f"many_{uuid.uuid4().hex[:8]}")


class Deployment:
    """The four processes and a way to talk to each API as someone."""

    def __init__(
        self, apis: list[ApiProcess], workers: list[WorkerProcess], hook: Receiver
    ) -> None:
        self.apis, self.workers, self.hook = apis, workers, hook

    def http(self, api: int, sub: str, groups: tuple[str, ...] = ()) -> httpx.AsyncClient:
        token = mint_token(sub, list(groups), secret=JWT_SECRET)
        return httpx.AsyncClient(
            base_url=self.apis[api].url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def logs(self) -> str:
        processes: list[ApiProcess | WorkerProcess] = [*self.apis, *self.workers]
        return "\n".join(p.log_tail(15) for p in processes)


@pytest_asyncio.fixture
async def deployment(
    dev_server: DevServer, app_database: str, tmp_path: Path
) -> AsyncIterator[Deployment]:
    with receiver() as hook:
        env = {
            "SHENPI_ENV": "test",
            "SHENPI_JWT_SECRET": JWT_SECRET,
            "SHENPI_TEMPORAL_ADDRESS": dev_server.address,
            "SHENPI_TASK_QUEUE": f"many-{uuid.uuid4().hex[:8]}",
            "SHENPI_DATABASE_URL": app_database,
            "SHENPI_NOTIFY_WEBHOOK_URL": hook.webhook_url,
            "SHENPI_OCR_PROCESSES": "0",
            "SHENPI_LOG_FORMAT": "json",  # and every line a process writes is one JSON object
        }
        apis = [ApiProcess(tmp_path / f"api{i}", {**env}) for i in (1, 2)]
        workers = []
        for i in (1, 2):
            directory = tmp_path / f"worker{i}"
            directory.mkdir()
            data = {"SHENPI_DATA_DIR": str(directory / "data")}
            workers.append(WorkerProcess(directory, {**env, **data}))
        async with AsyncExitStack() as exits:
            processes: list[ApiProcess | WorkerProcess] = [*apis, *workers]
            for process in processes:
                process.start()
                exits.push_async_callback(process.stop)
            found = Deployment(apis, workers, hook)
            for i in range(len(apis)):
                async with found.http(i, "probe") as http:

                    async def ready(http: httpx.AsyncClient = http) -> None:
                        try:
                            response = await http.get("/readyz")
                        except httpx.TransportError as err:
                            raise AssertionError(found.logs()) from err
                        assert response.status_code == 200, response.text

                    await assert_eventually(ready, timeout=90, interval=0.5)
            yield found


async def test_two_apis_and_two_workers_end_every_instance_once_through_a_worker_kill(
    deployment: Deployment, dev_server: DevServer
) -> None:
    process_id = unique("many")
    async with deployment.http(0, "ops", ("admin",)) as admin:
        deployed = await persist(
            admin, "POST", "/api/v1/definitions", content=_approval(process_id)
        )
        assert deployed.status_code == 201, deployed.text
    decided = 0
    killed = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(case: int) -> dict[str, Any]:
        """Started on one API, decided on the other, read back from the first."""
        nonlocal decided
        first, other = case % 2, (case + 1) % 2
        manager = f"boss{case}"
        async with (
            gate,
            deployment.http(first, f"ida{case}") as ida,
            deployment.http(other, manager) as boss,
        ):
            started = await persist(
                ida,
                "POST",
                f"/api/v1/processes/{process_id}/instances",
                json={"variables": {"manager": manager}},
            )
            assert started.status_code == 201, started.text
            instance_id: str = started.json()["instance_id"]
            task = await open_task(boss, instance_id, "manager")
            answer = await decide(boss, instance_id, task["task_id"], "approve")
            assert answer.status_code == 200, answer.text
            decided += 1
            if decided == KILL_AFTER and not killed.is_set():
                killed.set()
                await deployment.workers[0].kill()  # SIGKILL: no drain, tasks in flight
            return await ended(ida, instance_id, timeout=120)

    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(BOUND_SECONDS):
        finals = await gather_all(*(one(case) for case in range(INSTANCES)))
    took = loop.time() - began

    assert killed.is_set() and not deployment.workers[0].running()
    assert deployment.workers[1].running(), deployment.workers[1].log_tail()
    assert [(f["status"], f["outcome"]) for f in finals] == [("completed", "approved")] * INSTANCES
    for final in finals:
        approvals = [e for e in final["timeline"] if e["event"] == "approved"]
        assert len(approvals) == 1, final["timeline"]  # one decision, applied once
        assert final["archived"]
    # Temporal ran each instance as one execution, all completed: none started twice, none lost.
    client = await Client.connect(dev_server.address)
    query = f'WorkflowType = "{process_id}"'
    assert (await client.count_workflows(query)).count == INSTANCES
    completed = f'{query} AND ExecutionStatus = "Completed"'
    assert (await client.count_workflows(completed)).count == INSTANCES
    # Both workers did workflow tasks: the killed one before the kill, the survivor after.
    identities: set[str] = set()
    for final in finals[: INSTANCES // 4 : 5] + finals[-10:]:
        history = await client.get_workflow_handle(final["instance_id"]).fetch_history()
        identities |= {
            e.workflow_task_completed_event_attributes.identity
            for e in history.events
            if e.HasField("workflow_task_completed_event_attributes")
        }
    assert len(identities) == 2, identities
    survivors: list[ApiProcess | WorkerProcess] = [*deployment.apis, deployment.workers[1]]
    lines = [
        json.loads(line)
        for process in survivors
        for line in process.log_file.read_text().splitlines()
        if not line.startswith("---")  # the test's own start markers
    ]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    print(f"{INSTANCES} approvals over 2 APIs and 2 workers (one killed) in {took:.0f} s")
