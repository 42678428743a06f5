"""From an authentic inbound message to a reply text (and, after a click, a card update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI

from api.wechat import cards, commands, identity, replies
from api.wechat.commands import DecisionCommand, Lang, MissingReason, StartCommand
from api.wechat.deadline import Deadline
from api.wechat.decisions import Delivery, deliver, earlier_target, find_by_ref
from api.wechat.inbound import Inbound, click_target
from api.wechat.starts import start_from_chat
from shenpi.auth_tokens import Principal
from shenpi.settings import Settings

After = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    text: str | None  # None: nothing to say (WeChat gets an empty answer)
    after: After | None = None  # runs once the answer is sent


async def work_message(app: FastAPI, inbound: Inbound, deadline: Deadline) -> Answer:
    """A WeChat Work message: a card click or a text command. Senders map by binding, else by
    the directory, else to the same user id when nobody else is that user (``identity``)."""
    if inbound.kind == "other" or not inbound.sender:
        return Answer(None)
    user = await identity.work_user(app, inbound.sender)
    if user is None:
        lang: Lang = "zh" if inbound.kind == "card_click" else commands.language_of(inbound.text)
        return Answer(replies.say("unbound", lang))
    principal = await identity.principal(app, user)
    if inbound.kind == "card_click":
        return await _click(app, principal, inbound, deadline)
    return await _text(app, principal, inbound, deadline, channel="wechat-work", start_key="wechat")


async def mp_message(app: FastAPI, inbound: Inbound, deadline: Deadline) -> Answer:
    """An Official Account message: text commands from a bound follower only."""
    if inbound.kind != "text" or not inbound.sender:
        return Answer(None)
    user = await identity.mp_user(app, inbound.sender)
    if user is None:
        return Answer(replies.say("unbound", commands.language_of(inbound.text)))
    principal = await identity.principal(app, user)
    return await _text(
        app, principal, inbound, deadline, channel="wechat-mp", start_key="wechat-mp"
    )


async def _click(
    app: FastAPI, principal: Principal, inbound: Inbound, deadline: Deadline
) -> Answer:
    target = click_target(inbound.event_key)
    # The card id is the task's ref, then "_" and a suffix per recipient (docs/notifications.md).
    ref = inbound.card_task_id.partition("_")[0].lower() or "?"
    if target is None or not inbound.response_code:
        return Answer(replies.say("unknown", "zh", ref=ref))
    delivery = await deliver(
        app,
        principal,
        instance_id=target.instance_id,
        task_id=target.task_id,
        action=target.action,
        comment=None,
        key=f"wechat-work:{inbound.response_code}",
        deadline=deadline,
    )
    text = _verdict_text(delivery, target.action, "zh", ref=ref)
    if delivery.verdict not in cards.UPDATED_ON or delivery.repeated:
        return Answer(text)  # not theirs, or the first delivery updated it (a code works once)
    card = cards.decided_card(
        card_task_id=inbound.card_task_id,
        action=target.action,
        actor=principal.sub,
        delivery=delivery,
    )

    async def update() -> None:
        await cards.update_card(app, inbound.sender, inbound.response_code, card)

    return Answer(text, after=update)


async def _text(
    app: FastAPI,
    principal: Principal,
    inbound: Inbound,
    deadline: Deadline,
    *,
    channel: str,
    start_key: str,
) -> Answer:
    settings: Settings = app.state.settings
    starts = commands.start_processes(settings.wechat_start_processes)
    command = commands.parse_command(inbound.text, starts)
    lang = commands.language_of(inbound.text)
    if command is None:
        return Answer(replies.help_text(lang, list(starts)))
    if isinstance(command, MissingReason):
        return Answer(replies.say("missing_reason", command.lang, ref=command.ref))
    if not inbound.msg_id:
        return Answer(replies.say("unavailable", lang))  # no id, no safe redelivery: refuse
    if isinstance(command, StartCommand):
        key = f"{start_key}:{inbound.msg_id}"
        text = await start_from_chat(
            app, principal, command, business_key=key, lang=lang, deadline=deadline
        )
        return Answer(text)
    key = f"{channel}:{inbound.msg_id}"
    try:
        return Answer(await _decide(app, principal, command, key=key, deadline=deadline))
    except TimeoutError:  # the database or the inbox took the time: the sender tries again
        return Answer(replies.say("unavailable", command.lang))


async def _decide(
    app: FastAPI, principal: Principal, command: DecisionCommand, *, key: str, deadline: Deadline
) -> str:
    # A redelivery goes where the first delivery went: the decided task has left the inbox.
    target = await earlier_target(app, key, deadline)
    if target is None:
        client = app.state.temporal_client
        task, elsewhere = await find_by_ref(client, principal, command.ref, deadline)
        if task is None:
            verdict = "not_yours" if elsewhere else "unknown"
            return replies.say(verdict, command.lang, ref=command.ref)
        target = (task.instance_id, task.task_id)
    delivery = await deliver(
        app,
        principal,
        instance_id=target[0],
        task_id=target[1],
        action=command.action,
        comment=command.comment,
        key=key,
        deadline=deadline,
    )
    return _verdict_text(delivery, command.action, command.lang, ref=command.ref)


def _verdict_text(delivery: Delivery, action: str, lang: Lang, *, ref: str) -> str:
    if delivery.verdict == "accepted":
        done = "approved" if action == "approve" else "rejected"
        return replies.say(done, lang, task=delivery.task_name or delivery.task_id, ref=ref)
    return replies.say(delivery.verdict, lang, ref=ref)
