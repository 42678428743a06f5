"""Who gets a notification and on which channels (docs/notifications.md, "Who gets what").

Recipients come from the interpreter (``variables["recipients"]``) or from a drawn notify task
(``variables["recipient"]`` by input mapping, else the ``to`` header): user ids, ``user:<id>`` or
``group:<g>`` (the group's members, from the directory). A person's channels are their
``channels`` in the directory, else the default order; channels that are not configured, or that
have no address for the person, are skipped. WeChat addresses come from the binding table first
(``with_bindings``), then the directory, then (WeChat Work) the user id itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from activities.channels import Channel
from activities.channels.mail import EmailChannel
from activities.channels.wechat_mp import WeChatMpChannel
from activities.channels.wechat_work import WeChatWorkChannel
from shenpi.db.wechat import MP_PREFIX
from shenpi.directory_file import UserEntry
from shenpi.settings import Settings
from shenpi.wechat.mp_client import MpClient
from shenpi.wechat.work_client import WorkClient
from shenpi_core.contracts import ServiceTaskInput

DEFAULT_ORDER = ("wechat_work", "wechat_mp", "email")

log = logging.getLogger(__name__)


class Contacts(Protocol):
    """What routing needs of the directory (``shenpi.directory.YamlDirectory``)."""

    def members(self, group: str) -> list[str]: ...

    def contact(self, user: str) -> UserEntry | None: ...


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The configured personal channels, by name (none at all in a bare dev setup)."""
    channels: dict[str, Channel] = {}
    if (work := WorkClient.from_settings(settings)) is not None:
        channels["wechat_work"] = WeChatWorkChannel(work)
    if (mp := MpClient.from_settings(settings)) is not None:
        channels["wechat_mp"] = WeChatMpChannel(mp)
    elif settings.wechat_mp_app_id:
        log.warning("Official Account messages are off: set the secret and the template id")
    if settings.smtp_host:
        channels["email"] = EmailChannel(settings)
    log.info("notification channels: %s", ", ".join(channels) or "none (webhook or log only)")
    return channels


def requested(input: ServiceTaskInput) -> list[str]:
    """The recipients as the workflow names them (users, ``group:<g>``), in order."""
    if "event" in input.config:  # sent by the interpreter (workflows/notices.py)
        named: Any = input.variables.get("recipients") or []
        if not named and input.config["event"] == "outcome":
            named = [input.variables.get("initiator")]
    else:
        named = input.variables.get("recipient") or input.config.get("to") or []
    if isinstance(named, str):
        named = named.split(",")
    return _unique(str(n).strip() for n in named if n and str(n).strip())


def resolve(named: list[str], contacts: Contacts | None) -> tuple[list[str], list[dict[str, str]]]:
    """User ids (groups expanded, duplicates dropped) and the names that could not be resolved."""
    users: list[str] = []
    failed: list[dict[str, str]] = []
    for name in named:
        kind, sep, value = name.partition(":")
        if not sep:
            users.append(name)
        elif kind == "user":
            users.append(value)
        elif kind == "group" and contacts is not None:
            try:
                users += contacts.members(value)
            except LookupError as err:
                failed.append({"to": name, "channel": "directory", "error": str(err)})
        else:
            failed.append({"to": name, "channel": "directory", "error": "cannot resolve"})
    return _unique(users), failed


def task_audiences(input: ServiceTaskInput, contacts: Contacts | None) -> dict[str, set[str]]:
    """Per task id, the users its message is for, when the interpreter announces the tasks of
    several people in one notification (each task summary's ``to``). Others go to everyone."""
    audiences: dict[str, set[str]] = {}
    for task in input.variables.get("tasks") or []:
        if isinstance(task, dict) and isinstance(task.get("to"), list):
            named = [str(n) for n in task["to"]]
            audiences[str(task.get("task_id", ""))] = set(resolve(named, contacts)[0])
    return audiences


def with_bindings(contact: UserEntry | None, bound: list[str]) -> UserEntry | None:
    """``contact`` with the WeChat ids bound to the user (admin's first) in place of the
    directory's: a binding names where that person is on WeChat, the directory only suggests."""
    work = next((b for b in bound if not b.startswith(MP_PREFIX)), None)
    openid = next((b.removeprefix(MP_PREFIX) for b in bound if b.startswith(MP_PREFIX)), None)
    if work is None and openid is None:
        return contact
    entry = contact if contact is not None else UserEntry()
    return entry.model_copy(
        update={
            "wechat_work_userid": work or entry.wechat_work_userid,
            "wechat_mp_openid": openid or entry.wechat_mp_openid,
        }
    )


def route(
    user: str, contact: UserEntry | None, channels: dict[str, Channel]
) -> list[tuple[Channel, str]]:
    """The channels to try for ``user``, in their order, each with the address there."""
    order: Iterable[str] = contact.channels if contact and contact.channels else DEFAULT_ORDER
    plan: list[tuple[Channel, str]] = []
    for name in order:
        channel = channels.get(name)
        address = channel.address(user, contact) if channel is not None else None
        if channel is not None and address:
            plan.append((channel, address))
    return plan


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
