"""Prompt and request templates that need no Jinja to check: text with ``{{ name }}`` or
``{{ name.attribute }}`` and nothing else (the common ``request="{{ description }}"``).

Such a template always parses, and the variables it reads are the names it shows; anything else
(a filter, a block, a comment, a lone brace) is left to Jinja's own parser. Importing Jinja is
a tenth of a cold ``shenpi compile``, so files whose templates are all simple skip it
(docs/benchmarks.md, "Compiling the real-world corpus").
"""

from __future__ import annotations

import re

# Text without braces, or one output of a dotted name; Jinja's lexer reads both the same way.
_PIECE = re.compile(
    r"[^{}]+|\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*[ \t]*\}\}"
)
# Words Jinja's expressions read as constants or operators, not as variables.
_WORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
)


def simple_names(text: str) -> frozenset[str] | None:
    """The variables a simple template reads (the first name of each output), or None when the
    template is not simple and Jinja must read it."""
    names: set[str] = set()
    at = 0
    for piece in _PIECE.finditer(text):
        if piece.start() != at:
            return None
        at = piece.end()
        name = piece.group(1)
        if name is not None:
            if name in _WORDS:
                return None
            names.add(name)
    return frozenset(names) if at == len(text) else None
