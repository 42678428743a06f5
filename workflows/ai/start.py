"""Putting a token into its reviewing phase: the ``ai-review`` activity runs, the token waits.

Synchronous over data, like the engine; the activity itself is a wait (``WorkflowWaits``).
"""

from __future__ import annotations

from typing import Any, Literal

from shenpi_core.contracts import ACTIVITY_AI_REVIEW, AiReviewInput, AiRouteOption
from shenpi_core.process_plan import AiSpec, ExclusiveGateway, ServiceTask, UserTask
from workflows.machine import TokenMachine
from workflows.tokens import Token

NodeKind = Literal["user_task", "service_task", "exclusive"]


def reviews(node: UserTask) -> bool:
    """A user task reviewed by the AI before it opens (advise, decide or shadow)."""
    return node.ai is not None and node.ai.mode in ("advise", "decide", "shadow")


def routes(node: ExclusiveGateway) -> bool:
    """On a gateway the AI can only route (the compiler refuses other modes there)."""
    return node.ai is not None


def is_ai_service(node: ServiceTask) -> bool:
    return node.task_type == ACTIVITY_AI_REVIEW


def service_spec(node: ServiceTask) -> AiSpec:
    """An ``ai-review`` service task drawn without ``<shenpi:ai>`` reviews with the defaults."""
    return node.ai or AiSpec()


def review_task(machine: TokenMachine, token: Token, node: UserTask) -> None:
    assert node.ai is not None
    # What the task's expressions see: a subprocess's locals (each instance's element of a
    # multi-instance one) over the process's variables.
    _begin(machine, token, node, node.ai, "user_task", machine.view(token))


def review_service(
    machine: TokenMachine, token: Token, node: ServiceTask, variables: dict[str, Any]
) -> None:
    _begin(machine, token, node, service_spec(node), "service_task", variables, node.task_queue)


def route(machine: TokenMachine, token: Token, node: ExclusiveGateway) -> None:
    assert node.ai is not None
    options = [
        AiRouteOption(flow_id=f.id, name=f.name, documentation=f.documentation)
        for f in machine.index.outgoing(node)
    ]
    _begin(machine, token, node, node.ai, "exclusive", machine.view(token), options=options)


def _begin(
    machine: TokenMachine,
    token: Token,
    node: UserTask | ServiceTask | ExclusiveGateway,
    spec: AiSpec,
    kind: NodeKind,
    variables: dict[str, Any],
    task_queue: str | None = None,
    *,
    options: list[AiRouteOption] | None = None,
) -> None:
    arg = AiReviewInput(
        instance_id=machine.workflow_id,
        process_id=machine.index.plan.process_id,
        node_id=node.id,
        node_name=node.name,
        node_kind=kind,
        purpose="route" if kind == "exclusive" else "review",
        spec=spec,
        variables=dict(variables),
        options=options or [],
        initiator=machine.state.initiator,
    )
    machine.wait(token, reviewing=True)
    machine.waits.start_review(token.id, arg, task_queue)
