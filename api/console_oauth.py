"""Signing in to the console from WeChat's in-app browsers (网页授权) and bound followers.

A card's link opens the console inside WeChat Work; the console sends the browser to WeChat's
authorize page (``snsapi_base``: no consent screen), which comes back here with a ``code``. The
code is traded for the WeChat id (WeChat Work: ``auth/getuserinfo`` → ``userid``; Official
Account: ``sns/oauth2/access_token`` → ``openid``), mapped to a Shenpi user exactly as chat
commands are (bindings, directory, ``api/wechat/identity.py``), and a Shenpi token goes back to the
console in the URL fragment, with the console's ``state`` for it to check. Never admin: admin work
signs in through the identity provider (docs/console.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse

from api.wechat import identity
from shenpi.auth_tokens import mint_token, signing_secret
from shenpi.directory import DirectoryLookupError
from shenpi.settings import Settings

router = APIRouter(prefix="/wechat/oauth", include_in_schema=False)
log = logging.getLogger(__name__)

Channel = Literal["work", "mp"]
TOKEN_TTL_SECONDS = 12 * 3600
TIMEOUT_SECONDS = 10.0


class WeChatOAuthError(Exception):
    """WeChat did not say who this is (a bad or used code, wrong credentials, unreachable)."""


def authorize_url(settings: Settings, channel: Channel) -> str | None:
    """WeChat's authorize URL for the console, without ``state`` (the console adds it); None
    when the channel is not configured."""
    base = f"{settings.public_url.rstrip('/')}/wechat/oauth/{channel}"
    s = settings
    if channel == "work" and s.wechat_work_corp_id and s.wechat_work_secret:
        params = {"appid": s.wechat_work_corp_id, "redirect_uri": base, "response_type": "code"}
        params |= {"scope": "snsapi_base"}
        if s.wechat_work_agent_id is not None:
            params["agentid"] = str(s.wechat_work_agent_id)
    elif channel == "mp" and s.wechat_mp_app_id and s.wechat_mp_secret:
        params = {"appid": s.wechat_mp_app_id, "redirect_uri": base, "response_type": "code"}
        params |= {"scope": "snsapi_base"}
    else:
        return None
    return f"{s.wechat_oauth_authorize_url}?{urlencode(params, quote_via=quote)}"


async def work_userid(settings: Settings, code: str) -> str:
    """The WeChat Work userid behind an OAuth ``code`` (members only: outsiders have none)."""
    base = settings.wechat_work_api_base.rstrip("/") + "/"
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_SECONDS) as http:
        token = await _json(
            http,
            "gettoken",
            {"corpid": settings.wechat_work_corp_id, "corpsecret": settings.wechat_work_secret},
        )
        info = await _json(
            http, "auth/getuserinfo", {"access_token": str(token["access_token"]), "code": code}
        )
    userid = info.get("userid") or info.get("UserId")
    if not isinstance(userid, str) or not userid:
        raise WeChatOAuthError("not a member of this WeChat Work organisation")
    return userid


async def mp_openid(settings: Settings, code: str) -> str:
    """The Official Account follower's openid behind an OAuth ``code``."""
    # The OAuth endpoint sits beside the API base: .../cgi-bin/ → .../sns/oauth2/access_token.
    root = settings.wechat_mp_api_base.rstrip("/").removesuffix("cgi-bin").rstrip("/")
    params = {"appid": settings.wechat_mp_app_id, "secret": settings.wechat_mp_secret}
    params |= {"code": code, "grant_type": "authorization_code"}
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
        answer = await _json(http, f"{root}/sns/oauth2/access_token", params)
    openid = answer.get("openid")
    if not isinstance(openid, str) or not openid:
        raise WeChatOAuthError("WeChat named no openid")
    return openid


async def _json(
    http: httpx.AsyncClient, url: str, params: dict[str, str | None]
) -> dict[str, object]:
    try:
        answer = await http.get(url, params={k: v for k, v in params.items() if v is not None})
        body = answer.json()
    except (httpx.HTTPError, ValueError) as err:
        raise WeChatOAuthError(f"WeChat unreachable: {type(err).__name__}") from err
    if not isinstance(body, dict) or body.get("errcode", 0) not in (0, None):
        raise WeChatOAuthError(f"WeChat refused: {body}")
    return body


def _back_to_console(fragment: dict[str, str]) -> RedirectResponse:
    # A fragment never reaches a server or a Referer: the token stays in the browser.
    kept = {k: v for k, v in fragment.items() if v}
    return RedirectResponse(f"/ui/#{urlencode(kept)}", status_code=302)


@router.get("/{channel}")
async def wechat_sign_in(
    channel: Channel,
    request: Request,
    code: Annotated[str, Query(max_length=512)] = "",
    state: Annotated[str, Query(max_length=128)] = "",
) -> RedirectResponse:
    """WeChat's redirect after 网页授权: a console token for the bound user, or the reason not."""
    app = request.app
    settings: Settings = app.state.settings
    secret = signing_secret(settings)
    if authorize_url(settings, channel) is None or secret is None:
        return _back_to_console({"error": "wechat_unavailable", "state": state})
    if not code or not state:
        # No state: not a sign-in this console started (a crafted link would sign the browser
        # into somebody else's account).
        return _back_to_console({"error": "wechat_refused", "state": state})
    try:
        if channel == "work":
            user = await identity.work_user(app, await work_userid(settings, code))
        else:
            user = await identity.mp_user(app, await mp_openid(settings, code))
    except WeChatOAuthError as err:
        log.warning("WeChat %s sign-in failed: %s", channel, err)
        return _back_to_console({"error": "wechat_refused", "state": state})
    if user is None:
        return _back_to_console({"error": "wechat_unbound", "state": state})
    groups = await _groups(app, user, settings)
    token = mint_token(user, groups, secret=secret, ttl_seconds=TOKEN_TTL_SECONDS)
    return _back_to_console({"token": token, "state": state})


async def _groups(app: FastAPI, user: str, settings: Settings) -> list[str]:
    directory = await identity.directory_of(app)
    try:
        groups = await asyncio.to_thread(directory.groups_of, user)
    except DirectoryLookupError:
        groups = []
    return [g for g in groups if g != settings.admin_group]
