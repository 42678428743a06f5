"""The chat command grammar and the rule-based fields of a request typed in a chat."""

from __future__ import annotations

import pytest

from api.wechat.commands import (
    DecisionCommand,
    MissingReason,
    StartCommand,
    parse_command,
    request_fields,
    start_processes,
)
from api.wechat.inbound import ClickTarget, click_target

STARTS = {"报销": "expense-claim"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("同意 AB2CD3", DecisionCommand("approve", "ab2cd3", None, "zh")),
        ("同意 ab2cd3 可以 按预算", DecisionCommand("approve", "ab2cd3", "可以 按预算", "zh")),
        ("驳回\u3000ab2cd3\u3000超预算", DecisionCommand("reject", "ab2cd3", "超预算", "zh")),
        ("Approve ab2cd3", DecisionCommand("approve", "ab2cd3", None, "en")),
        ("reject AB2CD3 over budget\nsee policy", DecisionCommand(
            "reject", "ab2cd3", "over budget\nsee policy", "en"
        )),
        ("驳回 ab2cd3", MissingReason("ab2cd3", "zh")),
        ("reject ab2cd3   ", MissingReason("ab2cd3", "en")),
    ],
)  # fmt: skip
def test_decision_commands(text: str, expected: object) -> None:
    assert parse_command(text, STARTS) == expected


@pytest.mark.parametrize(
    "text", ["同意", "同意 abc", "同意 ab2cd3x", "approveab2cd3", "hello", "", "批 ab2cd3"]
)
def test_other_texts_are_no_command(text: str) -> None:
    assert parse_command(text, STARTS) is None


def test_a_keyword_starts_its_process_with_the_text_and_its_fields() -> None:
    text = "报销 出差北京 住宿3晚 1260元"
    assert parse_command(text, STARTS) == StartCommand(
        keyword="报销",
        process_id="expense-claim",
        description=text,
        variables={"amount": 1260, "city": "北京", "nights": 3, "description": text},
    )
    assert parse_command("报销单 1元", STARTS) is None  # the first word, not a prefix


def test_amounts_days_and_nights() -> None:
    assert request_fields("采购 ¥1,260.50 显示器") == {"amount": 1260.5}
    assert request_fields("出差上海3天 住宿2晚") == {"days": 3, "nights": 2, "city": "上海"}


def test_start_processes_setting() -> None:
    setting = " 报销=expense-claim, 采购 = purchase-approval ,broken, =x"
    assert start_processes(setting) == {"报销": "expense-claim", "采购": "purchase-approval"}


def test_button_keys() -> None:
    assert click_target("approve|proc:key|with|bars|approve-1") == ClickTarget(
        "approve", "proc:key|with|bars", "approve-1"
    )
    assert click_target("veto|p:1|t-1") is None
    assert click_target("approve|t-1") is None
