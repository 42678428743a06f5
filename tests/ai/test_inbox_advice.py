"""GET /tasks shows the AI's advice: decision and confidence from the memo, advice text and risk
flags from the ``ai_results`` table (request content never goes into the memo). Real stack:
uvicorn, a worker, the dev server, SQLite, the local OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shenpi_core.contracts import MEMO_TASKS
from tests.ai.fake_openai import FakeOpenAi
from tests.api.bpmn import HEAD
from tests.api.conftest import api_settings, running_stack, unique
from tests.api.flows import deploy, start, task_of


def _advised(process_id: str) -> bytes:
    body = (
        f'<process id="{process_id}" name="Expense" isExecutable="true">\n'
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Manager approval" shenpi:assignee="${manager}">\n'
        '    <extensionElements><shenpi:ai mode="advise" model="hesitant"/></extensionElements>\n'
        "  </userTask>\n"
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n'
        "</process>\n"
    )
    return (HEAD + body + "</definitions>\n").encode()


async def test_inbox_entry_carries_the_advice_and_risk_flags_from_the_database(
    temporal_env: WorkflowEnvironment, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = api_settings(
        tmp_path,
        ai_provider="openai",
        ai_base_url=fake_openai.base_url,
        ai_api_key="test-key",
    )
    async with running_stack(temporal_env, settings) as stack:
        process_id = unique("advised")
        await deploy(stack, _advised(process_id))
        async with stack.http("ivan") as http:
            instance_id = await start(
                http, process_id, variables={"manager": "mia", "amount": 1260}
            )
        async with stack.http("mia") as http:
            task = await task_of(http, instance_id)
        memo = await _memo_ai(temporal_env.client, instance_id)

    ai = task["ai"]
    assert (ai["decision"], ai["confidence"], ai["provider"]) == ("approve", 0.55, "openai")
    assert ai["advice"] == "Probably fine; the receipt is unclear."
    assert ai["risk_flags"] == ["unclear_receipt"]
    assert ai["result_id"]
    # The memo itself (unencrypted visibility data) holds no advice text.
    assert memo is not None and memo.get("advice") is None and not memo.get("risk_flags")
    assert fake_openai.calls("hesitant") == 1


async def _memo_ai(client: Client, instance_id: str) -> dict[str, object] | None:
    description = await client.get_workflow_handle(instance_id).describe()
    tasks = await description.memo_value(MEMO_TASKS, default=[])
    assert isinstance(tasks, list) and tasks
    ai = tasks[0].get("ai")
    return ai if isinstance(ai, dict) else None
