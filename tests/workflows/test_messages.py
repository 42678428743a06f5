"""Messages through the mailboxes on the real dev server: catch events, event-based gateway
arms, boundaries, receive tasks, buffering, duplicates and the once-per-process rule."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from shenpi import messaging_client
from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
    InstanceState,
)
from shenpi_core.messaging import SIGNAL_BPMN, BpmnSignal, Message, PublishInput, PublishResult
from tests.helpers import assert_eventually
from tests.workflows.support import decide, open_task, start, state, timeline_events


async def publish(
    client: Client,
    task_queue: str,
    name: str,
    key: str = "",
    variables: dict[str, Any] | None = None,
    *,
    message_id: str | None = None,
    ttl: float = 0,
) -> PublishResult:
    message = Message(
        name=name,
        correlation_key=key,
        variables=variables or {},
        message_id=message_id or uuid.uuid4().hex,
    )
    return await messaging_client.publish(
        client, task_queue, PublishInput(message=message, ttl_seconds=ttl)
    )


async def subscribed(handle: WorkflowHandle[Any, Any], node_id: str) -> None:
    """Wait until the instance's subscription at ``node_id`` is confirmed by its mailbox."""

    async def check() -> None:
        tokens = (await state(handle)).tokens
        subs = [
            s for t in tokens for n, s in (t.get("subscriptions") or {}).items() if n == node_id
        ]
        assert subs and not subs[0].get("opening"), tokens

    await assert_eventually(check)


async def test_a_message_moves_the_gateway_arm_and_merges_its_variables(
    client: Client, worker: Worker, task_queue: str
) -> None:
    contract = f"C-{uuid.uuid4().hex[:6]}"
    handle = await start(client, "message_wait", task_queue, variables={"contract_no": contract})
    await subscribed(handle, "signed")
    other = await publish(client, task_queue, "contract-signed", "someone-else", {"signer": "x"})
    assert other.correlated == [] and not other.buffered
    result = await publish(client, task_queue, "contract-signed", contract, {"signer": "Li Lei"})
    assert result.correlated == [handle.id]
    final = await handle.result()
    assert final.status == "completed"
    assert final.variables["signer"] == "Li Lei"
    assert "message_received" in timeline_events(final)
    assert [e.node_id for e in final.timeline if e.event == "message_received"] == ["signed"]


async def test_a_message_published_before_the_subscription_is_kept_for_its_ttl(
    client: Client, worker: Worker, task_queue: str
) -> None:
    contract = f"C-{uuid.uuid4().hex[:6]}"
    early = await publish(
        client, task_queue, "contract-signed", contract, {"signer": "Han Meimei"}, ttl=600
    )
    assert early.correlated == [] and early.buffered
    handle = await start(client, "message_wait", task_queue, variables={"contract_no": contract})
    final = await handle.result()
    assert final.variables["signer"] == "Han Meimei"
    # Kept, but taken once per process: a second instance of the same process does not get it.
    second = await start(client, "message_wait", task_queue, variables={"contract_no": contract})
    await subscribed(second, "signed")
    assert (await state(second)).status == "running"
    await second.terminate("test over")


async def test_the_same_message_id_twice_has_one_effect(
    client: Client, worker: Worker, task_queue: str
) -> None:
    contract = f"C-{uuid.uuid4().hex[:6]}"
    first = await start(client, "message_wait", task_queue, variables={"contract_no": contract})
    await subscribed(first, "signed")
    second = await start(client, "message_wait", task_queue, variables={"contract_no": contract})
    await subscribed(second, "signed")
    message_id = uuid.uuid4().hex
    once = await publish(client, task_queue, "contract-signed", contract, message_id=message_id)
    again = await publish(client, task_queue, "contract-signed", contract, message_id=message_id)
    # Zeebe's rule: one instance per process, the one that subscribed first.
    assert once.correlated == [first.id]
    assert again.duplicate and again.correlated == [first.id]
    assert (await first.result()).status == "completed"
    assert (await state(second)).status == "running"
    await second.terminate("test over")


