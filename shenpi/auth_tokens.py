"""Bearer tokens: mint (dev, CLI) and verify (API) JWTs carrying ``sub`` and ``groups``.

Dev signs HS256 with a random secret kept under the data dir, so `shenpi token` and the API agree
without configuration; production verifies HS256 with ``SHENPI_JWT_SECRET`` or RS256 keys fetched
from ``SHENPI_JWT_JWKS_URL``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

from shenpi.settings import Settings
from shenpi_core.limits import ID_RULE, is_group_id, is_user_id

DEV_SECRET_FILE = "jwt-secret"
HMAC_ALGORITHMS = ["HS256"]
JWKS_ALGORITHMS = ["RS256"]


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, or not signed by a key we trust."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user id and groups from the token."""

    sub: str
    groups: tuple[str, ...] = field(default_factory=tuple)
    is_admin: bool = False


def mint_token(sub: str, groups: list[str], *, secret: str, ttl_seconds: int = 86400 * 30) -> str:
    """Sign an HS256 token for ``sub`` in ``groups``, valid for ``ttl_seconds``."""
    now = int(time.time())
    claims = {"sub": sub, "groups": list(groups), "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def load_or_create_dev_secret(data_dir: Path) -> str:
    """The dev signing secret in ``<data_dir>/jwt-secret`` (mode 0600), created on first use."""
    path = data_dir / DEV_SECRET_FILE
    if path.exists():
        return _read_secret(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Write a private temp file, then hard-link it into place: link fails if another process won
    # the race, and then both use the winner's secret instead of each keeping its own.
    tmp = data_dir / f".{DEV_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    secret = path.read_text().strip()
    if not secret:
        raise InvalidTokenError(f"empty JWT secret file {path}")
    return secret


def signing_secret(settings: Settings) -> str | None:
    """The HS256 secret: configured, else the dev secret; ``None`` when only JWKS is trusted."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_jwks_url or settings.env == "production":
        return None
    return load_or_create_dev_secret(settings.data_dir)


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL keeps its key cache across requests instead of fetching per token.
    return jwt.PyJWKClient(url, cache_keys=True, timeout=5)


def verify_token(token: str, settings: Settings) -> Principal:
    """Check signature, expiry and (if configured) audience and issuer; return the principal.

    Blocking when the JWKS must be fetched: call it from a thread in async code.
    """
    try:
        header = jwt.get_unverified_header(token)
        # Each algorithm family has its own key source, so an RS256 public key can never be
        # mistaken for an HMAC secret (the classic algorithm-confusion attack).
        if header.get("alg") in HMAC_ALGORITHMS:
            secret = signing_secret(settings)
            if secret is None:
                raise InvalidTokenError("HS256 tokens are not accepted here")
            claims = _decode(token, secret, HMAC_ALGORITHMS, settings)
        elif header.get("alg") in JWKS_ALGORITHMS and settings.jwt_jwks_url:
            key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token)
            claims = _decode(token, key.key, JWKS_ALGORITHMS, settings)
        else:
            raise InvalidTokenError(f"unsupported token algorithm {header.get('alg')!r}")
    except jwt.PyJWTError as e:
        raise InvalidTokenError(str(e)) from e
    return _principal(claims, settings)


def _decode(token: str, key: Any, algorithms: list[str], settings: Settings) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=algorithms,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["sub", "exp"], "verify_aud": settings.jwt_audience is not None},
    )
    return claims


def _principal(claims: dict[str, Any], settings: Settings) -> Principal:
    sub = claims.get("sub")
    groups = claims.get("groups", [])
    if not isinstance(sub, str) or not sub:
        raise InvalidTokenError("claim 'sub' must be a non-empty string")
    if not is_user_id(sub):
        raise InvalidTokenError(f"claim 'sub' is not a valid user id: {ID_RULE}")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidTokenError("claim 'groups' must be a list of strings")
    # A group no task can name (over the limits) grants nothing: leave it out rather than
    # refuse the token, so one odd directory group does not lock a user out.
    kept = tuple(dict.fromkeys(g for g in groups if is_group_id(g)))
    return Principal(sub=sub, groups=kept, is_admin=settings.admin_group in kept)
