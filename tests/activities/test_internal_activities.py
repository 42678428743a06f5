"""Every worker serves the interpreter's own activities next to the service-task types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from activities.registry import BUILTIN_TYPES, build_registry
from shenpi.directory import DirectoryError
from shenpi.settings import Settings
from shenpi_core.contracts import (
    ACTIVITY_ARCHIVE,
    ACTIVITY_DIRECTORY,
    ACTIVITY_RESOLVE_DECISION,
    ACTIVITY_RESOLVE_PROCESS,
)


def _names(fns: list[Any]) -> list[str]:
    return [fn.__temporal_activity_definition.name for fn in fns]


async def test_registry_adds_its_internal_activities_but_not_as_service_task_types(
    tmp_path: Path,
) -> None:
    registry = build_registry(Settings(_env_file=None, data_dir=tmp_path))
    try:
        internal = [
            ACTIVITY_DIRECTORY,
            ACTIVITY_ARCHIVE,
            ACTIVITY_RESOLVE_PROCESS,
            ACTIVITY_RESOLVE_DECISION,
        ]
        assert _names(registry.activities) == [*internal, *BUILTIN_TYPES]
        assert registry.needs_executor  # the directory lookup is synchronous (thread pool)
    finally:
        await registry.aclose()


async def test_a_custom_type_with_an_internal_name_replaces_the_internal_activity(
    tmp_path: Path,
) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        custom_activity_types=f"{ACTIVITY_ARCHIVE}=tests.activities.custom:echo",
    )
    registry = build_registry(settings)
    try:
        assert _names(registry.activities).count(ACTIVITY_ARCHIVE) == 1
        assert registry.by_type[ACTIVITY_ARCHIVE] in registry.activities
    finally:
        await registry.aclose()


def test_a_broken_directory_file_stops_the_worker_at_start(tmp_path: Path) -> None:
    broken = tmp_path / "directory.yaml"
    broken.write_text("users:\n  a: {manager: ghost}\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="unknown user 'ghost'"):
        build_registry(Settings(_env_file=None, data_dir=tmp_path, directory_file=broken))
