"""Production auth: RS256 tokens checked against a JWKS served over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.auth_tokens import InvalidTokenError, verify_token
from shenpi.settings import Settings
from tests.api.conftest import api_settings, run_api


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest_asyncio.fixture
async def jwks_url(idp_key: rsa.RSAPrivateKey) -> AsyncIterator[str]:
    """An identity provider's key endpoint: the public half of ``idp_key`` as a JWKS."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key()))
    idp = FastAPI()

    @idp.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    async with run_api(idp) as base_url:
        yield f"{base_url}/.well-known/jwks.json"


def _rs256(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    body = {"sub": "alice", "groups": ["finance"], "exp": int(time.time()) + 60, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def _settings(tmp_path: Path, jwks_url: str) -> Settings:
    return Settings(
        env="production",
        data_dir=tmp_path,
        jwt_jwks_url=jwks_url,
        jwt_audience="shenpi",
        jwt_issuer="https://idp.example",
        payload_encryption=False,  # what is checked here is the token, not the payloads
    )


async def test_rs256_token_from_the_jwks_issuer_verifies(
    tmp_path: Path, jwks_url: str, idp_key: rsa.RSAPrivateKey
) -> None:
    settings = _settings(tmp_path, jwks_url)
    token = _rs256(idp_key, aud="shenpi", iss="https://idp.example")
    principal = await asyncio.to_thread(verify_token, token, settings)
    assert (principal.sub, principal.groups, principal.is_admin) == ("alice", ("finance",), False)


async def test_tokens_not_from_the_jwks_issuer_are_refused(
    tmp_path: Path, jwks_url: str, idp_key: rsa.RSAPrivateKey
) -> None:
    settings = _settings(tmp_path, jwks_url)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _rs256(other_key, aud="shenpi", iss="https://idp.example")
    wrong_audience = _rs256(idp_key, aud="someone-else", iss="https://idp.example")
    # With only a JWKS configured, no HS256 secret exists: not even a dev one under data_dir.
    hs256 = jwt.encode({"sub": "a", "exp": int(time.time()) + 60}, "x" * 40, algorithm="HS256")
    for token in (forged, wrong_audience, hs256):
        with pytest.raises(InvalidTokenError):
            await asyncio.to_thread(verify_token, token, settings)
    assert not (tmp_path / "jwt-secret").exists()


async def test_api_accepts_jwks_tokens_on_its_routes(
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
    jwks_url: str,
    idp_key: rsa.RSAPrivateKey,
) -> None:
    settings = api_settings(tmp_path, jwt_secret=None, jwt_jwks_url=jwks_url, jwt_audience="shenpi")
    app = create_app(settings, temporal_client=temporal_env.client)
    good = _rs256(idp_key, aud="shenpi", groups=["admin"])
    async with run_api(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        ok = await http.get("/api/v1/definitions", headers={"Authorization": f"Bearer {good}"})
        bad = await http.get(
            "/api/v1/definitions", headers={"Authorization": f"Bearer {good[:-4]}AAAA"}
        )
    assert ok.status_code == 200 and ok.json() == {"data": [], "count": 0}
    assert bad.status_code == 401
