"""Jinja templates rendered in a sandbox: prompts and request texts written in process models."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from temporalio.exceptions import ApplicationError

from activities.ai.schema import PROMPT_ERROR


def render_sandboxed(template: str, context: dict[str, Any], *, what: str) -> str:
    """The rendered text; a non-retryable ``AiPromptError`` if the template cannot render."""
    try:
        return _environment().from_string(template).render(context)
    # Rendering is deterministic: whatever fails (syntax, a sandbox violation, a range over the
    # sandbox's bound, a division by zero) fails every attempt alike, so it is not retried.
    except Exception as err:
        raise ApplicationError(
            f"the {what} template cannot render: {type(err).__name__}: {err}",
            type=PROMPT_ERROR,
            non_retryable=True,
        ) from None


def _environment() -> SandboxedEnvironment:
    # No loader: a template cannot include files; autoescape off: this is text for a model, not
    # HTML; the default Undefined renders a missing variable as nothing.
    return SandboxedEnvironment(autoescape=False, loader=None, keep_trailing_newline=True)
