"""Record the histories of representative runs into ``tests/histories/*.json``.

Run ``.venv/bin/python -m tests.histories.record [scenario ...]`` (default: all) after a deliberate,
``workflow.patched``-guarded interpreter change, and commit the new files next to the old ones: the
old histories must keep replaying (that is the point), the new ones pin the new behaviour.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi import messaging_client
from shenpi.devserver import PRIORITY_ARGS
from shenpi.temporal_setup import ensure_search_attributes
from shenpi_core import search_attributes
from shenpi_core.contracts import (
    ACTIVITY_AI_REVIEW,
    ACTIVITY_OCR,
    OCR_QUEUE_SUFFIX,
    SIGNAL_DECIDE,
    UPDATE_INCIDENT_ACTION,
    UPDATE_SET_PRIORITY,
    DecisionInput,
    DecisionSignal,
    IncidentActionInput,
    IncidentActionResult,
    InstanceState,
    PriorityInput,
    PriorityResult,
    TaskView,
)
from shenpi_core.messaging import Message, PublishInput, mailbox_id
from tests.helpers import BIN_DIR
from tests.workflows.action_support import act
from tests.workflows.ai_support import fake_ai_review, fake_ocr, with_ai
from tests.workflows.approval_support import fake_directory, start_plan, with_approval
from tests.workflows.call_support import called_child, deploy_fixture
from tests.workflows.decision_support import APPROVER_LEVEL, DMN_DIR, deploy_dmn
from tests.workflows.listener_support import listener_activities
from tests.workflows.multi_support import multi_activities
from tests.workflows.notify_support import SCOPED_NOTIFY, bpmn
from tests.workflows.support import (
    decide,
    fake_activities,
    open_task,
    settings_for_tests,
    start,
    state,
    wait_open_tasks,
)
from worker import build_worker

HERE = Path(__file__).parent
Scenario = Callable[[Client, str], Awaitable[list[WorkflowHandle[Any, Any]]]]


async def approve_path(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    handle = await start(client, "service_task", queue, variables={"amount": 120})
    await decide(handle, await open_task(handle, "approve"), "approve", "alice", comment="ok")
    await handle.result()
    return [handle]


async def reject_and_rework(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    handle = await start(client, "rework_loop", queue)
    task = await open_task(handle, "approve")
    await handle.signal(
        SIGNAL_DECIDE,
        DecisionSignal(
            decision=DecisionInput(task_id=task.task_id, action="reject", actor="mia"),
            idempotency_key="k1",
        ),
    )
    await decide(handle, await open_task(handle, "rework"), "approve", "ida")
    await decide(handle, await open_task(handle, "approve"), "approve", "mia")
    await handle.result()
    return [handle]


async def parallel_and_claim(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    review = await start(client, "parallel_review", queue)
    await decide(review, await open_task(review, "finance"), "approve", "fred")
    await decide(review, await open_task(review, "legal"), "reject", "lena")
    group = await start(client, "group_task", queue)
    task = await open_task(group, "review")
    await decide(group, task, "claim", "fay", groups=["finance"])
    await decide(group, task, "approve", "fay", groups=["finance"])
    await review.result()
    await group.result()
    return [review, group]


async def incidents(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    failing = await start(client, "failing_service", queue)
    no_match = await start(client, "no_default", queue, variables={"amount": 50})
    for handle in (failing, no_match):
        for _ in range(100):
            if (await handle.query("get_state", result_type=InstanceState)).incidents:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("recorded")
    return [failing, no_match]


async def incident_actions(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A failing service task's incident is retried by an admin (the activity runs again and
    fails again: a second incident), then the initiator cancels the instance."""
    handle = await start(client, "failing_service", queue)
    await _retry_then_cancel(handle)
    return [handle]


async def _retry_then_cancel(handle: WorkflowHandle[Any, Any]) -> None:
    """Once an incident is open, an admin retries it; once the second is, the initiator
    cancels the instance."""
    for count in (1, 2):
        for _ in range(100):
            if len((await handle.query("get_state", result_type=InstanceState)).incidents) >= count:
                break
            await asyncio.sleep(0.1)
        if count == 1:
            await handle.execute_update(
                UPDATE_INCIDENT_ACTION,
                IncidentActionInput(action="retry", incident_id="1", actor="root", is_admin=True),
                result_type=IncidentActionResult,
            )
    await act(handle, "cancel", "ida")
    await handle.result()


