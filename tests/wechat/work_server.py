"""A local WeChat Work API server for tests: gettoken, message/send, message/update_template_card.

Point ``Settings.wechat_work_api_base`` at ``server.url`` with :data:`CORP_ID`, :data:`SECRET` and
:data:`AGENT_ID`. ``server.sent`` lists the messages WeChat accepted, one per recipient, and
``server.updates`` the card updates; faults come from :class:`~tests.wechat.fake_api.FakeWeChatApi`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.wechat.fake_api import Answer, FakeWeChatApi

CORP_ID = "ww0test0corp"
SECRET = "work-secret-for-tests"
AGENT_ID = 1000002
INTERACTIVE_CARDS = ("button_interaction", "vote_interaction", "multiple_interaction")


@dataclass(frozen=True)
class Sent:
    """One message as a recipient gets it."""

    to: str
    msgtype: str
    body: dict[str, Any]
    msgid: str
    response_code: str | None

    @property
    def card(self) -> dict[str, Any]:
        return dict(self.body.get("template_card", {}))

    @property
    def text(self) -> str:
        return str(self.body.get("text", {}).get("content", ""))


class WorkServer(FakeWeChatApi):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self.updates: list[dict[str, Any]] = []
        self._codes: set[str] = set()  # response codes not used yet (each is valid once)
        self.routes = {
            ("GET", "gettoken"): self._gettoken,
            ("POST", "message/send"): self._send,
            ("POST", "message/update_template_card"): self._update,
        }

    def sent_to(self, user_id: str) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.to == user_id]

    def _gettoken(self, query: dict[str, str], _body: Any) -> Answer:
        if query.get("corpid") != CORP_ID:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != SECRET:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return self.issue_token()

    def _send(self, query: dict[str, str], body: dict[str, Any]) -> Answer:
        if (error := self.token_error(query)) is not None:
            return error
        if body.get("agentid") != AGENT_ID:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        invalid = [u for u in users if u in self.rejected_users]
        if not users or len(invalid) == len(users):
            return {"errcode": 40003, "errmsg": "invalid userid"}
        msgtype = str(body["msgtype"])
        msgid = self.next_id("msg-")
        code = None
        if msgtype == "template_card" and body["template_card"]["card_type"] in INTERACTIVE_CARDS:
            # Opaque and unique as WeChat's are: a counter would repeat across the servers of
            # one test session, and the app database remembers the codes it has seen.
            code = f"code-{secrets.token_hex(8)}"
            self._codes.add(code)
        self.sent += [Sent(u, msgtype, body, msgid, code) for u in users if u not in invalid]
        answer: Answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid)}
        answer["msgid"] = msgid
        if code is not None:
            answer["response_code"] = code
        return answer

    def _update(self, query: dict[str, str], body: dict[str, Any]) -> Answer:
        if (error := self.token_error(query)) is not None:
            return error
        code = body.get("response_code")
        if code not in self._codes:
            return {"errcode": 40058, "errmsg": "invalid response_code"}
        self._codes.discard(code)
        self.updates.append(body)
        return {"errcode": 0, "errmsg": "ok", "invaliduser": []}


@contextmanager
def work_server() -> Iterator[WorkServer]:
    server = WorkServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
