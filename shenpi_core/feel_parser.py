"""FEEL text → the JSON AST that ``feel_eval`` evaluates. Compile time only.

A recursive-descent parser over ``feel_lexer`` tokens, one method per precedence level of the
FEEL grammar (DMN 1.3 §10.3.1). Every node is ``{"feel": <kind>, "args": [<children>], ...}``,
with literal text in ``"v"`` (numbers stay decimal text, so ``0.1`` is exact); strings, booleans
and null are ``{"lit": ...}`` and directory lookups the common ``{"call": ...}`` node, so the
generic walkers (depth, ``uses_directory``) see every child under ``args``.
Named arguments of built-ins are put in place here, and unknown functions refused here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from shenpi_core.feel_builtins import SIGNATURES
from shenpi_core.feel_lexer import FeelSyntaxError, Token, tokenize, unescape

_COMPARISONS = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_TYPES = (
    "years and months duration", "days and time duration", "date and time", "number", "string",
    "boolean", "date", "time", "list", "context", "range", "function", "Any", "Null",
)  # fmt: skip
_CLOCK_FUNCTIONS = frozenset({"now", "today"})
MAX_DEPTH = 64
_SPACED_PROPERTIES = (
    "time offset",
    "start included",
    "end included",
)  # as for the other dialects: the evaluator recurses once per level


def node(kind: str, *args: Any, **extra: Any) -> dict[str, Any]:
    """A FEEL AST node; a leaf (a name, a number) carries no ``args``."""
    return {"feel": kind, "args": list(args), **extra} if args else {"feel": kind, **extra}


class _Parser:
    def __init__(
        self,
        text: str,
        names: Iterable[str],
        functions: frozenset[str],
        directory: Mapping[str, tuple[int, int]],
        lenient: bool = False,
    ) -> None:
        self.text = text
        self.tokens = tokenize(text, names)
        self.i = 0
        self.functions = functions
        self.directory = directory
        self.lenient = lenient
        self.lenient_error = ""
        self.no_filter = False

    # --- token helpers ----------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def at(self, *texts: str) -> bool:
        # Asked at every precedence level of every operand: the token is looked up once.
        tok = self.tokens[self.i]
        return tok.text in texts and tok.kind in ("op", "name")

    def take(self, text: str) -> Token:
        if not self.at(text):
            self.fail(f"expected {text!r}")
        token = self.tok
        self.i += 1
        return token

    def fail(self, message: str) -> NoReturn:
        tok = self.tok
        where = "end of input" if tok.kind == "end" else repr(tok.text)
        raise FeelSyntaxError(f"{message}, found {where} at column {tok.pos + 1} of {self.text!r}")

    def name(self) -> str:
        if self.tok.kind != "name":
            self.fail("expected a name")
        self.i += 1
        return self.tokens[self.i - 1].text

    # --- expressions, lowest precedence first -----------------------------------------------
    def expression(self) -> Any:
        if self.at("if") and self.peek().text not in ("(",):
            return self.if_()
        if self.at("for") and self.peek().kind == "name" and self.peek(2).text == "in":
            return self.for_()
        if self.at("some", "every") and self.peek().kind == "name" and self.peek(2).text == "in":
            return self.quantified()
        return self.disjunction()

    def if_(self) -> Any:
        self.take("if")
        test = self.expression()
        self.take("then")
        then = self.expression()
        self.take("else")
        return node("if", test, then, self.expression())

    def iterations(self) -> tuple[list[str], list[Any]]:
        names, sources = [], []
        while True:
            names.append(self.name())
            self.take("in")
            source = self.expression()
            if self.at(".."):
                self.take("..")
                source = node("span", source, self.expression())
            sources.append(source)
            if not self.at(","):
                return names, sources
            self.take(",")

    def for_(self) -> Any:
        self.take("for")
        names, sources = self.iterations()
        self.take("return")
        return node("for", *sources, self.expression(), vars=names)

    def quantified(self) -> Any:
        kind = self.name()
        names, sources = self.iterations()
        self.take("satisfies")
        return node(kind, *sources, self.expression(), vars=names)

    def disjunction(self) -> Any:
        left = self.conjunction()
        while self.at("or"):
            self.take("or")
            left = node("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.comparison()
        while self.at("and"):
            self.take("and")
            left = node("and", left, self.comparison())
        return left

    def comparison(self) -> Any:
        left = self.additive()
        while True:
            if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
                op = _COMPARISONS[self.take(self.tok.text).text]
                left = node(op, left, self.additive())
            elif self.at("between"):
                self.take("between")
                low = self.additive()
                self.take("and")
                left = node("between", left, low, self.additive())
            elif self.at("in"):
                self.take("in")
                left = node("in", left, *self.in_tests())
            elif self.at("instance") and self.peek().text == "of":
                self.i += 2
                left = node("instance_of", left, v=self.type_name())
            else:
                return left

    def type_name(self) -> str:
        start = self.tok.pos
        name = next((n for n in _TYPES if self.text.startswith(n, start)), None)
        if name is None:
            self.fail("expected a type name")
            return ""
        while self.tok.kind != "end" and self.tok.pos < start + len(name):
            self.i += 1
        if self.at("<"):
            self.fail("parameterised types are not supported")
        return name

    def additive(self) -> Any:
        left = self.multiplicative()
        while self.at("+", "-"):
            op = "add" if self.take(self.tok.text).text == "+" else "sub"
            left = node(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Any:
        left = self.power()
        while self.at("*", "/"):
            op = "mul" if self.take(self.tok.text).text == "*" else "div"
            left = node(op, left, self.power())
        return left

    def power(self) -> Any:
        left = self.unary()
        while self.at("**"):
            self.take("**")
            left = node("pow", left, self.unary())
        return left

    def unary(self) -> Any:
        if self.at("-"):
            self.take("-")
            operand = self.unary()
            if operand.get("feel") == "num":
                text = operand["v"]
                return node("num", v=text[1:] if text.startswith("-") else "-" + text)
            return node("neg", operand)
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while True:
            if self.at("."):
                self.take(".")
                value = node("path", value, v=self.name())
            elif self.at("[") and not (self.no_filter and self._closes_range()):
                self.take("[")
                value = node("filter", value, self.expression())
                self.take("]")
            elif self.at("(") and value.get("feel") == "name":
                value = self.call(value["v"])
            else:
                return value

    def _closes_range(self) -> bool:
        after = self.peek()
        return after.kind == "end" or after.text in (")", "]", ",", ".", "=", "!=", "and", "or")

    def primary(self) -> Any:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return node("num", v=tok.text)
        if tok.kind == "str":
            self.i += 1
            return {"lit": unescape(tok.text)}
        if tok.kind == "name":
            return self.name_primary()
        if self.at("@"):
            self.take("@")
            if self.tok.kind != "str":
                self.fail("expected a string after '@'")
            self.i += 1
            return node("temporal", v=unescape(self.tokens[self.i - 1].text))
        if self.at("["):
            return self.bracket()
        if self.at("("):
            return self.paren()
        if self.at("]"):
            return self.range_from("]")
        if self.at("{"):
            return self.context()
        return self.fail("expected a value")

    def name_primary(self) -> Any:
        text = self.tok.text
        constants = {"true": True, "false": False, "null": None}
        if text in constants:
            self.i += 1
            return {"lit": constants[text]}
        if text in ("if", "for", "some", "every"):
            return self.expression()
        if text == "function":
            return self.fail("function definitions are not supported")
        self.i += 1
        return node("name", v=text)

    def call(self, name: str) -> Any:
        self.take("(")
        positional: list[Any] = []
        named: dict[str, Any] = {}
        while not self.at(")"):
            key = self.argument_name()
            if key is not None:
                named[key] = self.expression()
            elif named:
                self.fail("positional argument after named ones")
            else:
                positional.append(self.expression())
            if not self.at(")"):
                self.take(",")
        self.take(")")
        return self.resolve_call(name, positional, named)

    def argument_name(self) -> str | None:
        """``start position:`` before an argument: the words up to a top-level ``:``."""
        j = self.i
        while self.tokens[j].kind == "name":
            j += 1
        if j == self.i or self.tokens[j].text != ":":
            return None
        words = [t.text for t in self.tokens[self.i : j]]
        self.i = j + 1
        return " ".join(words)

    def resolve_call(self, name: str, positional: list[Any], named: dict[str, Any]) -> Any:
        try:
            return self.checked_call(name, positional, named)
        except FeelSyntaxError as err:
            if not self.lenient or name not in SIGNATURES:  # only wrong arguments to a built-in
                raise
            return node("invalid", v=err.message)  # DMN: an invalid invocation is null

    def checked_call(self, name: str, positional: list[Any], named: dict[str, Any]) -> Any:
        if name in _CLOCK_FUNCTIONS:
            raise FeelSyntaxError(
                f"{name}() reads the wall clock, which a replayed workflow cannot do; "
                "pass the time in a variable instead"
            )
        if name in self.directory:
            fewest, most = self.directory[name]
            if named or not fewest <= len(positional) <= most:
                wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
                raise FeelSyntaxError(f"{name}() takes {wanted} positional argument(s)")
            return {"call": name, "args": positional}
        if name in self.functions:  # a business knowledge model: resolved at run time
            if named:
                return node("invoke", *named.values(), v=name, names=list(named))
            return node("invoke", *positional, v=name)
        signature = SIGNATURES.get(name)
        if signature is None:
            known = [*SIGNATURES, *self.directory, *self.functions]
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise FeelSyntaxError(
                f"unknown function {name!r}{hint} (FEEL built-ins: docs/compiler.md, FEEL)"
            )
        low, high, overloads = signature
        if named:
            params = next((o for o in overloads if set(named) <= set(o)), None)
            if params is None:
                raise FeelSyntaxError(f"{name}() has no parameter {sorted(named)[0]!r}")
            positional = [named.get(p, {"lit": None}) for p in params]
            while positional and params[len(positional) - 1] not in named:
                positional.pop()
        if len(positional) < low or (high is not None and len(positional) > high):
            wanted = f"{low}" if low == high else f"{low} to {high or 'any number of'}"
            raise FeelSyntaxError(f"{name}() takes {wanted} argument(s), got {len(positional)}")
        return node("call", *positional, v=name)

    def bracket(self) -> Any:
        self.take("[")
        if self.at("]"):
            self.take("]")
            return node("list")
        first = self.expression()
        if self.at(".."):
            return self.range_rest("[", first)
        items = [first]
        while self.at(","):
            self.take(",")
            items.append(self.expression())
        self.take("]")
        return node("list", *items)

    def paren(self) -> Any:
        self.take("(")
        if self.tok.kind == "op" and self.tok.text in ("<", "<=", ">", ">="):
            op = _COMPARISONS[self.take(self.tok.text).text]  # `(< 10)`: a range with one end
            bound = self.additive()
            self.take(")")
            return node("range_to", bound, v=op)
        first = self.expression()
        if self.at(".."):
            return self.range_rest("(", first)
        self.take(")")
        return first

    def range_from(self, opener: str) -> Any:
        self.take(opener)
        return self.range_rest(opener, self.expression())

    def range_rest(self, opener: str, low: Any) -> Any:
        self.take("..")
        self.no_filter, outer = True, self.no_filter  # `[1..10[`: that `[` ends the range
        try:
            high = self.expression()
        finally:
            self.no_filter = outer
        if not self.at("]", ")", "["):
            self.fail("expected the end of a range")
        closer = self.take(self.tok.text).text
        return node("range", low, high, v=opener + closer)

    def context(self) -> Any:
        self.take("{")
        keys: list[str] = []
        values: list[Any] = []
        while not self.at("}"):
            if self.tok.kind == "str":
                keys.append(unescape(self.tok.text))
                self.i += 1
            else:
                words = []
                while self.tok.kind == "name" or (self.tok.kind == "op" and self.tok.text != ":"):
                    words.append(self.tok)
                    self.i += 1
                if not words:
                    self.fail("expected a context key")
                keys.append(self.text[words[0].pos : words[-1].pos + len(words[-1].text)])
            self.take(":")
            if keys[-1] in keys[:-1]:
                message = f"the context has two entries {keys[-1]!r}"
                if not self.lenient:
                    self.fail(message)
                self.lenient_error = message
            values.append(self.expression())
            if not self.at("}"):
                self.take(",")
        self.take("}")
        if self.lenient_error:
            message, self.lenient_error = self.lenient_error, ""
            return node("invalid", v=message)
        return node("context", *values, keys=keys)

    # --- unary tests (DMN input entries, the right side of `in`) -------------------------------
    def positive_test(self) -> Any:
        if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
            op = _COMPARISONS[self.take(self.tok.text).text]
            return node("ut", self.additive(), v=op)
        value = self.expression()
        return node("ut_expr", value, q=True) if _mentions_input(value) else node("ut_expr", value)

    def in_tests(self) -> list[Any]:
        if self.at("(") and self.comma_inside():
            self.take("(")
            tests = [self.positive_test()]
            while self.at(","):
                self.take(",")
                tests.append(self.positive_test())
            self.take(")")
            return tests
        return [self.positive_test()]

    def comma_inside(self) -> bool:
        depth = 0
        for tok in self.tokens[self.i :]:
            if tok.kind == "op" and tok.text in "([{":
                depth += 1
            elif tok.kind == "op" and tok.text in ")]}":
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and tok.text == "," and tok.kind == "op":
                return True
        return False

    def unary_tests(self) -> Any:
        if self.at("-") and self.peek().kind == "end":
            self.take("-")
            return node("ut_any")
        if self.at("not") and self.peek().text == "(":
            start = self.i
            self.take("not")
            self.take("(")
            tests = self.test_list()
            self.take(")")
            if self.tok.kind == "end":
                return node("ut_not", *tests)
            self.i = start  # `not(x) = y`: an expression after all
        return node("ut_or", *self.test_list())

    def test_list(self) -> list[Any]:
        tests = [self.positive_test()]
        while self.at(","):
            self.take(",")
            tests.append(self.positive_test())
        return tests

    def finish(self, value: Any) -> Any:
        if self.tok.kind != "end":
            self.fail("unexpected text after the expression")
        return value


def _mentions_input(ast: Any) -> bool:
    """Whether a test reads ``?`` (then a boolean result is the test's answer, DMN 1.3 §8.3.3)."""
    stack = [ast]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("feel") == "name" and item.get("v") == "?":
                return True
            stack.extend(item.get("args", ()))
    return False


def _depth(ast: Any) -> int:
    deepest, stack = 0, [(ast, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.get("args", ()))
    return deepest


def _finished(run: Any) -> Any:
    try:
        ast = run()
    except RecursionError:
        raise FeelSyntaxError("expression nested too deeply") from None
    if _depth(ast) > MAX_DEPTH:
        raise FeelSyntaxError(f"expression nested deeper than {MAX_DEPTH} levels")
    return ast


def feel_root(ast: Any) -> dict[str, Any]:
    """The node a BPMN expression stores: evaluated with FEEL semantics, its result made JSON."""
    return {"op": "feel", "args": [ast]}


def parse_feel(
    text: str,
    *,
    names: Iterable[str] = (),
    functions: Iterable[str] = (),
    directory: Mapping[str, tuple[int, int]] | None = None,
    lenient: bool = False,
) -> Any:
    """One FEEL expression → AST. ``names``: multi-word names in scope; ``functions``: names of
    callable values (DMN business knowledge models); ``directory``: lookups run by an activity,
    with their (minimum, maximum) argument counts; ``lenient``: a call with wrong arguments is
    null at run time (DMN's rule) instead of a syntax error (the BPMN compiler's)."""
    parser = _Parser(
        text,
        [*names, *functions, *_SPACED_PROPERTIES],
        frozenset(functions),
        directory or {},
        lenient,
    )
    if parser.tok.kind == "end":
        raise FeelSyntaxError("empty expression")
    return _finished(lambda: parser.finish(parser.expression()))


def parse_unary_tests(
    text: str, *, names: Iterable[str] = (), functions: Iterable[str] = ()
) -> Any:
    """A DMN input entry (``-``, ``< 10``, ``[1..5]``, ``"a","b"``, ``not(...)``) → AST."""
    parser = _Parser(text, [*names, *functions], frozenset(functions), {})
    if parser.tok.kind == "end":
        return node("ut_any")  # an empty entry matches anything, like "-"
    return _finished(lambda: parser.finish(parser.unary_tests()))
