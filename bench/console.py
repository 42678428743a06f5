"""`python -m bench.console`: the console's budget, measured (docs/console.md, "Budget").

- The initial bundle: what a browser downloads before the first view (index.html, the entry
  script and its CSS, and what they preload), gzipped; the diagram and form libraries are separate
  chunks loaded on first use and are listed apart.
- The inbox with N open tasks (default 1,000): a real `shenpi dev` (free ports, a temporary data
  dir), N purchase requests for bob started over HTTP, then the time from navigating to /ui/inbox
  in Debian's Chromium until the first page of rows shows, and the `GET /api/v1/tasks` page
  behind it: in the default order (newest first) and ordered by due date (`?sort=due`).
- The two ways of finding that first page by due date, timed in this process against the same
  server (before and after `ShenpiNextDue`, in one run): reading every request and sorting them
  (`visibility.inbox_page`, still the way when a memo filter applies), and counting ranges of
  `ShenpiNextDue` then listing one (`inbox_due.due_page`).

Prints a Markdown table. Needs the built console (`make console`) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from temporalio.client import Client

from api import inbox_due, visibility
from shenpi.auth_tokens import Principal
from shenpi.payload_codec import data_converter_for
from shenpi.payload_keys import DEV_KEY_FILE, load_key_file
from tests.cli.test_dev import Ports, shenpi_dev
from tests.console.conftest import CHROMIUM, CHROMIUM_FLAGS, CONSOLE_LINK
from tests.helpers import REPO_ROOT
from tests.ports import free_port

DIST = REPO_ROOT / "console" / "dist"


def bundle_sizes() -> tuple[int, dict[str, int]]:
    """(gzipped bytes of the initial load, {lazy chunk: gzipped bytes})."""
    index = (DIST / "index.html").read_text()
    initial = {m for m in re.findall(r'(?:src|href)="/ui/(assets/[^"]+)"', index)}
    gz = {p.name: len(gzip.compress(p.read_bytes(), 9)) for p in (DIST / "assets").iterdir()}
    total = len(gzip.compress(index.encode(), 9)) + sum(gz[Path(a).name] for a in initial)
    lazy = {name: size for name, size in gz.items() if f"assets/{name}" not in initial}
    return total, lazy


async def _start_requests(url: str, token: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:

        async def one(i: int) -> None:
            async with limit:
                answer = await http.post(
                    "/api/v1/processes/purchase-approval/instances",
                    json={
                        "variables": {"amount": 100 + i, "manager": "bob", "description": f"#{i}"}
                    },
                )
                answer.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(count)))


def _wait_for_inbox(http: httpx.Client, token: str, count: int) -> None:
    for _ in range(600):
        tasks = http.get(
            "/api/v1/tasks", params={"limit": 1000}, headers={"Authorization": f"Bearer {token}"}
        )
        if tasks.status_code == 200 and tasks.json()["count"] >= count:
            return
        time.sleep(1)
    raise RuntimeError(f"bob's inbox never reached {count} tasks")


ORDERS = {"newest": "", "due": "?sort=due"}
WAYS = ("sorted by the API", "found by visibility")


async def _compare_due(address: str, state: Path, runs: int) -> dict[str, float]:
    """{way: median seconds} for bob's first page by due date, each way in this process with the
    API's own converter; both must give the same page."""
    converter = data_converter_for(load_key_file(state / DEV_KEY_FILE))
    client = await Client.connect(address, data_converter=converter)
    bob = Principal(sub="bob")
    query = visibility.inbox_query(bob)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    pages: dict[str, list[str]] = {}
    for _ in range(runs):
        for way in WAYS:
            started = time.perf_counter()
            if way == WAYS[0]:
                page = await visibility.inbox_page(
                    client, bob, limit=1000, page_size=20, page_token=None, sort="due",
                    process_id=None, only=visibility.InboxFilter(),
                )  # fmt: skip
            else:
                page = await inbox_due.due_page(
                    client, bob, query, page_size=20, page_token=None, limit=1000
                )
            times[way].append(time.perf_counter() - started)
            pages[way] = [t.instance_id for t in page.tasks]
    if pages[WAYS[0]] != pages[WAYS[1]]:
        raise RuntimeError(f"the two ways disagree: {pages}")
    return {way: statistics.median(times[way]) for way in WAYS}


def measure_inbox(count: int, runs: int) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """({order: (median seconds to the first page in the browser, median seconds of the page's
    GET /tasks)}, {way of finding the first page by due date: median seconds})."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        processes = root / "processes"
        processes.mkdir()
        (processes / "purchase-approval.bpmn").write_bytes(
            (REPO_ROOT / "processes" / "purchase-approval.bpmn").read_bytes()
        )
        ports = Ports(free_port(), free_port(), free_port(), free_port())
        with shenpi_dev(root / "state", ports, REPO_ROOT, processes=processes) as dev:
            dev.wait_for_line(CONSOLE_LINK, timeout=120)
            url = f"http://127.0.0.1:{ports.api}"
            with httpx.Client(base_url=url, timeout=60) as http:
                alice = http.post("/api/v1/console/dev-token", json={"user": "alice"}).json()[
                    "token"
                ]
                bob = http.post("/api/v1/console/dev-token", json={"user": "bob"}).json()["token"]
                asyncio.run(_start_requests(url, alice, count))
                _wait_for_inbox(http, bob, count)
                ways = asyncio.run(
                    _compare_due(f"127.0.0.1:{ports.temporal}", root / "state", runs)
                )
                api_times: dict[str, list[float]] = {order: [] for order in ORDERS}
                for order in ORDERS:
                    for _ in range(runs):
                        started = time.perf_counter()
                        http.get(
                            "/api/v1/tasks",
                            params={"limit": 1000, "page_size": 20, "sort": order},
                            headers={"Authorization": f"Bearer {bob}"},
                        ).raise_for_status()
                        api_times[order].append(time.perf_counter() - started)
            page_times: dict[str, list[float]] = {order: [] for order in ORDERS}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
                for order, search in ORDERS.items():
                    for _ in range(runs):
                        context = browser.new_context()
                        page = context.new_page()
                        # Sign in first (token into session storage), then time the inbox alone.
                        page.goto(f"{url}/ui/start#token={bob}")
                        page.get_by_test_id("signed-in-user").wait_for()
                        started = time.perf_counter()
                        page.goto(f"{url}/ui/inbox{search}")
                        page.get_by_test_id("inbox-row").nth(19).wait_for(timeout=30_000)
                        page_times[order].append(time.perf_counter() - started)
                        context.close()
                browser.close()
    orders = {
        order: (statistics.median(page_times[order]), statistics.median(api_times[order]))
        for order in ORDERS
    }
    return orders, ways


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    initial, lazy = bundle_sizes()
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| initial bundle (gzip) | {initial / 1024:.1f} KiB | < 300 KB |")
    for name, size in sorted(lazy.items(), key=lambda kv: -kv[1]):
        print(f"| lazy chunk {name} (gzip) | {size / 1024:.1f} KiB | loaded on use |")
    orders, ways = measure_inbox(args.tasks, args.runs)
    for order, (page, api) in orders.items():
        what = f"inbox first page, {args.tasks} open tasks, {order}"
        print(f"| {what} (browser, median) | {page:.2f} s | < 1 s |")
        print(f"| its GET /api/v1/tasks?page_size=20&sort={order} (median) | {api:.2f} s | |")
    for way, seconds in ways.items():
        print(f"| first page by due date, {way} (in process, median) | {seconds:.3f} s | |")


if __name__ == "__main__":
    main()
