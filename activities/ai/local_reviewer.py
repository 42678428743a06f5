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
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from temporalio.exceptions import ApplicationError

from activities.ai.embedding import MODEL_NAME, embed
from activities.ai.extract import extract_fields
from activities.ai.policy import Limit, read_policy
from activities.ai.provider import Prepared, ProviderAnswer, ProviderCall, Sessions
from activities.ai.request_text import request_values, route_text
from activities.ai.schema import ABSTAIN, AiOutput
from shenpi.db.archive import precedents as archived_precedents
from shenpi.settings import Settings
from workflows.contracts import AiMetrics, AiReviewInput, AiRouteOption

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
NEIGHBOURS = 5  # the nearest precedents named in the trace and the advice
# Routes: the request's text (not its other variables) against each flow's name and the phrases
# of its documentation; the confidence is the best flow's lead over the next, / ROUTE_MARGIN_FULL.
# A vague text ("其他") abstains, and so does one no flow comes ROUTE_MIN_SIMILARITY close to.
ROUTE_MARGIN_FULL = 0.05
ROUTE_MIN_SIMILARITY = 0.84
# Approving an amount above every approved precedent's, or above the policy's own ceiling, or one
# its document contradicts, multiplies the confidence by this: at most 0.5, under any sensible
# decide threshold, so people decide.
AMOUNT_ABOVE_FACTOR = 0.5
# A request beyond a limit the policy rejects at ("leave longer than 20 days") is rejected with
# this confidence: the policy says so in as many words.
POLICY_LIMIT_CONFIDENCE = 0.95
DOCUMENT_TOLERANCE = 1.0  # CNY between the claimed amount and a document's total
# A precedent whose amount (or days) is more than FIGURE_RATIO times the request's, or less than
# a FIGURE_RATIO-th of it, counts FIGURE_PENALTY less similar: alike in words, not in size.
FIGURE_RATIO = 5.0
FIGURE_PENALTY = 0.05
_ACTIONS: dict[str, Literal["approve", "reject"]] = {"approved": "approve", "rejected": "reject"}
_PAST = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class Precedent:
    decision: Literal["approve", "reject"]
    text: str
    source: str  # "example 2" or "instance purchase:PO-7 (alice)": named in the advice
    amount: float | None = None
    days: float | None = None


_FIGURES = re.compile(r"[¥￥]?\d[\d,.]*\s*(?:元|块|天|days?|CNY|RMB|yuan)?", re.IGNORECASE)


