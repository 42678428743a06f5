"""Service-task types → activity implementations: the built-ins plus configured custom types.

A service-task type *is* a Temporal activity name (docs/architecture.md §1), so the registry's job
is to hand the worker one activity per type. Custom types come from
``Settings.custom_activity_types`` (``"type=module:attr,..."``), imported when the worker starts,
never at import time.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio import activity

from activities.ai.activity import AiReviewActivities
from activities.archive import ArchiveActivities
from activities.decisions import DecisionActivities
from activities.directory import DirectoryActivities
from activities.http import HttpActivities, new_http_client
from activities.notify import NotifyActivities
from activities.processes import ProcessActivities
from shenpi.directory import YamlDirectory
from shenpi.settings import Settings
from shenpi_core.contracts import ACTIVITY_AI_REVIEW, ServiceTaskInput

BUILTIN_TYPES = ("notify", "http", ACTIVITY_AI_REVIEW)


class RegistryError(ValueError):
    """``custom_activity_types`` names something that cannot be imported or is not callable."""


@dataclass
class ActivityRegistry:
    """The activities of one worker, by type, and the HTTP client they share (closed last)."""

    client: httpx.AsyncClient
    by_type: dict[str, Callable[..., Any]] = field(default_factory=dict)
    # The interpreter's own activities (directory lookups, archive): not service-task types.
    internal: list[Callable[..., Any]] = field(default_factory=list)
    # Other resources the activities own (the archive's database engine), closed before the client.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def activities(self) -> list[Callable[..., Any]]:
        # A service-task type named like an internal activity replaces it (worker names clash).
        names = set(self.by_type)
        kept = [fn for fn in self.internal if _activity_name(fn) not in names]
        return [*kept, *self.by_type.values()]

    @property
    def needs_executor(self) -> bool:
        return any(not inspect.iscoroutinefunction(fn) for fn in self.activities)

    async def aclose(self) -> None:
        try:
            for close in self.closers:
                await close()
        finally:
            await self.client.aclose()


def build_registry(settings: Settings) -> ActivityRegistry:
    """Built-ins first, custom types after (a custom type may replace a built-in on purpose).

    Also the interpreter's own activities: ``shenpi-directory`` (the directory file is loaded
    now, so a broken one stops the worker with its problems listed) and ``shenpi-archive``.
    """
    custom = {
        type_name: as_activity(type_name, load(target))
        for type_name, target in parse_custom_types(settings.custom_activity_types)
    }
    people = YamlDirectory(settings.resolved_directory_file)  # lookups and contact fields
    directory = DirectoryActivities(people)
    client = new_http_client()  # only once the configuration is known to be good
    registry = ActivityRegistry(client)
    notify = NotifyActivities(settings, client, people)
    registry.by_type["notify"] = notify.notify
    registry.closers.append(notify.aclose)
    registry.by_type["http"] = HttpActivities(client).http
    ai = AiReviewActivities(settings, http=client)
    registry.by_type[ACTIVITY_AI_REVIEW] = ai.review
    registry.closers.append(ai.aclose)
    archive = ArchiveActivities(settings)
    processes = ProcessActivities(settings)
    decisions = DecisionActivities(settings)
    registry.internal += [directory.resolve, archive.archive, processes.resolve, decisions.resolve]
    registry.closers += [archive.aclose, processes.aclose, decisions.aclose]
    registry.by_type.update(custom)
    return registry


def _activity_name(fn: Callable[..., Any]) -> str | None:
    defn = getattr(fn, "__temporal_activity_definition", None)
    return defn.name if defn is not None else None


def parse_custom_types(text: str) -> list[tuple[str, str]]:
    """``"scoring=acme.score:run, erp=acme.erp:bk"`` → ``[("scoring", "acme.score:run"), ...]``."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        type_name, sep, target = (s.strip() for s in item.partition("="))
        if not sep or not type_name or ":" not in target:
            raise RegistryError(f"custom activity {item!r} is not 'type=module:attr'")
        pairs.append((type_name, target))
    return pairs


def load(target: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    try:
        value = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise RegistryError(f"cannot load custom activity {target!r}: {err}") from err
    if not callable(value):
        raise RegistryError(f"custom activity {target!r} is not callable")
    return value  # type: ignore[no-any-return]


def as_activity(type_name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn`` under the task type, whatever name its own ``activity.defn`` gave it."""
    defn = getattr(fn, "__temporal_activity_definition", None)
    if defn is not None and defn.name == type_name:
        return fn
    if inspect.iscoroutinefunction(fn):

        async def run_async(input: ServiceTaskInput) -> Any:
            return await fn(input)

        return activity.defn(name=type_name)(run_async)

    def run_sync(input: ServiceTaskInput) -> Any:
        return fn(input)

    return activity.defn(name=type_name)(run_sync)
