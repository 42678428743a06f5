"""Callbacks refused before anything runs: an unconfigured channel, hostile or malformed XML."""

from __future__ import annotations

import hmac
import time
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from api.wechat import security
from tests.api.conftest import api_settings, running_stack
from tests.wechat.callbacks import (
    AES_KEY,
    MP_TOKEN,
    TOKEN,
    WorkCallbacks,
    fields,
    msg_id,
    signature,
    text_xml,
    wechat_settings,
)
from tests.wechat.work_server import CORP_ID

ENTITIES = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
)


async def test_an_unconfigured_channel_is_404(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    params = {"msg_signature": "s", "signature": "s", "timestamp": "1", "nonce": "n"}
    async with running_stack(temporal_env, api_settings(tmp_path), worker=False) as stack:
        http = stack.http()
        work = await http.post("/wechat/work", params=params, content=b"<xml/>")
        mp = await http.post("/wechat/mp", params=params, content=b"<xml/>")
        await http.aclose()
    assert (work.status_code, mp.status_code) == (404, 404)
    assert work.json()["error"]["code"] == "not_found"


async def test_entities_malformed_xml_and_missing_fields_are_400(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = wechat_settings(tmp_path, "http://127.0.0.1:9/cgi-bin/")
    async with running_stack(temporal_env, settings, worker=False) as stack:
        ts = str(int(time.time()))
        work = {"msg_signature": "0" * 40, "timestamp": ts, "nonce": "n1"}
        mp = {"signature": signature(MP_TOKEN, ts, "n2"), "timestamp": ts, "nonce": "n2"}
        async with stack.http() as http:
            entities = await http.post("/wechat/work", params=work, content=ENTITIES.encode())
            broken = await http.post("/wechat/work", params=work, content=b"<xml><Encrypt>")
            no_params = await http.post("/wechat/work", content=b"<xml/>")
            mp_entities = await http.post("/wechat/mp", params=mp, content=ENTITIES.encode())
        no_type = await WorkCallbacks(stack).post("<xml><FromUserName>bob</FromUserName></xml>")

    statuses = [r.status_code for r in (entities, broken, no_params, mp_entities, no_type)]
    assert statuses == [400, 400, 400, 400, 400]
    assert no_type.json()["error"]["message"] == "a WeChat message needs <MsgType>"


async def test_a_nonce_seen_by_one_replica_is_refused_by_another(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = wechat_settings(tmp_path, "http://127.0.0.1:9/cgi-bin/")  # one shared database
    async with (
        running_stack(temporal_env, settings, worker=False) as one,
        running_stack(temporal_env, settings, worker=False) as two,
    ):
        assert one.base_url != two.base_url
        hello = text_xml("bob", "hello", msg_id())
        first = await WorkCallbacks(one).post(hello, nonce="shared-nonce")
        replayed = await WorkCallbacks(two).post(hello, nonce="shared-nonce")
    assert (first.status_code, replayed.status_code) == (200, 403)
    assert replayed.json()["error"]["message"] == "replayed nonce"


def test_signatures_are_compared_in_constant_time_before_wechatpy_sees_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[bytes] = []

    def recording(expected: bytes, given: bytes) -> bool:
        compared.append(given)
        return hmac.compare_digest(expected, given)

    monkeypatch.setattr(security, "compare_digest", recording)
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    ts, nonce, forged = str(int(time.time())), "ct-nonce", "0" * 40
    envelope = fields(crypto.encrypt_message(text_xml("WX_BOB", "hello", msg_id()), nonce, ts))
    body = f"<xml><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>".encode()
    echostr = PrpCrypto(crypto.key).encrypt("echo-1", CORP_ID).decode()
    mp_signature = signature(MP_TOKEN, ts, nonce)

    message = security.decrypt(crypto, body, envelope["MsgSignature"], ts, nonce)
    echo = security.verify_echo(crypto, signature(TOKEN, ts, nonce, echostr), ts, nonce, echostr)
    security.check_plain_signature(MP_TOKEN, mp_signature, ts, nonce)
    refusals = []
    for check in (
        lambda: security.decrypt(crypto, body, forged, ts, nonce),
        lambda: security.verify_echo(crypto, forged, ts, nonce, echostr),
        lambda: security.check_plain_signature(MP_TOKEN, forged, ts, nonce),
    ):
        with pytest.raises(security.CallbackRefused) as err:
            check()
        refusals.append((err.value.status, err.value.reason))

    assert "<Content>hello</Content>" in message and echo == "echo-1"
    assert refusals == [(403, "bad signature")] * 3
    assert compared == [
        envelope["MsgSignature"].encode(),
        signature(TOKEN, ts, nonce, echostr).encode(),
        mp_signature.encode(),
        *[forged.encode()] * 3,
    ]
