"""Check rules for what could deploy but never run: too many nodes, too wide a fan-out, too
large a plan (docs/compiler.md "Limits").

Every start carries its plan in the workflow input, which Temporal caps at 2 MB together with the
variables; and one workflow task opens every branch of a fan-out at once, so thousands of
branches overrun the SDK's 2-second deadlock detector. Both are refused here, at deploy time.
"""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.model import BpmnModel
from bpmn_compiler.rules_flow import diag
from shenpi_core.process_plan import ProcessPlan

MAX_NODES = 1000
# The process id is the workflow type and half of the ShenpiVersion search attribute.
MAX_PROCESS_ID_LENGTH = 128
MAX_FAN_OUT = 100
# Leaves room for the start variables (at most 256 KiB) and continue-as-new's snapshot under
# Temporal's 2 MB payload limit.
MAX_PLAN_BYTES = 1024 * 1024


def check_limits(model: BpmnModel) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if len(model.process_id) > MAX_PROCESS_ID_LENGTH:
        found.append(
            Diagnostic(
                code="process-id-too-long",
                message=f"the process id has {len(model.process_id)} characters, more than "
                f"{MAX_PROCESS_ID_LENGTH}: it names every instance's workflow type",
                element_id=model.process_id[:MAX_PROCESS_ID_LENGTH],
                line=model.process_line,
            )
        )
    if len(model.nodes) > MAX_NODES:
        found.append(
            Diagnostic(
                code="process-too-large",
                message=f"the process has {len(model.nodes)} flow nodes, more than {MAX_NODES}: "
                "split it with call activities or separate processes",
                element_id=model.process_id,
                line=model.process_line,
            )
        )
    for node in model.nodes.values():
        if len(node.outgoing) > MAX_FAN_OUT:
            found.append(
                diag(
                    "fan-out-too-wide",
                    f"{len(node.outgoing)} outgoing flows, more than {MAX_FAN_OUT}: one workflow "
                    "task would open them all at once",
                    node,
                )
            )
    return found


# The stored JSON (``model_dump_json(exclude_defaults=True)``) holds what the hashed canonical JSON
# holds, less each node's kind, plus the 64-digit hash. Both write strings, integers and keys alike;
# only floats differ: pydantic writes one under 1e-4 without an exponent (``0.00001`` for
# ``1e-05``), at most 1.4 times as long. So the stored JSON is shorter than twice the canonical
# JSON plus the hash field, and a plan whose canonical JSON is that small needs no second
# serialisation to be known under the limit (docs/benchmarks.md "Compiling the real-world corpus").
_HASH_FIELD_BYTES = 128


def plan_size_problem(
    plan: ProcessPlan, process_line: int | None, *, canonical_size: int | None = None
) -> Diagnostic | None:
    """``plan-too-large`` if the plan's JSON is over the limit; ``canonical_size`` (the bytes
    ``ProcessPlan.hashed`` measured) spares measuring a plan that is clearly small."""
    if canonical_size is not None and 2 * canonical_size + _HASH_FIELD_BYTES <= MAX_PLAN_BYTES:
        return None
    size = len(plan.model_dump_json(exclude_defaults=True).encode("utf-8"))
    if size <= MAX_PLAN_BYTES:
        return None
    return Diagnostic(
        code="plan-too-large",
        message=f"the compiled plan takes {size} bytes, more than {MAX_PLAN_BYTES}: every start "
        "carries it, and Temporal refuses inputs over 2 MB",
        element_id=plan.process_id,
        line=process_line,
    )
