"""Is a callback really from WeChat, fresh and new? Checked before any workflow is touched.

Order matters: the signature first (so nobody can fill the nonce table or burn another's nonce
with forged requests), then the timestamp window, then the nonce, remembered in the app database
with a digest of its request so the check holds across API replicas. URL verifications (GET)
record their nonce too: in the Official Account's plain mode the signature does not cover the
body, so a verification's query would otherwise sign any POST (docs/wechat.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from hmac import compare_digest
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy.crypto import WeChatCrypto as MpCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.exceptions import InvalidSignatureException

from api.errors import ApiError
from api.wechat.deadline import Deadline, bounded_db
from shenpi.db import wechat as db
from shenpi.settings import Settings

WORK = "work"
MP = "mp"
# A WeChat callback is a few hundred bytes; anything near this is not one.
MAX_XML_CHARS = 64 * 1024


_CODES = {400: "invalid_request", 403: "forbidden", 404: "not_found", 503: "unavailable"}


class CallbackRefused(ApiError):
    """The callback is refused with ``status`` (403 not authentic / stale / replayed, 400
    malformed, 404 not configured, 503 the nonce could not be recorded in time) before anything
    else happens; the API's error shape."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, _CODES.get(status, "refused"), reason)
        self.reason = reason


def work_crypto(settings: Settings) -> Any:
    """The WeChat Work app's crypto (wechatpy), or 404 when the callback is not configured."""
    corp_id, token, aes_key = (
        settings.wechat_work_corp_id,
        settings.wechat_work_token,
        settings.wechat_work_aes_key,
    )
    if not (corp_id and token and aes_key):
        raise CallbackRefused(404, "the WeChat Work callback is not configured")
    return WorkCrypto(token, aes_key, corp_id)


def mp_crypto(settings: Settings) -> Any | None:
    """The Official Account's crypto in safe mode; None in plain mode (no AES key)."""
    if not settings.wechat_mp_aes_key:
        return None
    if not (settings.wechat_mp_app_id and settings.wechat_mp_token):
        raise CallbackRefused(404, "the Official Account callback is not configured")
    return MpCrypto(settings.wechat_mp_token, settings.wechat_mp_aes_key, settings.wechat_mp_app_id)


def mp_token(settings: Settings) -> str:
    if not settings.wechat_mp_token:
        raise CallbackRefused(404, "the Official Account callback is not configured")
    return settings.wechat_mp_token


