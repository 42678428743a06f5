"""Edge cases of scopes, compensation, errors, gateways and call activities against documented
Zeebe / Camunda behaviour, on the real dev server (inline BPMN, compiled by the real compiler).

Each test here was a known gap (docs/interpreter.md "Known gaps") written as a strict xfail
before it was fixed; new gaps are added the same way."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bpmn_compiler import compile_bpmn
from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
    InstanceState,
    StartInput,
)
from tests.helpers import assert_eventually
from tests.workflows.support import decide, open_task, start, state

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0"'
    ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)


async def run(
    client: Client, xml: str, task_queue: str, variables: dict[str, Any] | None = None
) -> WorkflowHandle[Any, InstanceState]:
    compiled = compile_bpmn((HEAD + xml + "</definitions>").encode(), source="probe")
    plan = compiled.plan
    return await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, variables=variables or {}, initiator="ida"),
        id=f"{plan.process_id}-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
        result_type=InstanceState,
    )


def events(instance: InstanceState, name: str) -> list[Any]:
    return [(e.node_id, e.details) for e in instance.timeline if e.event == name]


# F1: "Triggering compensation from an event subprocess ... broadcast the compensation within the
# outer scope of the event subprocess. A common pattern is to use this in combination with an
# error event subprocess" (Camunda 8 docs, compensation events).
ERROR_SAGA = """
<error id="declined" errorCode="card_declined" />
<process id="probe_saga" isExecutable="true">
  <startEvent id="start" />
  <serviceTask id="book" shenpi:type="score" />
  <boundaryEvent id="undo_evt" attachedToRef="book"><compensateEventDefinition /></boundaryEvent>
  <userTask id="undo_book" shenpi:assignee="tom" isForCompensation="true" />
  <association id="a1" sourceRef="undo_evt" targetRef="undo_book" />
  <serviceTask id="charge" shenpi:type="charge" />
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="book" />
  <sequenceFlow id="f2" sourceRef="book" targetRef="charge" />
  <sequenceFlow id="f3" sourceRef="charge" targetRef="end" />
  <subProcess id="on_error" triggeredByEvent="true">
    <startEvent id="err_start"><errorEventDefinition errorRef="declined" /></startEvent>
    <endEvent id="compensate_all"><compensateEventDefinition /></endEvent>
    <sequenceFlow id="e1" sourceRef="err_start" targetRef="compensate_all" />
  </subProcess>
</process>
"""


async def test_compensation_thrown_in_error_event_subprocess_undoes_the_outer_scope(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, ERROR_SAGA, task_queue, {"card": "card_declined"})

    async def thrown() -> None:
        assert events(await state(handle), "compensation_thrown")

    await assert_eventually(thrown)
    current = await state(handle)
    # Expected: the booking is undone (handler undo_book opens). Actual: handlers == [] and the
    # instance completes with the booking still in `compensable`.
    assert events(current, "compensation_thrown")[0][1]["handlers"] == ["undo_book"], (
        events(current, "compensation_thrown"),
        current.status,
        current.compensable,
    )


# F2: a compensation throw inside a subprocess compensates only that subprocess's activities
# ("If the compensation throw event is inside an embedded subprocess, the process instance
# invokes only the compensation handlers within the subprocess").
TWO_SUBPROCESSES = """
<process id="probe_two_subs" isExecutable="true">
  <startEvent id="start" />
  <subProcess id="sub_a">
    <startEvent id="a_start" />
    <serviceTask id="a1" shenpi:type="score" />
    <boundaryEvent id="a1_evt" attachedToRef="a1"><compensateEventDefinition /></boundaryEvent>
    <serviceTask id="undo_a1" shenpi:type="score" isForCompensation="true" />
    <association id="aa" sourceRef="a1_evt" targetRef="undo_a1" />
    <endEvent id="a_end" />
    <sequenceFlow id="a_f1" sourceRef="a_start" targetRef="a1" />
    <sequenceFlow id="a_f2" sourceRef="a1" targetRef="a_end" />
  </subProcess>
  <subProcess id="sub_b">
    <startEvent id="b_start" />
    <serviceTask id="b1" shenpi:type="score" />
    <boundaryEvent id="b1_evt" attachedToRef="b1"><compensateEventDefinition /></boundaryEvent>
    <serviceTask id="undo_b1" shenpi:type="score" isForCompensation="true" />
    <association id="ab" sourceRef="b1_evt" targetRef="undo_b1" />
    <intermediateThrowEvent id="undo_b"><compensateEventDefinition /></intermediateThrowEvent>
    <endEvent id="b_end" />
    <sequenceFlow id="b_f1" sourceRef="b_start" targetRef="b1" />
    <sequenceFlow id="b_f2" sourceRef="b1" targetRef="undo_b" />
    <sequenceFlow id="b_f3" sourceRef="undo_b" targetRef="b_end" />
  </subProcess>
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="sub_a" />
  <sequenceFlow id="f2" sourceRef="sub_a" targetRef="sub_b" />
  <sequenceFlow id="f3" sourceRef="sub_b" targetRef="end" />
