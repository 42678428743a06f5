"""POST /messages, POST /instances/{id}/messages/{name} and POST /signals over HTTP, against the
real API, worker and dev server: message and signal starts, buffering, duplicates, who may
publish, and a signal to several waiting instances."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.helpers import assert_eventually

PUBLISHER = ("billing-service", ["integrations"])


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    """The stack with the group "integrations" allowed to publish (a service's token)."""
    settings = api_settings(tmp_path, message_publishers="integrations")
    async with running_stack(temporal_env, settings) as running:
        yield running


def contract_bpmn(process_id: str) -> str:
    """A contract that waits for the counterparty's signature (keyed by contract number) or 7
    days, and a budget-freeze signal that ends it early."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="https://t">
  <message id="m" name="signed-{process_id}">
    <extensionElements><zeebe:subscription correlationKey="=contract_no" /></extensionElements>
  </message>
  <signal id="s" name="freeze-{process_id}" />
  <process id="{process_id}" isExecutable="true">
    <startEvent id="start" />
    <eventBasedGateway id="wait" />
    <intermediateCatchEvent id="signed">
      <messageEventDefinition messageRef="m" />
    </intermediateCatchEvent>
    <intermediateCatchEvent id="week">
      <timerEventDefinition><timeDuration>P7D</timeDuration></timerEventDefinition>
    </intermediateCatchEvent>
    <intermediateCatchEvent id="frozen">
      <signalEventDefinition signalRef="s" />
    </intermediateCatchEvent>
    <endEvent id="done" /><endEvent id="expired" /><endEvent id="stopped" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <sequenceFlow id="f2" sourceRef="wait" targetRef="signed" />
    <sequenceFlow id="f3" sourceRef="wait" targetRef="week" />
    <sequenceFlow id="f4" sourceRef="wait" targetRef="frozen" />
    <sequenceFlow id="f5" sourceRef="signed" targetRef="done" />
    <sequenceFlow id="f6" sourceRef="week" targetRef="expired" />
    <sequenceFlow id="f7" sourceRef="frozen" targetRef="stopped" />
  </process>
</definitions>"""


def started_by_bpmn(process_id: str, message: str, signal: str) -> str:
    """A process started by a message or by a signal, waiting in a user task."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="https://t">
  <message id="m" name="{message}" />
  <signal id="s" name="{signal}" />
  <process id="{process_id}" isExecutable="true">
    <startEvent id="by_message"><messageEventDefinition messageRef="m" /></startEvent>
    <startEvent id="by_signal"><signalEventDefinition signalRef="s" /></startEvent>
    <userTask id="handle" shenpi:assignee="mia" />
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="by_message" targetRef="handle" />
    <sequenceFlow id="f2" sourceRef="by_signal" targetRef="handle" />
    <sequenceFlow id="f3" sourceRef="handle" targetRef="end" />
  </process>
</definitions>"""


async def _deploy(stack: Stack, xml: str) -> None:
    async with stack.http("ops", ["admin"]) as http:
        response = await http.post("/api/v1/definitions", content=xml)
    assert response.status_code == 201, response.text


async def _start(stack: Stack, process_id: str, variables: dict[str, object]) -> str:
    async with stack.http("ida") as http:
        response = await http.post(
            f"/api/v1/processes/{process_id}/instances", json={"variables": variables}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["instance_id"])


async def _instance(stack: Stack, instance_id: str) -> dict[str, Any]:
    async with stack.http("ops", ["admin"]) as http:
        response = await http.get(f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _waiting(stack: Stack, instance_id: str, node_id: str) -> None:
    """Until the instance's subscription at ``node_id`` is confirmed by its mailbox."""

    async def check() -> None:
        state = await stack.temporal.get_workflow_handle(instance_id).query("get_state")
        subs = [
            s
            for t in state["tokens"]
            for n, s in (t.get("subscriptions") or {}).items()
            if n == node_id
        ]
        assert subs and not subs[0].get("opening"), state["tokens"]

    await assert_eventually(check)


async def test_publish_correlates_by_key_once_and_keeps_a_message_for_its_ttl(
    stack: Stack,
) -> None:
    process_id = unique("contract")
    await _deploy(stack, contract_bpmn(process_id))
    instance_id = await _start(stack, process_id, {"contract_no": "HT-1"})
    await _waiting(stack, instance_id, "signed")
    message = {
        "name": f"signed-{process_id}",
        "correlation_key": "HT-1",
        "variables": {"signed_by": "Acme"},
        "message_id": uuid.uuid4().hex,
    }
    async with stack.http("mallory", ["staff"]) as stranger:
        refused = await stranger.post("/api/v1/messages", json=message)
    assert refused.status_code == 403
    async with stack.http(*PUBLISHER) as http:
        first = await http.post("/api/v1/messages", json=message)
        again = await http.post("/api/v1/messages", json=message)
        early = await http.post(
            "/api/v1/messages",
            json={"name": f"signed-{process_id}", "correlation_key": "HT-2", "ttl": "PT1H"},
        )
        bad_ttl = await http.post(
            "/api/v1/messages", json={"name": "x", "correlation_key": "y", "ttl": "soon"}
        )
        too_long = await http.post(
            "/api/v1/messages", json={"name": "x", "correlation_key": "y", "ttl": "P99999D"}
        )
    assert first.status_code == 200, first.text
    assert first.json()["correlated"] == [instance_id]
    assert first.json()["started"] == [] and not first.json()["buffered"]
    assert again.json()["correlated"] == [instance_id]  # one effect: the first answer again
    assert early.json() == {
        "correlated": [],
        "started": [],
        "buffered": True,
        "message_id": early.json()["message_id"],
    }
    assert bad_ttl.status_code == 422 and too_long.status_code == 422
    await assert_eventually(
        lambda: _ended_with(stack, instance_id, {"signed_by": "Acme"}), timeout=20
    )
    # Kept for its ttl: an instance that subscribes later takes it at once.
    later = await _start(stack, process_id, {"contract_no": "HT-2"})
    await assert_eventually(lambda: _ended_with(stack, later, {}), timeout=20)


async def _ended_with(stack: Stack, instance_id: str, variables: dict[str, object]) -> None:
    body = await _instance(stack, instance_id)
    assert body["status"] == "completed", body["status"]
    assert variables.items() <= body["variables"].items()


async def test_a_direct_message_goes_to_the_instance_or_is_refused(stack: Stack) -> None:
    process_id = unique("contract")
    await _deploy(stack, contract_bpmn(process_id))
    instance_id = await _start(stack, process_id, {"contract_no": "HT-3"})
    await _waiting(stack, instance_id, "signed")
    async with stack.http("mallory") as stranger:
        refused = await stranger.post(f"/api/v1/instances/{instance_id}/messages/x", json={})
    assert refused.status_code == 403
    async with stack.http("ida") as http:  # the initiator
        wrong = await http.post(f"/api/v1/instances/{instance_id}/messages/other", json={})
        right = await http.post(
            f"/api/v1/instances/{instance_id}/messages/signed-{process_id}",
            json={"variables": {"signed_by": "direct"}},
        )
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "not_waiting"
    assert right.status_code == 200, right.text
    assert right.json() == {"instance_id": instance_id, "node_id": "signed"}
    await assert_eventually(lambda: _ended_with(stack, instance_id, {"signed_by": "direct"}))


async def test_messages_and_signals_start_processes_and_signals_reach_every_waiting_instance(
    stack: Stack,
) -> None:
    contract = unique("contract")
    starter = unique("intake")
    await _deploy(stack, contract_bpmn(contract))
    await _deploy(stack, started_by_bpmn(starter, f"new-{starter}", f"freeze-{contract}"))
    waiting = [await _start(stack, contract, {"contract_no": f"HT-{n}"}) for n in range(3)]
    for instance_id in waiting:
        await _waiting(stack, instance_id, "frozen")

    async with stack.http("ops", ["admin"]) as http:
        message = {"name": f"new-{starter}", "variables": {"amount": 10}, "message_id": "m-1"}
        by_message = await http.post("/api/v1/messages", json=message)
        repeated = await http.post("/api/v1/messages", json=message)
        signal = {"name": f"freeze-{contract}", "signal_id": uuid.uuid4().hex}

        async def visible() -> None:  # the broadcast finds instances through visibility
            found = await stack.temporal.count_workflows(
                f"ShenpiWaitingFor = 'signal:freeze-{contract}'"
            )
            assert found.count == 3

        await assert_eventually(visible)
        broadcast = await http.post("/api/v1/signals", json=signal)
        progress = await http.get(f"/api/v1/signals/{signal['signal_id']}")
        twice = await http.post("/api/v1/signals", json=signal)

    assert by_message.status_code == 200, by_message.text
    [started] = by_message.json()["started"]
    assert repeated.json()["started"] == [started]  # the same message id starts it once
    assert (await _instance(stack, started))["variables"]["amount"] == 10
    assert broadcast.status_code == 200, broadcast.text
    body = broadcast.json()
    assert body["status"] == "done" and body["delivered"] == 3
    [by_signal] = body["started"]
    assert by_signal != started
    assert progress.json()["status"] == "done", progress.json()
    assert progress.json()["delivered"] == 3, progress.json()
    assert twice.json()["delivered"] == 3 and twice.json()["started"] == [by_signal]
    for instance_id in waiting:
        await assert_eventually(partial(_ended_with, stack, instance_id, {}))
        timeline = (await _instance(stack, instance_id))["timeline"]
        received = [e for e in timeline if e["event"] == "signal_received"]
        assert len(received) == 1
