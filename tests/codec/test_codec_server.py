"""The codec server the Temporal UI calls: Temporal's protocol, the API's tokens, admins decode."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from shenpi.auth_tokens import mint_token
from shenpi.payload_codec import ENCODING, KEY_ID_METADATA
from tests.api.conftest import JWT_SECRET, Stack, api_settings, running_stack
from tests.codec.support import OLD_KEY

UI_ORIGIN = "http://127.0.0.1:8233"
PLAIN = {
    "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
    "data": base64.b64encode(json.dumps({"description": "出差北京"}).encode()).decode(),
}


@pytest_asyncio.fixture
async def codec_api(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = api_settings(tmp_path, payload_keys=OLD_KEY)
    async with running_stack(temporal_env, settings, worker=False) as stack:
        yield stack


async def _encrypted(stack: Stack) -> dict[str, object]:
    async with stack.http("ann") as http:
        response = await http.post("/codec/encode", json={"payloads": [PLAIN]})
    assert response.status_code == 200, response.text
    [payload] = response.json()["payloads"]
    return dict(payload)


async def test_encode_encrypts_with_the_current_key(codec_api: Stack) -> None:
    payload = await _encrypted(codec_api)

    metadata = {k: base64.b64decode(v) for k, v in dict(payload["metadata"]).items()}  # type: ignore[call-overload]
    assert metadata == {"encoding": ENCODING, KEY_ID_METADATA: b"k-old"}
    assert "出差".encode() not in base64.b64decode(str(payload["data"]))


async def test_admin_decodes_back_to_the_plain_payload(codec_api: Stack) -> None:
    payload = await _encrypted(codec_api)

    async with codec_api.http("root", ["admin"]) as http:
        response = await http.post(
            "/codec/decode", json={"payloads": [payload, PLAIN]}, headers={"X-Namespace": "default"}
        )

    assert response.status_code == 200, response.text
    assert response.json() == {"payloads": [PLAIN, PLAIN]}


async def test_decode_needs_a_token_and_admin(codec_api: Stack) -> None:
    payload = await _encrypted(codec_api)
    body = {"payloads": [payload]}

    async with codec_api.http() as anonymous, codec_api.http("ann") as ann:
        assert (await anonymous.post("/codec/decode", json=body)).status_code == 401
        assert (await ann.post("/codec/decode", json=body)).status_code == 403
        assert (await anonymous.post("/codec/encode", json=body)).status_code == 401


async def test_another_namespace_is_not_ours(codec_api: Stack) -> None:
    async with codec_api.http("root", ["admin"]) as http:
        response = await http.post(
            "/codec/decode", json={"payloads": [PLAIN]}, headers={"X-Namespace": "other"}
        )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_namespace"


async def test_a_payload_under_an_unknown_key_is_a_clear_422(codec_api: Stack) -> None:
    payload = await _encrypted(codec_api)
    payload["metadata"] = {
        **dict(payload["metadata"]),  # type: ignore[call-overload]
        KEY_ID_METADATA: base64.b64encode(b"k-gone").decode(),
    }

    async with codec_api.http("root", ["admin"]) as http:
        response = await http.post("/codec/decode", json={"payloads": [payload]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_key"
    assert "k-gone" in response.json()["error"]["message"]


async def test_cors_preflight_allows_the_temporal_ui_only(codec_api: Stack) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    async with codec_api.http() as http:
        ui = await http.options("/codec/decode", headers={**preflight, "Origin": UI_ORIGIN})
        stranger = await http.options(
            "/codec/decode", headers={**preflight, "Origin": "http://evil.example"}
        )
        api_route = await http.options(
            "/api/v1/definitions", headers={**preflight, "Origin": UI_ORIGIN}
        )

    assert ui.status_code == 200
    assert ui.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "x-namespace" in ui.headers["access-control-allow-headers"].lower()
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in api_route.headers  # CORS is for /codec alone


async def test_dev_ui_path_token_works_only_under_env_dev(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    token = mint_token("temporal-ui", ["admin"], secret=JWT_SECRET)
    body = {"payloads": [PLAIN]}
    for env, expected in (("dev", 200), ("test", 404)):
        settings = api_settings(tmp_path / env, env=env, payload_keys=OLD_KEY)
        async with (
            running_stack(temporal_env, settings, worker=False) as stack,
            stack.http() as http,
        ):
            response = await http.post(f"/codec/dev/{token}/decode", json=body)
        assert response.status_code == expected, (env, response.text)
