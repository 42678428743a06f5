"""An SLA over HTTP on the real stack: reminders, then escalation, then the new approver decides.

Seconds instead of days (the dev server has no time skipping); the same deadline machinery runs
3-day SLAs on the time-skipping server in tests/workflows/test_deadlines.py.
"""

from __future__ import annotations

from tests.api import bpmn
from tests.api.conftest import Stack, unique
from tests.api.flows import decided, deploy, ended, events, inbox, start, task_of

SLA = 'approvers="${who}" dueIn="PT3S" remindEvery="PT1S" remindMax="2" onTimeout="escalate" '
SLA += 'escalateTo="${boss}"'


async def test_silent_approver_is_reminded_twice_then_the_task_escalates_to_the_boss(
    stack: Stack,
) -> None:
    process_id = unique("sla")
    ivan, alice, boss = unique("ivan"), unique("alice"), unique("boss")
    await deploy(stack, bpmn.approval_step(process_id, SLA))
    async with (
        stack.http(ivan) as initiator,
        stack.http(alice) as approver,
        stack.http(boss) as escalated_to,
    ):
        instance_id = await start(initiator, process_id, variables={"who": [alice], "boss": boss})
        await task_of(approver, instance_id)  # alice has it first
        # Once due, the task leaves alice's inbox and lands in the boss's, marked escalated.
        task = await task_of(escalated_to, instance_id, escalated=True)
        assert task["reminders_sent"] == 2
        assert await inbox(approver, instance_id) == []
        await decided(escalated_to, instance_id, task["task_id"], "approve")
        body = await ended(initiator, instance_id)
    timeline = events(body)
    assert [e for e, _ in timeline].count("reminded") == 2
    assert "escalated" in [e for e, _ in timeline]
    assert ("approved", boss) in timeline
    assert (body["status"], body["outcome"]) == ("completed", "approved")
