"""The hand-written expression reader answers exactly as the lark parser does, or not at all.

Every JUEL and plain expression of the compiler's test files, ``processes/`` and the real-world
corpus, tricky spellings (keywords where lark's contextual lexer reads names), and generated
texts, valid and not: where ``fast_parse`` gives an AST, lark gives the same one.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
from lxml import etree

from bpmn_compiler.expressions import split_template
from shenpi_core.expression_ast import _BUILD, ExpressionSyntaxError
from shenpi_core.expression_fast import fast_parse
from shenpi_core.expression_lark import lark_parse

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "tests", ROOT / "processes", ROOT.parent / "shared" / "bpmn-corpus"]
PLAIN_TAGS = ("conditionExpression", "loopCondition", "completionCondition")

TRICKY = [
    "a andb",
    "a and b",
    "not if",
    "-not",
    "- - 1",
    "!!a",
    "a.in",
    "a.not(1)",
    "1and 2",
    "x index y",
    "a notin b",
    "a not in b",
    "not a in b",
    "a < b < c",
    "a<-1",
    "a<>b",
    "a <> b",
    "a=-1",
    "!=a",
    "a != b",
    "if a then b else c",
    "if a then b",
    "a ? b : c ? d : e",
    "a ? if b then c else d : e",
    "not if a then b else c",
    "empty",
    "empty x",
    "empty empty x",
    "then",
    "div",
    "a div b",
    "a mod 2",
    "a divb",
    "string length(x)",
    "string length (x)",
    "starts with(a, 'b')",
    "upper case",
    "is defined(x)",
    "a.b.c(1, 2)[0].d",
    "f()",
    "len()",
    "[]",
    "[1, 2,]",
    "[1, 2]",
    "(a)",
    "((a))",
    "()",
    "a[b[c]]",
    "1.5e3 + 2",
    "1e",
    "1.",
    "'it\\'s' == \"q\\\"\"",
    "'a\nb'",
    "a\tand\rb",
    "a\vb",
    "True and None",
    "true == True",
    "x in [1, 2] or y not in ['a']",
    "a eq b",
    "a lt b and c ge d",
    "a == b == c",
    "-1 - -2",
    "-(1)",
    "--1",
    "a.equals(b)",
    "a.isEmpty()",
    "a.isEmpty(1)",
    "a.size()",
    "a.unknown()",
    "unknown(1)",
    "manager(initiator)",
    "manager(initiator, 2)",
    "manager()",
    "members(a, b)",
    "9" * 400,
    "1e999",
    "a ||b",
    "a|b",
    "a &&b",
    "a&b",
    "a ? b",
    "a : b",
    "$x + _y",
    "a.$b",
    "é",
    "a + é",
    "x.toLowerCase().trim()",
    "a[-1]",
    "a[1:2]",
    "{a}",
    "a b",
    "a,b",
    "a.",
]

WORDS = ["a", "b", "x", "amount", "not", "and", "or", "in", "if", "then", "else", "empty",
         "div", "mod", "eq", "true", "null", "None", "len", "manager", "string length"]  # fmt: skip
SYMBOLS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "=", "!", "?", ":", ".", ",", "(",
           ")", "[", "]", "&&", "||", "1", "2.5", "'s'", '"t"', " "]  # fmt: skip


def _real_expressions() -> list[str]:
    found: set[str] = set()
    for root in SOURCES:
        for path in sorted(root.rglob("*.bpmn")):
            try:
                tree = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
            except etree.XMLSyntaxError:
                continue
            for el in tree.iter():
                if not isinstance(el.tag, str):
                    continue
                texts = [*el.attrib.values(), el.text or ""]
                for text in texts:
                    if "${" in text or "#{" in text:
                        with contextlib.suppress(ExpressionSyntaxError):
                            found.update(body for is_expr, body in split_template(text) if is_expr)
                text = el.text or ""
                plain = "${" not in text and not text.strip().startswith("=")
                if etree.QName(el).localname in PLAIN_TAGS and text.strip() and plain:
                    found.add(text)
    return sorted(found)


def _generated(count: int) -> list[str]:
    """Token soup: mostly texts that do not parse."""
    rng = random.Random(12)  # fixed: the same texts on every run
    pieces = WORDS + SYMBOLS
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(count)]


BINARY = ["+", "-", "*", "/", "%", "div", "mod", "==", "!=", "<>", "<", "<=", ">", ">=", "=",
          "eq", "ne", "lt", "le", "gt", "ge", "and", "&&", "or", "||", "in", "not in"]  # fmt: skip
PREFIX = ["-", "!", "not ", "empty "]
ATOMS = ["a", "b", "amount", "user.name", "1", "2.5", "1e3", "'x'", '"y"', "true", "False",
         "null", "None", "$v", "_w"]  # fmt: skip


def _expression(rng: random.Random, depth: int) -> str:
    """A text drawn from the grammar's shapes, spaced at random: most parse, some do not
    (``a < b < c``), and precedence decides the rest."""
    pick = rng.randrange(12) if depth > 0 else 0

    def sub() -> str:
        return _expression(rng, depth - 1)

    space = rng.choice(["", " ", "  "])
    match pick:
        case 0:
            return rng.choice(ATOMS)
        case 1 | 2 | 3:
            return f"{sub()}{space}{rng.choice(BINARY)} {sub()}"
        case 4:
            return f"{rng.choice(PREFIX)}{sub()}"
        case 5:
            return f"{sub()} ? {sub()} : {sub()}"
        case 6:
            return f"if {sub()} then {sub()} else {sub()}"
        case 7:
            name = rng.choice(["len", "contains", "lower", "manager", "string length", "sum"])
            return f"{name}({', '.join(sub() for _ in range(rng.randrange(3)))})"
        case 8:
            method = rng.choice(["contains", "trim", "size", "equals", "isEmpty", "startsWith"])
            return (
                f"{rng.choice(ATOMS)}.{method}({', '.join(sub() for _ in range(rng.randrange(2)))})"
            )
        case 9:
            return f"{rng.choice(['a', 'b.c'])}[{sub()}]"
        case 10:
            return f"[{', '.join(sub() for _ in range(rng.randrange(4)))}]"
        case _:
            return f"({sub()})"


def _grammar_texts(count: int) -> list[str]:
    rng = random.Random(7)
    return [_expression(rng, rng.randint(1, 4)) for _ in range(count)]


def _lark(body: str) -> tuple[str, object]:
    try:
        return "ast", lark_parse(body.strip())
    except ExpressionSyntaxError as err:
        return "error", err.message


REAL = _real_expressions()


GRAMMAR = _grammar_texts(3000)
SETS = {"real": REAL, "tricky": TRICKY, "soup": _generated(2000), "grammar": GRAMMAR}


@pytest.mark.parametrize("name", SETS)
def test_fast_reader_answers_as_lark_does_or_not_at_all(name: str) -> None:
    answers = ((body, fast_parse(body.strip(), _BUILD)) for body in SETS[name])
    wrong = [body for body, fast in answers if fast is not None and _lark(body) != ("ast", fast)]
    assert wrong == []


@pytest.mark.parametrize("texts", [REAL, GRAMMAR], ids=["real", "generated"])
def test_fast_reader_answers_for_almost_every_text_that_parses(texts: list[str]) -> None:
    answered = [b for b in texts if fast_parse(b.strip(), _BUILD) is not None]
    parsing = [b for b in texts if _lark(b)[0] == "ast"]
    assert len(parsing) > 50
    assert len(answered) >= 0.95 * len(parsing)
