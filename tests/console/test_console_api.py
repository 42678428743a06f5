"""What the API does for the console: serve it, tell it how to sign in, describe start forms."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError

from api.console_forms import start_form
from api.main import create_app
from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from tests.console.conftest import HERE
from tests.helpers import REPO_ROOT, serve_asgi

SECRET = "console-tests-secret-long-enough-for-hs256"


def console_settings(tmp_path: Path, **overrides: Any) -> Settings:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True, exist_ok=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not served")
    values: dict[str, Any] = {
        "env": "dev",
        "data_dir": tmp_path / "state",
        "jwt_secret": SECRET,
        "console_dist_dir": dist,
        "temporal_address": "127.0.0.1:1",  # never dialled: these routes do not use Temporal
    }
    return Settings(**(values | overrides))


@pytest_asyncio.fixture
async def dev_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(console_settings(tmp_path, console_dev_sign_in=True))
    async with serve_asgi(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


@pytest_asyncio.fixture
async def plain_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve_asgi(create_app(console_settings(tmp_path))) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        yield http


async def test_root_redirects_to_the_console_and_views_fall_back_to_index(
    dev_api: httpx.AsyncClient,
) -> None:
    root = await dev_api.get("/")
    assert (root.status_code, root.headers["location"]) == (307, "/ui/")
    for view in ("/ui/", "/ui/inbox", "/ui/instances/purchase:PO-1/tasks/Task_A-1"):
        page = await dev_api.get(view)
        assert page.status_code == 200 and "<title>console</title>" in page.text, view
        assert page.headers["cache-control"] == "no-cache"
    asset = await dev_api.get("/ui/assets/app-1234.js")
    assert asset.headers["cache-control"].endswith("immutable")


async def test_console_serves_nothing_outside_its_directory(dev_api: httpx.AsyncClient) -> None:
    missing = await dev_api.get("/ui/assets/gone.js")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    escaped = await dev_api.get("/ui/%2e%2e/secret.txt")
    assert "not served" not in escaped.text


async def test_dev_sign_in_mints_a_token_with_the_directory_groups(
    dev_api: httpx.AsyncClient,
) -> None:
    config = (await dev_api.get("/api/v1/console/config")).json()
    assert config["dev_sign_in"] is True and config["oidc"] is None
    assert {"id": "frank", "name": "Frank", "groups": ["finance", "board"]} in config["dev_users"]
    minted = await dev_api.post("/api/v1/console/dev-token", json={"user": "frank"})
    assert minted.status_code == 201
    assert minted.json()["groups"] == ["finance", "board"]
    token = minted.json()["token"]
    listed = await dev_api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code != 401  # the API trusts it (503 here: no Temporal behind it)


async def test_dev_sign_in_is_refused_outside_shenpi_dev(plain_api: httpx.AsyncClient) -> None:
    config = (await plain_api.get("/api/v1/console/config")).json()
    assert (config["dev_sign_in"], config["dev_users"]) == (False, [])
    refused = await plain_api.post("/api/v1/console/dev-token", json={"user": "alice"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


def test_production_settings_refuse_dev_sign_in(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="shenpi dev"):
        console_settings(
            tmp_path, env="production", console_dev_sign_in=True, payload_encryption=False
        )


def _form(path: Path, *, drop: str = "") -> dict[str, Any]:
    xml = path.read_bytes().replace(drop.encode(), b"")
    return start_form(compile_bpmn(xml).plan, 1, xml).model_dump(mode="json")


def test_start_form_of_a_process_declaring_its_variables() -> None:
    form = _form(REPO_ROOT / "processes" / "expense-claim.bpmn")
    assert form["form"] is None
    assert [(f["name"], f["type"]) for f in form["fields"]] == [
        ("amount", "number"),
        ("description", "text"),
        ("receipt", "document"),
    ]


def test_start_form_falls_back_to_what_expressions_read() -> None:
    undeclared = "Variables: days (number), teamLead (user id), reason."
    form = _form(REPO_ROOT / "processes" / "leave-request.bpmn", drop=undeclared)
    # What the conditions and assignments read; not what decisions write (decision, approved).
    assert [(f["name"], f["type"]) for f in form["fields"]] == [
        ("teamLead", "text"),
        ("days", "number"),
    ]


def test_start_form_is_the_embedded_camunda_form() -> None:
    form = _form(HERE / "purchase-with-receipt.bpmn")
    keys = [c.get("key") for c in form["form"]["components"]]
    assert keys == ["amount", "manager", "description", None]
    assert ("receipt", "document") in [(f["name"], f["type"]) for f in form["fields"]]


def test_console_openapi_snapshot_is_the_apis_schema(tmp_path: Path) -> None:
    """The console's typed client is generated from console/openapi.json: it must be current."""
    schema = create_app(console_settings(tmp_path)).openapi()
    committed = json.loads((REPO_ROOT / "console" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(schema)), (
        "console/openapi.json is stale: run `make console-schema`"
    )
