"""WeChat bindings (admins): which Shenpi user a WeChat Work userid or ``mp:<openid>`` acts as."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from api.deps import AdminDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.schemas import LIMIT_ERROR
from api.wechat.identity import directory_bindings
from shenpi.db import wechat as db
from shenpi.directory import DirectoryError, load_directory_file
from shenpi_core import limits

router = APIRouter(prefix="/wechat/bindings", tags=["wechat"])

WeChatUserId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=255,
        description="A WeChat Work userid, or `mp:<openid>` for an Official Account follower.",
    ),
]


class BindingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(description=f"The Shenpi user id (JWT `sub`): {limits.ID_RULE}.")

    @field_validator("user")
    @classmethod
    def _a_valid_user_id(cls, value: str) -> str:
        if not limits.is_user_id(value):
            raise PydanticCustomError(
                LIMIT_ERROR, "not a valid user id: {rule}", {"rule": limits.ID_RULE}
            )
        return value


class BindingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    wechat_userid: str
    user: str
    source: str  # api (written by an admin) / directory (filled by sync)
    updated_by: str
    updated_at: datetime


class BindingsPublic(BaseModel):
    data: list[BindingPublic]
    count: int


class BindingsSynced(BaseModel):
    added: int
    updated: int
    removed: int
    kept: int  # bound by an admin: left as they are


@router.get("")
async def list_bindings(session: SessionDep, _: AdminDep) -> BindingsPublic:
    """Every binding, by WeChat userid."""
    rows = await db.list_bindings(session)
    data = [BindingPublic.model_validate(r) for r in rows]
    return BindingsPublic(data=data, count=len(data))


@router.put(
    "/{wechat_userid}",
    responses={201: {"model": BindingPublic, "description": "A new binding"}},
)
async def put_binding(
    wechat_userid: WeChatUserId,
    body: BindingUpdate,
    session: SessionDep,
    admin: AdminDep,
    response: Response,
) -> BindingPublic:
    """Bind a WeChat identity to a user (201 when new); the directory sync never overrides it."""
    row, created = await db.put_binding(
        session, wechat_userid, body.user, source="api", by=admin.sub, now=datetime.now(UTC)
    )
    response.status_code = 201 if created else 200
    return BindingPublic.model_validate(row)


@router.delete("/{wechat_userid}", status_code=204)
async def delete_binding(wechat_userid: WeChatUserId, session: SessionDep, _: AdminDep) -> None:
    """Unbind: a WeChat Work userid then acts as the user of the same id again."""
    if not await db.delete_binding(session, wechat_userid):
        raise ApiError(404, "not_found", f"no binding for {wechat_userid!r}")


@router.post("/sync")
async def sync_bindings(
    session: SessionDep, settings: SettingsDep, admin: AdminDep
) -> BindingsSynced:
    """Fill bindings from the directory's ``wechat_work_userid`` and ``wechat_mp_openid``."""
    wanted = await asyncio.to_thread(_directory_bindings, settings.resolved_directory_file)
    report = await db.sync_from_directory(session, wanted, by=admin.sub, now=datetime.now(UTC))
    return BindingsSynced(
        added=report.added, updated=report.updated, removed=report.removed, kept=report.kept
    )


def _directory_bindings(path: FilePath) -> dict[str, str]:
    """WeChat ids → users from the directory file (read now, not from a cache)."""
    if not path.exists():
        raise ApiError(409, "no_directory", f"no directory file at {path}")
    try:
        return directory_bindings(load_directory_file(path))
    except DirectoryError as err:
        raise ApiError(409, "directory_error", str(err)) from None
