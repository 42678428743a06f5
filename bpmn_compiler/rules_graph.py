"""Check rule on the graph: reachability from the start, dead ends, cycles that never end."""

from __future__ import annotations

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.graph import reachable, reverse, strongly_connected, successors
from bpmn_compiler.model import BpmnModel
from bpmn_compiler.rules_flow import diag, process_starts

GATEWAYS = ("exclusive", "parallel", "inclusive", "event_gateway")


def check_graph(model: BpmnModel) -> list[Diagnostic]:
    """Reachability from the start, dead ends, and cycles that can never reach an end."""
    starts = process_starts(model)
    if not starts:
        return []  # already reported by check_start (or the start itself is unsupported)
    graph = successors(model)
    roots = [s.id for s in starts]
    unsupported: list[str] = []
    exits: list[str] = []
    for n in model.nodes.values():  # one walk for the three lists (each is used as a set)
        if n.parent is None and n.triggered_by_event:
            roots.append(n.id)  # the process's event subprocesses start when the process does
        if n.kind == "unsupported":
            # What only an unsupported element (a message start, an error boundary) leads to is
            # not reported as unreachable: that element's own diagnostic says why. It counts as
            # an exit too: that diagnostic already refuses the file.
            unsupported.append(n.id)
            exits.append(n.id)
        elif n.parent is None and (n.kind == "end" or not n.outgoing):
            exits.append(n.id)  # an activity with no outgoing flow is an implicit end
    reached = reachable(graph, roots)
    explained = reachable(graph, unsupported) if unsupported else set()
    can_exit = reachable(reverse(graph), exits)
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.kind == "unsupported":
            continue
        if (
            node.id not in reached
            and node.id not in explained
            and not (node.attached_to is not None and node.attached_to not in model.nodes)
        ):  # an orphan boundary event is refused by check_boundaries
            found.append(diag("unreachable", "no path from the start event reaches it", node))
        if not node.outgoing and node.kind in GATEWAYS:
            found.append(diag("dead-end", f"the {node.tag} has no outgoing flow", node))
    # Usually every node reached can exit: then there is no cycle to look for.
    trapped = (
        []
        if reached <= can_exit
        else [n for n in model.nodes if n in reached and n not in can_exit]
    )
    for component in strongly_connected(graph, trapped):
        first = component[0]
        if len(component) == 1 and first not in graph[first]:
            continue
        found.append(
            diag(
                "no-exit-cycle",
                f"a cycle through {', '.join(repr(n) for n in component)} never reaches an end",
                model.nodes[first],
            )
        )
    return found
