"""The bytes a process plan's hash covers: JSON with sorted keys, no spaces, UTF-8 as is.

The standard library's encoder defines them (``json.JSONEncoder(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``, then UTF-8); orjson writes the same bytes some seven
times faster, which was a twentieth of a compile (docs/benchmarks.md "Compiling the real-world
corpus"). The two differ only where a dump holds a float under 1e-4 in magnitude (orjson writes
``0.00001`` and ``1e-9`` where Python writes ``1e-05`` and ``1e-09``), an integer beyond 64 bits
or a lone surrogate (orjson refuses both): such a body goes to the standard library's encoder,
so the bytes, and every hash already stored, stay the same. ``_small_float`` may also find one
inside a string ("v0.00001"); that body is then encoded the slow way, to the same bytes.
"""

from __future__ import annotations

import json
import re

import orjson

_STANDARD = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)  # a dump is never circular: without the check the text is the same, and it comes sooner
# A one-digit negative exponent: where orjson writes ``e-9`` Python writes ``e-09``. The pattern
# starts with a literal so the regex engine can jump between candidates (a leading ``\d`` made the
# search cost more than the encoding saved); the digit before it is checked by hand.
_EXPONENT = re.compile(rb"e-\d(?!\d)")
_DIGITS = frozenset(b"0123456789")


def _small_float(text: bytes) -> bool:
    """Whether orjson may have written a float the standard library writes otherwise: Python's
    ``repr`` uses exponents below 1e-4 (padded to two digits), orjson ``0.0000...`` or ``e-N``.
    Exponents above are 16 and more, written alike."""
    if b"0.0000" in text:
        return True
    return any(m.start() and text[m.start() - 1] in _DIGITS for m in _EXPONENT.finditer(text))


def standard(body: object) -> bytes:
    """The definition: the standard library's encoding."""
    return _STANDARD.encode(body).encode("utf-8")


def canonical(body: object) -> bytes:
    """``standard(body)``, faster. ``body``: JSON values (a ``model_dump(mode="json")``)."""
    try:
        fast = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits, a surrogate: the standard library decides
        return standard(body)
    return standard(body) if _small_float(fast) else fast
