"""The offline reviewer's routes: the request's free text against each outgoing flow's name
and the phrases of its documentation (docs/ai.md, "The offline reviewer")."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from activities.ai.embedding import embed
from activities.ai.evidence import comparable, vague
from activities.ai.request_text import route_text
from activities.ai.schema import ABSTAIN, AiOutput
from shenpi_core.contracts import AiReviewInput, AiRouteOption

# Routes: the request's text (not its other variables) against each flow's name and the phrases
# of its documentation; the confidence is the best flow's lead over the next, / ROUTE_MARGIN_FULL.
# A vague text ("其他") abstains, and so does one no flow comes ROUTE_MIN_SIMILARITY close to.
ROUTE_MARGIN_FULL = 0.05
ROUTE_MIN_SIMILARITY = 0.84
# With a single flow, its lead is over the similarity of unrelated texts (e5's compressed scale).
SIM_FLOOR = 0.80


async def route(input: AiReviewInput) -> tuple[AiOutput, list[dict[str, Any]]]:
    """The flow the request's text reads most like, or abstain; and the trace."""
    options = input.options
    if not options:
        return abstain("No outgoing flow to choose from.", "no_options"), []
    request = route_text(input.variables, input.spec.request)
    if vague(request):
        advice = (
            f"The request's text says too little to pick a path ({request!r}): the"
            " gateway's conditions decide."
        )
        return abstain(advice, "vague_request"), []
    # Each flow is its name and each phrase of its documentation: a request about printer
    # paper is near "打印纸", not near the average of a long list of what the desk handles.
    phrases = [(n, text) for n, o in enumerate(options) for text in _flow_phrases(o)]
    vectors = await embed([comparable(request), *(comparable(t) for _, t in phrases)])
    similarities = vectors[1:] @ vectors[0]
    best_of = np.full(len(options), -1.0)
    for (n, _), similarity in zip(phrases, similarities, strict=True):
        best_of[n] = max(best_of[n], float(similarity))
    order = np.argsort(-best_of)
    best = int(order[0])
    runner_up = float(best_of[order[1]]) if len(options) > 1 else SIM_FLOOR
    margin = float(best_of[best]) - runner_up
    trace = [
        {"flow_id": o.flow_id, "similarity": float(s)}
        for o, s in zip(options, best_of, strict=True)
    ]
    label = options[best].name or options[best].flow_id
    if float(best_of[best]) < ROUTE_MIN_SIMILARITY:
        advice = (
            f"No path fits (closest: {label}, similarity {float(best_of[best]):.3f}):"
            " the gateway's conditions decide."
        )
        return abstain(advice, "no_clear_route"), trace
    confidence = round(min(1.0, margin / ROUTE_MARGIN_FULL), 3)
    advice = (
        f"The request reads most like {label!r} (similarity {float(best_of[best]):.3f};"
        f" the next path {runner_up:.3f})."
    )
    return AiOutput(decision=options[best].flow_id, confidence=confidence, advice=advice), trace


_PHRASES = re.compile(r"[,，、;；。.:：()（）]|\band\b|\bor\b")


def _flow_phrases(option: AiRouteOption) -> list[str]:
    """A flow's name, its whole documentation, and each phrase of it."""
    texts = [option.name or option.flow_id]
    if option.documentation:
        texts.append(option.documentation)
        texts += [p.strip() for p in _PHRASES.split(option.documentation) if len(p.strip()) >= 2]
    return list(dict.fromkeys(texts))


def abstain(advice: str, flag: str) -> AiOutput:
    return AiOutput(decision=ABSTAIN, confidence=0.0, advice=advice, risk_flags=[flag])
