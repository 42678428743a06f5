"""After a card click, the card itself shows the result ("已同意 by bob") and loses its buttons.

Runs after the reply is sent (a background task): the update is a call to WeChat that may be slow
or fail, and neither may hold up the 5-second answer. A failed update is logged; the decision
stands either way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI

from api.wechat.decisions import Delivery
from shenpi.wechat.work_client import WeChatApiError, WorkClient

log = logging.getLogger(__name__)

_RESULT = {
    "approve": "已同意 by {actor}",
    "reject": "已驳回 by {actor}",
}
_PENDING = "处理中（{actor}）"
_ALREADY = "已处理"  # decided by someone else, or the instance ended: the buttons are stale
UPDATED_ON = frozenset({"accepted", "pending", "already"})


def decided_card(
    *, card_task_id: str, action: str, actor: str, delivery: Delivery
) -> dict[str, Any]:
    """The replacement card: the same card id, the result instead of the buttons."""
    templates = {"accepted": _RESULT[action], "pending": _PENDING}
    result = templates.get(delivery.verdict, _ALREADY).format(actor=actor)
    key = f"{action}|{delivery.instance_id}|{delivery.task_id}"
    return {
        "card_type": "button_interaction",
        "source": {"desc": "审批 Shenpi"},  # as notify's cards (activities/channels/wechat_work.py)
        "main_title": {"title": delivery.task_name or "审批", "desc": delivery.instance_id},
        "sub_title_text": result,
        "task_id": card_task_id,
        # WeChat shows replace_text in place of the buttons of an updated interactive card.
        "button_list": [{"text": result, "style": 1, "key": key}],
        "replace_text": result,
    }


def work_client(app: FastAPI) -> WorkClient | None:
    """The API's WeChat Work client (its token cached across clicks); None when not configured."""
    client: WorkClient | None = getattr(app.state, "wechat_work_client", None)
    if client is None:
        client = WorkClient.from_settings(app.state.settings)
        app.state.wechat_work_client = client
    return client


async def update_card(app: FastAPI, user_id: str, response_code: str, card: dict[str, Any]) -> None:
    """Replace the clicked card for ``user_id``; logs, never raises (the decision is made)."""
    client = work_client(app)
    if client is None or not response_code:
        return
    try:
        await asyncio.to_thread(client.update_template_card, [user_id], response_code, card)
    except WeChatApiError as err:
        log.warning("card %s not updated for %s: %s", card.get("task_id"), user_id, err)
