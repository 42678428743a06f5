"""Who a WeChat sender is in Shenpi: the binding table, else the directory's
``wechat_work_userid`` / ``wechat_mp_openid`` (the ids notifications are sent to), else, for
WeChat Work, the same user id. Their groups come from the directory, as the JWT's groups do for
the HTTP API."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from shenpi.auth_tokens import Principal
from shenpi.db import wechat as db
from shenpi.db.wechat import MP_PREFIX
from shenpi.directory import DirectoryError, DirectoryLookupError, YamlDirectory
from shenpi.directory_file import DirectoryFile, load_directory_file
from shenpi.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Reverse:
    """WeChat ids → users from one version of the directory file."""

    stamp: tuple[int, int] | None
    users: dict[str, str]


def directory_bindings(directory: DirectoryFile) -> dict[str, str]:
    """``wechat_work_userid`` and ``mp:<wechat_mp_openid>`` → user id (a shared id: first user)."""
    found: dict[str, str] = {}
    for user_id, entry in directory.users.items():
        if entry.wechat_work_userid:
            found.setdefault(entry.wechat_work_userid, user_id)
        if entry.wechat_mp_openid:
            found.setdefault(MP_PREFIX + entry.wechat_mp_openid, user_id)
    return found


async def directory_of(app: FastAPI) -> YamlDirectory:
    """The API's directory, loaded on first use and re-read when its file changes."""
    directory: YamlDirectory | None = getattr(app.state, "wechat_directory", None)
    if directory is None:
        settings: Settings = app.state.settings
        directory = await asyncio.to_thread(YamlDirectory, settings.resolved_directory_file)
        app.state.wechat_directory = directory
    return directory


async def user_of(app: FastAPI, wechat_id: str) -> str | None:
    """The Shenpi user of a WeChat Work userid or ``mp:<openid>``, if bound or in the directory."""
    async with app.state.sessions() as session:
        bound = await db.user_of(session, wechat_id)
    if bound is not None:
        return bound
    settings: Settings = app.state.settings
    cached: _Reverse | None = getattr(app.state, "wechat_reverse", None)
    reverse = await asyncio.to_thread(_reverse, settings.resolved_directory_file, cached)
    app.state.wechat_reverse = reverse
    return reverse.users.get(wechat_id)


async def work_user(app: FastAPI, wechat_userid: str) -> str:
    """The Shenpi user of a WeChat Work userid: bound, in the directory, else the same id."""
    return await user_of(app, wechat_userid) or wechat_userid


async def mp_user(app: FastAPI, openid: str) -> str | None:
    """The Shenpi user of an Official Account follower; None when nobody bound the openid (it
    means nothing on its own)."""
    return await user_of(app, MP_PREFIX + openid)


async def principal(app: FastAPI, user: str) -> Principal:
    """The principal a chat decision acts as. Never an admin: admins may act on others' tasks
    over HTTP, but a chat command only ever decides the sender's own tasks."""
    directory = await directory_of(app)
    try:
        groups = await asyncio.to_thread(directory.groups_of, user)
    except DirectoryLookupError:
        groups = []  # not in the directory: their own tasks still reach them by user id
    return Principal(sub=user, groups=tuple(groups), is_admin=False)


def _reverse(path: Path, cached: _Reverse | None) -> _Reverse:
    """The reverse map, re-read when the file changed; a broken edit keeps the last good one."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return cached or _Reverse(None, {})
    stamp = (st.st_mtime_ns, st.st_size)
    if cached is not None and cached.stamp == stamp:
        return cached
    try:
        return _Reverse(stamp, directory_bindings(load_directory_file(path)))
    except DirectoryError as err:
        log.error("WeChat ids not re-read from the directory: %s", err)
        return _Reverse(stamp, cached.users if cached is not None else {})
