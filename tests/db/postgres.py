"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a throwaway cluster.

`make test` installs the package when its binaries are missing. The server runs as the `postgres`
user when the tests run as root (PostgreSQL refuses root), listens on a free localhost port with
trust authentication, and is stopped (immediate mode) when the test session ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path | None:
    """The newest installed server's bin directory, or None when PostgreSQL is not installed."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Yield the base URL (``postgresql+asyncpg://postgres@127.0.0.1:<port>``) of a new cluster."""
    root = Path(tempfile.mkdtemp(prefix="shenpi-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                         "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                         "-l", str(root / "server.log"), "-w", "start"]),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def create_database(bin_dir: Path, base_url: str, name: str) -> str:
    """A fresh database on the server; returns its URL."""
    port = base_url.rsplit(":", 1)[1]
    subprocess.run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", port, "-U", "postgres", name],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return f"{base_url}/{name}"
