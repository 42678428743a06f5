"""Over the real dev server: what Temporal stores is encrypted, what Shenpi reads is not, and a
rotation lets an instance started under the old key finish under the new one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from shenpi.payload_codec import ENCODING, KEY_ID_METADATA
from shenpi.payload_keys import UnknownKeyError
from shenpi_core.contracts import InstanceState
from tests.codec.support import NEW_KEY, OLD_KEY, encrypting, ring
from tests.workflows.support import decide, fake_activities, open_task, settings_for_tests, start
from worker import build_worker

SECRET = "出差北京 住宿3晚 1260元 confidential-7f3a"
COMMENT = "over budget, see note 9c2e"


def _worker(client: Client, task_queue: str) -> Any:
    return build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=fake_activities(),
    )


def _payload_bytes(events: Sequence[HistoryEvent]) -> bytes:
    """Every event as stored, less what the codec never sees and what holds no content: search
    attributes (ids and states only, docs/architecture.md §3) and the SDK's own patch markers
    (patch ids)."""
    stored = b""
    for event in events:
        if event.marker_recorded_event_attributes.marker_name == "core_patch":
            continue
        copy = HistoryEvent()
        copy.CopyFrom(event)
        for attributes in (
            "workflow_execution_started_event_attributes",
            "upsert_workflow_search_attributes_event_attributes",
        ):
            if copy.HasField(attributes):
                getattr(copy, attributes).ClearField("search_attributes")
        stored += copy.SerializeToString()
    return stored


async def test_history_holds_only_encrypted_payloads(client: Client, task_queue: str) -> None:
    shenpi = encrypting(client, ring(OLD_KEY))
    async with _worker(shenpi, task_queue):
        handle = await start(
            shenpi, "approval", task_queue, variables={"approver": "ann", "description": SECRET}
        )
        await decide(handle, await open_task(handle, "approve"), "approve", "ann", comment=COMMENT)
        final = await handle.result()

    # Read as the Temporal server and its UI see it: a client without the codec.
    history = await client.get_workflow_handle(handle.id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [payload] = started.input.payloads
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID_METADATA] == b"k-old"
    stored = _payload_bytes(history.events)
    assert SECRET.encode() not in stored
    assert COMMENT.encode() not in stored  # the update's arguments
    assert b"json/plain" not in stored  # nothing left in clear: inputs, results, updates, memo
    everything = b"".join(e.SerializeToString() for e in history.events)
    assert b"confidential-7f3a" not in everything  # search attributes hold no content either
    # ... and Shenpi, with the key, reads it all back.
    assert final.variables["description"] == SECRET
    assert any(e.comment == COMMENT for e in final.timeline)


async def test_instance_started_under_old_key_finishes_after_rotation(
    client: Client, task_queue: str
) -> None:
    before = encrypting(client, ring(OLD_KEY))
    async with _worker(before, task_queue):
        handle = await start(
            before, "approval", task_queue, variables={"approver": "ann", "description": SECRET}
        )
        task = await open_task(handle, "approve")

    # Rotation: the new key goes first, the old one stays to decrypt what it encrypted.
    after = encrypting(client, ring(NEW_KEY, OLD_KEY))
    async with _worker(after, task_queue):
        rotated = after.get_workflow_handle(handle.id, result_type=InstanceState)
        await decide(rotated, task, "approve", "ann", comment=COMMENT)
        final = await rotated.result()

    assert (final.outcome, final.variables["description"]) == ("approved", SECRET)
    history = await client.get_workflow_handle(handle.id).fetch_history()
    first, last = history.events[0], history.events[-1]
    started = first.workflow_execution_started_event_attributes.input.payloads[0]
    completed = last.workflow_execution_completed_event_attributes.result.payloads[0]
    assert started.metadata[KEY_ID_METADATA] == b"k-old"
    assert completed.metadata[KEY_ID_METADATA] == b"k-new"


async def test_a_ring_without_the_key_says_which_key_is_missing(
    client: Client, task_queue: str
) -> None:
    shenpi = encrypting(client, ring(OLD_KEY))
    async with _worker(shenpi, task_queue):
        handle = await start(shenpi, "approval", task_queue, variables={"approver": "ann"})
        await decide(handle, await open_task(handle, "approve"), "approve", "ann")
        await handle.result()

    stranger = encrypting(client, ring(NEW_KEY)).get_workflow_handle(handle.id)
    with pytest.raises(UnknownKeyError, match="k-old"):
        await stranger.result()
