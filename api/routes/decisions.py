"""Deployed DMN files (deployed through ``POST /definitions``): versions, XML, and evaluating a
decision against variables, as a business rule task would (docs/dmn.md)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import PrincipalDep, SessionDep
from api.errors import ApiError
from api.schemas import (
    MAX_VERSION,
    DecisionDefinitionPublic,
    DecisionDefinitionsPublic,
    DecisionEvaluate,
    DecisionEvaluated,
)
from shenpi.db import decisions
from shenpi_core.decisions import evaluate_decision

router = APIRouter(prefix="/decisions", tags=["decisions"])


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"no deployed {what}")


@router.get("", response_model=DecisionDefinitionsPublic)
async def list_decision_definitions(
    session: SessionDep, _: PrincipalDep
) -> DecisionDefinitionsPublic:
    """The latest version of every deployed DMN file."""
    rows = await decisions.latest_decision_definitions(session)
    data = [DecisionDefinitionPublic.model_validate(r) for r in rows]
    return DecisionDefinitionsPublic(data=data, count=len(data))


@router.get("/{drg_id}", response_model=DecisionDefinitionsPublic)
async def list_decision_versions(
    drg_id: str, session: SessionDep, _: PrincipalDep
) -> DecisionDefinitionsPublic:
    """Every deployed version of one DMN file (by its definitions id), newest first."""
    rows = await decisions.decision_definition_versions(session, drg_id)
    if not rows:
        raise _not_found(f"DMN file {drg_id!r}")
    data = [DecisionDefinitionPublic.model_validate(r) for r in rows]
    return DecisionDefinitionsPublic(data=data, count=len(data))


@router.get(
    "/{drg_id}/versions/{version}/dmn",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def get_dmn(
    drg_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    session: SessionDep,
    _: PrincipalDep,
) -> Response:
    """The DMN XML of one deployed version, byte for byte as uploaded."""
    row = await decisions.get_decision_definition(session, drg_id, version)
    if row is None:
        raise _not_found(f"DMN file {drg_id!r} version {version}")
    return Response(content=row.dmn_xml, media_type="application/xml")


@router.post("/{decision_id}/evaluate", response_model=DecisionEvaluated)
async def evaluate(
    decision_id: str, body: DecisionEvaluate, session: SessionDep, _: PrincipalDep
) -> DecisionEvaluated:
    """Evaluate a deployed decision (the latest version of its file, or ``version``)."""
    row = await decisions.find_decision(session, decision_id)
    if row is not None and body.version is not None:
        row = await decisions.get_decision_definition(
            session, row.decision_requirements_id, body.version
        )
    if row is None or decision_id not in row.decision_ids:
        raise _not_found(f"decision {decision_id!r}")
    plan = decisions.load_decision_plan(row)
    # Bounded (shenpi_core.limits), but CPU all the same: off the event loop.
    result = await asyncio.to_thread(evaluate_decision, plan, decision_id, body.variables)
    return DecisionEvaluated(
        decision_id=decision_id,
        decision_requirements_id=row.decision_requirements_id,
        version=row.version,
        result=result,
    )
