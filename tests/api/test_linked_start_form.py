"""A start event that links a deployed Camunda Form by id: the console's start form is that form,
its latest deployed version (docs/api.md "Forms")."""

from __future__ import annotations

import json

from tests.api.conftest import Stack, unique


def linked_start(process_id: str, form_id: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="https://t">
  <process id="{process_id}" isExecutable="true">
    <startEvent id="start">
      <extensionElements><zeebe:formDefinition formId="{form_id}" /></extensionElements>
    </startEvent>
    <userTask id="review"><extensionElements>
      <zeebe:assignmentDefinition assignee="mia" />
    </extensionElements></userTask>
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </process>
</definitions>"""


def form(form_id: str, label: str) -> str:
    component = {"type": "number", "key": "amount", "label": label}
    return json.dumps({"id": form_id, "type": "default", "components": [component]})


async def test_the_start_form_is_the_linked_form_latest_version(api_only: Stack) -> None:
    process_id, form_id = unique("linked"), unique("start-form")
    async with api_only.http("ops", ["admin"]) as http:
        none_yet = await http.post("/api/v1/definitions", content=linked_start(process_id, form_id))
        assert none_yet.status_code == 201, none_yet.text
        before = (await http.get(f"/api/v1/console/processes/{process_id}/start-form")).json()
        for label in ("Amount", "Amount (CNY)"):
            deployed = await http.post(
                "/api/v1/definitions",
                content=form(form_id, label),
                headers={"Content-Type": "application/json"},
            )
            assert deployed.status_code == 201, deployed.text
        after = (await http.get(f"/api/v1/console/processes/{process_id}/start-form")).json()

    assert before["form"] is None  # nothing deployed under that id yet: generated fields
    assert after["form"]["id"] == form_id
    assert [c["label"] for c in after["form"]["components"]] == ["Amount (CNY)"]
    assert "linked_form_id" not in after
