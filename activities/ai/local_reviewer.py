"""The offline precedent reviewer (provider ``local``): no network, no model download.

It embeds the request with a packaged multilingual model and compares it with labelled
precedents: the node's ``<shenpi:example>`` texts and the human decisions archived for the same
process and task. A similarity-weighted vote of the nearest precedents decides; the confidence is
calibrated (docs/ai.md, "The offline reviewer"); it abstains when precedents are too few or too
far. Routes compare the request with each outgoing flow's name and documentation.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from temporalio.exceptions import ApplicationError

from activities.ai.embedding import MODEL_NAME, embed
from activities.ai.extract import extract_fields
from activities.ai.provider import Prepared, ProviderAnswer, ProviderCall, Sessions
from activities.ai.request_text import request_values
from activities.ai.schema import ABSTAIN, AiOutput
from shenpi.db.archive import precedents as archived_precedents
from shenpi.settings import Settings
from workflows.contracts import AiMetrics, AiReviewInput

# e5 cosine similarities are compressed: two unrelated requests score about SIM_FLOOR, requests
# of the same kind (the same trip, the same private purchase) SIM_CEIL and above. Closeness maps
# that band linearly onto 0..1. Measured on Chinese expense claims (docs/ai.md).
SIM_FLOOR = 0.88
SIM_CEIL = 0.94
NEIGHBOURS = 5  # k of the k-NN vote
VOTE_SCALE = 0.02  # similarity difference over which a neighbour's vote falls by e
DISAGREEMENT = 0.75  # below this agreement the advice carries the flag precedents_disagree
# Routes: a softmax over the similarities with this temperature gives each flow a share; the
# best must take at least ROUTE_MIN_SHARE to stand out, and be at least ROUTE_MIN_SIMILARITY
# close (a vague request like "其他" is about equally far from every flow, and far from all).
ROUTE_TEMPERATURE = 0.01
ROUTE_MIN_SHARE = 0.6
ROUTE_MIN_SIMILARITY = 0.865
# Approving an amount above every approved precedent's multiplies the confidence by this: at
# most 0.5, under any sensible decide threshold, so such a claim goes to people.
AMOUNT_ABOVE_FACTOR = 0.5
_ACTIONS: dict[str, Literal["approve", "reject"]] = {"approved": "approve", "rejected": "reject"}
_PAST = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class Precedent:
    decision: Literal["approve", "reject"]
    text: str
    source: str  # "example 2" or "instance purchase:PO-7 (alice)": named in the advice
    amount: float | None = None


def closeness(similarity: float) -> float:
    """A cosine similarity mapped onto 0..1 (SIM_FLOOR → 0, SIM_CEIL → 1, clipped)."""
    return float(np.clip((similarity - SIM_FLOOR) / (SIM_CEIL - SIM_FLOOR), 0.0, 1.0))


class LocalReviewer:
    name = "local"

    def __init__(self, settings: Settings, sessions: Sessions) -> None:
        self._settings = settings
        self._sessions = sessions

    def model_for(self, input: AiReviewInput) -> str:
        return MODEL_NAME

    async def prepare(self, call: ProviderCall) -> Prepared:
        # A custom prompt need not show what this reviewer reads (the compared request text,
        # the amount, the flows' texts, the variable names extraction leaves alone): all of it
        # goes into the cache key, or a 50元 taxi and a 99999元 yacht would share one answer.
        variables = call.input.variables
        read: dict[str, Any] = {
            "request": request_values(variables, call.input.spec.request),
            "shown": call.prompt.request,
            "amount": variables.get("amount"),
            "names": sorted(k for k in variables if isinstance(k, str)),
        }
        if call.input.purpose == "route":
            read["options"] = _option_texts(call.input)
            return Prepared(cache_salt=_digest(read))
        found = await self._precedents(call.input)
        read["precedents"] = [(p.decision, p.text, p.amount) for p in found]
        return Prepared(cache_salt=_digest(read), state=found)

    async def _precedents(self, input: AiReviewInput) -> list[Precedent]:
        found = [
            Precedent(example.decision, example.text, f"example {n}")
            for n, example in enumerate(input.spec.examples, start=1)
        ]
        async with (await self._sessions())() as session:
            decisions = await archived_precedents(session, input.process_id, input.node_id)
        seen: set[str] = set()
        for decision in decisions:  # newest first: an instance's last word on the request counts
            action = _ACTIONS.get(decision.action)
            if action is None or decision.instance_id in seen:
                continue
            seen.add(decision.instance_id)
            try:
                text = request_values(decision.variables, input.spec.request)
            except ApplicationError:
                continue  # an old request the node's template cannot render: not comparable
            amount = decision.variables.get("amount")
            found.append(
                Precedent(
                    action,
                    text,
                    f"instance {decision.instance_id} ({decision.actor})",
                    float(amount) if isinstance(amount, int | float) else None,
                )
            )
        return found

    async def answer(self, call: ProviderCall, prepared: Prepared) -> ProviderAnswer:
        started = time.perf_counter()
        if call.input.purpose == "route":
            output, trace = await self._route(call)
        else:
            output, trace = await self._review(call, prepared.state or [])
        read = extract_fields(call.prompt.request)
        # The requester's own variables stay as they are: only what they did not state is added.
        extracted = {k: v for k, v in read.items() if k not in call.input.variables}
        output = output.model_copy(update={"extracted": extracted})
        metrics = AiMetrics(
            provider=self.name, model=MODEL_NAME, latency_ms=(time.perf_counter() - started) * 1000
        )
        transcript = json.dumps({**output.model_dump(), "trace": trace}, ensure_ascii=False)
        return ProviderAnswer(output, metrics, transcript)

    async def _review(
        self, call: ProviderCall, found: list[Precedent]
    ) -> tuple[AiOutput, list[dict[str, Any]]]:
        needed = self._settings.ai_local_min_precedents
        if len(found) < needed:
            advice = f"Too few precedents to compare with ({len(found)}, needs {needed})."
            return _abstain(advice, "few_precedents"), []
        request = request_values(call.input.variables, call.input.spec.request)
        vectors = await embed([request, *(p.text for p in found)])
        similarities = vectors[1:] @ vectors[0]
        # Sorted by the raw similarity: closeness saturates at 1, the similarity still ranks.
        near = sorted(
            zip((float(s) for s in similarities), found, strict=True), key=lambda pair: -pair[0]
        )[:NEIGHBOURS]
        trace = [{"source": p.source, "decision": p.decision, "similarity": s} for s, p in near]
        nearest = closeness(near[0][0])
        if nearest < self._settings.ai_local_min_similarity:
            advice = (
                f"No precedent is close enough (closest: {near[0][1].source}, "
                f"closeness {nearest:.2f}): a new kind of request."
            )
            return _abstain(advice, "no_close_precedent"), trace
        votes = {"approve": 0.0, "reject": 0.0}
        for s, p in near:
            # Relative to the nearest: a precedent VOTE_SCALE less similar weighs 1/e as much, so
            # a clear nearest match is not outvoted by a crowd of middling ones.
            votes[p.decision] += math.exp((s - near[0][0]) / VOTE_SCALE)
        winner = max(votes, key=lambda d: votes[d])
        agreement = votes[winner] / sum(votes.values())
        backing = [(s, p) for s, p in near if p.decision == winner]
        confidence = agreement * closeness(backing[0][0])
        flags = ["precedents_disagree"] if agreement < DISAGREEMENT else []
        flags += _amount_flags(call.input.variables, winner, found)
        if "amount_above_precedents" in flags:
            # Worded like an approved claim, but larger than any: people decide, not the words.
            confidence *= AMOUNT_ABOVE_FACTOR
        confidence = round(confidence, 3)
        leaned = "; ".join(f"{p.source} (similarity {s:.3f})" for s, p in backing[:3])
        advice = (
            f"{winner.capitalize()}: {len(backing)} of the {len(near)} nearest precedents were "
            f"{_PAST[winner]} (agreement {agreement:.2f}). Leaned on: {leaned}."
        )
        if "amount_above_precedents" in flags:
            advice += " The amount is above every approved precedent's: confidence halved."
        output = AiOutput(decision=winner, confidence=confidence, advice=advice, risk_flags=flags)
        return output, trace

    async def _route(self, call: ProviderCall) -> tuple[AiOutput, list[dict[str, Any]]]:
        options = call.input.options
        if not options:
            return _abstain("No outgoing flow to choose from.", "no_options"), []
        texts = _option_texts(call.input)
        request = request_values(call.input.variables, call.input.spec.request)
        vectors = await embed([request, *texts])
        similarities = vectors[1:] @ vectors[0]
        weights = np.exp((similarities - similarities.max()) / ROUTE_TEMPERATURE)
        shares = weights / weights.sum()
        best = int(np.argmax(shares))
        trace = [
            {"flow_id": o.flow_id, "similarity": float(s), "share": float(w)}
            for o, s, w in zip(options, similarities, shares, strict=True)
        ]
        label = options[best].name or options[best].flow_id
        if float(shares[best]) < ROUTE_MIN_SHARE or similarities[best] < ROUTE_MIN_SIMILARITY:
            advice = f"No path stands out (best: {label}, share {float(shares[best]):.2f})."
            return _abstain(advice, "no_clear_route"), trace
        advice = f"The request reads most like {label!r} (share {float(shares[best]):.2f})."
        confidence = round(float(shares[best]), 3)
        return AiOutput(decision=options[best].flow_id, confidence=confidence, advice=advice), trace

    async def aclose(self) -> None:
        return None


def _option_texts(input: AiReviewInput) -> list[str]:
    return [f"{o.name or o.flow_id}. {o.documentation or ''}".strip() for o in input.options]


def _digest(read: dict[str, Any]) -> str:
    material = json.dumps(read, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def _abstain(advice: str, flag: str) -> AiOutput:
    return AiOutput(decision=ABSTAIN, confidence=0.0, advice=advice, risk_flags=[flag])


def _amount_flags(variables: dict[str, Any], winner: str, found: list[Precedent]) -> list[str]:
    """``amount_above_precedents``: approving more than any approved precedent ever asked for."""
    amount = variables.get("amount")
    approved = [p.amount for p in found if p.decision == "approve" and p.amount is not None]
    if winner != "approve" or not isinstance(amount, int | float) or not approved:
        return []
    return ["amount_above_precedents"] if amount > max(approved) else []
