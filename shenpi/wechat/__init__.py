"""WeChat clients: WeChat Work (企业微信) app messages and cards, Official Account templates.

Both are blocking (wechatpy uses ``requests``): call them from a thread (``asyncio.to_thread``) or
from a sync activity on the worker's thread pool. Neither retries on its own beyond one token
refresh; Temporal owns retries, so a :class:`~shenpi.wechat.api.WeChatApiError` says whether
retrying can help.
"""