async def test_boundaries_receive_tasks_signals_and_conditions_on_one_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    key = f"O-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client, "message_boundary", task_queue, variables={"amount": 10}, business_key=key
    )
    review = await open_task(handle, "review")
    await subscribed(handle, "noted")
    # Non-interrupting: the task stays open, a branch runs, and it listens again. The message's
    # variables make the condition true: the conditional boundary fires, once.
    noted = await publish(client, task_queue, "order-note", key, {"note": "rush", "amount": 5000})
    assert noted.correlated == [handle.id]
    await subscribed(handle, "noted")
    instance = await state(handle)
    assert instance.variables["note"] == "rush"
    assert "review" in {t.node_id for t in instance.tasks if t.status == "open"}
    assert timeline_events(instance).count("condition_met") == 1
    again = await publish(client, task_queue, "order-note", key, {"note": "again"})
    assert again.correlated == [handle.id]
    await subscribed(handle, "noted")
    assert timeline_events(await state(handle)).count("condition_met") == 1
    await decide(handle, review, "approve", "mia")
    await subscribed(handle, "confirm")
    assert (await publish(client, task_queue, "order-confirmed", key)).correlated == [handle.id]
    final = await handle.result()
    assert final.status == "completed"
    events = timeline_events(final)
    assert events.count("message_received") == 3
    # The boundaries closed with the task: their mailboxes forgot the subscriptions.
    note = await publish(client, task_queue, "order-note", key)
    assert note.correlated == []


async def test_an_interrupting_message_boundary_ends_the_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    key = f"O-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client, "message_boundary", task_queue, variables={"amount": 1}, business_key=key
    )
    await open_task(handle, "review")
    await subscribed(handle, "cancelled")
    assert (await publish(client, task_queue, "order-cancelled", key)).correlated == [handle.id]
    final = await handle.result()
    assert final.status == "completed"
    assert [t.status for t in final.tasks] == ["cancelled"]
    assert [e.node_id for e in final.timeline if e.event == "message_received"] == ["cancelled"]


async def test_a_thrown_signal_reaches_the_instances_waiting_for_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    waiting = [
        await start(client, "signal_pair", task_queue, variables={"thrower": False})
        for _ in range(2)
    ]

    async def visible() -> None:
        ids = {h.id for h in waiting}
        query = "ShenpiWaitingFor = 'signal:month-closed' AND ExecutionStatus = 'Running'"
        found = {w.id async for w in client.list_workflows(query)}
        assert ids <= found, found

    await assert_eventually(visible)
    thrower = await start(client, "signal_pair", task_queue, variables={"thrower": True})
    assert "signal_thrown" in timeline_events(await thrower.result())
    for handle in waiting:
        final = await handle.result()
        assert [e.node_id for e in final.timeline if e.event == "signal_received"] == ["closed"]


async def test_deciding_while_a_subscription_opens_closes_it_cleanly(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """The task's boundary subscribes again after a non-interrupting message; the decision
    right after cancels that subscribe activity: the instance goes on, it does not fail."""
    key = f"O-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client, "message_boundary", task_queue, variables={"amount": 1}, business_key=key
    )
    review = await open_task(handle, "review")
    await subscribed(handle, "noted")
    await publish(client, task_queue, "order-note", key, {"note": "rush"})
    await decide(handle, review, "approve", "mia")
    await subscribed(handle, "confirm")
    assert (await publish(client, task_queue, "order-confirmed", key)).correlated == [handle.id]
    assert (await handle.result()).status == "completed"


