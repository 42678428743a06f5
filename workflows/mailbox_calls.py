"""The activity calls an instance makes to mailboxes and broadcasts (workflows/events.py).

They are housekeeping that must happen, not business steps that may fail: retried until the
cluster answers, with a growing pause, and never an incident.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

T = TypeVar("T")

MAILBOX_TIMEOUT = timedelta(seconds=30)
MAILBOX_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def mailbox_call(activity: str, arg: Any, result_type: type[T] | None, summary: str) -> Any:
    return await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=MAILBOX_TIMEOUT,
        retry_policy=MAILBOX_RETRY,
        summary=summary,
    )
