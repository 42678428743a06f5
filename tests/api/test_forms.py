"""Forms travel with the process: Camunda Forms deploy through POST /definitions, versioned by id;
a task serves the form it shows, and a decision writes only the fields its form declares.

Over real HTTP, a real worker and the app database.
"""

from __future__ import annotations

import json
from typing import Any

from tests.api.bpmn import _doc
from tests.api.conftest import Stack, unique
from tests.api.flows import decide, decided, deploy, start, task_of

ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _form(form_id: str, *keys: str) -> dict[str, Any]:
    components = [{"type": "textfield", "key": key, "label": key.title()} for key in keys]
    return {"id": form_id, "type": "default", "schemaVersion": 16, "components": components}


async def _deploy_form(stack: Stack, form: dict[str, Any]) -> Any:
    async with stack.http("ops", ["admin"]) as http:
        return await http.post(
            "/api/v1/definitions",
            content=json.dumps(form).encode(),
            headers={"Content-Type": "application/json"},
        )


def _linking(process_id: str, form_id: str) -> bytes:
    """start → a manager's task showing the deployed form ``form_id`` → end."""
    return _doc(
        process_id,
        "Linked form",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Approve" shenpi:assignee="${manager}">\n'
        f'    <extensionElements><zeebe:formDefinition xmlns:zeebe="{ZEEBE}"'
        f' formId="{form_id}"/></extensionElements>\n'
        "  </userTask>\n"
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


async def test_a_form_deploys_as_versions_of_its_id(stack: Stack) -> None:
    form_id = unique("review-form")
    first = await _deploy_form(stack, _form(form_id, "note"))
    again = await _deploy_form(stack, _form(form_id, "note"))
    changed = await _deploy_form(stack, _form(form_id, "note", "amount"))
    async with stack.http(unique("ida")) as http:
        listed = await http.get(f"/api/v1/forms/{form_id}")
        latest = await http.get("/api/v1/forms")
        as_uploaded = await http.get(f"/api/v1/forms/{form_id}/versions/1/form")
    assert first.status_code == 201, first.text
    assert first.json() | {"hash": ""} == {
        "process_id": form_id,
        "version": 1,
        "hash": "",
        "warnings": [],
        "kind": "form",
        "decisions": [],
        "fields": ["note"],
    }
    assert again.status_code == 200 and again.json()["version"] == 1
    assert changed.status_code == 201 and changed.json()["version"] == 2
    assert [v["version"] for v in listed.json()["data"]] == [2, 1]
    assert {f["form_id"]: f["version"] for f in latest.json()["data"]}[form_id] == 2
    assert as_uploaded.json() == _form(form_id, "note")


async def test_a_file_that_is_not_a_form_is_refused_with_what_is_wrong(stack: Stack) -> None:
    no_id = await _deploy_form(stack, {"components": []})
    no_components = await _deploy_form(stack, {"id": unique("f")})
    async with stack.http("ops", ["admin"]) as http:
        not_json = await http.post(
            "/api/v1/definitions", content=b"{oops", headers={"Content-Type": "application/json"}
        )
    codes = [r.json()["error"]["details"][0]["code"] for r in (no_id, no_components, not_json)]
    assert [r.status_code for r in (no_id, no_components, not_json)] == [422, 422, 422]
    assert codes == ["form-id", "form-components", "form-json"]


async def test_a_task_shows_the_linked_form_and_decisions_write_its_fields(stack: Stack) -> None:
    form_id, process_id = unique("approval-form"), unique("linked")
    assert (await _deploy_form(stack, _form(form_id, "remark"))).status_code == 201
    deployed = await deploy(stack, _linking(process_id, form_id))
    assert deployed["warnings"] == []  # the fields are known: no form-fields-unknown
    # A later version of the form does not change the deployed process version.
    await _deploy_form(stack, _form(form_id, "remark", "other"))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        one = (await mona.get(f"/api/v1/instances/{instance_id}/tasks/{task['task_id']}")).json()
        whole = (await mona.get(f"/api/v1/instances/{instance_id}")).json()
        undeclared = await decide(
            mona, instance_id, task["task_id"], "approve", variables={"other": "x"}
        )
        await decided(mona, instance_id, task["task_id"], "approve", variables={"remark": "ok"})
        missing = await mona.get(f"/api/v1/instances/{instance_id}/tasks/nope")
    assert one["form"]["form_id"] == form_id and one["form"]["form_version"] == 1
    assert one["form"]["camunda_form"] == _form(form_id, "remark")
    assert whole["tasks"][0]["form"] == one["form"]
    assert undeclared.status_code == 422, undeclared.text
    assert undeclared.json()["error"]["details"]["undeclared"] == ["other"]
    assert missing.status_code == 404


async def test_a_task_serves_its_generated_fields(stack: Stack) -> None:
    process_id = unique("fields")
    fields = (
        f'<camunda:formData xmlns:camunda="{CAMUNDA}">'
        '<camunda:formField id="decision" label="Decision" type="enum">'
        '<camunda:value id="yes" name="Yes"/><camunda:value id="no" name="No"/>'
        '<camunda:validation><camunda:constraint name="required"/></camunda:validation>'
        "</camunda:formField></camunda:formData>"
    )
    xml = _doc(
        process_id,
        "Fields",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Approve" shenpi:assignee="${manager}">\n'
        f"    <extensionElements>{fields}</extensionElements>\n"
        "  </userTask>\n"
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )
    await deploy(stack, xml)
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        one = (await mona.get(f"/api/v1/instances/{instance_id}/tasks/{task['task_id']}")).json()
    assert one["form"]["fields"] == [
        {
            "id": "decision",
            "label": "Decision",
            "type": "enum",
            "default": None,
            "required": True,
            "writable": True,
            "values": [{"id": "yes", "name": "Yes"}, {"id": "no", "name": "No"}],
        }
    ]