async def test_event_subprocess_starts_and_a_conditional_catch(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """A non-interrupting message start runs beside the work and sets what a conditional catch
    waits for; it listens again after it fired."""
    key = f"N-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client, "event_starts_inside", task_queue, variables={"ready": False}, business_key=key
    )
    await decide(handle, await open_task(handle, "work"), "approve", "mia")
    await subscribed(handle, "note")
    assert (await state(handle)).status == "running"  # the condition is false
    sent = await publish(client, task_queue, "side-note", key, {"ready": True})
    assert sent.correlated == [handle.id]
    final = await handle.result()
    events = [(e.event, e.node_id) for e in final.timeline]
    assert ("message_received", "note") in events and ("condition_met", "ready") in events
    assert events.index(("message_received", "note")) < events.index(("condition_met", "ready"))


async def test_an_interrupting_signal_start_ends_the_work(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "event_starts_inside", task_queue, variables={"ready": False})
    await open_task(handle, "work")
    signal = BpmnSignal(name="abort-everything", signal_id=uuid.uuid4().hex)
    await handle.signal(SIGNAL_BPMN, signal)
    await handle.signal(SIGNAL_BPMN, signal)  # delivered twice: one effect
    final = await handle.result()
    assert [t.status for t in final.tasks] == ["cancelled"]
    assert timeline_events(final).count("signal_received") == 1
    assert "event_subprocess_started" in timeline_events(final)


async def test_a_subscription_survives_continue_as_new(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """Past the history bound the instance continues as new once its subscription is confirmed;
    the new run keeps it, and the message reaches it (a signal goes to the latest run)."""
    contract = f"C-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client,
        "message_wait",
        task_queue,
        variables={"contract_no": contract},
        max_history_events=5,
    )
    await subscribed(handle, "signed")

    async def continued() -> None:
        assert (await handle.describe()).run_id != handle.result_run_id

    await assert_eventually(continued)
    sent = await publish(client, task_queue, "contract-signed", contract, {"signer": "Wang"})
    assert sent.correlated == [handle.id]
    final = await client.get_workflow_handle(handle.id).result()
    assert final["variables"]["signer"] == "Wang"


async def test_one_message_reaches_one_instance_of_each_process_waiting_for_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    contract = f"C-{uuid.uuid4().hex[:6]}"
    variables = {"contract_no": contract}
    first_a = await start(client, "message_wait", task_queue, variables=variables)
    await subscribed(first_a, "signed")
    second_a = await start(client, "message_wait", task_queue, variables=variables)
    only_b = await start(client, "message_wait_b", task_queue, variables=variables)
    for handle in (second_a, only_b):
        await subscribed(handle, "signed")
    sent = await publish(client, task_queue, "contract-signed", contract, {"signer": "Zhao"})
    assert sorted(sent.correlated) == sorted([first_a.id, only_b.id])
    for handle in (first_a, only_b):
        assert (await handle.result()).variables["signer"] == "Zhao"
    assert (await state(second_a)).status == "running"
    await second_a.terminate("test over")


