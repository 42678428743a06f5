"""`shenpi api`, `shenpi worker` and `shenpi deploy` as separate processes, configured by env.

This is how compose runs them: production settings, an external Temporal (here the session's
dev server), a database URL, a configured secret; SIGTERM stops each cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from shenpi.auth_tokens import mint_token
from shenpi.payload_keys import new_key_entry
from tests.cli.test_dev import TOKEN_LINE, Ports, descendants, shenpi_dev
from tests.helpers import REPO_ROOT, assert_eventually
from tests.ports import free_port

SHENPI = Path(sys.executable).parent / "shenpi"
SECRET = "components-test-secret-long-enough-for-hs256"
LEAVE = REPO_ROOT / "processes" / "leave-request.bpmn"


@asynccontextmanager
async def component(
    name: str, env: dict[str, str], cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    log = (cwd / f"{name}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        str(SHENPI), name, env=env, cwd=cwd, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()


async def _deploy(url: str, token: str, cwd: Path, path: Path = LEAVE) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(SHENPI), "deploy", str(path), "--url", url, "--token", token,
        cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode or 0, (out + err).decode()


async def test_api_and_worker_run_from_env_deploy_works_and_sigterm_stops_both(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    api_port, metrics_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHENPI_")},
        "SHENPI_ENV": "production",
        "SHENPI_JWT_SECRET": SECRET,
        "SHENPI_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "SHENPI_TASK_QUEUE": f"components-{uuid.uuid4()}",
        "SHENPI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "SHENPI_API_PORT": str(api_port),
        "SHENPI_WORKER_METRICS_PORT": str(metrics_port),
        "SHENPI_PAYLOAD_KEYS": new_key_entry("components"),
    }
    url = f"http://127.0.0.1:{api_port}"
    admin = mint_token("ops", ["admin"], secret=SECRET)
    alice = mint_token("alice", [], secret=SECRET)

    async with (
        component("api", env, tmp_path) as api,
        component("worker", env, tmp_path) as worker,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):

        async def both_up() -> None:
            try:
                assert (await http.get("/readyz")).status_code == 200
                metrics = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
            except httpx.TransportError as err:
                raise AssertionError(str(err)) from err
            assert metrics.status_code == 200

        await assert_eventually(both_up, timeout=30)

        code, output = await _deploy(url, admin, tmp_path)
        assert code == 0, output
        assert "leave-request v1 deployed" in output
        code, output = await _deploy(url, admin, tmp_path)
        assert (code, "leave-request v1 unchanged" in output) == (0, True), output
        code, output = await _deploy(url, alice, tmp_path)  # not an admin
        assert code == 1 and "HTTP 403" in output, output
        broken = tmp_path / "broken.bpmn"
        broken.write_bytes(LEAVE.read_bytes().replace(b'sourceRef="', b'sourceRef="missing_', 1))
        code, output = await _deploy(url, admin, tmp_path, broken)
        # Diagnostics print as a compiler's (file:line: error[code] ...), not as Python dicts.
        assert code == 1 and "HTTP 422" in output, output
        assert "broken.bpmn:" in output and "error[" in output and "{'" not in output, output
        form = tmp_path / "leave-note.form"
        form.write_text('{"id": "leave-note", "components": [{"type": "textarea", "key": "note"}]}')
        code, output = await _deploy(url, admin, tmp_path, form)  # sent as JSON
        assert (code, "leave-note v1 deployed" in output) == (0, True), output

        # The worker serves the queue: a leave request of 1 day runs to its end.
        headers = {"Authorization": f"Bearer {alice}"}
        started = await http.post(
            "/api/v1/processes/leave-request/instances",
            headers=headers,
            json={"variables": {"days": 1, "teamLead": "alice"}},
        )
        assert started.status_code == 201, started.text
        instance = f"/api/v1/instances/{started.json()['instance_id']}"

        async def task_open() -> str:
            state = (await http.get(instance, headers=headers)).json()
            open_tasks = [t["task_id"] for t in state["tasks"] if t["status"] == "open"]
            assert len(open_tasks) == 1, state
            return str(open_tasks[0])

        task_id = await assert_eventually(task_open)
        decided = await http.post(
            f"{instance}/tasks/{task_id}/decision", headers=headers, json={"action": "approve"}
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["instance_status"] in ("running", "completed")

        for proc in (api, worker):
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(api.wait(), 20) == 0, (tmp_path / "api.log").read_text()
        assert await asyncio.wait_for(worker.wait(), 20) == 0, (tmp_path / "worker.log").read_text()


async def test_production_api_and_worker_refuse_to_start_without_a_payload_key(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHENPI_")},
        "SHENPI_ENV": "production",
        "SHENPI_JWT_SECRET": SECRET,
    }
    for name in ("api", "worker"):
        async with component(name, env, tmp_path) as proc:
            assert await asyncio.wait_for(proc.wait(), 30) == 1
        output = (tmp_path / f"{name}.log").read_text()
        assert "error: settings refused: production encrypts request content" in output
        assert "SHENPI_PAYLOAD_KEYS" in output and "SHENPI_PAYLOAD_ENCRYPTION=off" in output
        assert "Traceback" not in output


def test_dev_with_shenpi_temporal_address_uses_that_temporal_and_starts_none(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = temporal_env.client.service_client.config.target_host
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    env = {"SHENPI_TEMPORAL_ADDRESS": address, "SHENPI_TASK_QUEUE": f"dev-{uuid.uuid4()}"}
    env["SHENPI_OCR_PROCESSES"] = "0"  # the OCR pool's processes would be children too
    with shenpi_dev(tmp_path / "state", ports, tmp_path, env=env) as dev:
        dev.wait_for_line(TOKEN_LINE, timeout=60)
        assert f"(external Temporal at {address})" in "".join(dev.output)
        assert descendants(dev.proc.pid) == set()  # no dev server of its own
        dev.proc.send_signal(signal.SIGINT)
        assert dev.proc.wait(timeout=30) == 0, "".join(dev.output)
    assert not (tmp_path / "state" / "temporal.db").exists()
