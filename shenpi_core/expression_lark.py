"""The lark parser of ``expression.lark``: what ``expression_fast`` leaves to it, and the wording
of every syntax error. Imported on first use: most files never need it, and lark (with the
``regex`` module it loads) is a tenth of a cold ``shenpi compile``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from shenpi_core.expression_ast import ExpressionSyntaxError, _ToAst
from shenpi_core.grammar_cache import cache_path


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, its tables loaded from the user's cache when they are there
    (``grammar_cache``), with the transformer built in: each rule becomes its AST node as it is
    reduced, so no parse tree is built and walked again."""
    grammar = (Path(__file__).with_name("expression.lark")).read_text(encoding="utf-8")
    cache = cache_path(grammar, lark.__version__)
    # lark's v_args wraps only a class's own methods: give the transformer _ToAst's as its own.
    methods = {k: v for k, v in vars(_ToAst).items() if not k.startswith("__")}
    transformer = v_args(inline=True)(type("LarkToAst", (Transformer,), methods))
    return Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=True,
        transformer=transformer(),
        **({"cache": cache} if cache is not None else {}),
    )


def lark_parse(body: str) -> Any:
    """``body`` (stripped, not empty) → the AST, or an ``ExpressionSyntaxError`` saying where."""
    try:
        return _parser().parse(body)
    except UnexpectedEOF:
        raise ExpressionSyntaxError(f"{body!r} ends too early") from None
    except UnexpectedCharacters as err:
        raise ExpressionSyntaxError(
            f"unexpected {body[err.pos_in_stream or 0]!r} at column {err.column} of {body!r}"
        ) from None
    except UnexpectedInput as err:
        token = getattr(err, "token", None)
        where = "end of input" if token is None or token.type == "$END" else repr(str(token))
        raise ExpressionSyntaxError(
            f"unexpected {where} at column {getattr(err, 'column', '?')} of {body!r}"
        ) from None
    except RecursionError:
        raise ExpressionSyntaxError("expression nested too deeply") from None
