"""Tokens minted for dev verify against the same secret; anything else is refused."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import jwt
import pytest

from shenpi.auth_tokens import (
    InvalidTokenError,
    load_or_create_dev_secret,
    mint_token,
    verify_token,
)
from shenpi.settings import Settings

SECRET = "test-secret-that-is-long-enough-for-hs256"


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, env="test", **kw)  # type: ignore[arg-type]


def test_dev_secret_is_created_once_with_private_mode(tmp_path: Path) -> None:
    first = load_or_create_dev_secret(tmp_path / "data")
    second = load_or_create_dev_secret(tmp_path / "data")
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "data" / "jwt-secret").stat().st_mode)
    assert mode == 0o600


def test_minted_dev_token_verifies_to_principal_with_admin_flag(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    secret = load_or_create_dev_secret(tmp_path)
    principal = verify_token(mint_token("alice", ["finance", "admin"], secret=secret), settings)
    assert principal.sub == "alice"
    assert principal.groups == ("finance", "admin")
    assert principal.is_admin
    assert not verify_token(mint_token("bob", [], secret=secret), settings).is_admin


def test_token_signed_with_another_secret_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jwt_secret=SECRET)
    with pytest.raises(InvalidTokenError):
        verify_token(mint_token("mallory", ["admin"], secret="guessed-" + SECRET), settings)


def test_expired_token_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jwt_secret=SECRET)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_token(mint_token("alice", [], secret=SECRET, ttl_seconds=-10), settings)


def test_unsigned_token_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jwt_secret=SECRET)
    token = jwt.api_jws.PyJWS(algorithms=["none"]).encode(
        json.dumps({"sub": "alice", "exp": int(time.time()) + 60}).encode(), "", algorithm="none"
    )
    with pytest.raises(InvalidTokenError, match="algorithm"):
        verify_token(token, settings)


def test_audience_and_issuer_are_enforced_when_configured(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jwt_secret=SECRET, jwt_audience="shenpi", jwt_issuer="idp")
    now = int(time.time())
    good = {"sub": "a", "groups": [], "exp": now + 60, "aud": "shenpi", "iss": "idp"}
    assert verify_token(jwt.encode(good, SECRET, algorithm="HS256"), settings).sub == "a"
    for bad in ({**good, "aud": "other"}, {**good, "iss": "evil"}):
        with pytest.raises(InvalidTokenError):
            verify_token(jwt.encode(bad, SECRET, algorithm="HS256"), settings)


def test_groups_claim_must_be_a_list_of_strings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, jwt_secret=SECRET)
    claims = {"sub": "a", "groups": "admin", "exp": int(time.time()) + 60}
    with pytest.raises(InvalidTokenError, match="groups"):
        verify_token(jwt.encode(claims, SECRET, algorithm="HS256"), settings)
