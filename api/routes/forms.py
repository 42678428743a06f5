"""Deployed Camunda Forms (deployed through ``POST /definitions``): versions and the form JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import PrincipalDep, SessionDep
from api.errors import ApiError
from api.form_schemas import FormDefinitionPublic, FormDefinitionsPublic
from api.schemas import MAX_VERSION
from shenpi.db import forms

router = APIRouter(prefix="/forms", tags=["forms"])


@router.get("", response_model=FormDefinitionsPublic)
async def list_forms(session: SessionDep, _: PrincipalDep) -> FormDefinitionsPublic:
    """The latest version of every deployed form."""
    data = [FormDefinitionPublic.model_validate(r) for r in await forms.latest_forms(session)]
    return FormDefinitionsPublic(data=data, count=len(data))


@router.get("/{form_id}", response_model=FormDefinitionsPublic)
async def list_form_versions(
    form_id: str, session: SessionDep, _: PrincipalDep
) -> FormDefinitionsPublic:
    """Every deployed version of one form, newest first."""
    rows = await forms.form_versions(session, form_id)
    if not rows:
        raise ApiError(404, "not_found", f"no deployed form {form_id!r}")
    data = [FormDefinitionPublic.model_validate(r) for r in rows]
    return FormDefinitionsPublic(data=data, count=len(data))


@router.get(
    "/{form_id}/versions/{version}/form",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
async def get_form_json(
    form_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    session: SessionDep,
    _: PrincipalDep,
) -> Response:
    """The form JSON of one deployed version, as uploaded."""
    row = await forms.get_form(session, form_id, version)
    if row is None:
        raise ApiError(404, "not_found", f"no deployed form {form_id!r} version {version}")
    return Response(content=row.form_json, media_type="application/json")
