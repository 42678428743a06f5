"""FastAPI dependencies: what a route may ask for. Everything lives on ``app.state``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from api.metrics import ApiMetrics
from shenpi.auth_tokens import Principal, verify_token
from shenpi.settings import Settings

# auto_error=False: a missing header gets our 401 error shape, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="A JWT with claims `sub` and `groups`.")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_temporal_client(request: Request) -> Client:
    client: Client = request.app.state.temporal_client
    return client


def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_principal(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(
            401,
            "unauthorized",
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if settings.jwt_jwks_url:
        # Fetching the JWKS is blocking network I/O (cached after the first token).
        return await asyncio.to_thread(verify_token, credentials.credentials, settings)
    return verify_token(credentials.credentials, settings)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep, settings: SettingsDep) -> Principal:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", f"this needs membership of group {settings.admin_group!r}")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
