"""`shenpi dev` for real: a subprocess on free ports, a fresh data dir, Ctrl-C, and a restart."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.helpers import REPO_ROOT
from tests.ports import free_port

T = TypeVar("T")
SHENPI = Path(sys.executable).parent / "shenpi"
TOKEN_LINE = re.compile(r"export SHENPI_TOKEN=(\S+)")


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc: no psutil needed)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (field 2) may contain spaces; the fields after it do not.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _commands(pids: set[int]) -> list[str]:
    found = []
    for pid in pids:
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip())
        except OSError:
            found.append(f"{pid} (gone)")
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class DevProcess:
    proc: subprocess.Popen[str]
    lines: queue.Queue[str]
    output: list[str]

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if match := pattern.search(line):
                return match
        pytest.fail(f"no line matching {pattern.pattern!r}; output so far:\n{''.join(self.output)}")


@dataclass(frozen=True)
class Ports:
    api: int
    temporal: int
    ui: int
    metrics: int


@contextmanager
def shenpi_dev(
    data_dir: Path,
    ports: Ports,
    cwd: Path,
    processes: Path = REPO_ROOT / "processes",
    env: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> Iterator[DevProcess]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHENPI_")}
    proc = subprocess.Popen(
        [str(SHENPI), "dev", "--data-dir", str(data_dir), "--port", str(ports.api),
         "--temporal-port", str(ports.temporal), "--ui-port", str(ports.ui),
         "--metrics-port", str(ports.metrics), "--processes", str(processes), *extra],
        cwd=cwd, env={**clean, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield DevProcess(proc, lines, output)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_cleanly(dev: DevProcess, sig: signal.Signals = signal.SIGINT) -> None:
    """Ctrl-C (or a service manager's SIGTERM): exit 0, with no child process left running."""
    children = descendants(dev.proc.pid)
    assert children, "the Temporal dev server should run as a child process"
    dev.proc.send_signal(sig)
    assert dev.proc.wait(timeout=30) == 0, "".join(dev.output)
    # Helpers that exit when their parent's pipe closes (multiprocessing's resource tracker for
    # the OCR pool) may take a moment after it; anything still up after that was left behind.
    deadline = time.monotonic() + 10
    while (leftovers := {pid for pid in children if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not leftovers, f"processes left behind: {leftovers}: {_commands(leftovers)}"


def eventually(check: Callable[[], T], timeout: float = 15.0) -> T:
    """Poll a synchronous check until it stops failing (visibility is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def temporal_ui_decodes_through_the_api(http: httpx.Client, ports: Ports, data_dir: Path) -> None:
    """Payloads are encrypted with the data dir's key, and the Temporal UI is wired to the API's
    codec server, which it calls as a browser would: from its origin, without a token."""
    assert (data_dir / "payload-keys").stat().st_mode & 0o777 == 0o600
    ui = f"http://127.0.0.1:{ports.ui}"
    endpoint = httpx.get(f"{ui}/api/v1/settings", timeout=15).json()["Codec"]["Endpoint"]
    assert endpoint.startswith(f"http://127.0.0.1:{ports.api}/codec/")
    plain = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IkEgbGFwdG9wIg=="}
    encoded = http.post("/codec/encode", json={"payloads": [plain]})
    assert encoded.status_code == 200, encoded.text
    assert encoded.json()["payloads"][0]["data"] != plain["data"]
    decoded = httpx.post(
        f"{endpoint}/decode",
        json=encoded.json(),
        headers={"Origin": ui, "X-Namespace": "default"},
        timeout=15,
    )
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == ui
    assert decoded.json() == {"payloads": [plain]}


def readme_tour(http: httpx.Client, data_dir: Path, cwd: Path) -> None:
    """The README's 5-minute tour: alice asks, bob (token from `shenpi token`) approves."""
    started = http.post(
        "/api/v1/processes/purchase-approval/instances",
        json={"variables": {"amount": 1200, "manager": "bob", "description": "A laptop"}},
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["instance_id"]
    bob_token = subprocess.run(
        [str(SHENPI), "token", "bob", "--data-dir", str(data_dir)],
        cwd=cwd, capture_output=True, text=True, check=True, timeout=30,
    ).stdout.strip()  # fmt: skip
    bob = {"Authorization": f"Bearer {bob_token}"}

    def bobs_task() -> dict[str, Any]:
        tasks = http.get("/api/v1/tasks", headers=bob).json()["data"]
        mine: list[dict[str, Any]] = [t for t in tasks if t["instance_id"] == instance_id]
        assert [t["node_id"] for t in mine] == ["Task_ManagerApproval"]
        return mine[0]

    task = eventually(bobs_task)
    decided = http.post(
        f"/api/v1/instances/{instance_id}/tasks/{task['task_id']}/decision",
        headers=bob,
        json={"action": "approve", "comment": "Go ahead"},
    )
    assert decided.status_code == 200, decided.text

    def completed() -> None:
        state = http.get(f"/api/v1/instances/{instance_id}").json()
        assert (state["status"], state["outcome"]) == ("completed", "approved")

    eventually(completed)


def test_dev_stack_serves_deploys_stops_cleanly_and_keeps_instances(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    api = f"http://127.0.0.1:{ports.api}"

    with shenpi_dev(data_dir, ports, tmp_path) as dev:
        token = dev.wait_for_line(TOKEN_LINE, timeout=60).group(1)
        assert "purchase-approval v1 (new)" in "".join(dev.output)
        # processes/*.dmn deploy first, so a process that calls a decision finds it
        assert "approver-levels v1 (new), contract-approval v1 (new)" in "".join(dev.output)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=api, headers=auth, timeout=15) as http:
            assert http.get("/readyz").status_code == 200
            assert http.get(f"http://127.0.0.1:{ports.metrics}/metrics").status_code == 200
            listed = http.get("/api/v1/definitions").json()["data"]
            deployed = {d["process_id"] for d in listed}
            assert {"purchase-approval", "leave-request"} <= deployed
            readme_tour(http, data_dir, tmp_path)
            temporal_ui_decodes_through_the_api(http, ports, data_dir)
            started = http.post(
                "/api/v1/processes/leave-request/instances",
                json={"variables": {"days": 2, "teamLead": "alice", "reason": "moving house"}},
            )
            assert started.status_code == 201, started.text
            instance_id = started.json()["instance_id"]

        # A second stack on the same data dir is refused rather than corrupting the SQLite files.
        other = subprocess.run(
            [str(SHENPI), "dev", "--data-dir", str(data_dir), "--port", str(free_port())],
            cwd=tmp_path, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert other.returncode == 1
        assert "another `shenpi dev`" in other.stderr

        stop_cleanly(dev)
        assert "Stopped." in "".join(dev.output)

    # The restart also finds a file being edited that does not compile: it is reported, the
    # others deploy, and the stack serves anyway.
    processes = tmp_path / "processes"
    shutil.copytree(REPO_ROOT / "processes", processes)
    (processes / "draft.bpmn").write_text("<definitions>not finished")
    with shenpi_dev(data_dir, ports, tmp_path, processes) as dev:
        token = dev.wait_for_line(TOKEN_LINE, timeout=60).group(1)
        output = "".join(dev.output)
        # Same files, same hashes: nothing new is deployed on a restart.
        assert "leave-request v1 (unchanged)" in output
        assert "purchase-approval v1 (unchanged)" in output
        assert "draft.bpmn (refused, see above)" in output
        assert "not deployed:" in output and "HTTP 422" in output
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as http:
            instance = http.get(f"/api/v1/instances/{instance_id}")
            assert instance.status_code == 200, instance.text
            assert instance.json()["status"] == "running"
            assert [t["node_id"] for t in instance.json()["tasks"] if t["status"] == "open"] == [
                "Task_TeamLeadApproval"
            ]
        stop_cleanly(dev, signal.SIGTERM)


def test_dev_refuses_a_taken_api_port_and_leaves_nothing_running(tmp_path: Path) -> None:
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(SHENPI), "dev", "--data-dir", str(tmp_path / "state"), "--port", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr
    assert not (tmp_path / "state" / "temporal.db").exists()  # failed before starting anything
