"""Custom service-task implementations, loaded by the registry from ``custom_activity_types``."""

from __future__ import annotations

from typing import Any

from shenpi_core.contracts import ServiceTaskInput


async def echo(input: ServiceTaskInput) -> dict[str, Any]:
    return {"echoed": input.config.get("word", "")}


def shout(input: ServiceTaskInput) -> dict[str, Any]:
    """A blocking (sync) implementation: the worker runs it on its thread pool."""
    return {"shouted": str(input.variables.get("word", "")).upper()}


NOT_CALLABLE = 42