</process>
"""


async def test_a_throw_in_a_subprocess_does_not_undo_an_earlier_subprocess(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, TWO_SUBPROCESSES, task_queue)
    done = await handle.result()
    [(_, thrown)] = events(done, "compensation_thrown")
    # Expected ["undo_b1"]. Actual ["undo_b1", "undo_a1"]: the scope token of sub_a moved on
    # into sub_b with the same id, so sub_a's inner records match the throw's scope.
    assert thrown["handlers"] == ["undo_b1"], thrown


# F3: an error end event inside an error event subprocess is not caught by that same event
# subprocess (its scope is already interrupted; Zeebe propagates it outwards -> incident).
RETHROW = """
<error id="any" errorCode="boom" />
<process id="probe_rethrow" isExecutable="true">
  <startEvent id="start" />
  <serviceTask id="charge" shenpi:type="charge" />
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
  <sequenceFlow id="f2" sourceRef="charge" targetRef="end" />
  <subProcess id="on_error" triggeredByEvent="true">
    <startEvent id="err_start"><errorEventDefinition /></startEvent>
    <endEvent id="rethrow"><errorEventDefinition errorRef="any" /></endEvent>
    <sequenceFlow id="e1" sourceRef="err_start" targetRef="rethrow" />
  </subProcess>
</process>
"""


async def test_an_error_event_subprocess_does_not_catch_its_own_rethrow(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, RETHROW, task_queue, {"card": "card_declined"})

    async def settled() -> None:
        current = await state(handle)
        assert current.status in ("incident", "completed"), current.status

    await assert_eventually(settled)
    current = await state(handle)
    started = events(current, "event_subprocess_started")
    assert len(started) == 1, f"{len(started)} activations, incidents {current.incidents[:2]}"


# F4: a test-before loop that never ran did not complete: nothing to compensate.
ZERO_RUNS = """
<process id="probe_zero_runs" isExecutable="true">
  <startEvent id="start" />
  <serviceTask id="book" shenpi:type="score">
    <standardLoopCharacteristics testBefore="true"><loopCondition>${false}</loopCondition>
      </standardLoopCharacteristics>
  </serviceTask>
  <boundaryEvent id="undo_evt" attachedToRef="book"><compensateEventDefinition /></boundaryEvent>
  <serviceTask id="undo_book" shenpi:type="score" isForCompensation="true" />
  <association id="a1" sourceRef="undo_evt" targetRef="undo_book" />
  <intermediateThrowEvent id="undo_all"><compensateEventDefinition /></intermediateThrowEvent>
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="book" />
  <sequenceFlow id="f2" sourceRef="book" targetRef="undo_all" />
  <sequenceFlow id="f3" sourceRef="undo_all" targetRef="end" />
