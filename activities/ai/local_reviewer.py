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
import time
from typing import Any, Literal

import numpy as np
from temporalio.exceptions import ApplicationError

from activities.ai.embedding import MODEL_NAME, embed
from activities.ai.evidence import (
    FIGURE_PENALTY,
    Precedent,
    above,
    above_ceiling,
    amount_above,
    comparable,
    document_differs,
    far,
    figures,
    number,
    opposite,
    rejected_for_size,
    shares_words,
    vague,
)
from activities.ai.extract import extract_fields
from activities.ai.local_routes import route
from activities.ai.policy import Limit, read_policy
from activities.ai.provider import Prepared, ProviderAnswer, ProviderCall, Sessions
from activities.ai.request_text import request_values
from activities.ai.schema import ABSTAIN, AiOutput
from shenpi.db.archive import precedents as archived_precedents
from shenpi.settings import Settings
from shenpi_core.contracts import AiMetrics, AiReviewInput

# e5 cosine similarities are compressed: two unrelated requests score about SIM_FLOOR, requests
# of the same kind (the same trip, the same private purchase, in either language) SIM_CEIL and
# above. Closeness maps that band linearly onto 0..1 (SHENPI_AI_LOCAL_MIN_SIMILARITY is on it).
SIM_FLOOR = 0.80
SIM_CEIL = 0.85
# The decision is the class of the nearest precedent; how sure it is, is how much nearer that
# precedent is than the nearest one of the other decision: confidence = margin / MARGIN_FULL
# (capped at 1). Calibrated on the dev halves of tests/ai/sets (docs/ai.md): a margin of 0.03
# scores 0.85, the default decide threshold, above which the dev sets were decided rightly.
MARGIN_FULL = 0.035
# A precedent that says missing what the request says is there (or the other way round) counts
# this much less similar: tuned on the dev halves like MARGIN_FULL.
NEGATION_PENALTY = 0.03
NEIGHBOURS = 5  # the nearest precedents named in the trace and the advice
# Approving an amount above every approved precedent's, or above the policy's own ceiling, or one
# its document contradicts, multiplies the confidence by this: at most 0.5, under any sensible
# decide threshold, so people decide.
AMOUNT_ABOVE_FACTOR = 0.5
# A request beyond a limit the policy rejects at ("leave longer than 20 days") is rejected with
# this confidence: the policy says so in as many words.
POLICY_LIMIT_CONFIDENCE = 0.95
_ACTIONS: dict[str, Literal["approve", "reject"]] = {"approved": "approve", "rejected": "reject"}
_PAST = {"approve": "approved", "reject": "rejected"}
_DECISIONS: dict[str, Literal["approve", "reject"]] = {"approve": "approve", "reject": "reject"}


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
            "policy": call.input.spec.policy,
            "documents": document_differs(variables),
        }
        if call.input.purpose == "route":
            read["options"] = _option_texts(call.input)
            if call.input.spec.examples:  # a route's examples steer it (local_routes)
                read["examples"] = [(e.decision, e.text) for e in call.input.spec.examples]
            return Prepared(cache_salt=_digest(read))
        found = await self._precedents(call.input)
        read["precedents"] = [(p.decision, p.text, p.amount) for p in found]
        return Prepared(cache_salt=_digest(read), state=found)

    async def _precedents(self, input: AiReviewInput) -> list[Precedent]:
        found = [
            Precedent(label, example.text, f"example {n}", *figures(example.text))
            for n, example in enumerate(input.spec.examples, start=1)
            if (label := _DECISIONS.get(example.decision)) is not None  # a task's: approve, reject
        ]
        async with (await self._sessions())() as session:
            decisions = await archived_precedents(session, input.process_id, input.node_id)
        seen: set[str] = set()
        for decision in decisions:  # newest first: an instance's last word on the request counts
            action = _ACTIONS.get(decision.action)
            # The instance under review is no precedent for itself (a rework, a calibration run).
            if action is None or decision.instance_id in (seen | {input.instance_id}):
                continue
            seen.add(decision.instance_id)
            try:
                text = request_values(decision.variables, input.spec.request)
            except ApplicationError:
                continue  # an old request the node's template cannot render: not comparable
            found.append(
                Precedent(
                    action,
                    text,
                    f"instance {decision.instance_id} ({decision.actor})",
                    number(decision.variables, "amount"),
                    number(decision.variables, "days"),
                )
            )
        return found

    async def answer(self, call: ProviderCall, prepared: Prepared) -> ProviderAnswer:
        started = time.perf_counter()
        if call.input.purpose == "route":
            output, trace = await route(call.input)
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
        variables = call.input.variables
        policy = read_policy(call.input.spec.policy)
        for limit in policy.limits:
            if limit.decision == "reject" and above(variables, limit):
                return _policy_rejects(limit, variables), []
        statements = [
            Precedent(s.decision, s.text, f"the policy ({s.text!r})") for s in policy.statements
        ]
        # A request within every reject limit (beyond one it was rejected above) is not compared
        # with precedents rejected for their size: alike in words, not in what was wrong.
        compared = [p for p in found if not rejected_for_size(p, policy.limits)] + statements
        needed = self._settings.ai_local_min_precedents
        if len(compared) < needed:
            return _abstain(_too_few(len(found), needed), "few_precedents"), []
        request = request_values(variables, call.input.spec.request)
        vectors = await embed([comparable(request), *(comparable(p.text) for p in compared)])
        similarities = vectors[1:] @ vectors[0]
        # The words are compared without figures; the figures are compared here: a precedent of
        # 86元 (or 30 days) is not like a request of 900元 (or 5 days), however alike the words.
        amount, days = number(variables, "amount"), number(variables, "days")
        similarities = similarities - FIGURE_PENALTY * np.array(
            [far(amount, p.amount) or far(days, p.days) for p in compared], dtype=np.float32
        )
        # And what they say is there or missing: "没有证明" is not "有证明", however alike the rest.
        similarities = similarities - NEGATION_PENALTY * np.array(
            [opposite(request, p.text) for p in compared], dtype=np.float32
        )
        # Sorted by the raw similarity: closeness saturates at 1, the similarity still ranks.
        ranked = sorted(
            zip((float(s) for s in similarities), compared, strict=True), key=lambda pair: -pair[0]
        )
        near = ranked[:NEIGHBOURS]
        trace = [{"source": p.source, "decision": p.decision, "similarity": s} for s, p in near]
        best, backing = ranked[0]
        if vague(request):
            advice = (
                "The request says too little to compare with earlier decisions"
                f" ({comparable(request)!r}): people decide."
            )
            return _abstain(advice, "vague_request"), trace
        if closeness(best) < self._settings.ai_local_min_similarity:
            advice = (
                f"Nothing decided before reads like this request (closest: {backing.source},"
                f" similarity {best:.3f}): a new kind of request for people to decide."
            )
            return _abstain(advice, "no_close_precedent"), trace
        winner = backing.decision
        other = next(((s, p) for s, p in ranked if p.decision != winner), None)
        margin = best - other[0] if other is not None else best - SIM_FLOOR
        confidence = min(1.0, max(0.0, margin / MARGIN_FULL))
        flags = ["precedents_disagree"] if margin < MARGIN_FULL / 2 else []
        notes = []
        # A word is telling if no precedent of the other decision, short of one that says the
        # opposite, uses it: "病假" in "病假 没有证明" (rejected for the missing certificate) tells
        # nothing against "病假 有病历".
        alike = [p for p in compared if not opposite(request, p.text)]
        if not shares_words(request, backing, alike):
            # Chinese on both sides, yet not one word of the precedent that only its decision's
            # precedents use: the likeness is in the phrasing ("购买…"), not in what is asked.
            flags.append("no_shared_words")
            notes.append(f"It shares no telling word with {backing.source}.")
            confidence *= AMOUNT_ABOVE_FACTOR
        if winner == "approve":
            checks = (
                (amount_above(variables, found), "amount_above_precedents",
                 "The amount is above every approved precedent's."),
                (above_ceiling(variables, policy.limits), "above_policy_limit",
                 "The request is above the policy's limit."),
                (document_differs(variables), "document_total_differs",
                 "The document's total differs from the claimed amount."),
            )  # fmt: skip
            for hit, flag, note in checks:
                if hit:
                    flags.append(flag)
                    notes.append(note)
                    confidence *= AMOUNT_ABOVE_FACTOR
        confidence = round(confidence, 3)
        advice = f"{winner.capitalize()}: it reads most like {backing.source} ({_PAST[winner]},"
        advice += f" similarity {best:.3f})"
        if other is not None:
            advice += f"; the nearest {_PAST[other[1].decision]} one is {other[1].source}"
            advice += f" ({other[0]:.3f})"
        advice += "."
        if notes:
            advice += " " + " ".join(notes) + " Confidence halved: people decide."
        output = AiOutput(decision=winner, confidence=confidence, advice=advice, risk_flags=flags)
        return output, trace

    async def aclose(self) -> None:
        return None


