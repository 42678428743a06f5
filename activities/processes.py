"""Activity ``shenpi-resolve-process``: the deployed version a call activity runs.

The workflow cannot read the app database, so a call activity first asks this activity for the
called process's plan, by the binding its model names (docs/interpreter.md "Call activities").
A process (or version) that is not deployed fails non-retryably: the caller shows an incident,
and a deploy followed by a retry of the incident resolves it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from shenpi.db.lazy import LazyDatabase
from shenpi.db.models import Definition
from shenpi.db.repository import definition_versions, get_definition, load_plan
from shenpi.settings import Settings
from shenpi_core.contracts import (
    ACTIVITY_RESOLVE_PROCESS,
    ErrorType,
    ResolveProcessInput,
    ResolveProcessResult,
)


class ProcessActivities:
    """Owns the engine of the app database, made on first use; ``aclose`` disposes of it."""

    def __init__(self, settings: Settings) -> None:
        self._database = LazyDatabase(settings)

    @activity.defn(name=ACTIVITY_RESOLVE_PROCESS)
    async def resolve(self, input: ResolveProcessInput) -> ResolveProcessResult:
        sessions = await self._database()
        async with sessions() as session:
            found = await _find(session, input)
        if found is None:
            raise ApplicationError(
                f"process {input.process_id!r} is not deployed{_wanted(input)}; deploy it,"
                " then retry the incident",
                type=ErrorType.PROCESS_NOT_FOUND,
                non_retryable=True,
            )
        return ResolveProcessResult(plan=load_plan(found), version=found.version)

    async def aclose(self) -> None:
        await self._database.aclose()


async def _find(session: AsyncSession, input: ResolveProcessInput) -> Definition | None:
    match input.binding:
        case "latest":
            return await get_definition(session, input.process_id)
        case "version":
            return await get_definition(session, input.process_id, input.version)
        case "version_tag":
            for listed in await definition_versions(session, input.process_id):  # newest first
                definition = await get_definition(session, input.process_id, listed.version)
                tag = load_plan(definition).version_tag if definition is not None else None
                if tag == input.version_tag:
                    return definition
            return None
        case "deployment":
            caller = await get_definition(session, input.caller_process_id, input.caller_version)
            for listed in await definition_versions(session, input.process_id):
                if caller is None or listed.deployed_at <= caller.deployed_at:
                    return await get_definition(session, input.process_id, listed.version)
            return None


def _wanted(input: ResolveProcessInput) -> str:
    match input.binding:
        case "version":
            return f" in version {input.version}"
        case "version_tag":
            return f" with version tag {input.version_tag!r}"
        case "deployment":
            return f" as of {input.caller_process_id} version {input.caller_version}"
        case _:
            return ""
