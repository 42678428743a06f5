"""WeChat Work app messages: a template card with approve/reject buttons per task, else text.

A button's key is ``"<action>|<instance_id>|<task_id>"``: the click callback carries it back, so
the inbound side needs nothing stored from the send. The card's own ``task_id`` (WeChat's id,
unique per app, at most 128 of ``[A-Za-z0-9_-@]``) is the task's ref plus a suffix that differs
per recipient and notification, since a reminder is a new card for the same task.
"""

from __future__ import annotations

import re
from typing import Any

from activities.channels import ChannelError
from activities.channels.message import Message, TaskSummary
from shenpi.directory_file import UserEntry
from shenpi.wechat.api import WeChatApiError
from shenpi.wechat.work_client import WorkClient

CARD_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_\-@]")


def button_key(action: str, instance_id: str, task_id: str) -> str:
    return f"{action}|{instance_id}|{task_id}"


def task_card(message: Message, task: TaskSummary, card_id: str) -> dict[str, Any]:
    """The ``button_interaction`` card for a message about ``task``."""
    zh, en = message.headline
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "审批 Shenpi"},
        "main_title": {"title": zh, "desc": f"{en} · {message.process_id}"},
        "sub_title_text": message.text.split("\n")[0],
        "horizontal_content_list": [
            {"keyname": "编号 Ref", "value": task.ref},
            {"keyname": "截止 Due", "value": task.due_text},
        ],
        "card_action": {"type": 1, "url": message.link},
        "task_id": CARD_ID_UNSAFE.sub("_", card_id or task.ref)[:128],
        "button_list": [
            {
                "text": "同意 Approve",
                "style": 1,
                "key": button_key("approve", message.instance_id, task.task_id),
            },
            {
                "text": "驳回 Reject",
                "style": 2,
                "key": button_key("reject", message.instance_id, task.task_id),
            },
        ],
    }
    if message.comment:
        card["quote_area"] = {"type": 0, "title": "留言 Comment", "quote_text": message.comment}
    return card


class WeChatWorkChannel:
    name = "wechat_work"

    def __init__(self, client: WorkClient) -> None:
        self._client = client

    def address(self, user: str, contact: UserEntry | None) -> str | None:
        # ``contact`` carries a bound userid in place of the directory's (routing.with_bindings);
        # with neither, the WeChat Work userid is the Shenpi user id (the binding rule).
        return (contact.wechat_work_userid if contact else None) or user

    def send(self, address: str, message: Message, *, card_id: str = "") -> dict[str, Any]:
        try:
            if message.actionable and message.task is not None:
                card = task_card(message, message.task, card_id)
                answer = self._client.send_template_card([address], card)
            else:
                answer = self._client.send_text([address], f"{message.title}\n{message.text}")
        except WeChatApiError as err:
            raise ChannelError(
                str(err), retryable=err.retryable, rate_limited=err.rate_limited
            ) from None
        if address in str(answer.get("invaliduser", "")).split("|"):
            raise ChannelError(f"WeChat Work refused user id {address!r}", retryable=False)
        sent = {"msgid": answer.get("msgid")}
        if answer.get("response_code"):
            sent["response_code"] = answer["response_code"]
        return sent
