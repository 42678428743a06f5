"""Malformed decision requests are 400 before any workflow is asked (no worker needed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Stack


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "approve", "to": "bob"}, "action 'approve' takes no 'to' or 'position'"),
        ({"action": "claim", "position": "before"}, "action 'claim' takes no 'to' or 'position'"),
        ({"action": "transfer"}, "action 'transfer' needs 'to'"),
        ({"action": "add_signer", "to": []}, "action 'add_signer' needs 'to'"),
        ({"action": "delegate", "to": ["a", "b"]}, "action 'delegate' takes one id in 'to'"),
        ({"action": "jump", "to": ["end"]}, "action 'jump' takes one id in 'to'"),
    ],
)
async def test_a_decision_with_a_wrong_target_is_400(
    api_only: Stack, body: dict[str, Any], message: str
) -> None:
    async with api_only.http("alice") as http:
        response = await http.post("/api/v1/instances/p:1/tasks/t-1/decision", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": message,
        "details": None,
    }


async def test_an_unknown_action_or_position_is_400(api_only: Stack) -> None:
    async with api_only.http("alice") as http:
        url = "/api/v1/instances/p:1/tasks/t-1/decision"
        unknown = await http.post(url, json={"action": "veto"})
        position = await http.post(url, json={"action": "add_signer", "to": ["b"], "position": "x"})
    assert (unknown.status_code, position.status_code) == (400, 400)
