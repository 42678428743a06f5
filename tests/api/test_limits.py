"""Documented limits on ids, business keys and variables (docs/security.md), over real HTTP.

Each case used to end an instance `terminated` (a search attribute Temporal refused), make it
unreachable, or answer 500; now the API refuses the request with 422 and nothing starts, or the
instance keeps running with the problem shown as an incident.
"""

from __future__ import annotations

from typing import Any

from shenpi_core import search_attributes as sa
from shenpi_core.limits import MAX_VARIABLE_DEPTH
from tests.api.bpmn import any_of, single_approval
from tests.api.conftest import Stack, unique
from tests.api.flows import decide, decided, deploy, ended, start, state, task_of
from tests.helpers import assert_eventually


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


async def test_transfer_to_an_overlong_id_is_422_and_the_instance_runs_on(stack: Stack) -> None:
    process_id = unique("limits")
    await deploy(stack, single_approval(process_id))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        tid = task["task_id"]
        overlong = await decide(mona, instance_id, tid, "transfer", to="u" * 2100)
        spaced = await decide(mona, instance_id, tid, "transfer", to="two words")
        many = await decide(mona, instance_id, tid, "add_signer", to=[f"s{i}" for i in range(200)])
        one_long = await decide(mona, instance_id, tid, "add_signer", to=["s" * 300])
        await decided(mona, instance_id, tid, "approve")
        body = await ended(ida, instance_id)
    for response in (overlong, spaced, many, one_long):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_value"
    assert body["status"] == "completed" and body["outcome"] == "approved"


async def test_an_overlong_manager_variable_is_an_incident_not_a_terminated_instance(
    stack: Stack,
) -> None:
    process_id = unique("limits")
    await deploy(stack, single_approval(process_id))
    async with stack.http(unique("ida")) as ida, stack.http("root", ["admin"]) as admin:
        instance_id = await start(ida, process_id, variables={"manager": "m" * 2100})

        async def incident() -> dict[str, Any]:
            body = await state(ida, instance_id)
            assert body["status"] == "incident", body["status"]
            return body

        body = await assert_eventually(incident)
        forced = await admin.post(
            f"/api/v1/instances/{instance_id}/cancel", params={"force": "true"}
        )
        after = await ended(ida, instance_id)
    assert "not a valid user id" in body["incidents"][0]["message"]
    assert forced.status_code == 200, forced.text
    assert after["status"] == "cancelled"


async def test_a_step_of_a_thousand_approvers_reaches_every_inbox(stack: Stack) -> None:
    process_id = unique("crowd")
    await deploy(stack, any_of(process_id))
    approvers = [f"c{i:04d}_{unique('u')}" for i in range(1000)]
    async with stack.http(unique("ida")) as ida:
        instance_id = await start(ida, process_id, variables={"approvers": approvers})
    async with (
        stack.http(approvers[-1]) as last,
        stack.http(approvers[0]) as first,
        stack.http(unique("eve")) as eve,
    ):

        async def in_the_last_inbox() -> dict[str, Any]:
            return await task_of(last, instance_id)

        mine = await assert_eventually(in_the_last_inbox, timeout=60)
        assert (await task_of(first, instance_id))["assignee"] == approvers[0]
        listed = await last.get("/api/v1/instances")
        strangers = await eve.get("/api/v1/tasks")
        stranger_list = await eve.get("/api/v1/instances")
        description = await stack.temporal.get_workflow_handle(instance_id).describe()
        await decided(last, instance_id, mine["task_id"], "approve")
        body = await ended(last, instance_id)
    published = description.typed_search_attributes.get(sa.PENDING_ACTORS) or []
    assert sa.OVERFLOW_ACTOR in published and len(published) < 100
    assert instance_id in [i["instance_id"] for i in listed.json()["data"]]
    assert instance_id not in [t["instance_id"] for t in strangers.json()["data"]]
    assert instance_id not in [i["instance_id"] for i in stranger_list.json()["data"]]
    assert body["outcome"] == "approved"


