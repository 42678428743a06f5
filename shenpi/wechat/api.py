"""One WeChat API call: the token refreshed once when WeChat says it expired, errors classified.

wechatpy's own ``auto_retry`` refreshes the token and recurses without bound, and its token fetch
URLs are fixed to Tencent's hosts; :func:`call` keeps one refresh per call and the clients below
fetch tokens from their configured API base (a local server in tests).
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import requests
from wechatpy.exceptions import WeChatClientException

# Token expired (42001), invalid (40014), or, for the Official Account, an invalid credential
# (40001, also returned for a token revoked by a newer one fetched elsewhere).
TOKEN_ERRORS = frozenset({42001, 40014, 40001})
# System busy (-1), API rate limits (45009 per day/minute, 45011 per minute, 45033 per user).
RATE_LIMITS = frozenset({45009, 45011, 45033})
RETRYABLE_ERRORS = frozenset({-1, *RATE_LIMITS})
HTTP_ERROR = -2  # our code for a failed HTTP exchange (no WeChat errcode)


class WeChatApiError(Exception):
    """WeChat refused a call (``errcode``/``errmsg``) or could not be reached.

    ``retryable`` says whether the same call may succeed later: rate limits, a busy server, a 5xx
    or a connection failure; not a bad user id, a bad secret or a malformed card.
    """

    def __init__(
        self,
        errcode: int,
        errmsg: str,
        *,
        status: int | None = None,
        after_refresh: bool = False,
    ) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.status = status  # the HTTP status when the exchange itself failed
        self.after_refresh = after_refresh  # a call refused with the token just fetched

    @property
    def rate_limited(self) -> bool:
        """A rate limit: the same call works once the limit's window (a minute or a day) passed."""
        return self.errcode in RATE_LIMITS

    @property
    def retryable(self) -> bool:
        if self.errcode == HTTP_ERROR:
            return self.status is None or self.status >= 500 or self.status in (408, 429)
        if self.after_refresh and self.errcode in TOKEN_ERRORS:
            # The new token was revoked at once: another worker (or replica) fetched one in
            # between, which invalidates ours (40001 on the Official Account). A retry refreshes.
            return True
        # 40001 from the token fetch itself means a wrong secret, which no retry fixes.
        return self.errcode in RETRYABLE_ERRORS or self.errcode in (42001, 40014)


class _Client(Protocol):
    def post(self, url: str, **kwargs: Any) -> Any: ...

    def fetch_access_token(self) -> Any: ...


class TokenLock:
    """Serialises token fetches, so threads that all saw 42001 fetch one new token, not many."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0

    def refresh(self, client: _Client, seen: int) -> None:
        with self._lock:
            if self._generation == seen:  # nobody refreshed since this caller's token failed
                client.fetch_access_token()
                self._generation += 1

    @property
    def generation(self) -> int:
        return self._generation


def call(client: _Client, lock: TokenLock, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
    """POST ``data`` to ``endpoint``, refreshing the token once on 42001/40014.

    Raises :class:`WeChatApiError` for any failure, including an unreachable server.
    """
    for attempt in (1, 2):
        generation = lock.generation
        try:
            result = client.post(endpoint, data=data)
        except WeChatClientException as err:
            if err.errcode is None or not isinstance(err.errcode, int):
                raise _http_error(err) from None
            if err.errcode in TOKEN_ERRORS and attempt == 1:
                _refresh(client, lock, generation)
                continue
            raise WeChatApiError(err.errcode, str(err.errmsg), after_refresh=attempt == 2) from None
        except requests.RequestException as err:
            raise WeChatApiError(HTTP_ERROR, f"{type(err).__name__}: {err}") from None
        if not isinstance(result, dict):
            raise WeChatApiError(HTTP_ERROR, "the answer is not JSON", status=502)
        return result
    raise AssertionError("unreachable: the second attempt returns or raises")


def fetch_token(client: _Client, lock: TokenLock) -> None:
    """Fetch a token now (e.g. to check the credentials at start), classified like a call."""
    _refresh(client, lock, lock.generation)


def _refresh(client: _Client, lock: TokenLock, seen: int) -> None:
    try:
        lock.refresh(client, seen)
    except WeChatClientException as err:
        if err.errcode is None or not isinstance(err.errcode, int):
            raise _http_error(err) from None
        raise WeChatApiError(err.errcode, str(err.errmsg)) from None
    except requests.RequestException as err:
        raise WeChatApiError(HTTP_ERROR, f"{type(err).__name__}: {err}") from None


def _http_error(err: WeChatClientException) -> WeChatApiError:
    status = getattr(err.response, "status_code", None)
    return WeChatApiError(HTTP_ERROR, f"HTTP {status}", status=status)
