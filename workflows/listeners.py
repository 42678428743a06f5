"""Engine listeners as activities: a node's ``start`` listeners run before it, its ``end``
listeners after it completed and before the flow goes on (docs/interpreter.md "Listeners").

Each listener is an activity of the type it names, run one after the other like a service task
(same retries, same `waiting_for_worker` and `activity_failed` incidents); what it returns is
set as variables where the node is. The token's ``listener`` says where it stands: ``start:<i>``
or ``end:<i>`` while the i-th runs, ``started`` / ``ended`` once they all ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shenpi_core.contracts import ServiceTaskInput
from shenpi_core.process_plan import Listener, Node, ServiceTask
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine


def of(node: Node, event: str) -> list[Listener]:
    return [listener for listener in node.listeners if listener.event == event]


def before(engine: Engine, token: Token, node: Node) -> bool:
    """Run the node's start listeners first; True: the token waits for them."""
    if not node.listeners or token.listener not in (None, "ended") or not of(node, "start"):
        return False
    _run(engine, token, node, "start", 0)
    return True


def after(engine: Engine, token: Token, node: Node) -> bool:
    """Run the node's end listeners before the flow goes on; True: the token waits for them."""
    if not node.listeners or token.listener in ("ended",) or not of(node, "end"):
        return False
    if token.listener is not None and token.listener.startswith("end:"):
        return True  # already running
    _run(engine, token, node, "end", 0)
    return True


def running(token: Token) -> bool:
    return token.listener is not None and ":" in token.listener


def completed(engine: Engine, token: Token, result: dict[str, Any]) -> None:
    """One listener answered: set what it returned, then run the next or go on."""
    assert token.listener is not None
    event, number = token.listener.split(":")
    node = engine.index.node(token.node_id)
    engine.assign(token, result)
    engine.record("listener_completed", node.id, details={"event": event, "index": int(number)})
    following = int(number) + 1
    if following < len(of(node, event)):
        _run(engine, token, node, event, following)
        return
    engine.listened(token, "started" if event == "start" else "ended")


def _run(engine: Engine, token: Token, node: Node, event: str, number: int) -> None:
    listener = of(node, event)[number]
    task = ServiceTask(
        id=node.id,
        name=f"{event} listener {listener.task_type}",
        task_type=listener.task_type,
        builtin=False,
    )
    arg = ServiceTaskInput(
        instance_id=engine.workflow_id,
        node_id=node.id,
        process_id=engine.index.plan.process_id,
        config={"listener_event": event},
        variables=engine.view(token),
    )
    engine.listen_in(token, f"{event}:{number}")
    engine.waits.start_service(token.id, task, arg)
