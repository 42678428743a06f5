"""A callback's decrypted XML as the few fields Shenpi acts on."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from wechatpy import parse_message as parse_mp
from wechatpy.enterprise import parse_message as parse_work

from api.wechat.security import CallbackRefused, xml_fields

Kind = Literal["text", "card_click", "other"]
CARD_EVENT = "template_card_event"
_ACTIONS: dict[str, Literal["approve", "reject"]] = {"approve": "approve", "reject": "reject"}


@dataclass(frozen=True)
class Inbound:
    sender: str  # FromUserName: a WeChat Work userid, or an Official Account openid
    receiver: str  # ToUserName: the corp id or the account's id; replies come from it
    kind: Kind
    text: str = ""
    msg_id: str = ""
    event_key: str = ""  # card click: the button key, "<action>|<instance_id>|<task_id>"
    response_code: str = ""  # card click: the code that updates the card, once
    card_task_id: str = ""  # card click: the card's task_id (the task ref + a suffix)
    agent_id: int = 0


@dataclass(frozen=True)
class ClickTarget:
    action: Literal["approve", "reject"]
    instance_id: str
    task_id: str


def parse(xml: str, *, work: bool) -> Inbound:
    """Read a message with wechatpy's parser; card clicks (an event wechatpy does not know) from
    the raw fields. The XML is checked by defusedxml first (no DTD, no entities)."""
    raw = xml_fields(xml)
    if not raw.get("MsgType"):
        raise CallbackRefused(400, "a WeChat message needs <MsgType>")
    message = parse_work(xml) if work else parse_mp(xml)
    agent = raw.get("AgentID", "0")
    base = Inbound(
        sender=str(message.source or ""),
        receiver=str(message.target or ""),
        kind="other",
        agent_id=int(agent) if agent.isdigit() else 0,
    )
    if message.type == "text":
        return replace(
            base, kind="text", text=str(message.content or ""), msg_id=raw.get("MsgId", "")
        )
    if raw.get("MsgType") == "event" and raw.get("Event", "").lower() == CARD_EVENT:
        return replace(
            base,
            kind="card_click",
            event_key=raw.get("EventKey", ""),
            response_code=raw.get("ResponseCode", ""),
            card_task_id=raw.get("TaskId", ""),
            msg_id=raw.get("MsgId", ""),
        )
    return base


def click_target(event_key: str) -> ClickTarget | None:
    """The decision a button key carries; None for a key that is not one of ours.

    Task ids are BPMN node ids plus a counter (no "|"), so the instance id is everything between
    the first and the last separator, whatever its business key contains.
    """
    verb, _, rest = event_key.partition("|")
    instance_id, _, task_id = rest.rpartition("|")
    action = _ACTIONS.get(verb)
    if action is None or not instance_id or not task_id:
        return None
    return ClickTarget(action, instance_id, task_id)
