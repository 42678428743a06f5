"""DMN boxed expressions (XML) → ``shenpi_core.decision_plan`` logic, FEEL parsed on the way.

Dispatch by tag, as the BPMN parser does: ``LOGIC_PARSERS`` maps a boxed expression's local name
to its reader. A FEEL text that does not parse, or a boxed expression Shenpi does not evaluate
(relations, function definitions, another expression language), is a diagnostic pinned to the
element and its line; the reader then returns ``None`` and parsing goes on, so one compile reports
every problem of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.safe_xml import line_of
from shenpi_core.decision_plan import (
    Binding,
    ContextEntry,
    ContextLogic,
    InvocationLogic,
    ListLogic,
    LiteralLogic,
    Logic,
    Rule,
    TableInput,
    TableLogic,
    TableOutput,
)
from shenpi_core.feel_lexer import FeelSyntaxError
from shenpi_core.feel_parser import parse_feel, parse_unary_tests

_HIT_POLICIES = {
    "UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER",
}  # fmt: skip
_AGGREGATIONS = {"SUM", "MIN", "MAX", "COUNT"}
_FEEL = ("feel", "/feel/", "friendly-enough")


@dataclass
class Context:
    """What every reader needs: the names in the file (FEEL names may hold spaces), the names of
    business knowledge models (called as functions), and where diagnostics go."""

    names: frozenset[str]
    functions: frozenset[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def problem(self, code: str, message: str, el: etree._Element, *, warn: bool = False) -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                message=message,
                element_id=element_id(el),
                line=line_of(el),
                severity="warning" if warn else "error",
            )
        )


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c) == name]


def child(el: etree._Element, name: str) -> etree._Element | None:
    found = children(el, name)
    return found[0] if found else None


def element_id(el: etree._Element) -> str | None:
    """The id of the element or of its nearest ancestor that has one."""
    node: etree._Element | None = el
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def text_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    body = child(el, "text")
    return (body.text or "").strip() if body is not None else ""


def _language_ok(el: etree._Element, ctx: Context) -> bool:
    language = (el.get("expressionLanguage") or "").lower()
    if language and not any(marker in language for marker in _FEEL):
        ctx.problem("dmn-unsupported", f"expression language {language!r} (only FEEL)", el)
        return False
    return True


def feel(text: str, el: etree._Element, ctx: Context, *, what: str) -> Any:
    try:
        ast = parse_feel(text, names=ctx.names, functions=ctx.functions, lenient=True)
    except FeelSyntaxError as err:
        ctx.problem("dmn-expression-syntax", f"{what}: {err.message}", el)
        return None
    for message in _invalid_calls(ast):
        ctx.problem("dmn-invalid-call", f"{what}: {message}; it evaluates to null", el, warn=True)
    return ast


def _invalid_calls(ast: Any) -> list[str]:
    found, stack = [], [ast]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("feel") == "invalid":
                found.append(str(item.get("v")))
            stack.extend(item.get("args", ()))
    return found


def tests(text: str, el: etree._Element, ctx: Context, *, what: str) -> Any:
    try:
        return parse_unary_tests(text, names=ctx.names, functions=ctx.functions)
    except FeelSyntaxError as err:
        ctx.problem("dmn-expression-syntax", f"{what}: {err.message}", el)
        return None


def _literal(el: etree._Element, ctx: Context) -> Logic | None:
    if not _language_ok(el, ctx):
        return None
    source = text_of(el)
    if not source:
        return LiteralLogic(source="", ast={"lit": None})
    ast = feel(source, el, ctx, what="literal expression")
    return None if ast is None else LiteralLogic(source=source, ast=ast)


def _table(el: etree._Element, ctx: Context) -> Logic | None:
    policy = (el.get("hitPolicy") or "UNIQUE").upper()
    aggregation = el.get("aggregation")
    ok = True
    if policy not in _HIT_POLICIES:
        known = ", ".join(sorted(_HIT_POLICIES))
        ctx.problem("dmn-hit-policy", f"unknown hit policy {policy!r} (one of {known})", el)
        ok = False
    elif aggregation and policy != "COLLECT":
        ctx.problem(
            "dmn-hit-policy",
            f"aggregation {aggregation} needs hit policy COLLECT, not {policy}",
            el,
        )
        ok = False
    if aggregation and aggregation not in _AGGREGATIONS:
        ctx.problem("dmn-hit-policy", f"unknown aggregation {aggregation!r}", el)
        ok = False
    inputs = [_input(i, ctx) for i in children(el, "input")]
    outputs = [_output(o, ctx) for o in children(el, "output")]
    rules = [_rule(r, len(inputs), len(outputs), ctx) for r in children(el, "rule")]
    if not outputs:
        ctx.problem("dmn-table-shape", "a decision table needs an output", el)
        ok = False
    if len(outputs) > 1 and any(o is None or o.name is None for o in outputs):
        ctx.problem("dmn-table-shape", "each output of a multi-output table needs a name", el)
        ok = False
    if not ok or None in inputs or None in outputs or None in rules:
        return None
    return TableLogic(
        hit_policy=policy,  # checked against _HIT_POLICIES
        aggregation=aggregation,
        inputs=tuple(i for i in inputs if i is not None),
        outputs=tuple(o for o in outputs if o is not None),
        rules=tuple(r for r in rules if r is not None),
    )


def _input(el: etree._Element, ctx: Context) -> TableInput | None:
    expression = child(el, "inputExpression")
    source = text_of(expression)
    if expression is None or not source or not _language_ok(expression, ctx):
        if expression is None or not source:
            ctx.problem("dmn-table-shape", "an input needs an input expression", el)
        return None
    ast = feel(source, expression, ctx, what="input expression")
    return None if ast is None else TableInput(label=el.get("label"), source=source, ast=ast)


def _output(el: etree._Element, ctx: Context) -> TableOutput | None:
    priorities: tuple[Any, ...] = ()
    values = text_of(child(el, "outputValues"))
    if values:
        parsed = tests(values, el, ctx, what="output values")
        if parsed is None:
            return None
        priorities = tuple(parsed.get("args", ()))
    default = None
    default_text = text_of(child(el, "defaultOutputEntry"))
    if default_text:
        default = feel(default_text, el, ctx, what="default output")
        if default is None:
            return None
    return TableOutput(name=el.get("name"), priorities=priorities, default=default)


def _rule(el: etree._Element, inputs: int, outputs: int, ctx: Context) -> Rule | None:
    entries, results = children(el, "inputEntry"), children(el, "outputEntry")
    if len(entries) != inputs or len(results) != outputs:
        ctx.problem(
            "dmn-table-shape",
            f"the rule has {len(entries)} input and {len(results)} output entries; "
            f"the table has {inputs} inputs and {outputs} outputs",
            el,
        )
        return None
    parsed_tests = [tests(text_of(e), e, ctx, what="input entry") for e in entries]
    parsed_outputs = [
        feel(text_of(o), o, ctx, what="output entry") if text_of(o) else {"lit": None}
        for o in results
    ]
    if None in parsed_tests or None in parsed_outputs:
        return None
    return Rule(id=el.get("id"), tests=tuple(parsed_tests), outputs=tuple(parsed_outputs))


def _context(el: etree._Element, ctx: Context) -> Logic | None:
    entries = []
    for entry in children(el, "contextEntry"):
        variable = child(entry, "variable")
        logic = read_logic(entry, ctx)
        if logic is None:
            return None
        name = variable.get("name") if variable is not None else None
        entries.append(ContextEntry(name=name, logic=logic))
    return ContextLogic(entries=tuple(entries))


def _invocation(el: etree._Element, ctx: Context) -> Logic | None:
    target = text_of(child(el, "literalExpression"))
    if not target:
        ctx.problem("dmn-unsupported", "an invocation needs the name it invokes", el)
        return None
    bindings = []
    for binding in children(el, "binding"):
        parameter = child(binding, "parameter")
        if parameter is None or not parameter.get("name"):
            ctx.problem("dmn-table-shape", "a binding needs a named parameter", binding)
            return None
        logic = read_logic(binding, ctx, required=False)
        bindings.append(Binding(name=str(parameter.get("name")), logic=logic))
    return InvocationLogic(function=target, bindings=tuple(bindings))


def _list(el: etree._Element, ctx: Context) -> Logic | None:
    items = []
    for item in el:
        reader = LOGIC_PARSERS.get(local(item))
        if reader is not None:
            logic = reader(item, ctx)
            if logic is None:
                return None
            items.append(logic)
    return ListLogic(items=tuple(items))


def _relation(el: etree._Element, ctx: Context) -> Logic | None:
    """A relation is a list of contexts, one a row, keyed by the column names."""
    columns = [str(c.get("name")) for c in children(el, "column")]
    rows = []
    for row in children(el, "row"):
        cells = [c for c in row if local(c) in LOGIC_PARSERS]
        if len(cells) != len(columns):
            ctx.problem(
                "dmn-table-shape", f"the row has {len(cells)} cells, not {len(columns)}", row
            )
            return None
        entries = []
        for name, cell in zip(columns, cells, strict=True):
            logic = LOGIC_PARSERS[local(cell)](cell, ctx)
            if logic is None:
                return None
            entries.append(ContextEntry(name=name, logic=logic))
        rows.append(ContextLogic(entries=tuple(entries)))
    return ListLogic(items=tuple(rows))


def _unsupported(el: etree._Element, ctx: Context) -> Logic | None:
    ctx.problem("dmn-unsupported", f"{local(el)} is not supported", el)
    return None


LOGIC_PARSERS: dict[str, Callable[[etree._Element, Context], Logic | None]] = {
    "literalExpression": _literal,
    "decisionTable": _table,
    "context": _context,
    "invocation": _invocation,
    "list": _list,
    "relation": _relation,
    "functionDefinition": _unsupported,
}


def read_logic(parent: etree._Element, ctx: Context, *, required: bool = True) -> Logic | None:
    """The one boxed expression inside ``parent`` (a decision, a context entry, a binding)."""
    for el in parent:
        reader = LOGIC_PARSERS.get(local(el))
        if reader is not None:
            return reader(el, ctx)
    if required:
        ctx.problem("dmn-no-logic", "no decision logic (a table or an expression)", parent)
    return None
