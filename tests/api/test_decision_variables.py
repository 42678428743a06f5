"""A decision writes only what its task declares; the engine's own variables are never writable.

Over real HTTP and a real worker: a refusal is 422 and leaves no event in the instance's history;
an accepted change is on the timeline (and in the archive) with its old and new value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.bpmn import _doc, purchase_countersign
from tests.api.conftest import Stack, unique
from tests.api.flows import decide, decided, deploy, ended, start, state, task_of
from tests.helpers import assert_eventually

PURCHASE = Path(__file__).resolve().parents[2] / "processes" / "purchase-approval.bpmn"


def _declaring(process_id: str, declarations: str) -> bytes:
    """start → a manager's task declaring ``declarations`` → end."""
    return _doc(
        process_id,
        "Declared",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Approve" shenpi:assignee="${manager}">\n'
        f"    <extensionElements>{declarations}</extensionElements>\n"
        "  </userTask>\n"
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def _change_of(body: dict[str, Any], event: str) -> list[dict[str, Any]]:
    (entry,) = [e for e in body["timeline"] if e["event"] == event]
    changes: list[dict[str, Any]] = entry["details"]["variables"]
    return changes


async def test_an_approver_cannot_rewrite_routing_or_the_initiator(stack: Stack) -> None:
    await deploy(stack, PURCHASE.read_bytes())
    requester, bob = unique("ida"), unique("bob")
    async with stack.http(requester) as ida, stack.http(bob) as manager:
        instance_id = await start(
            ida, "purchase-approval", variables={"amount": 12000, "manager": bob}
        )
        task = await task_of(manager, instance_id)
        before = await stack.history_length(instance_id)
        forged = {"amount": 100, "requester": "mallory", "initiator": "mallory"}
        refused = await decide(manager, instance_id, task["task_id"], "approve", variables=forged)
        after = await stack.history_length(instance_id)
        body = await state(ida, instance_id)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "undeclared_variables"
    assert error["details"]["engine_owned"] == ["initiator", "requester"]
    assert error["details"]["undeclared"] == ["amount"]
    assert after == before  # a refusal leaves no trace in history
    assert body["variables"]["amount"] == 12000 and body["variables"]["requester"] == requester
    assert [t["status"] for t in body["tasks"]] == ["open"]


async def test_a_declared_variable_is_written_and_recorded_with_its_old_value(
    stack: Stack,
) -> None:
    process_id = unique("declared")
    declared = '<shenpi:variable name="discount" type="number"/>'
    await deploy(stack, _declaring(process_id, declared))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager, "discount": 0})
        task = await task_of(mona, instance_id)
        wrong_type = await decide(
            mona, instance_id, task["task_id"], "approve", variables={"discount": "five"}
        )
        undeclared = await decide(
            mona, instance_id, task["task_id"], "approve", variables={"note": "x"}
        )
        await decided(mona, instance_id, task["task_id"], "approve", variables={"discount": 5})

        async def archived() -> dict[str, Any]:
            body = await ended(ida, instance_id)
            assert body["archived"] is True  # the change is in the archived audit trail too
            return body

        body = await assert_eventually(archived)
    assert (wrong_type.status_code, undeclared.status_code) == (422, 422)
    assert wrong_type.json()["error"]["details"]["wrong_type"] == ["discount"]
    assert undeclared.json()["error"]["details"]["undeclared"] == ["note"]
    assert body["variables"]["discount"] == 5
    assert _change_of(body, "approved") == [{"name": "discount", "old": 0, "new": 5}]


async def test_camunda_form_fields_are_declarations(stack: Stack) -> None:
    process_id = unique("form")
    form = (
        '<camunda:formData xmlns:camunda="http://camunda.org/schema/1.0/bpmn">'
        '<camunda:formField id="approvedAmount" type="long"/>'
        '<camunda:formField id="remark" type="string"/>'
        '<camunda:formField id="requested" type="long"><camunda:validation>'
        '<camunda:constraint name="readonly"/></camunda:validation></camunda:formField>'
        "</camunda:formData>"
    )
    await deploy(stack, _declaring(process_id, form))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        # A read-only field is shown, not written.
        read_only = await decide(
            mona, instance_id, task["task_id"], "approve", variables={"requested": 1}
        )
        values = {"approvedAmount": 800, "remark": "ok"}
        await decided(mona, instance_id, task["task_id"], "approve", variables=values)
        body = await ended(ida, instance_id)
    assert read_only.status_code == 422, read_only.text
    assert read_only.json()["error"]["details"]["undeclared"] == ["requested"]
    assert {c["name"] for c in _change_of(body, "approved")} == {"approvedAmount", "remark"}


async def test_actions_other_than_approve_and_reject_carry_no_variables(stack: Stack) -> None:
    process_id = unique("claims")
    await deploy(stack, _declaring(process_id, '<shenpi:variable name="note"/>'))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        refused = await decide(
            mona, instance_id, task["task_id"], "transfer", to=unique("tom"), variables={"note": 1}
        )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"]["undeclared"] == ["note"]


async def test_the_resubmit_task_edits_the_request_fields_only(stack: Stack) -> None:
    process_id = unique("resubmit")
    await deploy(stack, purchase_countersign(process_id))
    initiator, signer = unique("ida"), unique("sam")
    async with stack.http(initiator) as ida, stack.http(signer) as sam:
        instance_id = await start(ida, process_id, variables={"signers": [signer], "amount": 90})
        task = await task_of(sam, instance_id)
        await decided(sam, instance_id, task["task_id"], "reject", comment="too much")
        rework = await task_of(ida, instance_id, kind="resubmit")
        new_field = await decide(
            ida, instance_id, rework["task_id"], "resubmit", variables={"bonus": 1}
        )
        engine_field = await decide(
            ida, instance_id, rework["task_id"], "resubmit", variables={"outcome": "approved"}
        )
        await decided(ida, instance_id, rework["task_id"], "resubmit", variables={"amount": 80})
        body = await state(ida, instance_id)
    assert new_field.json()["error"]["details"]["undeclared"] == ["bonus"]
    assert engine_field.json()["error"]["details"]["engine_owned"] == ["outcome"]
    assert _change_of(body, "resubmitted") == [{"name": "amount", "old": 90, "new": 80}]
