"""The WeChat callbacks, outside /api/v1: ``/wechat/work`` (WeChat Work app) and ``/wechat/mp``
(Official Account). GET verifies the URL, POST delivers a message. Authenticity, freshness and
replay are checked before anything else (``security``); refusals use the API's error shape."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import PlainTextResponse, Response

from api.wechat import handler, inbound, replies, security
from api.wechat.deadline import Deadline
from api.wechat.security import MP, WORK

router = APIRouter(prefix="/wechat", tags=["wechat"])

Param = Annotated[str, Query(min_length=1, max_length=512)]
XML = "application/xml"


@router.get("/work", response_class=PlainTextResponse)
async def verify_work(
    request: Request, msg_signature: Param, timestamp: Param, nonce: Param, echostr: Param
) -> str:
    """URL verification: answer the decrypted echo when the signature holds."""
    deadline = Deadline.start()
    settings = request.app.state.settings
    crypto = security.work_crypto(settings)
    echo = security.verify_echo(crypto, msg_signature, timestamp, nonce, echostr)
    security.check_fresh(timestamp, settings)
    digest = security.request_digest("GET", echostr)
    await security.check_nonce(request.app.state.sessions, WORK, nonce, digest, settings, deadline)
    return echo


@router.post("/work")
async def receive_work(
    request: Request,
    background: BackgroundTasks,
    msg_signature: Param,
    timestamp: Param,
    nonce: Param,
) -> Response:
    """A card click or a text command, encrypted (safe mode only); the reply is encrypted too."""
    deadline = Deadline.start()  # WeChat's 5 seconds run from here
    settings = request.app.state.settings
    crypto = security.work_crypto(settings)
    body = await request.body()
    xml = security.decrypt(crypto, body, msg_signature, timestamp, nonce)
    security.check_fresh(timestamp, settings)
    digest = security.request_digest("POST", body)
    await security.check_nonce(request.app.state.sessions, WORK, nonce, digest, settings, deadline)
    message = inbound.parse(xml, work=True)
    answer = await handler.work_message(request.app, message, deadline)
    if answer.after is not None:
        background.add_task(answer.after)
    if answer.text is None:
        return Response("", media_type="text/plain")
    reply = security.encrypt_reply(crypto, replies.work_reply(message, answer.text))
    return Response(reply, media_type=XML)


@router.get("/mp", response_class=PlainTextResponse)
async def verify_mp(
    request: Request, signature: Param, timestamp: Param, nonce: Param, echostr: Param
) -> str:
    """URL verification of the Official Account: the echo, when the signature holds. Its nonce
    is recorded: in plain mode the same query would sign any POST."""
    deadline = Deadline.start()
    settings = request.app.state.settings
    security.check_plain_signature(security.mp_token(settings), signature, timestamp, nonce)
    security.check_fresh(timestamp, settings)
    digest = security.request_digest("GET", echostr)
    await security.check_nonce(request.app.state.sessions, MP, nonce, digest, settings, deadline)
    return echostr


@router.post("/mp")
async def receive_mp(
    request: Request,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    msg_signature: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """A follower's text command: plain mode (signature) or, with an AES key, safe mode."""
    deadline = Deadline.start()
    settings = request.app.state.settings
    crypto = security.mp_crypto(settings)
    body = await request.body()
    xml = security.open_mp(crypto, settings, body, signature, timestamp, nonce, msg_signature)
    security.check_fresh(timestamp, settings)
    digest = security.request_digest("POST", body)
    await security.check_nonce(request.app.state.sessions, MP, nonce, digest, settings, deadline)
    message = inbound.parse(xml, work=False)
    answer = await handler.mp_message(request.app, message, deadline)
    if answer.text is None:
        return Response("success", media_type="text/plain")  # the account's "nothing to say"
    reply = replies.mp_reply(message, answer.text)
    if crypto is not None:
        reply = security.encrypt_reply(crypto, reply)
    return Response(reply, media_type=XML)
