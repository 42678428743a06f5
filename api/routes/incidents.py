"""Incidents across instances, and an admin's retry or resolve of one (docs/api.md "Incidents")."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api import updates, visibility
from api.deps import AdminDep, TemporalClientDep
from api.schemas import IncidentActionCreate, IncidentActionPublic, IncidentsPublic
from api.updates import KeyedUpdateDep
from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
)

router = APIRouter(tags=["incidents"])


@router.get("/incidents")
async def list_incidents(
    client: TemporalClientDep,
    _: AdminDep,
    process_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Instances to scan")] = 200,
) -> IncidentsPublic:
    """Open incidents of running instances (admins), from visibility: one query in all."""
    data = await visibility.incidents(client, process_id=process_id, limit=limit)
    return IncidentsPublic(data=data, count=len(data))


@router.post(
    "/instances/{instance_id}/incidents/{incident_id}/{action}",
    responses=updates.KEYED_RESPONSES,
)
async def act_on_incident(
    instance_id: str,
    incident_id: str,
    action: Literal["retry", "resolve"],
    admin: AdminDep,
    update: KeyedUpdateDep,
    body: IncidentActionCreate | None = None,
) -> IncidentActionPublic:
    """``retry`` runs the incident's node again; ``resolve`` closes one whose cause is gone."""
    request = IncidentActionInput(
        action=action,
        incident_id=incident_id,
        actor=admin.sub,
        is_admin=True,
        comment=body.comment if body else None,
    )
    result = await update(
        instance_id, UPDATE_INCIDENT_ACTION, request, body=body, result_type=IncidentActionResult
    )
    return IncidentActionPublic(instance_id=instance_id, **result.model_dump())
