"""Calibration: a node's AI configuration replayed over requests whose right answer is known.

The cases are a node's archived human decisions (each reviewed without its own instance among
the precedents: leave one out) or a labelled JSONL file. Every case goes through the configured
provider exactly as a review would (the same prompt, the same precedents), but nothing is cached,
stored or decided. The report says, per threshold, how many clear cases the AI would decide
(coverage) and how many of its decisions would be right (precision), its agreement with people,
the cases where they disagree, and the lowest threshold that reaches a target precision: the
evidence for moving a node from shadow to advise to decide (docs/ai.md, "Calibration").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from activities.ai.prompts import Document, load_documents, render
from activities.ai.provider import Provider, ProviderCall
from activities.ai.request_text import request_values, route_text
from activities.ai.schema import ABSTAIN, decisions_for, output_schema
from shenpi.blobs import open_blob_store
from shenpi.db.archive import precedents as archived_precedents
from shenpi.db.lazy import LazyDatabase
from shenpi.settings import Settings
from shenpi_core.contracts import ACTIVITY_AI_REVIEW, AiReviewInput, AiRouteOption
from shenpi_core.process_plan import (
    AiExample,
    AiSpec,
    ExclusiveGateway,
    ProcessPlan,
    ServiceTask,
    UserTask,
)

# A case labelled "unclear" is one people must decide: any decision the AI takes on it is wrong.
UNCLEAR = "unclear"
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
_ACTIONS = {"approved": "approve", "rejected": "reject"}


@dataclass(frozen=True)
class LabelledCase:
    variables: dict[str, Any]
    label: str  # approve, reject, a flow id (routes) or "unclear"
    source: str  # "line 3" or "instance expense:7 (mia)": named in the report
    instance_id: str | None = None  # an archived case's own instance, left out of precedents
    split: str | None = None  # "dev" / "heldout" in the repository's own sets


@dataclass(frozen=True)
class Answer:
    case: LabelledCase
    decision: str
    confidence: float
    advice: str

    def decides(self, threshold: float) -> bool:
        return self.decision != ABSTAIN and self.confidence >= threshold


@dataclass(frozen=True)
class Row:
    threshold: float
    decided: int  # decisions at or above the threshold
    correct: int
    clear: int  # cases with a definite label
    covered: int  # clear cases decided rightly

    @property
    def coverage(self) -> float:
        return self.covered / self.clear if self.clear else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.decided if self.decided else 1.0


@dataclass
class Report:
    node_id: str
    threshold: float  # the node's own
    answers: list[Answer] = field(default_factory=list)

    def at(self, threshold: float) -> Row:
        decided = [a for a in self.answers if a.decides(threshold)]
        correct = sum(1 for a in decided if a.decision == a.case.label)
        clear = sum(1 for a in self.answers if a.case.label != UNCLEAR)
        return Row(threshold, len(decided), correct, clear, correct)

    def rows(self, thresholds: Iterable[float] = THRESHOLDS) -> list[Row]:
        return [self.at(t) for t in sorted({*thresholds, self.threshold})]

    @property
    def agreement(self) -> float:
        """Among the clear cases the AI answered (abstentions aside, whatever the confidence),
        the share where it answered as people did."""
        answered = [a for a in self.answers if a.case.label != UNCLEAR and a.decision != ABSTAIN]
        if not answered:
            return 0.0
        return sum(1 for a in answered if a.decision == a.case.label) / len(answered)

    def disagreements(self) -> list[Answer]:
        """Answers other than the label (abstentions aside), most confident first."""
        wrong = [a for a in self.answers if a.decision != ABSTAIN and a.decision != a.case.label]
        return sorted(wrong, key=lambda a: -a.confidence)

    def threshold_for(self, precision: float) -> float | None:
        """The lowest threshold (to 0.001) whose decisions reach ``precision``, so the most
        cases are decided; None if no threshold does."""
        candidates = sorted({a.confidence for a in self.answers if a.decision != ABSTAIN})
        for n, threshold in enumerate(candidates):
            row = self.at(threshold)
            if row.decided and row.precision >= precision:
                # Anything above the next lower confidence decides the same cases.
                return threshold if n == 0 else min(threshold, round(candidates[n - 1] + 0.001, 3))
        return None

    def text(self, target: float = 0.98) -> str:
        """The report as people read it in a terminal (``shenpi ai eval``)."""
        lines = [f"node {self.node_id}: {len(self.answers)} cases", ""]
        lines.append(f"{'threshold':>9} {'decided':>8} {'coverage':>9} {'precision':>10}")
        for row in self.rows():
            mark = " <- node" if row.threshold == self.threshold else ""
            lines.append(
                f"{row.threshold:>9.2f} {row.decided:>8} {row.coverage:>9.1%}"
                f" {row.precision:>10.1%}{mark}"
            )
        found = self.threshold_for(target)
        lines.append("")
        lines.append(f"agreement with people: {self.agreement:.1%}")
        reach = f"{found:.3f}" if found is not None else "none (keep people deciding)"
        lines.append(f"threshold reaching {target:.0%} precision: {reach}")
        wrong = self.disagreements()
        if wrong:
            lines.append("")
            lines.append("disagreements (most confident first):")
            for a in wrong[:20]:
                lines.append(
                    f"  {a.case.source}: AI {a.decision} {a.confidence:.2f}, people"
                    f" {a.case.label}: {a.advice[:120]}"
                )
        return "\n".join(lines)

    def public(self, target: float = 0.98) -> dict[str, Any]:
        """The report as JSON (the admin API)."""
        return {
            "node_id": self.node_id,
            "cases": len(self.answers),
            "node_threshold": self.threshold,
            "rows": [
                {
                    "threshold": r.threshold,
                    "decided": r.decided,
                    "coverage": round(r.coverage, 4),
                    "precision": round(r.precision, 4),
                }
                for r in self.rows()
            ],
            "agreement": round(self.agreement, 4),
            "target_precision": target,
            "threshold_for_target": self.threshold_for(target),
            "disagreements": [
                {
                    "source": a.case.source,
                    "label": a.case.label,
                    "decision": a.decision,
                    "confidence": a.confidence,
                    "advice": a.advice,
                }
                for a in self.disagreements()
            ],
        }


def read_jsonl(path: Path, *, split: str | None = None) -> list[LabelledCase]:
    """Cases from a JSONL file: ``{"variables": {...}, "label": "approve"}`` per line (``split``:
    only the lines of that split, when they say one)."""
    cases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        item = json.loads(raw)
        if split is not None and item.get("split", split) != split:
            continue
        cases.append(
            LabelledCase(
                variables=dict(item["variables"]),
                label=str(item["label"]),
                source=f"line {number}",
                split=item.get("split"),
            )
        )
    return cases


async def archived_cases(
    session: Any, process_id: str, node_id: str, *, limit: int = 500
) -> list[LabelledCase]:
    """A node's archived human decisions as cases: the last word per instance, approve/reject."""
    decisions = await archived_precedents(session, process_id, node_id, limit=limit)
    cases: list[LabelledCase] = []
    seen: set[str] = set()
    for decision in decisions:
        action = _ACTIONS.get(decision.action)
        if action is None or decision.instance_id in seen:
            continue
        seen.add(decision.instance_id)
        source = f"instance {decision.instance_id} ({decision.actor})"
        cases.append(LabelledCase(decision.variables, action, source, decision.instance_id))
    return cases


