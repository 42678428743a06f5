"""Who a WeChat sender is in Shenpi: the binding table, else the directory's
``wechat_work_userid`` / ``wechat_mp_openid`` (the ids notifications are sent to), else, for
WeChat Work, the same user id, but only for a user whom no binding and no directory entry gives a
WeChat Work userid (and, with a directory, only for a user it lists). Their groups come from the
directory, as the JWT's groups do for the HTTP API."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
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
    """WeChat ids → users from one version of the directory file; which users it lists (None:
    no directory) and which of them it gives a WeChat Work userid."""

    stamp: tuple[int, int] | None
    users: dict[str, str]
    listed: frozenset[str] | None = None
    with_work_id: frozenset[str] = frozenset()


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
    return (await _reverse_of(app)).users.get(wechat_id)


async def work_user(app: FastAPI, wechat_userid: str) -> str | None:
    """The Shenpi user of a WeChat Work userid: bound, in the directory, else the same id; None
    when the same-named user has another WeChat Work userid (a binding or the directory says
    so) or, with a directory, is not in it: that sender is somebody else."""
    found = await user_of(app, wechat_userid)
    if found is not None:
        return found
    reverse = await _reverse_of(app)
    if wechat_userid in reverse.with_work_id:
        return None
    if reverse.listed is not None and wechat_userid not in reverse.listed:
        return None
    async with app.state.sessions() as session:
        bound = await db.bound_ids(session, wechat_userid)
    if any(not b.startswith(MP_PREFIX) for b in bound):
        return None
    return wechat_userid


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


async def _reverse_of(app: FastAPI) -> _Reverse:
    settings: Settings = app.state.settings
    cached: _Reverse | None = getattr(app.state, "wechat_reverse", None)
    reverse = await asyncio.to_thread(_reverse, settings.resolved_directory_file, cached)
    app.state.wechat_reverse = reverse
    return reverse


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
        directory = load_directory_file(path)
    except DirectoryError as err:
        log.error("WeChat ids not re-read from the directory: %s", err)
        # With no good version yet, nobody gets the same-name fallback: it lists nobody.
        return (
            replace(cached, stamp=stamp) if cached is not None else _Reverse(stamp, {}, frozenset())
        )
    return _Reverse(
        stamp,
        directory_bindings(directory),
        listed=frozenset(directory.users),
        with_work_id=frozenset(u for u, e in directory.users.items() if e.wechat_work_userid),
    )
