"""The WeChat Work client against the local API server: token caching, refresh, error classes."""

from __future__ import annotations

import pytest

from shenpi.wechat.work_client import WeChatApiError, WorkClient
from tests.wechat.work_server import AGENT_ID, CORP_ID, SECRET, WorkServer

CARD = {
    "card_type": "button_interaction",
    "main_title": {"title": "审批"},
    "task_id": "ABC123",
    "button_list": [{"text": "同意", "key": "approve|i-1|t-1"}],
}


def client_for(server: WorkServer, secret: str = SECRET) -> WorkClient:
    return WorkClient(CORP_ID, secret, AGENT_ID, server.url)


def test_token_is_fetched_once_and_reused(wechat_work_server: WorkServer) -> None:
    client = client_for(wechat_work_server)
    client.send_text(["alice"], "one")
    client.send_text(["bob"], "two")
    assert wechat_work_server.token_requests == 1
    assert [(s.to, s.text) for s in wechat_work_server.sent] == [("alice", "one"), ("bob", "two")]


def test_expired_token_is_refreshed_and_the_message_sent_once(
    wechat_work_server: WorkServer,
) -> None:
    client = client_for(wechat_work_server)
    client.send_text(["alice"], "before")
    wechat_work_server.expire_tokens()
    answer = client.send_text(["alice"], "after")
    assert answer["errcode"] == 0
    assert wechat_work_server.token_requests == 2
    assert [s.text for s in wechat_work_server.sent] == ["before", "after"]
    refused = wechat_work_server.calls_to("message/send", ok=False)
    assert [c.answer["errcode"] for c in refused] == [0, 42001, 0]


def test_card_answer_carries_msgid_and_response_code_and_the_card_updates(
    wechat_work_server: WorkServer,
) -> None:
    client = client_for(wechat_work_server)
    answer = client.send_template_card(["alice"], CARD)
    assert answer["msgid"] and answer["response_code"]
    sent = wechat_work_server.sent_to("alice")[0]
    assert sent.card["button_list"][0]["key"] == "approve|i-1|t-1"
    done = {**CARD, "button_list": [], "sub_title_text": "已同意"}
    client.update_template_card(["alice"], answer["response_code"], done)
    assert wechat_work_server.updates[0]["template_card"]["sub_title_text"] == "已同意"
    with pytest.raises(WeChatApiError) as err:  # a response code is valid once
        client.update_template_card(["alice"], answer["response_code"], done)
    assert not err.value.retryable


def test_rate_limit_is_retryable(wechat_work_server: WorkServer) -> None:
    wechat_work_server.rate_limit(1)
    with pytest.raises(WeChatApiError) as err:
        client_for(wechat_work_server).send_text(["alice"], "hi")
    assert (err.value.errcode, err.value.retryable) == (45009, True)


def test_bad_user_id_is_not_retryable(wechat_work_server: WorkServer) -> None:
    wechat_work_server.reject_user("ghost")
    with pytest.raises(WeChatApiError) as err:
        client_for(wechat_work_server).send_text(["ghost"], "hi")
    assert (err.value.errcode, err.value.retryable) == (40003, False)


def test_server_error_and_closed_port_are_retryable(wechat_work_server: WorkServer) -> None:
    client = client_for(wechat_work_server)
    wechat_work_server.fail(500)
    with pytest.raises(WeChatApiError) as err:
        client.send_text(["alice"], "hi")
    assert (err.value.status, err.value.retryable) == (500, True)
    wechat_work_server.fail(None)
    wechat_work_server.stop()
    with pytest.raises(WeChatApiError) as closed:
        client.send_text(["alice"], "hi")
    assert closed.value.retryable and "ConnectionError" in closed.value.errmsg


def test_wrong_secret_is_not_retryable(wechat_work_server: WorkServer) -> None:
    with pytest.raises(WeChatApiError) as err:
        client_for(wechat_work_server, secret="wrong").send_text(["alice"], "hi")
    assert (err.value.errcode, err.value.retryable) == (40001, False)
    assert wechat_work_server.sent == []