</process>
"""


async def test_a_loop_that_never_ran_is_not_compensated(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, ZERO_RUNS, task_queue)
    done = await handle.result()
    ran = [n for n, _ in events(done, "service_completed")]
    assert "book" not in ran  # the loop indeed never ran
    [(_, thrown)] = events(done, "compensation_thrown")
    assert thrown["handlers"] == [], thrown


# F5: retrying an output-mapping incident of a subprocess must not run the subprocess again
# (Zeebe: resolving the incident re-applies the output mapping; the inner work stays done).
# probe_output_retry.bpmn: a subprocess whose output mapping reads a variable nobody sets.


async def test_retrying_a_subprocess_output_incident_does_not_rerun_its_inside(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "probe_output_retry", task_queue)

    async def incident() -> None:
        assert [i.kind for i in (await state(handle)).incidents] == ["expression_error"]

    await assert_eventually(incident)
    await handle.execute_update(
        UPDATE_INCIDENT_ACTION,
        IncidentActionInput(action="retry", incident_id="1", actor="admin", is_admin=True),
        result_type=IncidentActionResult,
    )

    async def second() -> None:
        assert len((await state(handle)).incidents) == 2

    await assert_eventually(second)
    current = await state(handle)
    charged = [n for n, _ in events(current, "service_completed") if n == "charge_card"]
    assert charged == ["charge_card"], f"the card was charged {len(charged)} times"


async def test_a_retried_output_incident_completes_the_subprocess_once(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # The mapping reads a variable a person sets on the parallel branch after it failed; the
    # retry completes the subprocess with it, and the card charged inside is charged once (and
    # refunded once by the throw after the join).
    handle = await start(client, "output_retry_succeeds", task_queue)

    async def incident() -> None:
        assert [i.kind for i in (await state(handle)).incidents] == ["expression_error"]

    await assert_eventually(incident)
    await decide(
        handle, await open_task(handle, "confirm"), "approve", "mia", variables={"later": 1}
    )
    await handle.execute_update(
        UPDATE_INCIDENT_ACTION,
        IncidentActionInput(action="retry", incident_id="1", actor="admin", is_admin=True),
        result_type=IncidentActionResult,
    )
    done = await handle.result()
    assert done.status == "completed" and done.variables["total"] == 2
    services = [n for n, _ in events(done, "service_completed")]
    assert services.count("charge_card") == 1 and services.count("refund") == 1
    assert [n for n, _ in events(done, "subprocess_completed")] == ["sub"]


# F6: "A variable set inside (a decision, ...) is set in the innermost scope that already holds
# it" (docs/interpreter.md "Scopes", Zeebe's propagation). A decision's variables go to the
# process instead, under the subprocess's local of the same name.
DECISION_IN_SCOPE = """
<process id="probe_decision_scope" isExecutable="true">
  <startEvent id="start" />
  <subProcess id="sub">
    <extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="quotes">${0}</camunda:inputParameter>
      <camunda:outputParameter name="seen_quotes">${quotes}</camunda:outputParameter>
    </camunda:inputOutput></extensionElements>
    <startEvent id="s_start" />
    <userTask id="collect" shenpi:assignee="tom">
      <extensionElements><shenpi:variable name="quotes" type="number" /></extensionElements>
    </userTask>
    <endEvent id="s_end" />
    <sequenceFlow id="s1" sourceRef="s_start" targetRef="collect" />
    <sequenceFlow id="s2" sourceRef="collect" targetRef="s_end" />
  </subProcess>
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="sub" />
  <sequenceFlow id="f2" sourceRef="sub" targetRef="end" />
