"""Graph helpers over a ``BpmnModel``: successors, reachability, strongly connected components.

A token on a task can also leave through a boundary event attached to it, so the attached task →
boundary event is an edge like a sequence flow. Everything iterates in document order.
"""

from __future__ import annotations

from collections.abc import Iterable

from bpmn_compiler.model import BpmnModel

Graph = dict[str, list[str]]


def successors(model: BpmnModel) -> Graph:
    """Sequence flows, attached boundary events, and scopes: a subprocess leads to its start and
    event subprocesses, and what ends inside it (an end event or an activity with no outgoing
    flow) leads back to it, since the subprocess then completes."""
    graph: Graph = {node_id: [] for node_id in model.nodes}
    for flow in model.flows.values():
        if flow.source in graph and flow.target in graph:
            graph[flow.source].append(flow.target)
    for source, target in model.associations:  # a compensation boundary to its handler
        if source in graph and target in graph and model.nodes[target].for_compensation:
            graph[source].append(target)
    for node in model.nodes.values():
        if node.attached_to is not None and node.attached_to in graph:
            graph[node.attached_to].append(node.id)
        parent = node.parent
        if parent is None or parent not in graph:
            continue
        if node.tag == "startEvent" or node.triggered_by_event:
            graph[parent].append(node.id)
        if not node.outgoing and node.tag != "startEvent":
            graph[node.id].append(parent)
    return graph


def reverse(graph: Graph) -> Graph:
    result: Graph = {node_id: [] for node_id in graph}
    for source, targets in graph.items():
        for target in targets:
            result[target].append(source)
    return result


def reachable(graph: Graph, roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = [r for r in roots if r in graph]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack += graph[node]  # what was seen is skipped when popped: cheaper than a filter
    return seen


def strongly_connected(graph: Graph, nodes: Iterable[str]) -> list[list[str]]:
    """SCCs of the subgraph on ``nodes`` (Kosaraju, iterative: no recursion limit on big files)."""
    wanted = set(nodes)
    if not wanted:
        return []  # the usual case: every node reaches an end
    members = [n for n in graph if n in wanted]
    inside = set(members)
    order: list[str] = []
    visited: set[str] = set()
    for root in members:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(graph[root]))]
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in inside and c not in visited), None)
            if child is None:
                order.append(node)
                stack.pop()
            else:
                visited.add(child)
                stack.append((child, iter(graph[child])))
    back = reverse({n: [t for t in graph[n] if t in inside] for n in members})
    position = {n: i for i, n in enumerate(members)}
    assigned: set[str] = set()
    components: list[list[str]] = []
    for root in reversed(order):
        if root in assigned:
            continue
        component: list[str] = []
        pending = [root]
        assigned.add(root)
        while pending:
            node = pending.pop()
            component.append(node)
            for source in back[node]:
                if source not in assigned:
                    assigned.add(source)
                    pending.append(source)
        components.append(sorted(component, key=position.__getitem__))
    return components