async def completion_retry(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Output mappings that fail when a subprocess and a call activity complete: each incident
    is retried (the mappings again, not the inside or the child: a second incident), then the
    instance is cancelled."""
    await deploy_fixture(settings_for_tests(), "legal_review")
    scoped = await start(client, "probe_output_retry", queue)
    await _retry_then_cancel(scoped)
    caller = await start(client, "probe_call_badout", queue, variables={"amount": 10})
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "approve", "lea")
    await _retry_then_cancel(caller)
    return [scoped, caller, child]


async def continue_as_new(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    first = await start(client, "rework_loop", queue, max_history_events=20)
    latest = client.get_workflow_handle(first.id, result_type=InstanceState)
    for _ in range(3):
        await decide(latest, await open_task(latest, "approve"), "reject", "mia")
        await decide(latest, await open_task(latest, "rework"), "approve", "ida")
    await decide(latest, await open_task(latest, "approve"), "approve", "mia")
    await latest.result()
    runs, run_id = [], first.first_execution_run_id
    while run_id:
        handle = client.get_workflow_handle(first.id, run_id=run_id)
        runs.append(handle)
        last = (await handle.fetch_history()).events[-1]
        attrs = last.workflow_execution_continued_as_new_event_attributes
        run_id = attrs.new_execution_run_id or None
    return runs


async def timers(env: WorkflowEnvironment, queue: str) -> list[WorkflowHandle[Any, Any]]:
    sla = await start(env.client, "boundary_timers", queue)
    await open_task(sla, "approve")
    await env.sleep(timedelta(days=2, minutes=1))
    await decide(sla, await open_task(sla, "escalate"), "approve", "max", groups=["managers"])
    catch = await start(env.client, "timer_catch", queue)
    await env.sleep(timedelta(days=3, minutes=1))
    await decide(catch, await open_task(catch, "approve"), "approve", "alice")
    await sla.result()
    await catch.result()
    return [sla, catch]


async def past_due_timers(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    past = {"startDate": "2020-01-01T00:00:00Z", "deadline": "2020-06-01T00:00:00Z"}
    handle = await start(client, "past_date_timer", queue, variables=past)
    await decide(handle, await open_task(handle, "late"), "approve", "max", groups=["managers"])
    await handle.result()
    return [handle]


async def cancelled(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    handle = await start(client, "service_task", queue, variables={"amount": 120})
    await open_task(handle, "approve")
    await handle.cancel()
    for _ in range(100):
        if (await handle.describe()).close_time is not None:
            break
        await asyncio.sleep(0.1)
    return [handle]


async def _open(handle: WorkflowHandle[Any, Any], count: int) -> list[TaskView]:
    for _ in range(200):
        tasks = [t for t in (await state(handle)).tasks if t.status == "open"]
        if len(tasks) == count:
            return tasks
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {count} open tasks: {await state(handle)}")


async def _approve_all(handle: WorkflowHandle[Any, Any], count: int) -> None:
    for task in await _open(handle, count):
        await decide(handle, task, "approve", task.assignee or "")


async def approval_steps(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """会签 rejected back to the initiator and resubmitted; 或签; 票签; 依次; multi-instance; a
    directory assignee; each ends and is archived."""
    sign = await start(client, "countersign", queue, variables={"signers": ["ann", "bob", "cy"]})
    first = await _open(sign, 3)
    await decide(sign, first[1], "reject", "bob", comment="too much")
    (rework,) = await _open(sign, 1)
    await decide(sign, rework, "resubmit", "ida", variables={"amount": 90})
    await _approve_all(sign, 3)
    any_step = await start_plan(
        client, with_approval("approval", "approve", mode="any", approvers=["ann", "bob"]), queue
    )
    await decide(any_step, (await _open(any_step, 2))[1], "approve", "bob")
    voters = ["v1", "v2", "v3", "v4", "v5"]
    vote = await start_plan(
        client,
        with_approval("approval", "approve", mode="vote", pass_ratio=0.6, approvers=voters),
        queue,
    )
    for task, action in zip(await _open(vote, 5), ["reject", "reject", "reject"], strict=False):
        await decide(vote, task, action, task.assignee or "")
    chain = await start_plan(
        client,
        with_approval("approval", "approve", mode="sequential", approvers=["cy", "ann"]),
        queue,
    )
    await _approve_all(chain, 1)
    await _approve_all(chain, 1)
    review = await start(client, "mi_review", queue, variables={"reviewers": ["ann", "bob", "cy"]})
    for task in (await _open(review, 3))[:2]:
        await decide(review, task, "approve", task.assignee or "")
    manager = await start(client, "manager_step", queue, initiator="alice")
    await _approve_all(manager, 1)
    handles = [sign, any_step, vote, chain, review, manager]
    for handle in handles:
        await handle.result()
    return handles


async def approval_actions(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A transfer then a delegate (the owner confirms), an added and a removed signer."""
    sign = await start(client, "countersign", queue, variables={"signers": ["ann", "bob"]})
    ann, bob = await _open(sign, 2)
    await decide(sign, ann, "transfer", "ann", to="dan", comment="on leave")
    await decide(sign, bob, "delegate", "bob", to="eve")
    await decide(sign, bob, "approve", "eve", comment="looks fine")
    await decide(sign, bob, "approve", "bob")
    await decide(sign, ann, "add_signer", "dan", to=["fay", "gus"])
    await decide(sign, ann, "remove_signer", "dan", to=["gus"])
    await _approve_all(sign, 2)
    await sign.result()
    return [sign]


async def instance_actions(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Withdraw (撤回) before anyone acted; an admin's cancel (撤销) at the second step; an urge
    (催办) then approvals; an admin's jump back to the first step."""
    managed = {"manager": "mona"}
    withdrawn = await start(client, "two_steps", queue, variables=managed)
    await open_task(withdrawn, "manager")
    await act(withdrawn, "withdraw", "ida", comment="wrong amount")
    cancelled = await start(client, "two_steps", queue, variables=managed)
    await decide(cancelled, await open_task(cancelled, "manager"), "approve", "mona")
    await open_task(cancelled, "finance")
    await act(cancelled, "cancel", "root", is_admin=True)
    urged = await start(client, "two_steps", queue, variables=managed)
    await open_task(urged, "manager")
    await act(urged, "urge", "ida", comment="needed by Friday")
    await decide(urged, await open_task(urged, "manager"), "approve", "mona")
    await decide(urged, await open_task(urged, "finance"), "approve", "fay", groups=["finance"])
    jumped = await start(client, "two_steps", queue, variables=managed)
    await decide(jumped, await open_task(jumped, "manager"), "approve", "mona")
    finance = await open_task(jumped, "finance")
    await decide(jumped, finance, "jump", "root", is_admin=True, to="manager")
    await decide(jumped, await open_task(jumped, "manager"), "reject", "mona")
    handles = [withdrawn, cancelled, urged, jumped]
    for handle in handles:
        await handle.result()
    return handles


async def deadlines(env: WorkflowEnvironment, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A 3-day SLA with two daily reminders that escalates to the manager; a timeout approve."""
    day = 24 * 3600.0
    escalating = with_approval(
        "two_steps",
        "manager",
        mode="single",
        approvers=["alice"],
        due_in="P3D",
        due_in_seconds=3 * day,
        remind_every="P1D",
        remind_every_seconds=day,
        remind_max=2,
        on_timeout="escalate",
    )
    sla = await start_plan(env.client, escalating, queue)
    await open_task(sla, "manager")
    await env.sleep(timedelta(days=3, minutes=1))
    await decide(sla, await open_task(sla, "manager"), "approve", "mona")
    await decide(sla, await open_task(sla, "finance"), "approve", "fay", groups=["finance"])
    approving = with_approval(
        "approval",
        "approve",
        mode="single",
        approvers=["alice"],
        due_in="PT2H",
        due_in_seconds=7200.0,
        on_timeout="approve",
    )
    timeout = await start_plan(env.client, approving, queue)
    await open_task(timeout, "approve")
    await env.sleep(timedelta(hours=3))
    await sla.result()
    await timeout.result()
    return [sla, timeout]


async def next_due(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A manager step due in 3 days publishes ``ShenpiNextDue``; the finance step after it has
    no due date, so the attribute is unset; the instance ends."""
    dated = with_approval(
        "two_steps",
        "manager",
        mode="single",
        approvers=["mona"],
        due_in="P3D",
        due_in_seconds=3 * 24 * 3600.0,
    )
    handle = await start_plan(client, dated, queue)
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    await decide(handle, await open_task(handle, "finance"), "approve", "fay", groups=["finance"])
    await handle.result()
    return [handle]


async def ai_advise(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """The AI's advice shown on the task, then the approver decides."""
    handle = await start(client, "ai_advise", queue, variables={"approver": "alice"})
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    await handle.result()
    return [handle]


async def ai_shadow(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """The AI reviews in shadow: its answer is recorded, the task opens without it, a person
    decides otherwise."""
    process = with_ai("approval", "approve", ai={"mode": "shadow", "prompt": "reject 0.99"})
    handle = await start_plan(client, process, queue, variables={"approver": "alice"})
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    await handle.result()
    return [handle]


async def ai_decide(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A confident AI approves as ai:<model>; no person sees the task."""
    variables = {"approver": "alice", "script": "approve 0.95"}
    handle = await start(client, "ai_decide", queue, variables=variables)
    await handle.result()
    return [handle]


async def ai_heartbeats(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """As ``ai_decide``, started by an API whose AI provider answers in the worker: the review
    is scheduled with a heartbeat timeout."""
    variables = {"approver": "alice", "script": "approve 0.95"}
    handle = await start(client, "ai_decide", queue, variables=variables, ai_heartbeats=True)
    await handle.result()
    return [handle]


async def ai_fallback(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """The AI fails every attempt: the approver decides (manual); the system rejects (reject)."""
    variables = {"approver": "alice", "script": "fail"}
    manual = await start(client, "ai_decide", queue, variables=variables)
    await decide(manual, await open_task(manual, "approve"), "approve", "alice")
    spec = {"mode": "decide", "prompt": "fail", "max_attempts": 1, "fallback": "reject"}
    rejecting = await start_plan(
        client, with_ai("approval", "approve", ai=spec), queue, variables={"approver": "alice"}
    )
    await manual.result()
    await rejecting.result()
    return [manual, rejecting]


async def ai_route(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An ai-review service task, then an AI-routed gateway picks the legal desk."""
    handle = await start(client, "ai_route", queue, variables={"category": "travel"})
    await decide(handle, await open_task(handle, "legal"), "approve", "lena", groups=["legal"])
    await handle.result()
    return [handle]


async def ai_service(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An ai-review service task whose model extracts a new field and tries to overwrite the
    amount and the initiator: only the new field joins the variables; then the approver decides."""
    spec = {"prompt": "approve 0.9 city=Beijing amount=1 initiator=mallory"}
    process = with_ai(
        "service_task", "score", task_type=ACTIVITY_AI_REVIEW, result_variable=None, ai=spec
    )
    handle = await start_plan(client, process, queue, variables={"amount": 120})
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    await handle.result()
    return [handle]


async def ocr_service(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An ocr service task on the OCR queue (with its heartbeat timeout), then the approver."""
    process = with_ai("service_task", "score", task_type=ACTIVITY_OCR, result_variable=None)
    async with Worker(client, task_queue=queue + OCR_QUEUE_SUFFIX, activities=[fake_ocr]):
        handle = await start_plan(client, process, queue, variables={"amount": 120})
        await decide(handle, await open_task(handle, "approve"), "approve", "alice")
        await handle.result()
    return [handle]


async def notify_defaults(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Default notifications: the approver hears of the task, the initiator of the outcome; a
    model's <shenpi:notify> rules, and a drawn notify task that reaches nobody and moves on."""
    events = ["task_opened", "outcome"]
    handle = await start(
        client, "service_task", queue, variables={"amount": 120}, notify_events=events
    )
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    ruled = await start_plan(client, NOTIFY_RULES, queue, variables={"assistant": "sam"})
    await decide(ruled, await open_task(ruled, "approve"), "approve", "mona")
    await handle.result()
    await ruled.result()
    return [handle, ruled]


async def notify_scoped(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A task in each instance of a multi-instance subprocess tells the watcher its own
    document names (a rule over the instance's local variable); both are approved."""
    docs = [{"name": "id card", "watcher": "sam"}, {"name": "contract", "watcher": "lea"}]
    handle = await start_plan(client, SCOPED_NOTIFY, queue, variables={"docs": docs})
    for task in await wait_open_tasks(handle, 2):
        await decide(handle, task, "approve", "mona")
    await handle.result()
    return [handle]


async def priority(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A high-priority request (its service task and notifications carry Temporal's priority),
    raised to urgent by the initiator's manager before the approver decides."""
    handle = await start(
        client,
        "service_task",
        queue,
        variables={"amount": 120},
        notify_events=["task_opened", "outcome"],
        priority="high",
    )
    await open_task(handle, "approve")
    await handle.execute_update(
        UPDATE_SET_PRIORITY,
        PriorityInput(priority="urgent", actor="max", manager_of="ida", comment="today"),
        result_type=PriorityResult,
    )
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    await handle.result()
    return [handle]


async def decision_limits(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A decision writes the variable its task declares (the change is on the timeline); a step
    of 120 approvers publishes what fits in the inbox attribute plus the overflow marker; an
    approver id over the limits is an incident, and the initiator cancels that instance."""
    declared = await start(client, "two_steps", queue, variables={"manager": "mona"})
    first = await open_task(declared, "manager")
    await decide(declared, first, "approve", "mona", variables={"checked_by": "dan"})
    await decide(
        declared, await open_task(declared, "finance"), "approve", "fay", groups=["finance"]
    )
    crowd = [f"user{i:03d}" for i in range(120)]
    wide = await start_plan(
        client, with_approval("approval", "approve", mode="any", approvers=crowd), queue
    )
    await decide(wide, (await _open(wide, 120))[119], "approve", "user119")
    invalid = await start(
        client, "two_steps", queue, initiator="ivy", variables={"manager": "x" * 100}
    )
    for _ in range(100):
        if (await state(invalid)).incidents:
            break
        await asyncio.sleep(0.1)
    await act(invalid, "cancel", "ivy")
    for handle in (declared, wide, invalid):
        await handle.result()
    return [declared, wide, invalid]


async def scopes(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A subprocess with a local variable and an output mapping, whose two branches complete it;
    a terminate end that ends the subprocess only."""
    mapped = await start(client, "subprocess_scope", queue, variables={"amount": 300})
    await decide(mapped, await open_task(mapped, "check"), "approve", "mia")
    await decide(mapped, await open_task(mapped, "side"), "approve", "ray")
    await decide(mapped, await open_task(mapped, "final"), "approve", "ida")
    stopped = await start(client, "subprocess_scope", queue, variables={"amount": 900})
    await decide(stopped, await open_task(stopped, "check"), "approve", "mia")
    await decide(stopped, await open_task(stopped, "final"), "approve", "ida")
    for handle in (mapped, stopped):
        await handle.result()
    return [mapped, stopped]


async def errors(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An activity's BPMN error caught by its boundary; an escalation (non-interrupting) and an
    error end inside a subprocess caught by its boundaries; an error event subprocess."""
    declined = await start(client, "error_boundary", queue, variables={"card": "card_declined"})
    await decide(declined, await open_task(declined, "fix_payment"), "approve", "ida")
    thrown = await start(client, "scope_throws", queue, variables={"amount": 9000})
    await decide(thrown, await open_task(thrown, "controller"), "approve", "carl")
    await decide(thrown, await open_task(thrown, "ask_budget"), "approve", "ida")
    await decide(thrown, await open_task(thrown, "manager_fyi"), "approve", "max")
    event_sub = await start(
        client, "event_subprocesses", queue, variables={"card": "card_declined"}
    )
    await decide(event_sub, await open_task(event_sub, "call_customer"), "approve", "ida")
    for handle in (declined, thrown, event_sub):
        await handle.result()
    return [declined, thrown, event_sub]


async def gateways(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An inclusive split taking two of three flows, one of which ends before the join; an
    event-based gateway whose first timer wins and leads through a link."""
    variables = {"needs_legal": True, "amount": 10, "needs_it": True}
    inclusive = await start(client, "inclusive_reviews", queue, variables=variables)
    await decide(inclusive, await open_task(inclusive, "legal"), "approve", "lea")
    await decide(inclusive, await open_task(inclusive, "it"), "reject", "ivan")
    await decide(inclusive, await open_task(inclusive, "sign"), "approve", "ida")
    racing = await start(client, "event_gateway", queue)
    await decide(racing, await open_task(racing, "check"), "approve", "mia")
    for handle in (inclusive, racing):
        await handle.result()
    return [inclusive, racing]


async def scope_timers(env: WorkflowEnvironment, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """An interrupting timer on a subprocess ends everything inside it; a repeating timer
    event subprocess runs twice beside the process."""
    late = await start(env.client, "subprocess_scope", queue, variables={"amount": 10})
    await open_task(late, "check")
    await env.sleep(timedelta(hours=2, minutes=1))
    await decide(late, await open_task(late, "late_review"), "approve", "boss")
    nudged = await start(env.client, "event_subprocesses", queue, variables={"card": "ok"})
    await open_task(nudged, "deliver")
    await env.sleep(timedelta(seconds=5))
    await decide(nudged, await open_task(nudged, "deliver"), "approve", "dan")
    for handle in (late, nudged):
        await handle.result()
    return [late, nudged]


async def loops(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A user task looping until approved, then a test-before loop of a service task."""
    handle = await start(client, "standard_loop", queue)
    await decide(handle, await open_task(handle, "review"), "reject", "mia", comment="redo")
    await decide(handle, await open_task(handle, "review"), "approve", "mia")
    await handle.result()
    return [handle]


async def compensation(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A rejected trip: a compensation throw undoes the subprocess's flight (a person's task),
    then the hotel (an activity), then the process goes on."""
    handle = await start(client, "compensation", queue)
    await decide(handle, await open_task(handle, "approve"), "reject", "mia")
    await decide(handle, await open_task(handle, "cancel_flight"), "approve", "tom")
    await decide(handle, await open_task(handle, "tell"), "approve", "ida")
    scoped = await start(client, "compensation_scope", queue)
    await decide(scoped, await open_task(scoped, "approve"), "reject", "mia")
    await decide(scoped, await open_task(scoped, "cancel_booking"), "approve", "tom")
    for instance in (handle, scoped):
        await instance.result()
    return [handle, scoped]


async def scripts(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """FEEL and JUEL script tasks compute the total and the approver level."""
    handle = await start(client, "script_tasks", queue, variables={"amount": 2000})
    await decide(handle, await open_task(handle, "approve"), "approve", "mia")
    await handle.result()
    return [handle]


async def calls(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A call activity whose child escalates (caught beside the call) and completes with mapped
    variables; one whose child's uncaught error is caught at the call activity."""
    await deploy_fixture(settings_for_tests(), "legal_review")
    caller = await start(client, "call_legal", queue, variables={"amount": 500_000})
    fyi = await open_task(caller, "cfo_fyi")
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "approve", "lea")
    await decide(caller, fyi, "approve", "cfo")
    await decide(caller, await open_task(caller, "after"), "approve", "ida")
    failing = await start(client, "call_legal", queue, variables={"amount": -1})
    await decide(failing, await open_task(failing, "handle_error"), "approve", "ida")
    failed_child = await called_child(client, failing)
    for handle in (caller, failing, child, failed_child):
        await handle.result()
    return [caller, child, failing, failed_child]


async def business_rules(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Zeebe business rule tasks (the result as is, an output mapping over the task's local
    result) and Camunda ones (each mapDecisionResult), from DMN files in the app database."""
    for path in (APPROVER_LEVEL, DMN_DIR / "rule_results.dmn"):
        await deploy_dmn(settings_for_tests(), path)
    handles = [
        await start(client, "rules_zeebe", queue, variables={"amount": 250}),
        await start(client, "rules_camunda", queue, variables={"amount": 1500}),
    ]
    for handle in handles:
        await decide(handle, await open_task(handle, "after"), "approve", "ida")
        await handle.result()
    return handles


async def messages(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A message on an event-based gateway arm, published before the subscription (kept);
    boundaries (interrupting, not, conditional) and a receive task; a thrown signal caught by
    another instance; and the mailbox that correlated the first."""
    contract = f"C-{uuid.uuid4().hex[:6]}"
    message = Message(
        name="contract-signed",
        correlation_key=contract,
        variables={"signer": "Li Lei"},
        message_id=uuid.uuid4().hex,
    )
    await messaging_client.publish(client, queue, PublishInput(message=message, ttl_seconds=600))
    wait = await start(client, "message_wait", queue, variables={"contract_no": contract})
    await wait.result()
    key = f"O-{uuid.uuid4().hex[:6]}"
    boundary = await start(
        client, "message_boundary", queue, variables={"amount": 10}, business_key=key
    )
    review = await open_task(boundary, "review")
    for name, variables in (("order-note", {"amount": 5000}), ("order-confirmed", {})):
        await _until_subscribed(boundary, "noted" if name == "order-note" else "confirm")
        note = Message(name=name, correlation_key=key, variables=variables, message_id=name)
        await messaging_client.publish(client, queue, PublishInput(message=note))
        if name == "order-note":
            await decide(boundary, review, "approve", "mia")
    await boundary.result()
    caught = await start(client, "signal_pair", queue, variables={"thrower": False})
    await _until_subscribed(caught, "closed")
    await asyncio.sleep(2)  # visibility lists it before the throw
    thrower = await start(client, "signal_pair", queue, variables={"thrower": True})
    await thrower.result()
    await caught.result()
    mailbox = client.get_workflow_handle(mailbox_id("contract-signed", contract))
    return [wait, boundary, thrower, caught, mailbox]


async def multi_receive(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A multi-instance receive task: one quote per supplier, out of order, collected in the
    suppliers' order; and one ended by the boundary message after one quote."""
    handles = []
    for suppliers, quotes in ((["acme", "bolt"], ["bolt", "acme"]), (["cog", "dyn"], ["cog"])):
        tender = f"T-{uuid.uuid4().hex[:6]}"
        variables = {"tender": tender, "suppliers": suppliers}
        handle = await start(
            client, "multi_receive", queue, variables=variables, business_key=tender
        )
        await _until_subscribed(handle, "quotes", len(suppliers))
        for n, supplier in enumerate(quotes):
            quote = Message(
                name="supplier-quote",
                correlation_key=f"{tender}/{supplier}",
                variables={"price": 10 * (n + 1)},
                message_id=uuid.uuid4().hex,
            )
            await messaging_client.publish(client, queue, PublishInput(message=quote))
        if len(quotes) < len(suppliers):
            cancel = Message(name="tender-cancelled", correlation_key=tender, message_id=tender)
            await messaging_client.publish(client, queue, PublishInput(message=cancel))
        await handle.result()
        handles.append(handle)
    return handles


async def _until_subscribed(handle: WorkflowHandle[Any, Any], node_id: str, count: int = 1) -> None:
    for _ in range(100):
        tokens = (await state(handle)).tokens
        subs = [
            s for t in tokens for n, s in (t.get("subscriptions") or {}).items() if n == node_id
        ]
        if len(subs) >= count and not any(s.get("opening") for s in subs):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never subscribed at {node_id}")


async def listeners(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Execution and task listeners around a user task, a Zeebe start listener on a service
    task (tests/workflows/test_listeners.py)."""
    handle = await start(client, "listeners", queue)
    await decide(handle, await open_task(handle, "review"), "approve", "mia")
    await handle.result()
    return [handle]


NOTIFY_RULES = bpmn(
    "notify_rules",
    """
    <startEvent id="start" />
    <sendTask id="tell">
      <extensionElements>
        <shenpi:header key="to" value="group:nobody" />
        <shenpi:header key="message" value="Your request is in" />
      </extensionElements>
    </sendTask>
    <userTask id="approve" shenpi:assignee="mona">
      <extensionElements><shenpi:notify on="task_opened" to="${assistant}" /></extensionElements>
    </userTask>
    <endEvent id="end">
      <extensionElements><shenpi:notify on="outcome" /></extensionElements>
    </endEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="tell" />
    <sequenceFlow id="f2" sourceRef="tell" targetRef="approve" />
    <sequenceFlow id="f3" sourceRef="approve" targetRef="end" />
    """,
)


async def multi_instance(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """Multi-instance service and send tasks (parallel, sequential, output collections); a
    completion condition that cancels the last instance, and loopCardinality; a subprocess per
    document; a 120-element body that continues as new between its instances."""
    service = await start(client, "mi_service", queue, variables={"items": [1, 2, 3]})
    camunda = await start(
        client, "mi_camunda", queue, variables={"suppliers": ["a", "slow", "b"], "rounds": 2}
    )
    docs = [{"name": "id card", "owner": "mia"}, {"name": "contract", "owner": "ray"}]
    sub = await start(client, "mi_subprocess", queue, variables={"docs": docs, "timeout": "PT1H"})
    for task in await wait_open_tasks(sub, 2):
        await decide(sub, task, "approve", task.assignee or "")
    await decide(sub, await open_task(sub, "done"), "approve", "ida")
    many = await start(
        client, "mi_many", queue, variables={"items": list(range(120))}, max_history_events=200
    )
    for handle in (service, camunda, sub, many):
        await handle.result()
    first = client.get_workflow_handle(many.id, run_id=many.first_execution_run_id)
    return [service, camunda, sub, first, client.get_workflow_handle(many.id)]


async def multi_compensation(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A rejected event: the compensation throw undoes each completed instance of a parallel
    service task, of a body a completion condition cut short, and of a sequential subprocess."""
    variables = {"items": [1, 2, 3], "suppliers": ["a", "slow", "b"], "rooms": ["east", "west"]}
    handle = await start(client, "mi_compensation", queue, variables=variables)
    await decide(handle, await open_task(handle, "approve"), "reject", "mia")
    await handle.result()
    return [handle]


async def loop_compensation(client: Client, queue: str) -> list[WorkflowHandle[Any, Any]]:
    """A compensation throw after a task that looped three times and a subprocess that looped
    twice: one handler per completed run, the last first."""
    handle = await start(client, "loop_compensation", queue)
    await handle.result()
    return [handle]


DEV_SERVER_SCENARIOS: dict[str, Scenario] = {
    "approve_path": approve_path,
    "reject_and_rework": reject_and_rework,
    "parallel_and_claim": parallel_and_claim,
    "incidents": incidents,
    "continue_as_new": continue_as_new,
    "past_due_timers": past_due_timers,
    "cancelled": cancelled,
    "approval_steps": approval_steps,
    "approval_actions": approval_actions,
    "instance_actions": instance_actions,
    "ai_advise": ai_advise,
    "ai_decide": ai_decide,
    "ai_heartbeats": ai_heartbeats,
    "ai_shadow": ai_shadow,
    "ai_fallback": ai_fallback,
    "ai_route": ai_route,
    "ai_service": ai_service,
    "ocr_service": ocr_service,
    "notify_defaults": notify_defaults,
    "decision_limits": decision_limits,
    "incident_actions": incident_actions,
    "priority": priority,
    "scopes": scopes,
    "errors": errors,
    "gateways": gateways,
    "calls": calls,
    "loops": loops,
    "compensation": compensation,
    "scripts": scripts,
    "next_due": next_due,
    "business_rules": business_rules,
    "messages": messages,
    "multi_receive": multi_receive,
    "multi_instance": multi_instance,
    "multi_compensation": multi_compensation,
    "loop_compensation": loop_compensation,
    "completion_retry": completion_retry,
    "notify_scoped": notify_scoped,
    "listeners": listeners,
}


SkippingScenario = Callable[[WorkflowEnvironment, str], Awaitable[list[WorkflowHandle[Any, Any]]]]
SKIPPING_SCENARIOS: dict[str, SkippingScenario] = {
    "timers": timers,
    "deadlines": deadlines,
    "scope_timers": scope_timers,
}


async def _save(name: str, handles: list[WorkflowHandle[Any, Any]]) -> None:
    for n, handle in enumerate(handles, start=1):
        history = await handle.fetch_history()
        path = HERE / f"{name}-{n}.json"
        path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
        print(f"wrote {path.relative_to(HERE.parent.parent)} ({len(history.events)} events)")


async def _run_on(client: Client, run: Callable[[str], Awaitable[None]]) -> None:
    queue = f"record-{uuid.uuid4()}"
    async with build_worker(
        client,
        task_queue=queue,
        settings=settings_for_tests(),
        extra_activities=[
            *fake_activities(),
            *multi_activities(),
            fake_directory,
            fake_ai_review,
            *listener_activities(),
        ],
    ):
        await run(queue)


async def main(only: list[str]) -> None:
    unknown = set(only) - {*DEV_SERVER_SCENARIOS, *SKIPPING_SCENARIOS}
    if unknown:
        raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    dev = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=list(PRIORITY_ARGS),
    )
    try:
        for name, scenario in DEV_SERVER_SCENARIOS.items():
            if only and name not in only:
                continue

            async def run(queue: str, name: str = name, scenario: Scenario = scenario) -> None:
                await _save(name, await scenario(dev.client, queue))

            await _run_on(dev.client, run)
    finally:
        await dev.shutdown()
    if only and not set(only) & set(SKIPPING_SCENARIOS):
        return
    skipping = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN_DIR / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await ensure_search_attributes(skipping.client, "default")

        for name, skipping_scenario in SKIPPING_SCENARIOS.items():
            if only and name not in only:
                continue

            async def run_skipping(
                queue: str, name: str = name, scenario: SkippingScenario = skipping_scenario
            ) -> None:
                await _save(name, await scenario(skipping, queue))

            await _run_on(skipping.client, run_skipping)
    finally:
        await skipping.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
