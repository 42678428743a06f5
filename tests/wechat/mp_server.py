"""A local Official Account (公众号) API server for tests: token and message/template/send.

Point ``Settings.wechat_mp_api_base`` at ``server.url`` with :data:`APP_ID` and :data:`SECRET`;
``server.sent`` lists the accepted template messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.wechat.fake_api import Answer, FakeWeChatApi

APP_ID = "wx0test0app"
SECRET = "mp-secret-for-tests"
TEMPLATE_ID = "tmpl-approval-notice"


class MpServer(FakeWeChatApi):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.routes = {
            ("GET", "token"): self._token,
            ("POST", "message/template/send"): self._send,
        }

    def _token(self, query: dict[str, str], _body: Any) -> Answer:
        if query.get("grant_type") != "client_credential" or query.get("appid") != APP_ID:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return self.issue_token()

    def _send(self, query: dict[str, str], body: dict[str, Any]) -> Answer:
        if (error := self.token_error(query)) is not None:
            return error
        if body.get("touser") in self.rejected_users:
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if body.get("template_id") != TEMPLATE_ID:
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        self.sent.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": int(self.next_id(""))}


@contextmanager
def mp_server() -> Iterator[MpServer]:
    server = MpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
