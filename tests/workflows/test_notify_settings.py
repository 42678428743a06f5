"""``SHENPI_NOTIFY_DEFAULT_EVENTS``: what the API asks new instances to send on their own."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shenpi.settings import Settings


def events(**values: Any) -> list[str] | None:
    return Settings(_env_file=None, env="test", **values).default_notify_events


def test_nothing_is_sent_by_default_without_a_channel() -> None:
    assert events() is None


@pytest.mark.parametrize(
    "channel",
    [
        {"wechat_work_corp_id": "ww1", "wechat_work_secret": "s", "wechat_work_agent_id": 1},
        {"wechat_mp_app_id": "wx1", "wechat_mp_secret": "s", "wechat_mp_template_id": "t"},
        {"smtp_host": "mail.example.com"},
        {"notify_webhook_url": "https://hooks.example.com/shenpi"},
    ],
    ids=["wechat_work", "wechat_mp", "email", "webhook"],
)
def test_a_configured_channel_turns_on_task_cards_and_outcomes(channel: dict[str, Any]) -> None:
    assert events(**channel) == ["task_opened", "outcome"]


def test_half_configured_wechat_work_is_no_channel() -> None:
    assert events(wechat_work_corp_id="ww1") is None


def test_the_setting_overrides_the_default_and_none_turns_it_off() -> None:
    assert events(smtp_host="mail", notify_default_events="outcome") == ["outcome"]
    assert events(smtp_host="mail", notify_default_events="none") is None
    assert events(notify_default_events=" task_opened , task_opened") == ["task_opened"]


def test_an_unknown_event_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="unknown event"):
        events(notify_default_events="task_opened,task_closed")
