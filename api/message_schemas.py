"""Request and response bodies of ``POST /messages``, ``POST /signals`` and a direct message."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas import _limit
from shenpi_core import limits

NAME_RULE = f"1 to {limits.MAX_ID_LENGTH} characters: the name in the BPMN file"


def _variables(value: dict[str, Any]) -> dict[str, Any]:
    _limit(limits.check_variables, value, max_bytes=limits.MAX_DECISION_VARIABLES_BYTES)
    return value


class MessagePublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="The message's name")
    correlation_key: str = Field(
        default="",
        max_length=limits.MAX_BUSINESS_KEY_LENGTH,
        description="What the waiting events' correlation key evaluated to (a contract number),"
        " or the business key of the instance, for events that name no key",
    )
    variables: dict[str, Any] = Field(default_factory=dict)
    message_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Published again within its ttl (and at least an hour), it has one effect",
    )
    ttl: str | None = Field(
        default=None,
        description="ISO-8601 duration the message is kept for subscriptions that open later;"
        " default PT0S (correlated now or dropped)",
    )

    _check_variables = field_validator("variables")(_variables)


class MessagePublished(BaseModel):
    correlated: list[str]  # instance ids the message was delivered to
    started: list[str]  # instances its message start events started
    buffered: bool
    message_id: str


class DirectMessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict)

    _check_variables = field_validator("variables")(_variables)


class DirectMessageDelivered(BaseModel):
    instance_id: str
    node_id: str  # the event that caught it


class SignalBroadcast(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="The signal's name")
    variables: dict[str, Any] = Field(default_factory=dict)
    signal_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The same signal id broadcast again has one effect",
    )

    _check_variables = field_validator("variables")(_variables)


class SignalBroadcasted(BaseModel):
    signal_id: str
    status: str  # "done", or "running" (a large broadcast: GET /signals/{signal_id})
    delivered: int  # instances signalled (so far, while running)
    started: list[str]  # instances its signal start events started
