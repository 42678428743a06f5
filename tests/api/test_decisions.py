"""Deploying DMN over HTTP: versions like processes, decision ids owned by one file, evaluation."""

from __future__ import annotations

from tests.api.conftest import Stack, unique
from tests.helpers import REPO_ROOT

DEFINITIONS = "/api/v1/definitions"
DECISIONS = "/api/v1/decisions"
APPROVER_LEVEL = (REPO_ROOT / "processes" / "approver-level.dmn").read_bytes()


def _table(drg_id: str, decision_id: str, *, big: int = 1000) -> bytes:
    """A DMN file whose one decision says "big" from ``big`` on."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="{drg_id}" name="Sizes"
             namespace="http://shenpi.dev/tests">
  <decision id="{decision_id}" name="Size">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i">
        <inputExpression id="ie" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="o" name="size" typeRef="string"/>
      <rule id="r1"><inputEntry id="r1i"><text>&gt;= {big}</text></inputEntry>
        <outputEntry id="r1o"><text>"big"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2i"><text>-</text></inputEntry>
        <outputEntry id="r2o"><text>"small"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


async def test_a_dmn_file_deploys_in_versions_and_its_decisions_evaluate(api_only: Stack) -> None:
    drg, decision = unique("sizes"), unique("size")
    async with api_only.http("ops", ["admin"]) as http:
        first = await http.post(DEFINITIONS, content=_table(drg, decision))
        again = await http.post(DEFINITIONS, content=_table(drg, decision))
        changed = await http.post(DEFINITIONS, content=_table(drg, decision, big=500))
        latest = await http.post(
            f"{DECISIONS}/{decision}/evaluate", json={"variables": {"amount": 700}}
        )
        pinned = await http.post(
            f"{DECISIONS}/{decision}/evaluate", json={"variables": {"amount": 700}, "version": 1}
        )
        versions = (await http.get(f"{DECISIONS}/{drg}")).json()
        listed = (await http.get(DECISIONS)).json()
        stored = await http.get(f"{DECISIONS}/{drg}/versions/1/dmn")
        processes = (await http.get(DEFINITIONS)).json()

    assert first.status_code == 201
    body = first.json()
    assert (body["kind"], body["process_id"], body["version"], body["decisions"]) == (
        "dmn",
        drg,
        1,
        [decision],
    )
    assert again.status_code == 200 and again.json() == body
    assert changed.status_code == 201 and changed.json()["version"] == 2
    assert latest.json() == {
        "decision_id": decision,
        "decision_requirements_id": drg,
        "version": 2,
        "result": "big",
    }
    assert pinned.json()["result"] == "small" and pinned.json()["version"] == 1
    assert [v["version"] for v in versions["data"]] == [2, 1]
    assert [d["version"] for d in listed["data"] if d["decision_requirements_id"] == drg] == [2]
    assert stored.content == _table(drg, decision)
    assert all(d["process_id"] != drg for d in processes["data"])  # not a process


async def test_the_approver_level_table_deploys_and_decides(api_only: Stack) -> None:
    async with api_only.http("ops", ["admin"]) as http:
        deployed = await http.post(DEFINITIONS, content=APPROVER_LEVEL)
        decided = await http.post(
            f"{DECISIONS}/approver-level/evaluate",
            json={"variables": {"amount": 25000, "department": "finance"}},
        )
    assert deployed.status_code in (200, 201)  # another test of the session may have deployed it
    assert deployed.json()["decisions"] == ["approver-level"]
    assert decided.json()["result"] == "cfo"


async def test_a_decision_id_names_one_decision_across_files(api_only: Stack) -> None:
    decision = unique("size")
    async with api_only.http("ops", ["admin"]) as http:
        mine = await http.post(DEFINITIONS, content=_table(unique("a"), decision))
        theirs = await http.post(DEFINITIONS, content=_table(unique("b"), decision))
    assert mine.status_code == 201
    assert theirs.status_code == 422
    [diagnostic] = theirs.json()["error"]["details"]
    assert diagnostic["code"] == "dmn-ambiguous-decision"
    assert diagnostic["element_id"] == decision


async def test_a_bad_dmn_file_is_refused_with_its_diagnostics(api_only: Stack) -> None:
    bad = _table(unique("bad"), unique("size")).replace(b"&gt;= 1000", b"&gt;&gt; 1000")
    async with api_only.http("ops", ["admin"]) as http:
        response = await http.post(DEFINITIONS, content=bad)
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "compile_error"
    assert [(d["code"], d["element_id"]) for d in body["details"]] == [
        ("dmn-expression-syntax", "r1i")
    ]


async def test_evaluating_needs_a_deployed_decision_and_a_decidable_table(api_only: Stack) -> None:
    drg, decision = unique("sizes"), unique("size")
    unique_table = _table(drg, decision).replace(b'hitPolicy="FIRST"', b'hitPolicy="UNIQUE"')
    async with api_only.http("ops", ["admin"]) as http:
        await http.post(DEFINITIONS, content=unique_table)
        missing = await http.post(f"{DECISIONS}/{unique('nope')}/evaluate", json={})
        broken = await http.post(
            f"{DECISIONS}/{decision}/evaluate", json={"variables": {"amount": 5000}}
        )
        no_version = await http.post(f"{DECISIONS}/{decision}/evaluate", json={"version": 9})
    assert missing.status_code == 404
    assert broken.status_code == 422  # both rules match a UNIQUE table
    assert broken.json()["error"]["code"] == "evaluation_error"
    assert "UNIQUE table: 2 rules match" in broken.json()["error"]["message"]
    assert no_version.status_code == 404


async def test_deploying_dmn_needs_the_admin_group(api_only: Stack) -> None:
    async with api_only.http("alice", ["finance"]) as http:
        response = await http.post(DEFINITIONS, content=_table(unique("x"), unique("y")))
    assert response.status_code == 403


def _rules_process(process_id: str, decision_id: str, binding: str = "") -> bytes:
    """A process whose business rule task calls ``decision_id``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="{process_id}" isExecutable="true">
    <startEvent id="start" />
    <businessRuleTask id="size" camunda:decisionRef="{decision_id}" {binding}
                      camunda:resultVariable="size" camunda:mapDecisionResult="singleEntry" />
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="size" />
    <sequenceFlow id="f2" sourceRef="size" targetRef="end" />
  </process>
</definitions>""".encode()


async def test_a_process_whose_decision_is_not_deployed_is_refused_until_it_is(
    api_only: Stack,
) -> None:
    drg, decision, process = unique("sizes"), unique("size"), unique("sized")
    pinned = 'camunda:decisionRefBinding="version" camunda:decisionRefVersion="2"'
    async with api_only.http("ops", ["admin"]) as http:
        refused = await http.post(DEFINITIONS, content=_rules_process(process, decision))
        await http.post(DEFINITIONS, content=_table(drg, decision))
        deployed = await http.post(DEFINITIONS, content=_rules_process(process, decision))
        no_version = await http.post(
            DEFINITIONS, content=_rules_process(unique("pinned"), decision, pinned)
        )

    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "compile_error"
    assert [(d["code"], d["element_id"]) for d in error["details"]] == [
        ("decision-not-deployed", "size")
    ]
    assert f"decision {decision!r} is not deployed" in error["details"][0]["message"]
    assert deployed.status_code == 201, deployed.text
    assert no_version.status_code == 422
    assert "is not deployed in version 2" in no_version.json()["error"]["details"][0]["message"]
