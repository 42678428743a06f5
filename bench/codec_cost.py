"""The payload codec alone: encrypting and decrypting the bench's start input, without Temporal.

The end-to-end runs tell whether encryption changes what an instance costs; on a shared 2-core
machine their spread hides a few hundred microseconds, so this measures the cipher's share directly.
"""

from __future__ import annotations

import time

from temporalio.contrib.pydantic import pydantic_data_converter

from shenpi.payload_codec import EncryptionCodec
from shenpi.payload_keys import KeyRing, new_key_entry
from shenpi_core.contracts import StartInput
from shenpi_core.process_plan import ProcessPlan


async def codec_cost(plan: ProcessPlan, *, repeat: int = 2000) -> dict[str, float]:
    """The mean of ``repeat`` encode+decode round trips of one payload, and its size."""
    start = StartInput(plan=plan, version=1, variables={"manager": "manager-1"}, initiator="bench")
    [payload] = pydantic_data_converter.payload_converter.to_payloads([start])
    codec = EncryptionCodec(KeyRing.parse(new_key_entry("bench")))
    began = time.perf_counter()
    for _ in range(repeat):
        await codec.decode(await codec.encode([payload]))
    seconds = time.perf_counter() - began
    return {"payload_bytes": payload.ByteSize(), "round_trip_us": 1e6 * seconds / repeat}
