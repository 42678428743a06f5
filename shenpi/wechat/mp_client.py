"""The Official Account (公众号) client: template messages to followers by openid.

Like :mod:`shenpi.wechat.work_client`: blocking, pointed at ``settings.wechat_mp_api_base``, the
token cached and refreshed once on 42001/40014/40001, failures raised as :class:`WeChatApiError`.
"""

from __future__ import annotations

from typing import Any

from wechatpy.client import WeChatClient

from shenpi.settings import Settings
from shenpi.wechat.api import TokenLock, WeChatApiError, call

__all__ = ["MpClient", "WeChatApiError"]

TIMEOUT_SECONDS = 10.0


class _AccountClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the token fetched from the configured API base."""

    def __init__(self, app_id: str, secret: str, api_base: str) -> None:
        super().__init__(app_id, secret, timeout=TIMEOUT_SECONDS, auto_retry=False)
        self.API_BASE_URL = api_base

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class MpClient:
    """Sends template messages with one configured template."""

    def __init__(self, app_id: str, secret: str, template_id: str, api_base: str) -> None:
        base = api_base if api_base.endswith("/") else api_base + "/"
        self.template_id = template_id
        self._client = _AccountClient(app_id, secret, base)
        self._lock = TokenLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> MpClient | None:
        """The configured client, or None without an app id, secret and template id."""
        s = settings
        if not (s.wechat_mp_app_id and s.wechat_mp_secret and s.wechat_mp_template_id):
            return None
        return cls(
            s.wechat_mp_app_id, s.wechat_mp_secret, s.wechat_mp_template_id, s.wechat_mp_api_base
        )

    def send_template(
        self, openid: str, data: dict[str, str], url: str | None = None
    ) -> dict[str, Any]:
        """Send the template with ``data`` (field → value) to ``openid``; WeChat's answer."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": self.template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url:
            body["url"] = url
        return call(self._client, self._lock, "message/template/send", body)