def xml_fields(xml: str | bytes) -> dict[str, str]:
    """The child elements of a flat WeChat XML document, by tag. Parsed by defusedxml: no DTDs,
    no entities (the envelope is read before its signature can be checked)."""
    if len(xml) > MAX_XML_CHARS:
        raise CallbackRefused(400, "the message is too large")
    try:
        root: Element = SafeET.fromstring(xml, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as err:
        raise CallbackRefused(400, f"not a WeChat XML message: {err}") from None
    return {child.tag: (child.text or "").strip() for child in root}


def decrypt(crypto: Any, body: bytes, signature: str, timestamp: str, nonce: str) -> str:
    """Check the message signature and decrypt the envelope; the plain XML inside."""
    encrypted = xml_fields(body).get("Encrypt")
    if not encrypted:
        raise CallbackRefused(400, "an encrypted message needs <Encrypt>")
    check_signature(crypto.token, signature, timestamp, nonce, encrypted)
    try:
        plain: str = crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise CallbackRefused(403, "bad signature") from None
    except Exception as err:  # a wrong key, corp id or padding: wechatpy raises several kinds
        raise CallbackRefused(403, f"cannot decrypt the message: {type(err).__name__}") from None
    return plain


def verify_echo(crypto: Any, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
    """The URL verification of WeChat Work: the decrypted echo, if the signature holds."""
    check_signature(crypto.token, signature, timestamp, nonce, echostr)
    try:
        echo: str = crypto.check_signature(signature, timestamp, nonce, echostr)
    except InvalidSignatureException:
        raise CallbackRefused(403, "bad signature") from None
    except Exception as err:
        raise CallbackRefused(403, f"cannot decrypt the echo: {type(err).__name__}") from None
    return echo


def open_mp(
    crypto: Any | None,
    settings: Settings,
    body: bytes,
    signature: str,
    timestamp: str,
    nonce: str,
    msg_signature: str | None,
) -> str:
    """An Official Account message's XML: signature-checked in plain mode; in safe mode (an AES
    key is set) only an encrypted message is accepted, then checked and decrypted."""
    if crypto is None:
        check_plain_signature(mp_token(settings), signature, timestamp, nonce)
        return body.decode("utf-8", errors="replace")
    if msg_signature is None:
        raise CallbackRefused(403, "safe mode: a message needs msg_signature")
    return decrypt(crypto, body, msg_signature, timestamp, nonce)


def check_plain_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """The Official Account's plain-mode signature (token, timestamp, nonce: not the body)."""
    check_signature(token, signature, timestamp, nonce)


def check_signature(token: str, signature: str, *parts: str) -> None:
    """WeChat's SHA1 over the sorted token and ``parts``, compared in constant time (wechatpy
    compares with ``!=``, which tells a forger how much of a guess was right); 403 if it differs.
    wechatpy checks it again when it decrypts."""
    data = b"".join(sorted(p.encode("utf-8") for p in (token, *parts)))
    expected = hashlib.sha1(data).hexdigest().encode("ascii")
    if not compare_digest(expected, signature.encode("utf-8")):
        raise CallbackRefused(403, "bad signature")


def check_fresh(timestamp: str, settings: Settings, *, now: float | None = None) -> None:
    """Refuse a timestamp outside the allowed clock skew, either way."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise CallbackRefused(400, "the timestamp is not a number") from None
    now = time.time() if now is None else now
    if abs(now - sent) > settings.wechat_max_clock_skew_seconds:
        raise CallbackRefused(403, "stale timestamp")


def request_digest(method: str, payload: str | bytes) -> str:
    """What a nonce is remembered with: the method and the body (a URL verification's echo)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hashlib.sha256(method.encode() + b"\n" + data).hexdigest()


async def check_nonce(
    sessions: async_sessionmaker[AsyncSession],
    channel: str,
    nonce: str,
    digest: str,
    settings: Settings,
    deadline: Deadline,
) -> None:
    """Refuse a nonce seen before on ``channel`` (by any replica) with another request, then
    remember it with the request's ``digest``; 503 when the database does not take it in time
    (WeChat delivers the message again).

    The very same request again is WeChat redelivering one it got no good answer to: it goes on,
    and the message id makes it take effect once (``decisions``), so a decision whose first
    delivery failed after its nonce was recorded is not lost."""
    if not nonce or len(nonce) > 128:
        raise CallbackRefused(400, "a nonce of 1 to 128 characters is required")
    # Twice the skew: a timestamp may be that far from the time the nonce was first seen.
    keep = timedelta(seconds=2 * settings.wechat_max_clock_skew_seconds)

    async def remember() -> db.NonceSeen:
        async with sessions() as session:
            now = datetime.now(UTC)
            return await db.remember_nonce(session, channel, nonce, digest, now=now, keep=keep)

    try:
        seen = await bounded_db(deadline, remember)
    except TimeoutError:
        raise CallbackRefused(503, "busy: the nonce could not be recorded in time") from None
    if seen == "replay":
        raise CallbackRefused(403, "replayed nonce")


def encrypt_reply(crypto: Any, reply_xml: str) -> str:
    """A passive reply in safe mode: encrypted and signed with a fresh nonce."""
    encrypted: str = crypto.encrypt_message(reply_xml, secrets.token_hex(8), str(int(time.time())))
    return encrypted
