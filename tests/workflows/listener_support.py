"""Listener activities the listener tests and the replay recordings register (their names are
the types ``tests/workflows/bpmn/listeners.bpmn`` names)."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from shenpi_core.contracts import ServiceTaskInput

CALLS: list[str] = []
FAIL_ONCE: set[str] = set()
NAMES = (
    "auditStart",
    "com.acme.ReviewOpened",
    "com.acme.ReviewDone",
    "auditEnd",
    "check-budget",
    "book-it",
)


def _listener(name: str) -> Any:
    @activity.defn(name=name)
    async def run(input: ServiceTaskInput) -> dict[str, Any]:
        CALLS.append(f"{input.config.get('listener_event', 'task')}:{name}")
        if name in FAIL_ONCE:
            FAIL_ONCE.discard(name)
            raise ApplicationError(f"{name} is down", non_retryable=True)
        return {f"seen_{name.rsplit('.', 1)[-1]}": True}

    return run


def listener_activities() -> list[Any]:
    return [_listener(name) for name in NAMES]
