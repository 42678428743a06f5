"""A real `shenpi dev` and Debian's Chromium, driven by Playwright, for the console's user stories.

One stack per session (free ports, a temporary data dir, real Temporal); one browser context per
story. Playwright drives /usr/bin/chromium: its own browser downloads are never used.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.cli.test_dev import Ports, shenpi_dev
from tests.helpers import REPO_ROOT
from tests.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HERE = Path(__file__).parent
CONSOLE_LINK = re.compile(r"Console\s+(http://\S+/ui/#token=\S+)")
AXE = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "best-practice"]
# Where screenshots go: docs/console/ when refreshing the docs (make console-screenshots).
SCREENSHOTS = os.environ.get("SHENPI_CONSOLE_SCREENSHOTS")
# Visibility and the instance page's refresh are eventually consistent: a few seconds, not five.
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class Stack:
    url: str
    console_link: str  # the banner's link, signing in alice
    http: httpx.Client

    def token(self, user: str, groups: list[str] | None = None) -> str:
        """What the sign-in page does for a developer: a token for a directory user."""
        body: dict[str, object] = {"user": user}
        if groups is not None:
            body["groups"] = groups
        answer = self.http.post("/api/v1/console/dev-token", json=body)
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (REPO_ROOT / "console" / "dist" / "index.html").is_file():
        pytest.fail("the console is not built: run `make console` (make test does)")
    root = tmp_path_factory.mktemp("console")
    processes = root / "processes"
    processes.mkdir()
    shutil.copy(REPO_ROOT / "processes" / "purchase-approval.bpmn", processes)
    shutil.copy(HERE / "purchase-with-receipt.bpmn", processes)
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    with shenpi_dev(root / "state", ports, REPO_ROOT, processes=processes) as dev:
        link = dev.wait_for_line(CONSOLE_LINK, timeout=120).group(1)
        url = f"http://127.0.0.1:{ports.api}"
        with httpx.Client(base_url=url, timeout=30) as http:
            yield Stack(url, link, http)


# Module scope: sync Playwright runs its own event loop, which must be gone before the suite's
# asyncio tests (in this package and after it) run theirs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(
    context: BrowserContext, stack: Stack, user: str, groups: list[str] | None = None
) -> Page:
    """A page signed in as ``user`` the way the banner's link does it (`#token=`)."""
    page = context.new_page()
    page.goto(f"{stack.url}/ui/#token={stack.token(user, groups)}")
    page.get_by_test_id("signed-in-user").filter(has_text=user).wait_for()
    return page


def serious_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    results: dict[str, list[dict[str, Any]]] = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: AXE_TAGS}})".replace(
            "AXE_TAGS", json.dumps(AXE_TAGS)
        )
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """Screenshots the docs use (docs/console.md), refreshed with SHENPI_CONSOLE_SCREENSHOTS."""
    target = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    # A 128-colour palette keeps the committed PNGs small; UI screenshots lose nothing visible.
    image = Image.open(io.BytesIO(page.screenshot()))
    image.quantize(colors=128).save(target / f"{name}.png", optimize=True)
