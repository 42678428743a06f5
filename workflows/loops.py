"""Standard loops (``standardLoopCharacteristics``): an activity that runs again while its
condition holds (docs/interpreter.md "Loops").

``token.loop`` counts the completed runs while the token is in the loop; the variable
``loopCounter`` is that count too (0 before the first run), as BPMN defines it, set before each
test and each run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shenpi_core.expressions import evaluate_bool
from shenpi_core.process_plan import Node, StandardLoop
from workflows import compensation
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine


def loop_of(node: Node) -> StandardLoop | None:
    return getattr(node, "loop", None)


def entering(engine: Engine, token: Token, node: Node) -> bool:
    """Before a run: False when a test-before loop is over (the token then leaves the node
    without running it); else the run goes ahead with its ``loopCounter`` set."""
    loop = loop_of(node)
    if loop is None:
        return True
    runs = token.loop or 0
    engine.assign(token, {"loopCounter": runs})
    if loop.test_before and not _again(engine, token, loop, runs):
        if runs:  # a loop that never ran did nothing to undo
            compensation.run_ended(engine, token, node, "loop")
        engine.loop_run(token, None)
        engine.passed(token)
        return False
    engine.loop_run(token, runs)
    return True


def leaving(engine: Engine, token: Token, node: Node) -> bool:
    """After a run: True when the activity runs again (the token re-enters it)."""
    loop = loop_of(node)
    if loop is None or token.loop is None:
        return False
    runs = token.loop + 1
    compensation.run_completed(engine, token, node)
    engine.assign(token, {"loopCounter": runs})
    again = loop.test_before or _again(engine, token, loop, runs)  # test-before: on entering
    if again and (loop.maximum is None or runs < loop.maximum):
        engine.loop_run(token, runs)
        engine.go_to(token, node.id, via=token.via)
        return True
    compensation.run_ended(engine, token, node, "loop")
    engine.loop_run(token, None)
    return False


def _again(engine: Engine, token: Token, loop: StandardLoop, runs: int) -> bool:
    if loop.maximum is not None and runs >= loop.maximum:
        return False
    return loop.condition is None or evaluate_bool(loop.condition.ast, engine.view(token))