async def test_start_limits_are_422_and_start_nothing(stack: Stack) -> None:
    process_id = unique("limits")
    await deploy(stack, single_approval(process_id))
    path = f"/api/v1/processes/{process_id}/instances"
    cases = {
        "deep": {"variables": {"v": _nested(MAX_VARIABLE_DEPTH + 1)}},
        "deeper": {"variables": {"v": _nested(300)}},
        "slash": {"business_key": "a/b", "variables": {"manager": "mona"}},
        "dots": {"business_key": "../x", "variables": {"manager": "mona"}},
        "engine": {"variables": {"initiator": "mallory", "manager": "mona"}},
        "version": {"version": 1646952544617400836816896},
    }
    async with stack.http(unique("ida")) as ida:
        answers = {name: await ida.post(path, json=body) for name, body in cases.items()}
        listed = await ida.get("/api/v1/instances", params={"mine": "true"})
    for name, response in answers.items():
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["code"] == "invalid_value", name
    assert listed.json()["data"] == []


async def test_a_business_key_the_api_accepts_is_addressable_by_every_route(
    stack: Stack,
) -> None:
    process_id = unique("keys")
    await deploy(stack, single_approval(process_id))
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        instance_id = await start(
            ida, process_id, business_key="PO-2026:001.草稿", variables={"manager": manager}
        )
        task = await task_of(mona, instance_id)
        await decided(mona, instance_id, task["task_id"], "approve")
        body = await ended(ida, instance_id)
    assert body["business_key"] == "PO-2026:001.草稿"


async def test_malformed_requests_found_by_fuzzing_are_4xx(stack: Stack) -> None:
    deep_json = b'{"variables": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001
    async with stack.http("ops", ["admin"]) as admin:
        version = await admin.get("/api/v1/definitions/p/versions/9530699513305384960/bpmn")
        no_boundary = await admin.post(
            "/api/v1/documents",
            content=b"--x\r\n",
            headers={"Content-Type": "multipart/form-data"},
        )
        too_deep = await admin.post(
            "/api/v1/processes/p/instances",
            content=deep_json,
            headers={"Content-Type": "application/json"},
        )
    assert version.status_code == 422, version.text
    assert no_boundary.status_code == 400, no_boundary.text
    assert 400 <= too_deep.status_code < 500, too_deep.text
    for response in (version, no_boundary, too_deep):
        assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_a_token_whose_subject_breaks_the_id_rules_is_refused(stack: Stack) -> None:
    async with stack.http("u" * 100) as long_sub, stack.http("two words") as spaced:
        for http in (long_sub, spaced):
            response = await http.get("/api/v1/tasks")
            assert response.status_code == 401, response.text


async def test_text_that_is_not_unicode_is_422(stack: Stack) -> None:
    process_id = unique("limits")
    await deploy(stack, single_approval(process_id))
    lone_surrogate = b'{"variables": {"manager": "mona", "note": "\\ud958"}}'
    manager = unique("mona")
    async with stack.http(unique("ida")) as ida, stack.http(manager) as mona:
        response = await ida.post(
            f"/api/v1/processes/{process_id}/instances",
            content=lone_surrogate,
            headers={"Content-Type": "application/json"},
        )
        instance_id = await start(ida, process_id, variables={"manager": manager})
        task = await task_of(mona, instance_id)
        comment = await mona.post(
            f"/api/v1/instances/{instance_id}/tasks/{task['task_id']}/decision",
            content=b'{"action": "approve", "comment": "\\udc00"}',
            headers={"Content-Type": "application/json"},
        )
    for refused in (response, comment):
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "invalid_value"


async def test_out_of_range_versions_are_4xx_on_every_route(stack: Stack) -> None:
    huge = 662187506352354542250071743791104
    async with stack.http("ops", ["admin"]) as admin:
        form = await admin.get(
            "/api/v1/console/processes/expense-claim/start-form", params={"version": huge}
        )
        evaluated = await admin.post(
            "/api/v1/admin/ai/eval",
            json={"process_id": "expense-claim", "node_id": "n", "version": -huge},
        )
    for response in (form, evaluated):
        assert 400 <= response.status_code < 500, response.text