@dataclass(frozen=True)
class Node:
    """What a review needs of the node besides its spec."""

    process_id: str
    node_id: str
    kind: Literal["user_task", "service_task", "exclusive"]
    name: str | None = None
    options: Sequence[AiRouteOption] = ()


Documents = Callable[[dict[str, Any]], Awaitable[list[Document]]]


async def evaluate(
    provider: Provider,
    node: Node,
    spec: AiSpec,
    cases: Sequence[LabelledCase],
    *,
    documents: Documents | None = None,
    examples: Sequence[AiExample] = (),
) -> Report:
    """Every case through ``provider`` as the node would review it; nothing is stored.

    ``examples`` are tried as more of the node's own (``examples_from``); a case is no example
    for itself, so examples and cases may come from the same requests (leave-one-out)."""
    report = Report(node.node_id, spec.threshold)
    for n, case in enumerate(cases, start=1):
        if examples:
            own = _example_text(node, spec, case.variables)
            extra = tuple(e for e in examples if e.text != own)
            spec_for = spec.model_copy(update={"examples": (*spec.examples, *extra)})
        else:
            spec_for = spec
        review = AiReviewInput(
            instance_id=case.instance_id or f"eval:{node.process_id}:{n}",
            process_id=node.process_id,
            node_id=node.node_id,
            node_name=node.name,
            node_kind=node.kind,
            purpose="route" if node.kind == "exclusive" else "review",
            spec=spec_for,
            variables=case.variables,
            options=list(node.options),
        )
        docs = await documents(case.variables) if documents is not None else []
        prompt = render(review, docs)
        decisions = decisions_for(review.purpose, review.options)
        call = ProviderCall(
            review, prompt, decisions, provider.model_for(review), output_schema(decisions)
        )
        prepared = await provider.prepare(call)
        output = (await provider.answer(call, prepared)).output
        report.answers.append(Answer(case, output.decision, output.confidence, output.advice))
    return report


