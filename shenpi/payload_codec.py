"""Temporal payload encryption: a ``PayloadCodec`` over the key ring, and the data converter that
every client, worker and replayer of Shenpi uses (docs/security.md).

The codec runs in the SDK between the payload converter (pydantic → JSON bytes) and the wire, so
the Temporal server, its database and its UI only ever see ``binary/encrypted`` payloads: inputs,
results, update arguments, memos and failure details. Search attributes are not payloads and are
never encrypted, which is why they hold ids and states only (docs/architecture.md §3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from shenpi.payload_keys import KeyRing
from shenpi.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over the whole serialized payload (its metadata included, so the encoding
    and type hints of the inner payload are hidden too)."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        # Payloads that are not ours pass untouched: histories recorded before encryption was on,
        # and instances started while it was off, still replay and finish.
        return [self._decrypt(p) if is_encrypted(p) else p for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        key_id, sealed = self.ring.encrypt(payload.SerializeToString())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()}, data=sealed
        )

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode()
        inner = Payload()
        inner.ParseFromString(self.ring.decrypt(key_id, payload.data))
        return inner


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def data_converter_for(ring: KeyRing | None) -> DataConverter:
    """The pydantic converter, encrypting with ``ring`` (``None``: payloads stay plain JSON).

    Failure messages and stack traces move into an encoded attribute, so they are encrypted too.
    """
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The data converter of every Temporal client Shenpi makes from ``settings``."""
    return data_converter_for(settings.payload_key_ring())
