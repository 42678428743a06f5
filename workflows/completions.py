"""Retrying an incident raised while an activity completed (docs/interpreter.md "Incidents").

A subprocess's or call activity's output mappings are evaluated when it completes; when one
fails, the token is parked as an ``expression_error`` incident with what completing needs
(``Token.completing``). A retry then completes the activity again (the mappings evaluated anew,
the child's result re-read) instead of running it from its start: the card charged inside, or
the people of the called process, are not asked twice (Zeebe: resolving the incident re-applies
the output mappings).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.tokens import Token

# Before this, such a retry ran the activity again (a subprocess's inside, a new child); an
# incident raised then is retried that way on replay.
PATCH_RETRY_COMPLETES = "shenpi-retry-completes"


def hold(token: Token, held: dict[str, Any]) -> None:
    """``token``'s activity failed while completing: a retry completes it with ``held``."""
    if workflow.patched(PATCH_RETRY_COMPLETES):
        token.completing = held


def take(token: Token) -> dict[str, Any] | None:
    """What ``token`` (entering its node again after a retry) holds to complete its activity
    with, None when it runs the activity afresh. The token waits on its activity again: a
    subprocess with nothing inside is completed by ``scopes.settle``, a call activity by
    ``calls.finish`` with the held result."""
    held = token.completing
    if held is not None:
        token.completing = None
        token.state = "wait"
    return held
