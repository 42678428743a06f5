"""The message and signal contracts: between the API, the mailboxes and the instances.

A message goes to the *mailbox* of its (name, correlation key): one small workflow per pair that
holds the subscriptions waiting for it and the messages nobody took yet, so publishing costs a
bounded number of calls however many instances wait, and a message and a subscription that meet
at the same moment meet exactly once (docs/architecture.md "Messages and signals").
A signal goes to every instance whose ``ShenpiWaitingFor`` search attribute names it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field

MAILBOX_WORKFLOW = "shenpi-mailbox"
BROADCAST_WORKFLOW = "shenpi-signal-broadcast"
# Mailbox updates and signals.
MAILBOX_PUBLISH = "publish"  # PublishInput -> PublishResult
MAILBOX_SUBSCRIBE = "subscribe"  # MessageSubscription -> SubscribeResult
MAILBOX_RETURN = "return"  # ReturnedMessage -> PublishResult (an instance could not take it)
MAILBOX_UNSUBSCRIBE = "unsubscribe"  # signal: Unsubscription
# Instance handlers.
SIGNAL_MESSAGE = "message"  # MessageDelivery: the mailbox correlated a message here
UPDATE_MESSAGE = "deliver_message"  # DirectMessage: POST /instances/{id}/messages/{name}
SIGNAL_BPMN = "bpmn_signal"  # BpmnSignal
# Activities the instances run to reach the mailboxes and broadcast signals.
ACTIVITY_SUBSCRIBE = "shenpi-message-subscribe"  # MessageSubscription -> SubscribeResult
ACTIVITY_UNSUBSCRIBE = "shenpi-message-unsubscribe"  # Unsubscription -> None
ACTIVITY_RETURN = "shenpi-message-return"  # ReturnedMessage -> None
ACTIVITY_SIGNAL_THROW = "shenpi-signal-throw"  # BroadcastInput -> None: starts the broadcast
ACTIVITY_BROADCAST = "shenpi-signal-broadcast"  # BroadcastInput -> BroadcastResult


def mailbox_id(name: str, correlation_key: str) -> str:
    """The mailbox's workflow id: a digest, so neither the name nor the key (a contract number)
    shows in visibility, which payload codecs do not cover."""
    digest = hashlib.sha256(f"{name}\x00{correlation_key}".encode()).hexdigest()[:40]
    return f"{MAILBOX_WORKFLOW}-{digest}"


def broadcast_id(signal_id: str) -> str:
    return f"{BROADCAST_WORKFLOW}-{hashlib.sha256(signal_id.encode()).hexdigest()[:40]}"


class Message(BaseModel):
    name: str
    correlation_key: str = ""
    variables: dict[str, Any] = Field(default_factory=dict)
    message_id: str


class MessageDelivery(Message):
    """A message on its way to one subscription (``sub_id``) of one instance."""

    sub_id: str


class PublishInput(BaseModel):
    message: Message
    ttl_seconds: float = 0.0


class PublishResult(BaseModel):
    correlated: list[str] = Field(default_factory=list)  # instance ids
    buffered: bool = False
    duplicate: bool = False  # the message id was published before: this is its first result


class MessageSubscription(BaseModel):
    """An instance waits for (name, correlation key) at one of its events."""

    sub_id: str  # "<token>/<node>/<n>": unique in its instance
    instance_id: str
    process_id: str
    name: str
    correlation_key: str = ""


class SubscribeResult(BaseModel):
    delivery: MessageDelivery | None = None  # a buffered message, taken at once


class Unsubscription(BaseModel):
    name: str
    correlation_key: str = ""
    instance_id: str
    sub_id: str


class ReturnedMessage(BaseModel):
    """A message the mailbox sent to a subscription the instance had just closed."""

    delivery: MessageDelivery
    instance_id: str
    process_id: str


class DirectMessage(BaseModel):
    name: str
    variables: dict[str, Any] = Field(default_factory=dict)


class DirectMessageResult(BaseModel):
    node_id: str  # the event that caught it


class BpmnSignal(BaseModel):
    name: str
    variables: dict[str, Any] = Field(default_factory=dict)
    signal_id: str


class BroadcastInput(BaseModel):
    signal: BpmnSignal
    # Thrown by an instance: the broadcast also starts the processes whose signal start event
    # catches it, as this user (the API starts them itself, to answer with their ids).
    start_as: str | None = None


class BroadcastResult(BaseModel):
    delivered: int = 0
    started: list[str] = Field(default_factory=list)
    done: bool = True
