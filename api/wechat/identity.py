"""Who a WeChat sender is in Shenpi: the binding table, else (WeChat Work) the same user id;
their groups come from the directory, as the JWT's groups do for the HTTP API."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from shenpi.auth_tokens import Principal
from shenpi.db import wechat as db
from shenpi.db.wechat import MP_PREFIX
from shenpi.directory import DirectoryLookupError, YamlDirectory
from shenpi.settings import Settings


async def directory_of(app: FastAPI) -> YamlDirectory:
    """The API's directory, loaded on first use and re-read when its file changes."""
    directory: YamlDirectory | None = getattr(app.state, "wechat_directory", None)
    if directory is None:
        settings: Settings = app.state.settings
        directory = await asyncio.to_thread(YamlDirectory, settings.resolved_directory_file)
        app.state.wechat_directory = directory
    return directory


async def work_user(app: FastAPI, wechat_userid: str) -> str:
    """The Shenpi user of a WeChat Work userid: its binding, else the same id."""
    async with app.state.sessions() as session:
        bound = await db.user_of(session, wechat_userid)
    return bound or wechat_userid


async def mp_user(app: FastAPI, openid: str) -> str | None:
    """The Shenpi user of an Official Account follower; None until an admin binds them (an
    openid means nothing in the directory)."""
    async with app.state.sessions() as session:
        return await db.user_of(session, MP_PREFIX + openid)


async def principal(app: FastAPI, user: str) -> Principal:
    """The principal a chat decision acts as. Never an admin: admins may act on others' tasks
    over HTTP, but a chat command only ever decides the sender's own tasks."""
    directory = await directory_of(app)
    try:
        groups = await asyncio.to_thread(directory.groups_of, user)
    except DirectoryLookupError:
        groups = []  # not in the directory: their own tasks still reach them by user id
    return Principal(sub=user, groups=tuple(groups), is_admin=False)
