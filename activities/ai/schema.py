"""The answer every provider must give, as a JSON schema (sent to the model) and a pydantic model
(what the answer is validated with). Output that does not validate is a retryable failure.

The JSON schema follows OpenAI's strict structured-output subset (every property required, no
free-form objects), so ``extracted`` travels as a list of ``{name, value}`` pairs; callers may
also send a plain object, which is what it becomes.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from temporalio.exceptions import ApplicationError

from shenpi_core.contracts import AiRouteOption

REVIEW_DECISIONS = ("approve", "reject", "abstain")
ABSTAIN = "abstain"
Purpose = Literal["review", "route"]

# Failure types (ApplicationError.type) the workflow and the metrics see.
BAD_OUTPUT = "AiBadOutput"  # retryable: a model may answer well on the next attempt
PROVIDER_UNAVAILABLE = "AiProviderUnavailable"  # retryable: 5xx, 429, timeout, connection
PROVIDER_REJECTED = "AiProviderRejected"  # not retryable: auth, bad request, unknown model
PROMPT_ERROR = "AiPromptError"  # not retryable: the template cannot render
CONFIG_ERROR = "AiConfigError"  # not retryable: the provider is not configured


def retryable_status(status: int) -> bool:
    """An HTTP status another attempt may get past: 408, 409, 429 and 5xx. Any other 4xx (auth,
    bad request, unknown model) never will."""
    return status >= 500 or status in (408, 409, 429)


class ExtractedField(BaseModel):
    name: str
    value: str | float | int | bool | None = None


class AiOutput(BaseModel):
    """A provider's answer, before the activity adds metrics, hashes and the cache key."""

    model_config = ConfigDict(extra="forbid")

    decision: str
    confidence: float = Field(ge=0.0, le=1.0)
    advice: str = ""
    extracted: dict[str, Any] = Field(default_factory=dict)
    risk_flags: list[str] = Field(default_factory=list)

    @field_validator("extracted", mode="before")
    @classmethod
    def _pairs_to_object(cls, value: Any) -> Any:
        if isinstance(value, list):
            pairs = [ExtractedField.model_validate(item) for item in value]
            return {pair.name: pair.value for pair in pairs}
        return value


def decisions_for(purpose: Purpose, options: list[AiRouteOption]) -> list[str]:
    """The decisions allowed: approve/reject/abstain, or a route's flow ids and abstain."""
    if purpose == "route":
        return [*(option.flow_id for option in options), ABSTAIN]
    return list(REVIEW_DECISIONS)


def output_schema(decisions: list[str]) -> dict[str, Any]:
    """The JSON schema of :class:`AiOutput` with ``decision`` limited to ``decisions``."""
    value_types = ["string", "number", "boolean", "null"]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["decision", "confidence", "advice", "extracted", "risk_flags"],
        "properties": {
            "decision": {"type": "string", "enum": decisions},
            "confidence": {
                "type": "number",
                "description": "How sure you are of the decision, from 0 to 1",
            },
            "advice": {"type": "string", "description": "A short explanation for the approver"},
            "extracted": {
                "type": "array",
                "description": "Fields read from the request and its documents",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "value"],
                    "properties": {"name": {"type": "string"}, "value": {"type": value_types}},
                },
            },
            "risk_flags": {
                "type": "array",
                "description": "Short snake_case labels of risks seen, empty if none",
                "items": {"type": "string"},
            },
        },
    }


def parse_output(raw: str | bytes | dict[str, Any], decisions: list[str]) -> AiOutput:
    """Validate a provider's answer; a retryable ``AiBadOutput`` if it is not one."""
    try:
        data = raw if isinstance(raw, dict) else json.loads(raw)
        output = AiOutput.model_validate(data)
    except (ValueError, ValidationError) as err:  # JSONDecodeError is a ValueError
        raise bad_output(f"the answer does not match the schema: {_short(err)}") from None
    if output.decision not in decisions:
        raise bad_output(f"decision {output.decision!r} is not one of {decisions}")
    return output


def bad_output(message: str) -> ApplicationError:
    return ApplicationError(message, type=BAD_OUTPUT)


def _short(err: Exception) -> str:
    return str(err).replace("\n", " ")[:300]