def examples_from(node: Node, spec: AiSpec, cases: Sequence[LabelledCase]) -> list[AiExample]:
    """Labelled requests as examples of the node: for a route, each request's text under the
    flow it took; for a review, under approve or reject. Cases labelled otherwise ("unclear")
    are no example of anything."""
    allowed = (
        {o.flow_id for o in node.options} if node.kind == "exclusive" else set(_ACTIONS.values())
    )
    return [
        AiExample(decision=case.label, text=text)
        for case in cases
        if case.label in allowed and (text := _example_text(node, spec, case.variables))
    ]


def _example_text(node: Node, spec: AiSpec, variables: dict[str, Any]) -> str:
    """What the node compares of a request: a route its free text, a review its values."""
    if node.kind == "exclusive":
        return route_text(variables, spec.request)
    return request_values(variables, spec.request)


class EvalError(ValueError):
    """The node cannot be evaluated as asked (no AI step there, a provider that answers later)."""


def node_of(plan: ProcessPlan, node_id: str) -> tuple[Node, AiSpec]:
    """The node's place and AI configuration; ``EvalError`` when it has no AI step."""
    found = next((n for n in plan.nodes if n.id == node_id), None)
    if isinstance(found, UserTask) and found.ai is not None and found.ai.mode != "route":
        return Node(plan.process_id, node_id, "user_task", found.name), found.ai
    if isinstance(found, ServiceTask) and found.task_type == ACTIVITY_AI_REVIEW:
        return Node(plan.process_id, node_id, "service_task", found.name), found.ai or AiSpec()
    if isinstance(found, ExclusiveGateway) and found.ai is not None:
        flows = {f.id: f for f in plan.flows}
        options = [
            AiRouteOption(flow_id=f, name=flows[f].name, documentation=flows[f].documentation)
            for f in found.outgoing
        ]
        return Node(plan.process_id, node_id, "exclusive", found.name, options), found.ai
    raise EvalError(f"{plan.process_id} has no AI step {node_id!r}")


async def evaluate_node(
    settings: Settings,
    plan: ProcessPlan,
    node_id: str,
    cases: Sequence[LabelledCase] | None = None,
    examples: Sequence[LabelledCase] = (),
) -> Report:
    """Replay ``cases`` (None: the node's archived human decisions) through the node's AI
    configuration with the configured provider, ``examples`` tried as more of the node's own;
    documents are read from the blob store."""
    from activities.ai.activity import build_provider

    node, spec = node_of(plan, node_id)
    if settings.ai_provider == "callback":
        raise EvalError("a callback provider answers later: evaluate with local or openai")
    sessions = LazyDatabase(settings)
    provider = build_provider(settings, sessions, None)
    blobs = open_blob_store(settings)
    try:
        if cases is None:
            async with (await sessions())() as session:
                cases = await archived_cases(session, plan.process_id, node_id)

        async def documents(variables: dict[str, Any]) -> list[Document]:
            return await load_documents(lambda: blobs, variables)

        tried = examples_from(node, spec, examples)
        return await evaluate(provider, node, spec, cases, documents=documents, examples=tried)
    finally:
        await provider.aclose()
        await blobs.aclose()
        await sessions.aclose()
