"""The repository's labelled sets (``tests/ai/sets``): expenses, purchases and leave requests,
Chinese and English, each with the node whose AI configuration reviews it.

``routing`` (``routing_set``) is a labelled set of requests for an AI-routed gateway.

Every line says its ``split``: ``dev`` (what the offline reviewer was tuned on) or ``heldout``
(never looked at while tuning; only the evaluation report reads it). ``unclear`` cases are
the ones people must decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from activities.ai.evaluate import LabelledCase, Node, node_of, read_jsonl
from bpmn_compiler import compile_bpmn
from shenpi_core.process_plan import AiSpec, UserTask
from tests.helpers import REPO_ROOT

SETS_DIR = Path(__file__).resolve().parent / "sets"
# Set name -> (BPMN file, node id).
SETS: dict[str, tuple[Path, str]] = {
    "expenses": (REPO_ROOT / "processes" / "expense-claim.bpmn", "Task_AiReview"),
    "purchases": (SETS_DIR / "purchases.bpmn", "review"),
    "leave": (SETS_DIR / "leave.bpmn", "review"),
}


@dataclass(frozen=True)
class LabelledSet:
    name: str
    node: Node
    spec: AiSpec
    cases: list[LabelledCase]


def labelled_set(name: str, split: str | None = None) -> LabelledSet:
    path, node_id = SETS[name]
    plan = compile_bpmn(path.read_bytes()).plan
    task = plan.node(node_id)
    assert isinstance(task, UserTask) and task.ai is not None
    node = Node(plan.process_id, node_id, "user_task", task.name)
    return LabelledSet(name, node, task.ai, read_jsonl(SETS_DIR / f"{name}.jsonl", split=split))


def routing_set(split: str | None = None) -> LabelledSet:
    """Requests to a desk: which of five flows each goes to (or "unclear"), with unrelated
    variables (a random ``category``, an amount) riding along."""
    plan = compile_bpmn((SETS_DIR / "routing.bpmn").read_bytes()).plan
    node, spec = node_of(plan, "route")
    return LabelledSet("routing", node, spec, read_jsonl(SETS_DIR / "routing.jsonl", split=split))
