"""Deploy BPMN and DMN files and Camunda Forms, and read deployed process versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.decision_check import check_decisions_deployed
from api.deps import AdminDep, PrincipalDep, SessionDep, SettingsDep, TemporalClientDep
from api.dmn_deploy import deploy_dmn
from api.errors import ApiError
from api.form_deploy import compile_process, deploy_form
from api.schemas import (
    MAX_VERSION,
    DefinitionDeployed,
    DefinitionPublic,
    DefinitionsPublic,
    ErrorBody,
)
from api.uploads import read_bounded_body
from bpmn_compiler.file_kinds import is_dmn, is_form
from shenpi import schedules
from shenpi.db import repository

router = APIRouter(prefix="/definitions", tags=["definitions"])

_BPMN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "description": "A Camunda Form"}},
        },
    }
}


def _not_found(process_id: str, version: int | None = None) -> ApiError:
    what = f"{process_id!r} version {version}" if version else repr(process_id)
    return ApiError(404, "not_found", f"no deployed process {what}")


@router.post(
    "",
    status_code=201,
    response_model=DefinitionDeployed,
    openapi_extra=_BPMN_BODY,
    responses={
        200: {"model": DefinitionDeployed, "description": "This content is already deployed"},
        422: {
            "model": ErrorBody,
            "description": "The file does not compile, or names a decision that is not deployed"
            " (diagnostics)",
        },
    },
)
async def deploy_definition(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    principal: AdminDep,
) -> DefinitionDeployed:
    """Compile a BPMN or DMN file (the raw XML body) or a Camunda Form (its JSON) and deploy it
    as the next version of its process, decision requirements graph or form (docs/api.md)."""
    xml = await read_bounded_body(request, settings.max_bpmn_bytes)
    if is_dmn(xml) or is_form(xml):
        deploy = deploy_dmn if is_dmn(xml) else deploy_form
        created, deployed = await deploy(session, xml, principal.sub)
        response.status_code = 201 if created else 200
        return deployed
    result = await compile_process(session, xml)
    await check_decisions_deployed(session, result.plan)
    warnings = [w.model_dump(mode="json") for w in result.warnings]
    definition, created = await repository.deploy_definition(
        session,
        plan=result.plan,
        bpmn_xml=xml,
        warnings=warnings,
        deployed_by=principal.sub,
        before_commit=schedules.on_deploy(client, settings, result.plan),
    )
    if not created:
        response.status_code = 200
    return DefinitionDeployed.model_validate(definition, from_attributes=True)


@router.get("", response_model=DefinitionsPublic)
async def list_definitions(session: SessionDep, _: PrincipalDep) -> DefinitionsPublic:
    """The latest version of every deployed process."""
    definitions = await repository.latest_definitions(session)
    data = [DefinitionPublic.model_validate(d) for d in definitions]
    return DefinitionsPublic(data=data, count=len(data))


@router.get("/{process_id}", response_model=DefinitionsPublic)
async def list_versions(process_id: str, session: SessionDep, _: PrincipalDep) -> DefinitionsPublic:
    """Every deployed version of one process, newest first."""
    definitions = await repository.definition_versions(session, process_id)
    if not definitions:
        raise _not_found(process_id)
    data = [DefinitionPublic.model_validate(d) for d in definitions]
    return DefinitionsPublic(data=data, count=len(data))


@router.get(
    "/{process_id}/versions/{version}/bpmn",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def get_bpmn(
    process_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    session: SessionDep,
    _: PrincipalDep,
) -> Response:
    """The BPMN XML of one deployed version, byte for byte as uploaded."""
    definition = await repository.get_definition(session, process_id, version)
    if definition is None:
        raise _not_found(process_id, version)
    return Response(content=definition.bpmn_xml, media_type="application/xml")
