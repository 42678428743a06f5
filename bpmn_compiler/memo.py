"""Per-compile memo tables: what one compile asks for more than once is worked out once.

The passes stay independent (the check rules and ``plan`` each compile the expressions they need,
every element reader looks up its own extension elements), so the same question comes several
times per file; these tables answer repeats. They live for one compile (``compile_run``), held in
a ``ContextVar``: each thread and each asyncio task has its own, nothing outlives the compile, and
outside a run every lookup is simply computed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from bpmn_compiler.model import BPMN_NS

Element = etree._Element
T = TypeVar("T")
BPMN_PREFIX = f"{{{BPMN_NS}}}"
EXTENSION_ELEMENTS = f"{BPMN_PREFIX}extensionElements"
_ANY_BPMN = f"{BPMN_PREFIX}*"  # lxml's tag selector for every element of the BPMN namespace


@dataclass
class Memo:
    # Keyed by the element itself: holding it keeps lxml's proxy alive, so its identity is stable.
    extensions: dict[Element, dict[str, tuple[Element, ...]]] = field(default_factory=dict)
    children: dict[Element, tuple[Element, ...]] = field(default_factory=dict)
    attributes: dict[Element, dict[str, str]] = field(default_factory=dict)
    templates: dict[str, object] = field(default_factory=dict)  # Jinja's parse, or its error
    # ``once``: (what, its input) -> the result, or the type and message of the error it raised:
    # expressions, timers, durations.
    results: dict[tuple[str, Hashable], object] = field(default_factory=dict)


_CURRENT: ContextVar[Memo | None] = ContextVar("bpmn_compiler_memo", default=None)


class _Run:
    """``with compile_run():`` (a class, not a generator: it is entered twice per compile)."""

    __slots__ = ("_token",)

    def __enter__(self) -> Memo:
        current = _CURRENT.get()
        if current is not None:
            self._token: Token[Memo | None] | None = None
            return current
        memo = Memo()
        self._token = _CURRENT.set(memo)
        return memo

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)


def compile_run() -> _Run:
    """Memo tables for the compile inside the block (the enclosing run's, when nested)."""
    return _Run()


def current() -> Memo | None:
    return _CURRENT.get()


class _Failed:
    """What ``once`` keeps of an error: raised again, as a new error, on every repeat."""

    __slots__ = ("error", "message")

    def __init__(self, error: type[Exception], message: str) -> None:
        self.error, self.message = error, message


def once(what: str, key: Hashable, build: Callable[[], T], error: type[Exception]) -> T:
    """``build()``, worked out once per compile for each ``key``: the check rules and ``plan``
    both compile every timer and duration. An ``error`` it raises (the compiler's, which carry a
    ``message``) is kept and raised again the same way each time."""
    memo = _CURRENT.get()
    if memo is None:
        return build()
    found = memo.results.get((what, key), _Failed)
    if found is _Failed:
        try:
            found = build()
        except error as err:
            found = _Failed(type(err), getattr(err, "message", str(err)))
        memo.results[(what, key)] = found
    if isinstance(found, _Failed):
        raise found.error(found.message)
    return found  # type: ignore[return-value]  # what ``build`` returned for this key


def extension_index(
    el: Element, children: tuple[Element, ...] | None = None
) -> dict[str, tuple[Element, ...]]:
    """Every element under ``el``'s extension elements, by tag, in document order: one walk
    answers the two dozen lookups an element gets (assignment, task type, mappings, listeners,
    forms, AI, approvals, ...). ``children``: ``bpmn_children(el)``, when the caller has them."""
    if not len(el):
        return {}  # a leaf (most flows, events, gateways): nothing to remember
    memo = _CURRENT.get()
    if memo is not None and (known := memo.extensions.get(el)) is not None:
        return known
    found: dict[str, list[Element]] = {}
    for ext in bpmn_children(el) if children is None else children:
        if ext.tag == EXTENSION_ELEMENTS:
            for child in ext.iterdescendants():
                if isinstance(child.tag, str):
                    found.setdefault(child.tag, []).append(child)
    # Most elements with children have no extension elements (incoming, outgoing, definitions).
    index = {tag: tuple(elements) for tag, elements in found.items()} if found else {}
    if memo is not None:
        memo.extensions[el] = index
    return index


def bpmn_children(el: Element) -> tuple[Element, ...]:
    """``el``'s BPMN child elements, in document order. Each element's children are asked for
    by several readers (loops, event definitions, resource roles, extension elements), and every
    step through lxml's children builds Python objects: walk them once."""
    count = len(el)
    if not count:
        return ()  # a leaf (most flows, events, gateways): nothing to remember
    memo = _CURRENT.get()
    if memo is not None and (known := memo.children.get(el)) is not None:
        return known
    if count > 2:  # lxml picks them out in C: a third of the Python loop's cost per child
        found = tuple(el.iterchildren(_ANY_BPMN))
    else:  # for one or two, setting up lxml's iterator costs more than it saves
        found = ()
        for child in el:
            if isinstance(tag := child.tag, str) and tag.startswith(BPMN_PREFIX):
                found += (child,)
    if memo is not None:
        memo.children[el] = found
    return found


def first_child(el: Element, tag: str) -> Element | None:
    """``el.find(tag)`` for a BPMN tag (its first such child), from the children already read:
    lxml's ``find`` parses its argument as a path each time."""
    for child in bpmn_children(el):
        if child.tag == tag:
            return child
    return None


def vendor_attributes(el: Element) -> dict[str, str]:
    """``el``'s namespaced attributes (``camunda:``, ``zeebe:``, ``shenpi:``...) by qualified
    name: each reader looks up a handful in several namespaces, and a dict lookup costs a fifth
    of lxml's ``get`` (docs/benchmarks.md "Compiling the real-world corpus")."""
    memo = _CURRENT.get()
    if memo is not None and (known := memo.attributes.get(el)) is not None:
        return known
    # The names first: most attributes are plain (id, name, sourceRef), and lxml builds each
    # value it is asked for. lxml types names and values loosely; parsed from bytes they are str.
    found: dict[str, str] = {}
    for key in el.keys():  # noqa: SIM118 - iterating an element gives its children
        if key[0] == "{":
            found[key] = el.get(key)  # type: ignore[index,assignment]
    if memo is not None:
        memo.attributes[el] = found
    return found