</process>
"""


async def test_a_decisions_variable_is_set_in_the_scope_that_holds_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, DECISION_IN_SCOPE, task_queue)
    await decide(
        handle, await open_task(handle, "collect"), "approve", "tom", variables={"quotes": 5}
    )
    done = await handle.result()
    assert done.variables["seen_quotes"] == 5, done.variables


# F7: an admin jump ends every token (end_all) and spawns one at the target, but the process's
# event subprocess timer starts (listen tokens) are not armed again: a reminder / SLA event
# subprocess of the process silently stops after any jump.
LISTENER = """
<process id="probe_jump_listener" isExecutable="true">
  <startEvent id="start" />
  <userTask id="first" shenpi:assignee="tom" />
  <userTask id="second" shenpi:assignee="tom" />
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="first" />
  <sequenceFlow id="f2" sourceRef="first" targetRef="second" />
  <sequenceFlow id="f3" sourceRef="second" targetRef="end" />
  <subProcess id="sla" triggeredByEvent="true">
    <startEvent id="sla_start"><timerEventDefinition><timeDuration>PT1H</timeDuration>
      </timerEventDefinition></startEvent>
    <endEvent id="sla_end" terminate="true"><terminateEventDefinition /></endEvent>
    <sequenceFlow id="x1" sourceRef="sla_start" targetRef="sla_end" />
  </subProcess>
</process>
"""


async def test_a_jump_keeps_the_process_event_subprocess_timers(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, LISTENER, task_queue)
    first = await open_task(handle, "first")
    before = [t["state"] for t in (await state(handle)).tokens]
    assert "listen" in before
    await decide(handle, first, "jump", "root", is_admin=True, to="second")
    await open_task(handle, "second")
    after = [(t["node_id"], t["state"]) for t in (await state(handle)).tokens]
    assert ("sla_start", "listen") in after, after


# Probe (no finding expected): a timer-start event subprocess keeps firing across continue-as-new.
NUDGES = """
<process id="probe_can_listener" isExecutable="true">
  <startEvent id="start" />
  <userTask id="wait_here" shenpi:assignee="tom" />
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="wait_here" />
  <sequenceFlow id="f2" sourceRef="wait_here" targetRef="end" />
  <subProcess id="nudge" triggeredByEvent="true">
    <startEvent id="nudge_start" isInterrupting="false"><timerEventDefinition>
      <timeCycle>R4/PT2S</timeCycle></timerEventDefinition></startEvent>
    <endEvent id="nudge_end" />
    <sequenceFlow id="n1" sourceRef="nudge_start" targetRef="nudge_end" />
  </subProcess>
</process>
"""


async def test_event_subprocess_timer_starts_survive_continue_as_new(
    client: Client, worker: Worker, task_queue: str
) -> None:
    compiled = compile_bpmn((HEAD + NUDGES + "</definitions>").encode(), source="probe")
    plan = compiled.plan
    handle = await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, variables={}, initiator="ida", max_history_events=12),
        id=f"{plan.process_id}-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
        result_type=InstanceState,
    )

    async def four() -> None:
        current = await state(handle)
        assert len(events(current, "event_subprocess_started")) == 4, current.timeline

    await assert_eventually(four, timeout=20)
    assert (await handle.describe()).run_id != handle.first_execution_run_id


# F8 (low): an event-based gateway whose timers are all past due takes the first in document
# order, not the one due first (Zeebe triggers due timers by due date).
PAST_DUE = """
<process id="probe_past_due_gateway" isExecutable="true">
  <startEvent id="start" />
  <eventBasedGateway id="gw" />
  <intermediateCatchEvent id="later"><timerEventDefinition><timeDate>2020-01-02T00:00:00Z</timeDate>
    </timerEventDefinition></intermediateCatchEvent>
  <intermediateCatchEvent id="earlier"><timerEventDefinition>
    <timeDate>2020-01-01T00:00:00Z</timeDate></timerEventDefinition></intermediateCatchEvent>
  <endEvent id="end_later" />
  <endEvent id="end_earlier" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
  <sequenceFlow id="f2" sourceRef="gw" targetRef="later" />
  <sequenceFlow id="f3" sourceRef="gw" targetRef="earlier" />
  <sequenceFlow id="f4" sourceRef="later" targetRef="end_later" />
  <sequenceFlow id="f5" sourceRef="earlier" targetRef="end_earlier" />
