"""WeChat as the callback tests see it: messages built and encrypted with wechatpy's own crypto
(an independent implementation of the protocol), posted over real HTTP to the running API."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import httpx
from temporalio.api.enums.v1 import EventType
from wechatpy.crypto import WeChatCrypto as MpCrypto
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from shenpi.settings import Settings
from tests.api.conftest import Stack, api_settings
from tests.helpers import assert_eventually
from tests.wechat import mp_server, work_server

TOKEN = "callback-token-for-tests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
MP_TOKEN = "mp-callback-token"
MP_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
DIRECTORY = """\
users:
  alice: {manager: bob, groups: [buyers], wechat_mp_openid: o-alice-dir}
  bob: {wechat_work_userid: WX_BOB}
  carol: {groups: [finance]}
  ops: {groups: [admin]}
"""


def wechat_settings(tmp_path: Path, work_api: str, **overrides: Any) -> Settings:
    data_dir = tmp_path / "shenpi"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "directory.yaml").write_text(DIRECTORY, encoding="utf-8")
    values: dict[str, Any] = {
        "wechat_work_corp_id": work_server.CORP_ID,
        "wechat_work_secret": work_server.SECRET,
        "wechat_work_agent_id": work_server.AGENT_ID,
        "wechat_work_token": TOKEN,
        "wechat_work_aes_key": AES_KEY,
        "wechat_work_api_base": work_api,
        "wechat_mp_app_id": mp_server.APP_ID,
        "wechat_mp_token": MP_TOKEN,
        **overrides,
    }
    return api_settings(tmp_path, **values)


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    result: str = signer.signature
    return result


def fields(xml: str) -> dict[str, str]:
    """The children of a flat WeChat XML document (our own test data: no hardening needed)."""
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def text_xml(sender: str, content: str, msg_id: str, *, to: str = work_server.CORP_ID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{escape(content)}</Content><MsgId>{msg_id}</MsgId>"
        f"<AgentID>{work_server.AGENT_ID}</AgentID></xml>"
    )


def click_xml(sender: str, key: str, card_task_id: str, response_code: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{work_server.CORP_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[template_card_event]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{card_task_id}]]></TaskId>"
        f"<CardType><![CDATA[button_interaction]]></CardType>"
        f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
        f"<AgentID>{work_server.AGENT_ID}</AgentID></xml>"
    )


def msg_id() -> str:
    return str(uuid.uuid4().int % 10**19)


class WorkCallbacks:
    """Posts to ``/wechat/work`` as WeChat Work does: encrypted, signed, fresh nonce each time."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, work_server.CORP_ID)

    async def post(
        self,
        xml: str,
        *,
        nonce: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> httpx.Response:
        params, body = self.signed(xml, nonce=nonce, timestamp=timestamp)
        if bad_signature:
            params["msg_signature"] = hashlib.sha1(b"forged").hexdigest()
        return await self.deliver(params, body)

    def signed(
        self, xml: str, *, nonce: str | None = None, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The query and body of one callback: WeChat redelivers exactly these."""
        nonce = nonce or uuid.uuid4().hex[:16]
        ts = str(timestamp if timestamp is not None else int(time.time()))
        envelope = fields(self.crypto.encrypt_message(xml, nonce, ts))
        body = f"<xml><ToUserName><![CDATA[{work_server.CORP_ID}]]></ToUserName>"
        body += f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        params = {"msg_signature": envelope["MsgSignature"], "timestamp": ts, "nonce": nonce}
        return params, body.encode()

    async def deliver(
        self, params: dict[str, str], body: bytes, *, to: Stack | None = None
    ) -> httpx.Response:
        """Post one callback as it is (to another replica with ``to``)."""
        async with (to or self.stack).http() as http:
            return await http.post("/wechat/work", params=params, content=body)

    def reply(self, response: httpx.Response) -> dict[str, str]:
        """The decrypted passive reply (checking its signature as WeChat would)."""
        assert response.status_code == 200, response.text
        envelope = fields(response.text)
        plain = self.crypto.decrypt_message(
            response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return fields(plain)

    async def say(self, sender: str, content: str, *, msg: str | None = None) -> str:
        """Send a text; the reply's text."""
        response = await self.post(text_xml(sender, content, msg or msg_id()))
        return self.reply(response)["Content"]

    def echo(self, echo: str, nonce: str, ts: str) -> tuple[str, str]:
        """``(echostr, msg_signature)`` of a URL verification."""
        echostr = PrpCrypto(self.crypto.key).encrypt(echo, work_server.CORP_ID).decode()
        return echostr, signature(TOKEN, ts, nonce, echostr)


async def send_card(
    server: work_server.WorkServer, settings: Settings, to: str, key_base: str, card_id: str
) -> str:
    """A card with approve/reject buttons sent as the notifier would; its response code."""
    import asyncio

    from shenpi.wechat.work_client import WorkClient

    client = WorkClient.from_settings(settings)
    assert client is not None
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "Manager approval"},
        "task_id": card_id,
        "button_list": [
            {"text": "同意", "style": 1, "key": f"approve|{key_base}"},
            {"text": "驳回", "style": 2, "key": f"reject|{key_base}"},
        ],
    }
    answer = await asyncio.to_thread(client.send_template_card, [to], card)
    code: str = answer["response_code"]
    return code


class MpCallbacks:
    """Posts to ``/wechat/mp`` as the Official Account platform does: plain (signature only) or,
    given the AES key, in safe mode."""

    ACCOUNT = "gh_test_account"

    def __init__(self, stack: Stack, *, aes_key: str | None = None) -> None:
        self.stack = stack
        self.crypto = MpCrypto(MP_TOKEN, aes_key, mp_server.APP_ID) if aes_key else None

    def text(self, openid: str, content: str, message: str | None = None) -> str:
        return text_xml(openid, content, message or msg_id(), to=self.ACCOUNT)

    async def post(self, xml: str, *, nonce: str | None = None) -> httpx.Response:
        nonce = nonce or uuid.uuid4().hex[:16]
        ts = str(int(time.time()))
        params = {"signature": signature(MP_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
        body = xml
        if self.crypto is not None:
            envelope = fields(self.crypto.encrypt_message(xml, nonce, ts))
            params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
            body = f"<xml><ToUserName><![CDATA[{self.ACCOUNT}]]></ToUserName>"
            body += f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        async with self.stack.http() as http:
            return await http.post("/wechat/mp", params=params, content=body.encode())

    def reply(self, response: httpx.Response) -> dict[str, str]:
        assert response.status_code == 200, response.text
        if self.crypto is None:
            return fields(response.text)
        envelope = fields(response.text)
        plain = self.crypto.decrypt_message(
            response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return fields(plain)

    async def say(self, openid: str, content: str) -> str:
        return self.reply(await self.post(self.text(openid, content)))["Content"]


async def quiet_history_length(stack: Stack, instance_id: str) -> int:
    """The instance's history length once nothing is in flight (its notifications sent, its
    workflow task done): a refused callback must leave it exactly so."""
    handle = stack.temporal.get_workflow_handle(instance_id)

    async def quiet() -> int:
        description = await handle.describe()
        assert not description.raw_description.pending_activities
        history = await handle.fetch_history()
        assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        return len(history.events)

    return await assert_eventually(quiet)
