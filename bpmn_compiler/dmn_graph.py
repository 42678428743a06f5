"""Rules over a DMN file's decision requirement graph: unique ids and names, requirements that
point at an element of the right kind, and no cycles. Each rule returns diagnostics; all run."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.dmn_logic import children, local
from bpmn_compiler.safe_xml import line_of

_DRG = ("decision", "inputData", "businessKnowledgeModel", "decisionService")
# requirement element -> the kind of DRG element it must point at
_TARGETS = {
    "requiredDecision": "decision",
    "requiredInput": "inputData",
    "requiredKnowledge": "businessKnowledgeModel",
}


def href_id(href: str) -> str:
    """``#id`` → ``id``; an href into another model keeps its file part (and will not resolve)."""
    return href[1:] if href.startswith("#") else href


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _drg(root: etree._Element) -> list[etree._Element]:
    return [el for name in _DRG for el in children(root, name)]


def _diag(code: str, message: str, el: etree._Element) -> Diagnostic:
    return Diagnostic(code=code, message=message, element_id=el.get("id"), line=line_of(el))


def unique_ids_and_names(root: etree._Element) -> list[Diagnostic]:
    problems = []
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for el in _drg(root):
        ident, name = el.get("id"), el.get("name")
        if not ident:
            problems.append(_diag("dmn-missing-id", f"a {local(el)} without an id", el))
        elif ident in seen_ids:
            problems.append(_diag("dmn-duplicate-id", f"id {ident!r} is used twice", el))
        if not name:
            problems.append(_diag("dmn-missing-name", f"a {local(el)} without a name", el))
        elif name in seen_names:
            problems.append(_diag("dmn-ambiguous-name", f"two elements are named {name!r}", el))
        seen_ids.add(ident or "")
        seen_names.add(name or "")
    return problems


def requirements_resolve(root: etree._Element) -> list[Diagnostic]:
    kinds = {el.get("id"): local(el) for el in _drg(root)}
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str) or local(el) not in _TARGETS:
            continue
        target = href_id(el.get("href") or "")
        wanted = _TARGETS[local(el)]
        # The diagnostic names the decision (or model) that holds the requirement.
        where = next((a for a in el.iterancestors() if local(a) in _DRG), el)
        if target not in kinds:
            problems.append(
                _diag(
                    "dmn-missing-requirement",
                    f"{local(el)} points at {target!r}, which is not in this file",
                    where,
                )
            )
        elif kinds[target] != wanted:
            problems.append(
                _diag(
                    "dmn-missing-requirement",
                    f"{local(el)} points at {target!r}, {_a(kinds[target])}, not {_a(wanted)}",
                    where,
                )
            )
    return problems


def no_cycles(root: etree._Element) -> list[Diagnostic]:
    """A decision may not require itself, through decisions or through knowledge models."""
    edges: dict[str, list[str]] = {}
    elements: dict[str, etree._Element] = {}
    for el in _drg(root):
        ident = el.get("id") or ""
        elements[ident] = el
        edges[ident] = [
            href_id(req.get("href") or "")
            for req in el.iter()
            if isinstance(req.tag, str) and local(req) in ("requiredDecision", "requiredKnowledge")
        ]
    problems: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in elements:
        stack = [(start, iter(edges.get(start, ())))]
        if start in state:
            continue
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = [n for n, _ in stack[[n for n, _ in stack].index(nxt) :]]
                names = " → ".join(str(elements[n].get("name")) for n in [*cycle, nxt])
                problems.append(_diag("dmn-cycle", f"requirement cycle: {names}", elements[nxt]))
            elif nxt in elements and nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
    return problems


RULES: tuple[Callable[[etree._Element], list[Diagnostic]], ...] = (
    unique_ids_and_names,
    requirements_resolve,
    no_cycles,
)


def check_graph(root: etree._Element) -> list[Diagnostic]:
    return [d for rule in RULES for d in rule(root)]