</process>
"""


async def test_past_due_event_gateway_takes_the_earliest_timer(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, PAST_DUE, task_queue)
    done = await handle.result()
    assert [n for n, _ in events(done, "timer_fired")] == ["earlier"], done.timeline


# F9: retrying a call activity's output-mapping incident starts the called process again (a new
# child: its people decide again) instead of re-applying the mappings to the child's result.
from collections.abc import AsyncIterator  # noqa: E402

import pytest_asyncio  # noqa: E402

from shenpi.settings import Settings  # noqa: E402
from tests.workflows.call_support import called_child, deploy_fixture  # noqa: E402
from tests.workflows.support import settings_for_tests  # noqa: E402
from worker import build_worker  # noqa: E402


@pytest_asyncio.fixture
async def call_worker(client: Client, task_queue: str, tmp_path: Any) -> AsyncIterator[Settings]:
    settings = settings_for_tests(data_dir=tmp_path)
    async with build_worker(client, task_queue=task_queue, settings=settings):
        yield settings


async def test_retrying_a_call_output_incident_does_not_call_again(
    client: Client, call_worker: Settings, task_queue: str
) -> None:
    await deploy_fixture(call_worker, "legal_review")
    caller = await start(client, "probe_call_badout", task_queue, variables={"amount": 10})
    child = await called_child(client, caller)
    await decide(child, await open_task(child, "lawyer"), "approve", "lea")

    async def incident() -> None:
        assert [i.kind for i in (await state(caller)).incidents] == ["expression_error"]

    await assert_eventually(incident)
    await caller.execute_update(
        UPDATE_INCIDENT_ACTION,
        IncidentActionInput(action="retry", incident_id="1", actor="admin", is_admin=True),
        result_type=IncidentActionResult,
    )

    async def settled() -> list[Any]:
        current = await state(caller)
        assert len(current.incidents) == 2 or len(events(current, "call_started")) == 2
        return events(current, "call_started")

    calls = await assert_eventually(settled)
    assert len(calls) == 1, f"the child process ran again: {calls}"


# F10: a token at an inclusive join that came by no flow (an admin jump to the join) is never
# consumed: every settle() fires the join again, spawning a token downstream each time.
JOIN_JUMP = """
<process id="probe_join_jump" isExecutable="true">
  <startEvent id="start" />
  <inclusiveGateway id="split" />
  <userTask id="a" shenpi:assignee="tom" />
  <userTask id="b" shenpi:assignee="tom" />
  <inclusiveGateway id="join" />
  <userTask id="c" shenpi:assignee="tom" />
  <endEvent id="end" />
  <sequenceFlow id="f1" sourceRef="start" targetRef="split" />
  <sequenceFlow id="f2" sourceRef="split" targetRef="a" />
  <sequenceFlow id="f3" sourceRef="split" targetRef="b" />
  <sequenceFlow id="f4" sourceRef="a" targetRef="join" />
  <sequenceFlow id="f5" sourceRef="b" targetRef="join" />
  <sequenceFlow id="f6" sourceRef="join" targetRef="c" />
  <sequenceFlow id="f7" sourceRef="c" targetRef="end" />
</process>
"""


async def test_a_jump_to_an_inclusive_join_opens_one_task_after_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await run(client, JOIN_JUMP, task_queue)
    a = await open_task(handle, "a")
    await decide(handle, a, "jump", "root", is_admin=True, to="join")
    await open_task(handle, "c")
    current = await state(handle)
    opened = [t for t in current.tasks if t.node_id == "c" and t.status == "open"]
    assert len(opened) == 1, f"{len(opened)} tasks opened on c; incidents {current.incidents}"
