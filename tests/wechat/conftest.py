"""Local WeChat API servers (real HTTP on 127.0.0.1), one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wechat.mp_server import MpServer, mp_server
from tests.wechat.work_server import WorkServer, work_server


@pytest.fixture
def wechat_work_server() -> Iterator[WorkServer]:
    """The WeChat Work API (gettoken, message/send, message/update_template_card)."""
    with work_server() as server:
        yield server


@pytest.fixture
def wechat_mp_server() -> Iterator[MpServer]:
    """The Official Account API (token, message/template/send)."""
    with mp_server() as server:
        yield server
