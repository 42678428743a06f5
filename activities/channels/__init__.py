"""Notification channels: one module per way of reaching a person (docs/notifications.md).

A :class:`Channel` finds a person's address from their directory entry and sends one
:class:`~activities.channels.message.Message` there, blocking (the ``notify`` activity runs it in a
thread). Failures are :class:`ChannelError`: ``retryable`` ones make Temporal retry the activity,
the others are recorded for that person and the next channel they prefer is tried.
"""

from __future__ import annotations

from typing import Any, Protocol

from activities.channels.message import Message
from shenpi.directory_file import UserEntry

__all__ = ["Channel", "ChannelError", "Message"]


class ChannelError(Exception):
    """A send failed; ``retryable`` says whether the same send may work later."""

    def __init__(self, message: str, *, retryable: bool, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.rate_limited = rate_limited  # retry after the limit's window, not at once


class Channel(Protocol):
    name: str

    def address(self, user: str, contact: UserEntry | None) -> str | None:
        """Where ``user`` is reached on this channel; None when they cannot be."""

    def send(self, address: str, message: Message, *, card_id: str = "") -> dict[str, Any]:
        """Deliver ``message`` (blocking); what the channel answered, for the result.

        ``card_id`` names this delivery (unique per recipient and notification) where a channel
        needs one (WeChat Work cards).
        """
