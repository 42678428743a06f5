"""Official Account template messages, to people bound as ``mp:<openid>`` or whose directory
entry has an openid (``routing.with_bindings`` puts a bound one in the contact).

The configured template (``SHENPI_WECHAT_MP_TEMPLATE_ID``) gets the fields ``first`` (title),
``keyword1`` (task or process), ``keyword2`` (ref), ``keyword3`` (due date) and ``remark`` (the
English text), the common layout of approval templates; the message links to the instance.
"""

from __future__ import annotations

from typing import Any

from activities.channels import ChannelError
from activities.channels.message import Message
from shenpi.directory_file import UserEntry
from shenpi.wechat.api import WeChatApiError
from shenpi.wechat.mp_client import MpClient


def template_data(message: Message) -> dict[str, str]:
    task = message.task
    lines = message.text.split("\n")
    return {
        "first": message.title,
        "keyword1": task.name if task else message.process_id,
        "keyword2": task.ref if task else message.instance_id,
        "keyword3": task.due_text if task else "-",
        "remark": "\n".join(line for line in lines[1:] if line != message.link) or lines[0],
    }


class WeChatMpChannel:
    name = "wechat_mp"

    def __init__(self, client: MpClient) -> None:
        self._client = client

    def address(self, user: str, contact: UserEntry | None) -> str | None:
        return contact.wechat_mp_openid if contact else None

    def send(self, address: str, message: Message, *, card_id: str = "") -> dict[str, Any]:
        try:
            answer = self._client.send_template(address, template_data(message), message.link)
        except WeChatApiError as err:
            raise ChannelError(
                str(err), retryable=err.retryable, rate_limited=err.rate_limited
            ) from None
        return {"msgid": answer.get("msgid")}
