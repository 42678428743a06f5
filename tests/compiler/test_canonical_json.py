"""The plan hash's fast encoder writes exactly the standard library's bytes (canonical_json)."""

from __future__ import annotations

import random
import struct

import pytest

from shenpi_core.canonical_json import canonical, standard

# Floats where the two encoders part ways (Python pads and uses exponents below 1e-4) and where
# they agree; the huge integer is beyond orjson's 64 bits.
_EDGES: list[object] = [
    1e-05, -5.8e-06, 7.8e-09, 1e-10, 0.0001, 0.00012, 1e15, 1e16, 1.2e16, 5e-324, -0.0, 0.1,
    2**64, -(2**63) - 1, 2**63 - 1,
    "v0.00001", "1e-5", "汉字", "\u2028\u2029", "\x00\x1f\x7f\"\\", "é", "",
]  # fmt: skip


def _value(rng: random.Random, depth: int) -> object:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice(_EDGES)
    if kind == 1:
        return struct.unpack("d", rng.randbytes(8))[0]
    if kind == 2:
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(-12, 20)
    if kind == 3:
        return "".join(chr(rng.choice([rng.randrange(0x80), rng.randrange(0x80, 0xD800)]))
                       for _ in range(rng.randrange(6)))  # fmt: skip
    if kind == 4:
        return rng.choice([None, True, False, rng.randint(-(10**20), 10**20)])
    if kind in (5, 6):
        keys = [str(_value(rng, 3)) for _ in range(rng.randrange(5))]
        return {k: _value(rng, depth + 1) for k in keys}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def _finite(value: object) -> object:
    """NaN and infinities never reach the encoder: a json-mode dump writes them as null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@pytest.mark.parametrize("seed", range(5))
def test_random_bodies_encode_to_the_standard_bytes(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_000):
        body = _finite({"nodes": [_value(rng, 0) for _ in range(3)], "x": _value(rng, 0)})
        assert canonical(body) == standard(body), body


@pytest.mark.parametrize("edge", _EDGES)
def test_each_edge_value_encodes_to_the_standard_bytes(edge: object) -> None:
    body = {"b": [edge], "a": {"z": edge, "é": 1, "Z": 2}}
    assert canonical(body) == standard(body)


def test_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        standard({"a": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        canonical({"a": "\ud800"})
