"""The local WeChat API servers of ``tests/wechat`` serve the notification tests too."""

from tests.wechat.conftest import wechat_mp_server, wechat_work_server

__all__ = ["wechat_mp_server", "wechat_work_server"]
