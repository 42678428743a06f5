"""A user task's own Camunda Form in a real browser: drawn in the file, rendered at the task,
submitted as the approval with what it holds."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, expect

from tests.console.conftest import Stack, serious_violations, sign_in

FORM = """{"type": "default", "id": "quote-form", "components": [
  {"type": "number", "key": "agreed_price", "label": "Agreed price",
   "validate": {"required": true}},
  {"type": "button", "action": "submit", "label": "Approve with this price"}
]}"""

PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0"
  id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="quote-review" name="Quote review" isExecutable="true">
    <bpmn:extensionElements>
      <zeebe:userTaskForm id="QuoteForm">{FORM}</zeebe:userTaskForm>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="negotiate" name="Negotiate the price" shenpi:assignee="bob">
      <bpmn:extensionElements>
        <zeebe:formDefinition formKey="camunda-forms:bpmn:QuoteForm" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="negotiate" />
    <bpmn:sequenceFlow id="f2" sourceRef="negotiate" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_tasks_own_form_is_filled_in_and_approves(context: BrowserContext, stack: Stack) -> None:
    ops = {"Authorization": f"Bearer {stack.token('ops', ['admin'])}"}
    deployed = stack.http.post(
        "/api/v1/definitions",
        content=PROCESS.encode(),
        headers={**ops, "Content-Type": "application/xml"},
    )
    assert deployed.status_code in (200, 201), deployed.text
    alice = {"Authorization": f"Bearer {stack.token('alice')}"}
    started = stack.http.post("/api/v1/processes/quote-review/instances", json={}, headers=alice)
    assert started.status_code == 201, started.text
    instance_id = started.json()["instance_id"]

    bob = sign_in(context, stack, "bob")
    bob.goto(f"{stack.url}/ui/instances/{instance_id}")
    form = bob.get_by_test_id("task-form")
    expect(form.get_by_test_id("camunda-form")).to_be_visible()
    form.get_by_label("Agreed price").fill("4200")
    assert not [v["id"] for v in serious_violations(bob)]
    form.get_by_role("button", name="Approve with this price").click()
    expect(bob.get_by_test_id("decision-result")).to_contain_text("approved")
    expect(bob.get_by_test_id("instance-status").first).to_contain_text(re.compile("Completed"))

    state = stack.http.get(f"/api/v1/instances/{instance_id}", headers=alice).json()
    assert state["variables"]["agreed_price"] == 4200
