"""The offline reviewer's routes: the request's free text against each outgoing flow's name
and the phrases of its documentation (docs/ai.md, "The offline reviewer")."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import numpy.typing as npt

from activities.ai.embedding import embed
from activities.ai.evidence import comparable, vague
from activities.ai.request_text import route_text
from activities.ai.schema import ABSTAIN, AiOutput
from shenpi_core.contracts import AiReviewInput, AiRouteOption

# Routes: the request's text (not its other variables) against each flow's name and the phrases
# of its documentation; the confidence is the best flow's lead over the next, / ROUTE_MARGIN_FULL.
# A vague text ("其他") abstains, and so does one no flow comes ROUTE_MIN_SIMILARITY close to.
# A flow scores a soft maximum of its phrases (log-sum-exp at ROUTE_SOFTNESS): one phrase that a
# single word of the request matches ("meeting rooms" for a projector in one) counts for less
# than several that fit. Both constants are calibrated on the routing set's dev split only
# (docs/ai.md, "Measured on the labelled sets"): a lead of 0.015 scores 0.6, a lead of 0.02 the
# 0.8 that reaches 98 % precision on that split.
ROUTE_MARGIN_FULL = 0.025
ROUTE_MIN_SIMILARITY = 0.84
ROUTE_SOFTNESS = 0.025
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
    # The node's examples (requests people routed, by flow id) count as more of their flow's
    # phrases: a request worded like one that went to IT goes there too, whatever single word
    # it shares with another desk's list (docs/ai.md, "Routes").
    phrases = [(n, comparable(text)) for n, o in enumerate(options) for text in _flow_phrases(o)]
    described_by_flows = len(phrases)
    flow_of = {o.flow_id: n for n, o in enumerate(options)}
    phrases += [
        (flow_of[e.decision], comparable(e.text))
        for e in input.spec.examples
        if e.decision in flow_of and e.text.strip()
    ]
    texts = [text for _, text in phrases]
    vectors = await embed([comparable(request), *texts])
    # e5 reads a phrase both as a text like the request ("query: ") and as a description
    # searched for ("passage: "); the mean of the two views is less noisy than either.
    described = await embed(texts, passage=True)
    alike = vectors[1:] @ vectors[0]
    similarities = (alike + described @ vectors[0]) / 2
    owner = np.array([n for n, _ in phrases])
    # The floor is on the "query:" cosine, the scale SIM_FLOOR and the reviewer's floors use,
    # of the flows' own words: whether any path is described like the request at all.
    own = owner[:described_by_flows]
    best_of = np.array(
        [float(alike[:described_by_flows][own == n].max()) for n in range(len(options))]
    )
    score = np.array([_soft_max(similarities[owner == n]) for n in range(len(options))])
    order = np.argsort(-score, kind="stable")
    best = int(order[0])
    runner_up = float(score[order[1]]) if len(options) > 1 else SIM_FLOOR
    margin = float(score[best]) - runner_up
    trace = [
        {"flow_id": o.flow_id, "similarity": float(s), "score": float(f)}
        for o, s, f in zip(options, best_of, score, strict=True)
    ]
    label = options[best].name or options[best].flow_id
    if float(best_of.max()) < ROUTE_MIN_SIMILARITY:
        advice = (
            f"No path fits (closest: {label}, similarity {float(best_of.max()):.3f}):"
            " the gateway's conditions decide."
        )
        return abstain(advice, "no_clear_route"), trace
    confidence = round(min(1.0, max(0.0, margin) / ROUTE_MARGIN_FULL), 3)
    advice = (
        f"The request reads most like {label!r} (score {float(score[best]):.3f}, its closest"
        f" phrase {float(best_of[best]):.3f}; the next path {runner_up:.3f})."
    )
    return AiOutput(decision=options[best].flow_id, confidence=confidence, advice=advice), trace


def _soft_max(similarities: npt.NDArray[np.float32]) -> float:
    """log-sum-exp at ROUTE_SOFTNESS: the best phrase, plus a little for each other close one."""
    top = float(similarities.max())
    return top + ROUTE_SOFTNESS * math.log(
        float(np.exp((similarities - top) / ROUTE_SOFTNESS).sum())
    )


_PHRASES = re.compile(r"[,，、;；。.:：()（）]|\band\b|\bor\b")


def _flow_phrases(option: AiRouteOption) -> list[str]:
    """A flow's name and each phrase of its documentation (the whole of it if it has one)."""
    texts = [option.name or option.flow_id]
    if option.documentation:
        found = [p.strip() for p in _PHRASES.split(option.documentation) if len(p.strip()) >= 2]
        texts += found or [option.documentation]
    return list(dict.fromkeys(texts))


def abstain(advice: str, flag: str) -> AiOutput:
    return AiOutput(decision=ABSTAIN, confidence=0.0, advice=advice, risk_flags=[flag])
