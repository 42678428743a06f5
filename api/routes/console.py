"""What the web console (/ui/) asks of the API beyond the resources: sign-in and start forms."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.console_forms import StartFormPublic, start_form
from api.console_oauth import authorize_url
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.errors import ApiError
from shenpi.auth_tokens import mint_token, signing_secret
from shenpi.db import forms, repository
from shenpi.directory_file import DirectoryError, load_directory_file
from shenpi.settings import Settings

router = APIRouter(prefix="/console", tags=["console"])

DEV_TOKEN_TTL_SECONDS = 12 * 3600


class OidcConfig(BaseModel):
    issuer: str
    client_id: str
    scopes: str


class DevUser(BaseModel):
    id: str
    name: str | None = None
    groups: list[str] = Field(default_factory=list)


class ConsoleConfig(BaseModel):
    dev_sign_in: bool
    dev_users: list[DevUser] = Field(default_factory=list)
    oidc: OidcConfig | None = None
    # WeChat's authorize URLs for the in-app browsers (the console adds `state`); None: off.
    wechat_work_oauth: str | None = None
    wechat_mp_oauth: str | None = None
    admin_group: str


class DevTokenCreate(BaseModel):
    user: str = Field(min_length=1, max_length=200)
    groups: list[str] | None = Field(default=None, description="Default: the directory's groups.")


class DevTokenPublic(BaseModel):
    token: str
    user: str
    groups: list[str]


@router.get("/config")
async def get_config(settings: SettingsDep) -> ConsoleConfig:
    """How the console signs people in (no token needed: it is asked before signing in)."""
    oidc = None
    if settings.oidc_issuer and settings.oidc_client_id:
        oidc = OidcConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            scopes=settings.oidc_scopes,
        )
    users = await asyncio.to_thread(_dev_users, settings) if _dev_sign_in(settings) else []
    return ConsoleConfig(
        dev_sign_in=_dev_sign_in(settings),
        dev_users=users,
        oidc=oidc,
        wechat_work_oauth=authorize_url(settings, "work"),
        wechat_mp_oauth=authorize_url(settings, "mp"),
        admin_group=settings.admin_group,
    )


@router.post("/dev-token", status_code=201)
async def create_dev_token(body: DevTokenCreate, settings: SettingsDep) -> DevTokenPublic:
    """`shenpi dev` only: a token for any user, so a developer can try every role (else 403)."""
    secret = signing_secret(settings)
    if not _dev_sign_in(settings) or secret is None:
        raise ApiError(403, "forbidden", "dev sign-in is only available under `shenpi dev`")
    groups = body.groups
    if groups is None:
        users = await asyncio.to_thread(_dev_users, settings)
        groups = next((u.groups for u in users if u.id == body.user), [])
    token = mint_token(body.user, groups, secret=secret, ttl_seconds=DEV_TOKEN_TTL_SECONDS)
    return DevTokenPublic(token=token, user=body.user, groups=groups)


@router.get("/processes/{process_id}/start-form")
async def get_start_form(
    process_id: str, session: SessionDep, _: PrincipalDep, version: int | None = None
) -> StartFormPublic:
    """The form a requester fills in to start a process (its Camunda Form, else its variables)."""
    definition = await repository.get_definition(session, process_id, version)
    if definition is None:
        raise ApiError(404, "not_found", f"no deployed process {process_id!r}")
    plan = repository.load_plan(definition)
    found = await asyncio.to_thread(start_form, plan, definition.version, definition.bpmn_xml)
    if found.linked_form_id is not None:  # a linked Camunda Form: the latest deployed version
        linked = await forms.linkable_forms(session, [found.linked_form_id])
        if found.linked_form_id in linked:
            found.form = linked[found.linked_form_id].schema
    return found


def _dev_sign_in(settings: Settings) -> bool:
    return settings.console_dev_sign_in and settings.env == "dev"


def _dev_users(settings: Settings) -> list[DevUser]:
    try:
        directory = load_directory_file(settings.resolved_directory_file)
    except (DirectoryError, OSError):
        return []
    return [DevUser(id=k, name=u.name, groups=list(u.groups)) for k, u in directory.users.items()]