async def test_a_message_and_its_subscription_at_the_same_moment_meet_exactly_once(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """Started and published together, many times: whichever reaches the mailbox first, each
    instance takes its message once (kept for its ttl when it came first)."""
    keys = [f"R-{uuid.uuid4().hex[:6]}-{n}" for n in range(8)]

    async def pair(key: str) -> WorkflowHandle[Any, InstanceState]:
        started = start(client, "message_wait", task_queue, variables={"contract_no": key})
        sent = publish(client, task_queue, "contract-signed", key, {"signer": key}, ttl=60)
        both = await asyncio.gather(started, sent)
        handle: WorkflowHandle[Any, InstanceState] = both[0]
        return handle

    handles = await asyncio.gather(*(pair(key) for key in keys))
    for key, handle in zip(keys, handles, strict=True):
        final = await handle.result()
        assert final.variables["signer"] == key
        assert timeline_events(final).count("message_received") == 1


async def test_a_correlation_key_that_cannot_be_evaluated_is_an_incident_not_a_crash(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """The event subprocess's message start subscribes as the instance starts, outside any
    step: a key over a missing variable parks its listener as an incident; the work goes on."""
    handle = await start(client, "message_start_bad_key", task_queue)
    await decide(handle, await open_task(handle, "work"), "approve", "mia")

    async def parked() -> None:
        instance = await state(handle)
        assert [(i.node_id, i.kind) for i in instance.incidents] == [("cancel", "expression_error")]
        assert [t["node_id"] for t in instance.tokens] == ["cancel"]

    await assert_eventually(parked)
    # Retried with the variable still missing: the same incident again, nothing runs.
    retry = IncidentActionInput(incident_id="1", action="retry", actor="root", is_admin=True)
    await handle.execute_update(UPDATE_INCIDENT_ACTION, retry, result_type=IncidentActionResult)

    async def again() -> None:
        instance = await state(handle)
        assert [(i.node_id, i.resolved_at is None) for i in instance.incidents] == [
            ("cancel", False),
            ("cancel", True),
        ]
        assert "event_subprocess_started" not in timeline_events(instance)

    await assert_eventually(again)
    await handle.terminate("test over")


async def _all_subscribed(handle: WorkflowHandle[Any, Any], node_id: str, count: int) -> None:
    """Wait until ``count`` runs of a multi-instance receive task have their subscriptions."""

    async def check() -> None:
        tokens = (await state(handle)).tokens
        subs = [
            s for t in tokens for n, s in (t.get("subscriptions") or {}).items() if n == node_id
        ]
        assert len(subs) == count and not any(s.get("opening") for s in subs), tokens

    await assert_eventually(check)


async def test_a_multi_instance_receive_task_takes_one_message_per_element(
    client: Client, worker: Worker, task_queue: str
) -> None:
    tender = f"T-{uuid.uuid4().hex[:6]}"
    suppliers = ["acme", "bolt", "cog"]
    handle = await start(
        client,
        "multi_receive",
        task_queue,
        variables={"tender": tender, "suppliers": suppliers},
        business_key=tender,
    )
    await _all_subscribed(handle, "quotes", 3)  # each run keyed by its own supplier
    for supplier, price in (("cog", 30), ("acme", 10), ("bolt", 20)):  # out of order
        sent = await publish(
            client, task_queue, "supplier-quote", f"{tender}/{supplier}", {"price": price}
        )
        assert sent.correlated == [handle.id]
    final = await handle.result()
    assert final.status == "completed"
    assert final.variables["prices"] == [10, 20, 30]  # in the order of the suppliers
    assert [e.node_id for e in final.timeline if e.event == "message_received"] == ["quotes"] * 3


async def test_a_boundary_message_ends_every_run_of_a_multi_instance_receive_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    tender = f"T-{uuid.uuid4().hex[:6]}"
    handle = await start(
        client,
        "multi_receive",
        task_queue,
        variables={"tender": tender, "suppliers": ["acme", "bolt"]},
        business_key=tender,
    )
    await _all_subscribed(handle, "quotes", 2)
    await subscribed(handle, "cancelled")  # the body holds the boundary, once
    await publish(client, task_queue, "supplier-quote", f"{tender}/acme", {"price": 10})
    sent = await publish(client, task_queue, "tender-cancelled", tender)
    assert sent.correlated == [handle.id]
    final = await handle.result()
    assert final.status == "completed"
    assert [e.node_id for e in final.timeline if e.event == "message_received"] == [
        "quotes",
        "cancelled",
    ]
    # Interrupted, the body sets no output collection (Zeebe's), and the quote that came stays
    # in its run's scope.
    assert "prices" not in final.variables and "price" not in final.variables

    async def bolt_is_unsubscribed() -> None:
        late = await publish(client, task_queue, "supplier-quote", f"{tender}/bolt", {"price": 1})
        assert late.correlated == [] and not late.buffered

    await assert_eventually(bolt_is_unsubscribed)
