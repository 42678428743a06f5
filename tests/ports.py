"""Free localhost ports for servers a test starts in another process (Temporal, PostgreSQL, ...).

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from its ephemeral range, the
same range every later ``port 0`` bind and outgoing connection draws from. A test that picked its
ports that way and then started the Temporal dev server lost, now and then, to the server itself:
it binds its HTTP API and metrics to random ephemeral ports before the UI binds the port we chose.
So ports come from below the ephemeral range, where nothing is handed out at random, are checked
free, and are never given twice in one test run.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000  # clear of well-known and registered-but-common ports (5432, 7233, 8233, ...)
_given: set[int] = set()
_lock = threading.Lock()


def _ephemeral_start() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A localhost port nobody listens on, outside the kernel's ephemeral range."""
    high = _ephemeral_start()
    with _lock:
        for _ in range(1_000):
            port = random.randrange(_LOWEST, high)
            if port not in _given and _bindable(port):
                _given.add(port)
                return port
    raise RuntimeError(f"no free port between {_LOWEST} and {high}")
