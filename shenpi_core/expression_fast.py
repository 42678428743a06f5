"""A hand-written reader of ``expression.lark`` for the texts that parse: the lark parser costs
about 20 µs a token, and approval files are mostly expressions.

One function per grammar level, as ``expression.lark`` has them, building the AST with the very
callbacks the lark parser reduces with (``_ToAst``). It only ever answers for a text lark reads the
same way: anything it is not sure of (a keyword where lark's contextual lexer might read a name, a
FEEL function name outside a call, nesting deep enough to recurse far, a callback that refuses)
returns None, and ``parse_ast`` asks lark, which also words every syntax error. The two are
compared on every expression of the tests, ``processes/`` and the corpus, and on generated ones
(``tests/expressions/test_fast_parser.py``).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

# The grammar's anonymous keywords. Lark reads one of them as a NAME where its parser state does
# not expect the keyword, so a keyword never becomes a name here: lark decides those texts.
KEYWORDS = frozenset(
    {
        "if", "then", "else", "or", "and", "not", "in", "eq", "ne", "lt", "gt", "le", "ge",
        "div", "mod", "empty", "true", "True", "false", "False", "null", "None",
    }
)  # fmt: skip
_LITERALS = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}
_COMPARE_WORDS = frozenset({"eq", "ne", "lt", "gt", "le", "ge"})
_COMPARE_SYMBOLS = frozenset({"==", "!=", "<>", "<=", ">=", "<", ">", "="})
_MULTIPLY = frozenset({("op", "*"), ("op", "/"), ("op", "%"), ("name", "div"), ("name", "mod")})
_MAX_TOKENS = 200  # beyond it, the recursion could go deep: lark reads long texts iteratively

# The grammar's terminals (WS is lark's common.WS: these five characters, not Python's \s).
_TOKEN = re.compile(
    r"[ \t\f\r\n]*(?:"
    r"(?P<feel>(?:string length|upper case|lower case|starts with|ends with|list contains"
    r"|is defined)(?=\s*\())"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<op>==|!=|<>|<=|>=|&&|\|\||[<>=+\-*/%!?:.,()\[\]]))"
)
_END = ("end", "")


class Callbacks(Protocol):
    """The reductions of ``expression_ast._ToAst`` that take plain text."""

    def number(self, tok: str) -> Any: ...
    def string(self, tok: str) -> Any: ...
    def var(self, name: str) -> Any: ...
    def attr(self, base: Any, name: str) -> Any: ...
    def index(self, base: Any, key: Any) -> Any: ...
    def list(self, items: Any) -> Any: ...
    def call(self, name: str, items: Any) -> Any: ...
    def method(self, base: Any, name: str, items: Any) -> Any: ...
    def neg(self, value: Any) -> Any: ...
    def binary(self, symbol: str, left: Any, right: Any) -> Any: ...
    def not_(self, value: Any) -> Any: ...
    def empty(self, value: Any) -> Any: ...
    def and_(self, left: Any, right: Any) -> Any: ...
    def or_(self, left: Any, right: Any) -> Any: ...
    def in_(self, item: Any, container: Any) -> Any: ...
    def not_in(self, item: Any, container: Any) -> Any: ...
    def cond(self, test: Any, then: Any, otherwise: Any) -> Any: ...


class _Unsure(Exception):
    """Not a text this reader answers for: lark decides."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise _Unsure
        found.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return found


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]], build: Callbacks) -> None:
        # Ends past the last token, so a look ahead is a plain index. A read that runs past them
        # (an IndexError) had already failed: the reader then stands past the end of the text.
        self.tokens, self.pos, self.build = [*tokens, _END, _END, _END], 0, build

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        return self.tokens[self.pos + ahead]

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def is_word(self, word: str) -> bool:
        return self.peek() == ("name", word)

    def expect(self, kind: str, value: str) -> None:
        if self.take() != (kind, value):
            raise _Unsure

    def expr(self) -> Any:
        if self.is_word("if"):
            self.pos += 1
            test = self.expr()
            self.expect("name", "then")
            then = self.expr()
            self.expect("name", "else")
            return self.build.cond(test, then, self.expr())
        test = self.or_expr()
        if self.peek() == ("op", "?"):
            self.pos += 1
            then = self.expr()
            self.expect("op", ":")
            return self.build.cond(test, then, self.expr())
        return test

    def or_expr(self) -> Any:
        left = self.and_expr()
        while self.is_word("or") or self.peek() == ("op", "||"):
            self.pos += 1
            left = self.build.or_(left, self.and_expr())
        return left

    def and_expr(self) -> Any:
        left = self.not_expr()
        while self.is_word("and") or self.peek() == ("op", "&&"):
            self.pos += 1
            left = self.build.and_(left, self.not_expr())
        return left

    def not_expr(self) -> Any:
        if self.is_word("not"):
            self.pos += 1
            return self.build.not_(self.not_expr())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.additive()
        kind, value = self.peek()
        if (kind == "op" and value in _COMPARE_SYMBOLS) or (
            kind == "name" and value in _COMPARE_WORDS
        ):
            self.pos += 1
            return self.build.binary(value, left, self.additive())
        if self.is_word("in"):
            self.pos += 1
            return self.build.in_(left, self.additive())
        if self.is_word("not") and self.peek(1) == ("name", "in"):
            self.pos += 2
            return self.build.not_in(left, self.additive())
        return left

    def additive(self) -> Any:
        left = self.multiplicative()
        while self.peek() in (("op", "+"), ("op", "-")):
            left = self.build.binary(self.take()[1], left, self.multiplicative())
        return left

    def multiplicative(self) -> Any:
        left = self.unary()
        while self.peek() in _MULTIPLY:
            left = self.build.binary(self.take()[1], left, self.unary())
        return left

    def unary(self) -> Any:
        token = self.peek()
        if token == ("op", "-"):
            self.pos += 1
            return self.build.neg(self.unary())
        if token == ("op", "!"):
            self.pos += 1
            return self.build.not_(self.unary())
        if token == ("name", "empty"):
            self.pos += 1
            return self.build.empty(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        base = self.atom()
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.pos += 1
                name = self.name()
                if self.peek() == ("op", "("):
                    self.pos += 1
                    base = self.build.method(base, name, self.arguments(")"))
                else:
                    base = self.build.attr(base, name)
            elif token == ("op", "["):
                self.pos += 1
                key = self.expr()
                self.expect("op", "]")
                base = self.build.index(base, key)
            else:
                return base

    def name(self) -> str:
        kind, value = self.take()
        if kind != "name" or value in KEYWORDS:
            raise _Unsure
        return value

    def atom(self) -> Any:
        kind, value = self.peek()
        if kind == "number":
            self.pos += 1
            return self.build.number(value)
        if kind == "string":
            self.pos += 1
            return self.build.string(value)
        if kind == "name" and value in _LITERALS:
            self.pos += 1
            return {"lit": _LITERALS[value]}
        if kind == "feel":
            self.pos += 1
            self.expect("op", "(")
            return self.build.call(value, self.arguments(")"))
        if kind == "name":
            name = self.name()
            if self.peek() == ("op", "("):
                self.pos += 1
                return self.build.call(name, self.arguments(")"))
            return self.build.var(name)
        if (kind, value) == ("op", "["):
            self.pos += 1
            return self.build.list(self.arguments("]"))
        if (kind, value) == ("op", "("):
            self.pos += 1
            inner = self.expr()
            self.expect("op", ")")
            return inner
        raise _Unsure

    def arguments(self, close: str) -> list[Any] | None:
        """``[args]`` then ``close``: None when empty, as lark's ``maybe_placeholders`` gives."""
        if self.peek() == ("op", close):
            self.pos += 1
            return None
        items = [self.expr()]
        while self.peek() == ("op", ","):
            self.pos += 1
            items.append(self.expr())
        self.expect("op", close)
        return items


def fast_parse(body: str, build: Callbacks) -> Any | None:
    """The AST lark would build for ``body``, or None when lark must decide."""
    try:
        tokens = _tokens(body)
        if len(tokens) > _MAX_TOKENS:
            return None
        reader = _Reader(tokens, build)
        ast = reader.expr()
        if reader.pos != len(tokens):
            return None
    except Exception:  # _Unsure, or a callback's refusal (lark words it), or deep recursion
        return None
    return ast