def comparable(text: str) -> str:
    """The text as it is embedded: without figures. Amounts and days are compared as numbers
    (the policy's limits, the amounts of precedents); as words they only add noise."""
    return " ".join(_FIGURES.sub(" ", text).split()) or text


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
            "documents": _document_differs(variables),
        }
        if call.input.purpose == "route":
            read["options"] = _option_texts(call.input)
            return Prepared(cache_salt=_digest(read))
        found = await self._precedents(call.input)
        read["precedents"] = [(p.decision, p.text, p.amount) for p in found]
        return Prepared(cache_salt=_digest(read), state=found)

    async def _precedents(self, input: AiReviewInput) -> list[Precedent]:
        found = [
            Precedent(example.decision, example.text, f"example {n}", *_figures(example.text))
            for n, example in enumerate(input.spec.examples, start=1)
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
                    _number(decision.variables, "amount"),
                    _number(decision.variables, "days"),
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
        variables = call.input.variables
        policy = read_policy(call.input.spec.policy)
        for limit in policy.limits:
            if limit.decision == "reject" and _above(variables, limit):
                return _policy_rejects(limit, variables), []
        statements = [
            Precedent(s.decision, s.text, f"the policy ({s.text!r})") for s in policy.statements
        ]
        compared = found + statements
        needed = self._settings.ai_local_min_precedents
        if len(compared) < needed:
            return _abstain(_too_few(len(found), needed), "few_precedents"), []
        request = request_values(variables, call.input.spec.request)
        vectors = await embed([comparable(request), *(comparable(p.text) for p in compared)])
        similarities = vectors[1:] @ vectors[0]
        # The words are compared without figures; the figures are compared here: a precedent of
        # 86元 (or 30 days) is not like a request of 900元 (or 5 days), however alike the words.
        amount, days = _number(variables, "amount"), _number(variables, "days")
        similarities = similarities - FIGURE_PENALTY * np.array(
            [_far(amount, p.amount) or _far(days, p.days) for p in compared], dtype=np.float32
        )
        # Sorted by the raw similarity: closeness saturates at 1, the similarity still ranks.
        ranked = sorted(
            zip((float(s) for s in similarities), compared, strict=True), key=lambda pair: -pair[0]
        )
        near = ranked[:NEIGHBOURS]
        trace = [{"source": p.source, "decision": p.decision, "similarity": s} for s, p in near]
        best, backing = ranked[0]
        if _vague(request):
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
        if not _shares_words(request, backing, compared):
            # Chinese on both sides, yet not one word of the precedent that only its decision's
            # precedents use: the likeness is in the phrasing ("购买…"), not in what is asked.
            flags.append("no_shared_words")
            notes.append(f"It shares no telling word with {backing.source}.")
            confidence *= AMOUNT_ABOVE_FACTOR
        if winner == "approve":
            checks = (
                (_amount_above(variables, found), "amount_above_precedents",
                 "The amount is above every approved precedent's."),
                (_above_ceiling(variables, policy.limits), "above_policy_limit",
                 "The request is above the policy's limit."),
                (_document_differs(variables), "document_total_differs",
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

    async def _route(self, call: ProviderCall) -> tuple[AiOutput, list[dict[str, Any]]]:
        options = call.input.options
        if not options:
            return _abstain("No outgoing flow to choose from.", "no_options"), []
        request = route_text(call.input.variables, call.input.spec.request)
        if _vague(request):
            advice = (
                f"The request's text says too little to pick a path ({request!r}): the"
                " gateway's conditions decide."
            )
            return _abstain(advice, "vague_request"), []
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
            return _abstain(advice, "no_clear_route"), trace
        confidence = round(min(1.0, margin / ROUTE_MARGIN_FULL), 3)
        advice = (
            f"The request reads most like {label!r} (similarity {float(best_of[best]):.3f};"
            f" the next path {runner_up:.3f})."
        )
        return AiOutput(decision=options[best].flow_id, confidence=confidence, advice=advice), trace

    async def aclose(self) -> None:
        return None


_PHRASES = re.compile(r"[,，、;；。.:：()（）]|\band\b|\bor\b")


def _flow_phrases(option: AiRouteOption) -> list[str]:
    """A flow's name, its whole documentation, and each phrase of it."""
    texts = [option.name or option.flow_id]
    if option.documentation:
        texts.append(option.documentation)
        texts += [p.strip() for p in _PHRASES.split(option.documentation) if len(p.strip()) >= 2]
    return list(dict.fromkeys(texts))


def _option_texts(input: AiReviewInput) -> list[str]:
    return [f"{o.name or o.flow_id}. {o.documentation or ''}".strip() for o in input.options]


def _digest(read: dict[str, Any]) -> str:
    material = json.dumps(read, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def _abstain(advice: str, flag: str) -> AiOutput:
    return AiOutput(decision=ABSTAIN, confidence=0.0, advice=advice, risk_flags=[flag])


_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{3,}")


def _vague(request: str) -> bool:
    """ "其他", "Misc": fewer than 3 Chinese characters and fewer than 2 words of 3 letters."""
    text = comparable(request)
    return len(_CJK.findall(text)) < 3 and len(_WORD.findall(text)) < 2


def _figures(text: str) -> tuple[float | None, float | None]:
    """An example's amount and days, as its text states them ("860元", "3天")."""
    read = extract_fields(text)
    amount, days = read.get("amount"), read.get("days")
    return (
        float(amount) if isinstance(amount, int | float) else None,
        float(days) if isinstance(days, int | float) else None,
    )


def _far(value: float | None, other: float | None) -> bool:
    if value is None or other is None or value <= 0 or other <= 0:
        return False
    return max(value, other) / min(value, other) > FIGURE_RATIO


def _bigrams(text: str) -> set[str]:
    runs = re.findall(r"[\u4e00-\u9fff]+", comparable(text))
    return {run[i : i + 2] for run in runs for i in range(len(run) - 1)}


def _shares_words(request: str, backing: Precedent, compared: list[Precedent]) -> bool:
    """Whether a Chinese request shares a telling two-character word with the Chinese precedent
    it leans on: one used by precedents of that decision only. Other scripts: not checked."""
    if len(_CJK.findall(request)) < 2 or len(_CJK.findall(backing.text)) < 2:
        return True
    others = set().union(*(_bigrams(p.text) for p in compared if p.decision != backing.decision))
    return bool((_bigrams(request) & _bigrams(backing.text)) - others)


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


def _number(variables: dict[str, Any], name: str) -> float | None:
    value = variables.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _above(variables: dict[str, Any], limit: Limit) -> bool:
    value = _number(variables, limit.variable)
    return value is not None and value > limit.value


def _above_ceiling(variables: dict[str, Any], limits: tuple[Limit, ...]) -> bool:
    return any(limit.decision == "approve" and _above(variables, limit) for limit in limits)


def _policy_rejects(limit: Limit, variables: dict[str, Any]) -> AiOutput:
    value = _number(variables, limit.variable)
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


def _amount_above(variables: dict[str, Any], found: list[Precedent]) -> bool:
    """Approving more than any approved precedent ever asked for."""
    amount = _number(variables, "amount")
    approved = [p.amount for p in found if p.decision == "approve" and p.amount is not None]
    return amount is not None and bool(approved) and amount > max(approved)


def _document_differs(variables: dict[str, Any]) -> bool:
    """An OCR result (``{"ocr": {"fields": {"total": ...}}}``) whose total is not the amount."""
    amount = _number(variables, "amount")
    if amount is None:
        return False
    for value in variables.values():
        summary = value.get("ocr") if isinstance(value, dict) else None
        fields = summary.get("fields") if isinstance(summary, dict) else None
        total = fields.get("total") if isinstance(fields, dict) else None
        read = total.get("value") if isinstance(total, dict) else None
        if isinstance(read, int | float) and abs(float(read) - amount) > DOCUMENT_TOLERANCE:
            return True
    return False
