"""The WeChat Work (企业微信) app client: text, template cards with buttons, card updates.

A blocking wrapper over wechatpy's enterprise client pointed at ``settings.wechat_work_api_base``
(tests point it at a local server). The access token is cached in the client and fetched again
when WeChat answers 42001/40014; every other failure is a :class:`WeChatApiError` saying whether a
retry can help. Call it from a thread: it blocks on HTTP.
"""

from __future__ import annotations

from typing import Any

from wechatpy.enterprise import WeChatClient

from shenpi.settings import Settings
from shenpi.wechat.api import TokenLock, WeChatApiError, call, fetch_token

__all__ = ["WeChatApiError", "WorkClient"]

TIMEOUT_SECONDS = 10.0


class _EnterpriseClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the token fetched from the configured API base, not Tencent's."""

    def __init__(self, corp_id: str, secret: str, api_base: str) -> None:
        super().__init__(corp_id, secret, timeout=TIMEOUT_SECONDS, auto_retry=False)
        self.API_BASE_URL = api_base

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


class WorkClient:
    """Sends app messages as one WeChat Work agent (application)."""

    def __init__(self, corp_id: str, secret: str, agent_id: int, api_base: str) -> None:
        base = api_base if api_base.endswith("/") else api_base + "/"
        self.agent_id = agent_id
        self._client = _EnterpriseClient(corp_id, secret, base)
        self._lock = TokenLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkClient | None:
        """The configured client, or None when WeChat Work is not configured."""
        s = settings
        if not (s.wechat_work_corp_id and s.wechat_work_secret and s.wechat_work_agent_id):
            return None
        return cls(
            s.wechat_work_corp_id,
            s.wechat_work_secret,
            s.wechat_work_agent_id,
            s.wechat_work_api_base,
        )

    def fetch_token(self) -> None:
        """Fetch a token now (checks the corp id and secret)."""
        fetch_token(self._client, self._lock)

    def send_text(self, user_ids: list[str], content: str) -> dict[str, Any]:
        """An app text message; WeChat's answer (``msgid``, ``invaliduser``)."""
        return self._send(user_ids, {"msgtype": "text", "text": {"content": content}})

    def send_template_card(self, user_ids: list[str], card: dict[str, Any]) -> dict[str, Any]:
        """A template card (``card["card_type"]``, e.g. ``button_interaction``).

        The answer carries ``msgid`` and, for interactive cards, the ``response_code`` that
        :meth:`update_template_card` needs (valid once, for 72 hours).
        """
        return self._send(user_ids, {"msgtype": "template_card", "template_card": card})

    def update_template_card(
        self, user_ids: list[str], response_code: str, card: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace a sent card for ``user_ids`` (after a button click, with its response code)."""
        data = {
            "userids": user_ids,
            "agentid": self.agent_id,
            "response_code": response_code,
            "template_card": card,
        }
        return call(self._client, self._lock, "message/update_template_card", data)

    def _send(self, user_ids: list[str], message: dict[str, Any]) -> dict[str, Any]:
        if not user_ids:
            raise ValueError("a WeChat Work message needs at least one user id")
        data = {"touser": "|".join(user_ids), "agentid": self.agent_id, **message}
        return call(self._client, self._lock, "message/send", data)