def _option_texts(input: AiReviewInput) -> list[str]:
    return [f"{o.name or o.flow_id}. {o.documentation or ''}".strip() for o in input.options]


def _digest(read: dict[str, Any]) -> str:
    material = json.dumps(read, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def _abstain(advice: str, flag: str) -> AiOutput:
    return AiOutput(decision=ABSTAIN, confidence=0.0, advice=advice, risk_flags=[flag])


def _too_few(count: int, needed: int) -> str:
    if count == 0:
        return (
            "No precedents yet: nobody has decided a request at this step, and the node has no"
            " examples or policy to compare with, so people decide. Once people have decided"
            f" {needed} requests here (or the node has examples or a policy), I compare new"
            " requests with theirs."
        )
    return (
        f"Only {count} precedent{'s' if count != 1 else ''} so far, too few to compare with"
        f" (from {needed} on I do), so people decide."
    )


def _policy_rejects(limit: Limit, variables: dict[str, Any]) -> AiOutput:
    value = number(variables, limit.variable)
    advice = (
        f"Reject: the policy says {limit.sentence!r}, and {limit.variable} is {value:g}"
        f" (above {limit.value:g})."
    )
    return AiOutput(
        decision="reject",
        confidence=POLICY_LIMIT_CONFIDENCE,
        advice=advice,
        risk_flags=["policy_limit"],
    )
