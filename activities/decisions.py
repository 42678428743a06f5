"""Activity ``shenpi-resolve-decision``: the deployed DMN file a business rule task evaluates.

The workflow cannot read the app database, so a business rule task first asks this activity for
the decision plan its binding names (docs/dmn.md "Business rule tasks"), as a call activity asks
``shenpi-resolve-process`` for its process. A decision (or version) that is not deployed fails
non-retryably: the instance shows a ``decision_failed`` incident, and a deploy of the DMN file
followed by a retry of the incident resolves it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from shenpi.db.decisions import find_decision_version, load_decision_plan
from shenpi.db.lazy import LazyDatabase
from shenpi.db.models import DecisionDefinition
from shenpi.db.repository import get_definition
from shenpi.settings import Settings
from shenpi_core.contracts import (
    ACTIVITY_RESOLVE_DECISION,
    ErrorType,
    ResolveDecisionInput,
    ResolveDecisionResult,
)


class DecisionActivities:
    """Owns the engine of the app database, made on first use; ``aclose`` disposes of it."""

    def __init__(self, settings: Settings) -> None:
        self._database = LazyDatabase(settings)

    @activity.defn(name=ACTIVITY_RESOLVE_DECISION)
    async def resolve(self, input: ResolveDecisionInput) -> ResolveDecisionResult:
        sessions = await self._database()
        async with sessions() as session:
            found = await _find(session, input)
        if found is None:
            raise ApplicationError(
                f"decision {input.decision_id!r} is not deployed{_wanted(input)}; deploy its"
                " DMN file, then retry the incident",
                type=ErrorType.DECISION_NOT_FOUND,
                non_retryable=True,
            )
        return ResolveDecisionResult(plan=load_decision_plan(found), version=found.version)

    async def aclose(self) -> None:
        await self._database.aclose()


async def _find(session: AsyncSession, input: ResolveDecisionInput) -> DecisionDefinition | None:
    match input.binding:
        case "latest":
            return await find_decision_version(session, input.decision_id)
        case "version":
            return await find_decision_version(session, input.decision_id, version=input.version)
        case "deployment":
            caller = await get_definition(session, input.caller_process_id, input.caller_version)
            if caller is None:  # started from a plan that was never deployed: the latest
                return await find_decision_version(session, input.decision_id)
            deployed = caller.deployed_at
            return await find_decision_version(session, input.decision_id, deployed_before=deployed)


def _wanted(input: ResolveDecisionInput) -> str:
    match input.binding:
        case "version":
            return f" in version {input.version}"
        case "deployment":
            return f" as of {input.caller_process_id} version {input.caller_version}"
        case _:
            return ""
