"""Admin: calibrate a node's AI before it decides (docs/ai.md, "Calibration").

Its schemas live here, with the one route that uses them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from activities.ai.evaluate import EvalError, LabelledCase, evaluate_node
from api.deps import AdminDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.schemas import ErrorBody
from shenpi.db import repository

router = APIRouter(prefix="/admin/ai", tags=["ai"])

MAX_CASES = 1000  # a calibration run reviews every case: bounded like any request


class AiEvalCase(BaseModel):
    variables: dict[str, Any]
    label: str = Field(description="approve, reject, a flow id (routes), or unclear")


class AiEvalCreate(BaseModel):
    process_id: str = Field(max_length=255)
    version: int | None = Field(default=None, description="Default: the latest version")
    node_id: str = Field(max_length=255)
    cases: list[AiEvalCase] | None = Field(
        default=None,
        max_length=MAX_CASES,
        description="Labelled cases; default: the node's archived human decisions",
    )
    examples: list[AiEvalCase] = Field(
        default_factory=list,
        max_length=MAX_CASES,
        description="Labelled requests tried as more of the node's examples (a case is no"
        " example for itself): what writing them into the file would do",
    )
    target_precision: float = Field(default=0.98, ge=0, le=1)


class AiEvalRow(BaseModel):
    threshold: float
    decided: int
    coverage: float
    precision: float


class AiEvalDisagreement(BaseModel):
    source: str
    label: str
    decision: str
    confidence: float
    advice: str


class AiEvalPublic(BaseModel):
    node_id: str
    cases: int
    node_threshold: float
    rows: list[AiEvalRow]
    agreement: float
    target_precision: float
    threshold_for_target: float | None
    disagreements: list[AiEvalDisagreement]


@router.post(
    "/eval",
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def evaluate_ai_node(
    body: AiEvalCreate, _: AdminDep, session: SessionDep, settings: SettingsDep
) -> AiEvalPublic:
    """Replay archived decisions or labelled cases through a node's AI configuration."""
    definition = await repository.get_definition(session, body.process_id, body.version)
    if definition is None:
        raise ApiError(404, "not_found", f"no deployed process {body.process_id!r}")
    cases = _labelled(body.cases, "case") if body.cases is not None else None
    examples = _labelled(body.examples, "example")
    try:
        report = await evaluate_node(
            settings, repository.load_plan(definition), body.node_id, cases, examples
        )
    except EvalError as err:
        raise ApiError(422, "not_evaluable", str(err)) from None
    return AiEvalPublic.model_validate(report.public(body.target_precision))


def _labelled(items: list[AiEvalCase], kind: str) -> list[LabelledCase]:
    return [LabelledCase(c.variables, c.label, f"{kind} {n}") for n, c in enumerate(items, 1)]
