"""Probes, metrics, auth and the error shape, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from tests.api.bpmn import single_approval
from tests.api.conftest import Stack, api_settings, run_api, unique
from tests.helpers import assert_eventually


async def test_healthz_needs_no_token_and_readyz_reports_temporal_and_database(
    api_only: Stack,
) -> None:
    async with api_only.http() as http:
        assert (await http.get("/healthz")).json() == {"status": "ok", "checks": {}}
        assert (await http.get("/api/v1/healthz")).status_code == 200
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"temporal": "ok", "database": "ok"}}


async def test_readyz_is_503_when_temporal_is_unreachable(tmp_path: Path) -> None:
    with_free_port = await Client.connect(
        "127.0.0.1:1", data_converter=pydantic_data_converter, lazy=True
    )
    app = create_app(api_settings(tmp_path), temporal_client=with_free_port)
    async with run_api(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        ready = await http.get("/readyz")
        assert (await http.get("/healthz")).status_code == 200  # alive, just not ready
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["temporal"].startswith("unreachable")


async def test_missing_or_invalid_token_is_401_with_error_shape(api_only: Stack) -> None:
    forged = jwt.encode({"sub": "alice", "groups": ["admin"]}, "x" * 40, algorithm="HS256")
    async with api_only.http() as http:
        missing = await http.get("/api/v1/tasks")
        invalid = await http.get("/api/v1/tasks", headers={"Authorization": f"Bearer {forged}"})
        garbage = await http.get("/api/v1/definitions", headers={"Authorization": "Bearer x.y"})
        basic = await http.get("/api/v1/tasks", headers={"Authorization": "Basic YTpi"})
    for response in (missing, invalid, garbage, basic):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_bad_json_body_is_400_invalid_request_not_422(api_only: Stack) -> None:
    async with api_only.http("alice") as http:
        not_json = await http.post(
            "/api/v1/processes/p/instances",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        wrong_type = await http.post("/api/v1/processes/p/instances", json={"variables": [1]})
        bad_action = await http.post(
            "/api/v1/instances/p:1/tasks/t/decision", json={"action": "fly"}
        )
    for response in (not_json, wrong_type, bad_action):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["details"]
    assert bad_action.json()["error"]["details"][0]["loc"] == ["body", "action"]


async def test_unknown_process_instance_and_route_are_404(api_only: Stack) -> None:
    async with api_only.http("alice") as http:
        start = await http.post(f"/api/v1/processes/{unique('nope')}/instances", json={})
        instance = await http.get(f"/api/v1/instances/{unique('nope')}:1")
        route = await http.get("/api/v1/nothing-here")
    assert [r.status_code for r in (start, instance, route)] == [404, 404, 404]
    assert start.json()["error"]["code"] == "not_found"
    assert instance.json()["error"]["code"] == "not_found"


async def test_openapi_docs_list_the_v1_routes(api_only: Stack) -> None:
    async with api_only.http() as http:
        schema = (await http.get("/openapi.json")).json()
        docs = await http.get("/docs")
    assert docs.status_code == 200
    for path in (
        "/api/v1/definitions",
        "/api/v1/processes/{process_id}/instances",
        "/api/v1/instances/{instance_id}",
        "/api/v1/tasks",
        "/api/v1/instances/{instance_id}/tasks/{task_id}/decision",
    ):
        assert path in schema["paths"]


async def test_metrics_count_requests_by_route_template_and_starts_by_process(
    api_only: Stack,
) -> None:
    process_id = unique("metered")
    admin = api_only.http("ops", ["admin"])
    async with admin, api_only.http("alice") as alice:
        deployed = await admin.post("/api/v1/definitions", content=single_approval(process_id))
        assert deployed.status_code == 201
        for _ in range(2):
            started = await alice.post(
                f"/api/v1/processes/{process_id}/instances", json={"variables": {"manager": "m"}}
            )
            assert started.status_code == 201
        await alice.get(f"/api/v1/instances/{process_id}:missing")
        text = (await alice.get("/metrics")).text
    assert f'shenpi_instances_started_total{{process_id="{process_id}"}} 2.0' in text
    assert (
        'shenpi_http_requests_total{method="POST",'
        'route="/api/v1/processes/{process_id}/instances",status="201"} 2.0'
    ) in text
    assert 'route="/api/v1/instances/{instance_id}",status="404"' in text


async def test_two_apps_in_one_process_keep_separate_metrics(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    first = create_app(api_settings(tmp_path / "a"), temporal_client=temporal_env.client)
    second = create_app(api_settings(tmp_path / "b"), temporal_client=temporal_env.client)
    assert first.state.metrics.registry is not second.state.metrics.registry
    async with run_api(first) as url, httpx.AsyncClient(base_url=url) as http:
        await http.get("/healthz")
    async with run_api(second) as url, httpx.AsyncClient(base_url=url) as http:
        text = (await http.get("/metrics")).text
    assert 'route="/healthz"' not in text


async def test_oversized_json_body_is_413_too_large(api_only: Stack) -> None:
    variables = {"blob": "z" * (2 * 1024 * 1024)}
    async with api_only.http("alice") as http:
        response = await http.post(
            f"/api/v1/processes/{unique('p')}/instances", json={"variables": variables}
        )
        assert (await http.get("/healthz")).status_code == 200
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_oversized_chunked_json_body_is_413_too_large(api_only: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"variables": {"blob": "'
        for _ in range(40):
            yield b"z" * 65536
        yield b'"}}'

    async with api_only.http("alice") as http:
        response = await http.post(
            f"/api/v1/processes/{unique('p')}/instances",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_ids_that_visibility_cannot_match_are_refused_not_pasted_into_queries(
    api_only: Stack,
) -> None:
    process_id = unique("quoted")
    tricky = unique("o'brien") + '" OR ShenpiInitiator != "'
    async with api_only.http("ops", ["admin"]) as admin:
        deployed = await admin.post("/api/v1/definitions", content=single_approval(process_id))
        assert deployed.status_code == 201
    apostrophe = unique("o'neil")
    async with api_only.http(tricky) as tricky_http, api_only.http(apostrophe) as oneil:
        started = await oneil.post(f"/api/v1/processes/{process_id}/instances", json={})
        assert started.status_code == 201
        refused = await tricky_http.get("/api/v1/instances", params={"mine": "true"})
        injected = await oneil.get(
            "/api/v1/instances", params={"process_id": f'{process_id}" OR WorkflowType != "'}
        )

        async def apostrophes_work() -> None:
            response = await oneil.get(
                "/api/v1/instances", params={"process_id": process_id, "mine": "true"}
            )
            assert [r["initiator"] for r in response.json()["data"]] == [apostrophe]

        await assert_eventually(apostrophes_work)
    # A subject with quotes and spaces is no valid user id: its token is refused outright.
    assert refused.status_code == 401 and injected.status_code == 400
    assert injected.json()["error"]["code"] == "invalid_request"
