"""What Shenpi says back in the chat, in the sender's language, and the passive reply XML."""

from __future__ import annotations

from typing import Any

from wechatpy.enterprise.replies import TextReply as WorkTextReply
from wechatpy.replies import TextReply as MpTextReply

from api.wechat.commands import Lang
from api.wechat.inbound import Inbound

_TEXTS: dict[str, dict[Lang, str]] = {
    "approved": {"zh": "已同意：{task}（{ref}）。", "en": "Approved: {task} ({ref})."},
    "rejected": {"zh": "已驳回：{task}（{ref}）。", "en": "Rejected: {task} ({ref})."},
    "pending": {
        "zh": "已收到您对 {ref} 的决定，正在处理，稍后生效。",
        "en": "Received your decision on {ref}; it is being processed.",
    },
    "not_yours": {
        "zh": "抱歉，{ref} 不是您的待办，无法由您处理。",
        "en": "Sorry, task {ref} is not yours to decide.",
    },
    "unknown": {
        "zh": "没有找到待办 {ref}，请核对通知里的编号。",
        "en": "No open task {ref}; please check the reference in the notification.",
    },
    "already": {
        "zh": "{ref} 已经处理过了，无需再操作。",
        "en": "Task {ref} has already been decided.",
    },
    "unavailable": {
        "zh": "系统繁忙，请稍后再试。",
        "en": "The approval system is busy; please try again in a moment.",
    },
    "missing_reason": {
        "zh": "驳回需要写明理由，例如：驳回 {ref} 超预算",
        "en": "A reject needs a reason, e.g.: reject {ref} over budget",
    },
    "unbound": {
        "zh": "您好，您的微信还没有绑定审批账号，请联系管理员绑定后再试。",
        "en": "Hello, your WeChat account is not linked to an approval account yet; "
        "please ask an administrator to link it.",
    },
    "help": {
        "zh": "可以这样回复：同意 <编号> [意见]；驳回 <编号> <理由>{starts}",
        "en": "You can reply: approve <ref> [comment]; reject <ref> <reason>{starts}",
    },
    "help_starts": {"zh": "；或 {keywords} <内容> 发起申请", "en": "; or {keywords} <text> to ask"},
    "started": {
        "zh": "已提交申请，编号 {instance_id}。",
        "en": "Your request is submitted: {instance_id}.",
    },
    "missing_variables": {
        "zh": "没有提交：流程 {process_id} 需要 {names}，消息里没有。请在网页控制台提交：{console}",
        "en": "Not submitted: process {process_id} needs {names}, which the message does not"
        " give. Please submit it from the web console: {console}",
    },
    "not_deployed": {
        "zh": "流程 {process_id} 还没有部署，请联系管理员。",
        "en": "Process {process_id} is not deployed; please ask an administrator.",
    },
}


def say(key: str, lang: Lang, **values: Any) -> str:
    return _TEXTS[key][lang].format(**values)


def help_text(lang: Lang, keywords: list[str]) -> str:
    starts = say("help_starts", lang, keywords="/".join(keywords)) if keywords else ""
    return say("help", lang, starts=starts)


def work_reply(inbound: Inbound, content: str) -> str:
    """A WeChat Work passive text reply (to be encrypted), from the app to the sender."""
    reply = WorkTextReply(
        source=inbound.receiver, target=inbound.sender, content=content, agent=inbound.agent_id
    )
    rendered: str = reply.render()
    return rendered


def mp_reply(inbound: Inbound, content: str) -> str:
    """An Official Account passive text reply (plain XML; encrypted in safe mode)."""
    reply = MpTextReply(source=inbound.receiver, target=inbound.sender, content=content)
    rendered: str = reply.render()
    return rendered
