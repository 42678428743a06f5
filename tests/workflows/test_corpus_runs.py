"""Every file of the BPMN corpus that compiles runs, on the time-skipping server, to its end.

The corpus (``../shared/bpmn-corpus``) is real processes drawn in other engines' tools. For each
file the compiler accepts, the test starts the plan with the start variables the file's
conditions need, then drives it the way its users would, until the instance ends or stops at a
documented wait:

- every open user task is approved, by its assignee or a candidate; a task with neither is
  first handed by an admin to an approver (what the ``unassigned-task`` warning says to do); a
  task's declared form fields are filled in from ``RUNS``;
- every service task type the product does not ship is served by a worker that registers an
  activity under that name and answers ``{}`` (or throws the BPMN error ``RUNS`` names), as a
  team's own worker would;
- when only timers wait, the clock skips to the earliest one;
- the DMN decisions its business rule tasks call are deployed first, from companion files written
  for the run (``tests/workflows/dmn/corpus_*.dmn``: the corpus has the processes only).

Each run is bounded in steps and in time (the module takes seconds). A compiled file without an
entry in ``RUNS`` runs with no variables and must complete; one that needs more fails with what
it stopped on, and gets an entry: its variables, its documented wait (the nodes its tokens stay
at, e.g. a message catch nothing sends), or the interpreter bug that stops it (a strict xfail).
``docs/bpmn-coverage.md`` lists the files that run to their end here, from
``bpmn_compiler.coverage.COMPLETING``, which a test keeps equal to this data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.coverage import COMPLETING
from shenpi.temporal_setup import ensure_search_attributes
from shenpi_core.contracts import (
    ACTIVITY_RESOLVE_PROCESS,
    BPMN_ERROR_TYPE,
    ErrorType,
    InstanceState,
    ResolveProcessInput,
    ResolveProcessResult,
    ServiceTaskInput,
    StartInput,
    TaskView,
)
from shenpi_core.messaging import (
    ACTIVITY_SIGNAL_THROW,
    ACTIVITY_SUBSCRIBE,
    ACTIVITY_UNSUBSCRIBE,
    BroadcastInput,
    MessageSubscription,
    SubscribeResult,
    Unsubscription,
)
from shenpi_core.process_plan import BusinessRuleTask, ProcessPlan, ServiceTask
from tests.helpers import BIN_DIR, CORPUS_DIR, requires_corpus
from tests.workflows.decision_support import DMN_DIR, deploy_dmn
from tests.workflows.support import decide, settings_for_tests, state
from worker import build_worker

pytestmark = requires_corpus

ADMIN = "corpus-admin"  # hands a task nobody is assigned to over to APPROVER
APPROVER = "corpus-approver"
MAX_STEPS = 60  # rounds of deciding, waiting for activities or skipping time, per file
RUN_SECONDS = 20.0  # wall-clock bound of one file's run
# What the path of a run is made of, in timeline order.
PATH_EVENTS = (
    "approved",
    "service_completed",
    "decision_evaluated",
    "timer_fired",
    "error_thrown",
    "escalation_thrown",
)


@dataclass(frozen=True)
class Run:
    """How a corpus file is run, and where it must get to."""

    variables: dict[str, Any] = field(default_factory=dict)  # start variables its conditions need
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id -> approve's fields
    errors: dict[str, str] = field(default_factory=dict)  # task type -> BPMN error code it throws
    # Time people take before deciding: lets a short boundary timer on their task fire first.
    think: timedelta = timedelta(0)
    status: Literal["completed", "terminated", "waiting"] = "completed"
    waits: frozenset[str] = frozenset()  # "waiting": the nodes where the tokens stay
    path: tuple[tuple[str, str | None], ...] | None = None  # PATH_EVENTS in order, when checked
    bug: str | None = None  # a known interpreter bug stops it: a strict xfail until fixed
    # "real": run on the dev server, in real time (its timers are days away and never fire),
    # for a file whose decisions the time-skipping server holds while it skips to its timers.
    clock: Literal["skipping", "real"] = "skipping"
    incident: str | None = None  # the incident kind it documentedly stops at (with ``waits``)
    decisions: tuple[str, ...] = ()  # DMN files of tests/workflows/dmn/ its rules call


RUNS: dict[str, Run] = {
    "camunda-bpm-examples__TwitterDemoProcess.bpmn": Run(
        # The reviewer approves: the tweetAdapter bean runs as the activity "tweetAdapter".
        path=(
            ("approved", "user_task_review_tweet"),
            ("service_completed", "service_task_publish_on_twitter"),
        ),
    ),
    "flowable-examples__my-process.bpmn": Run(
        # Two parallel user tasks; the service call's expression ${true} calls nothing.
        path=(
            ("approved", "sid-F5792642-E1A9-44ED-8324-92C570B97EF4"),
            ("approved", "sid-E2D53402-F7FC-4385-A099-DC6B9BA132C1"),
        ),
    ),
    "SpiffWorkflow__standard_loop.bpmn": Run(
        # A plain task looping "while not done", tested before each run, at most 3 runs.
        variables={"done": False},
        path=(),
    ),
    "SpiffWorkflow__timer-non-interrupt-boundary.bpmn": Run(
        # The 0.2 s non-interrupting timer fires while the work is open and asks for a reason;
        # the parallel join after the subprocess waits for both.
        forms={"Activity_Work": {"work_done": "Yes"}, "GetReason": {"delay_reason": "busy"}},
        think=timedelta(minutes=1),
        path=(
            ("timer_fired", "Event_0jyy8ao"),
            ("approved", "Activity_Work"),
            ("approved", "GetReason"),
        ),
    ),
    "camunda-bpm-examples__invoicePayment.bpmn": Run(
        # Its error and escalation boundaries sit on a user task (thrown from forms in Camunda):
        # nothing here throws them.
        path=(("approved", "Task_16y91ka"),),
    ),
    "camunda-bpm-platform__TaskServiceTest.handleUserTaskEscalation.bpmn": Run(
        # Camunda's test escalates the user task through its Java API; approved, it goes on.
        path=(("approved", "throw-escalation"), ("approved", "Task_0k75ype")),
    ),
    # The next three set in a task's form what a later condition or assignee reads, but the form
    # is an HTML file outside the BPMN, so its fields are not declared and a decision may not
    # write them: the answer is a start variable instead.
    "camunda-bpm-platform__VacationRequest.bpmn": Run(
        variables={"numberOfDays": 3, "vacationApproved": "true"},
        path=(("approved", "handleRequest"),),
    ),
    "camunda-bpm-platform__reviewInvoice.bpmn": Run(
        variables={"reviewer": "mary"},  # chosen in the "Assign Reviewer" form
        path=(("approved", "assignReviewer"), ("approved", "reviewInvoice")),
    ),
    "flowable-examples__VacationRequest.bpmn": Run(
        variables={"numberOfDays": 3, "vacationApproved": "Approve"},
        path=(("approved", "handleRequest"),),
    ),
    "spring-zeebe__demoProcess.bpmn": Run(
        # The demo's "fail" worker throws DOESNT_WORK, caught by the boundary: the error path.
        variables={"a": "demo"},
        errors={"fail": "DOESNT_WORK"},
        path=(
            ("service_completed", "taskA"),
            ("service_completed", "taskB"),
            ("error_thrown", "Activity_0m0rnae"),
            ("service_completed", "taskC"),
        ),
    ),
    "SpiffWorkflow__ExclusiveGatewayIfElseAndDecision.bpmn": Run(
        # x is neither 1 nor 2: the default flow, through the business rule task.
        variables={"x": 3},
        decisions=("corpus_integer_decision.dmn",),
        path=(("decision_evaluated", "TaskDecision"),),
    ),
    "camunda-bpm-platform__invoice.v2.bpmn": Run(
        # A travel expense: the DMN's approver groups (accounting, sales) approve; the invoice
        # is paid by the "prepare bank transfer" task and archived by the Java delegate's activity.
        variables={"amount": 30, "invoiceCategory": "Travel Expenses"},
        decisions=("corpus_invoice_decisions.dmn",),
        path=(
            ("decision_evaluated", "assignApprover"),
            ("approved", "approveInvoice"),
            ("approved", "prepareBankTransfer"),
            ("service_completed", "ServiceTask_1"),
        ),
    ),
    "zeebe-process-test__looping-servicetask.bpmn": Run(
        variables={"loopAmount": 0, "totalLoops": 3},  # the loop's counter and its bound
        path=(("service_completed", "servicetask"),) * 3,
    ),
    # Messages and signals come from outside: nothing here publishes them, so these wait where
    # they subscribed (tests/workflows/test_messages.py publishes).
    "camunda-bpm-platform__LinkEventTest.testEventLinkMultipleSources.bpmn": Run(
        status="waiting", waits=frozenset({"WaitAfterLink"})
    ),
    "bpmn-miwg-test-suite__C.9.2-manual-check.bpmn": Run(
        # Its message event subprocesses subscribe at once, by these keys (their multi-instance
        # call activity runs only when a document is asked for).
        # On the time-skipping server the clerk's approval was held while the server skipped to
        # the file's 5-day timer event subprocess: decided in real time, before any timer.
        variables={"documentReferenceId": "D-1", "fraudSuspectedId": "F-1"},
        clock="real",
        path=(("approved", "UserTask_DecideOnApplication"),),
    ),
    # Its two sequential multi-instance tasks (5 runs each) are compensated, then it waits.
    "camunda-bpm-platform__CompensateEventTest.testCompensateScope.bpmn": Run(
        status="waiting", waits=frozenset({"beforeEnd"})
    ),
    "camunda-bpm-examples__order-handling.bpmn": Run(
        # The conditional boundary reads invoiceId, which the order process sets later.
        variables={"invoiceId": None},
    ),
    "bpmn-miwg-test-suite__C.9.0-customer-onboarding.bpmn": Run(
        # Its decision table is drawn in a DMN file the corpus does not hold.
        status="waiting",
        incident="decision_failed",
        # Its event subprocess listens for a cancellation message meanwhile.
        waits=frozenset(
            {
                "BusinessRuleTask_CheckApplicationAutomatically",
                "StartMessageEvent_CancellationRequested",
            }
        ),
    ),
    "zeebe-process-test__pr-created.bpmn": Run(
        # It calls automatedTestsProcess (zeebe-process-test__automated-tests.bpmn, which runs
        # on its own here): the runner deploys no other file.
        variables={"prId": "1"},
        status="waiting",
        incident="call_failed",
        waits=frozenset({"triggerTests", "Gateway_1wymgxc"}),  # the review message or a day
    ),
    "zeebe-process-test__test_timer_events.bpmn": Run(
        # A 1 s timer after the service task races a 30-day one; each ends in a terminate end.
        status="terminated",
        path=(
            ("service_completed", "Activity_InvokeDummyWorker"),
            ("timer_fired", "TimerEvent_Wait1s"),
        ),
    ),
}


def _compiled() -> list[tuple[str, ProcessPlan]]:
    found = []
    for path in sorted(CORPUS_DIR.glob("*.bpmn")):
        try:
            found.append((path.name, compile_bpmn(path.read_bytes(), source=path.name).plan))
        except CompileError:
            continue  # refused with diagnostics: docs/bpmn-coverage.md says why
    return found


COMPILED = _compiled()


def test_every_entry_names_a_corpus_file() -> None:
    names = {p.name for p in CORPUS_DIR.glob("*.bpmn")}
    assert set(RUNS) <= names


def test_the_coverage_page_lists_the_files_that_complete_here() -> None:
    # The generator cannot import tests: it keeps its own list, which must match this data.
    runs = {name: RUNS.get(name, Run()) for name, _ in COMPILED}
    expected = {n for n, r in runs.items() if r.status != "waiting" and r.bug is None}
    assert set(COMPLETING) == expected


def _served(task_type: str, error: str | None) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A worker's activity for ``task_type``: answers ``{}``, or throws the BPMN error."""

    async def serve(input: ServiceTaskInput) -> dict[str, Any]:
        if error is not None:
            raise ApplicationError(
                f"{task_type} failed", {"code": error}, type=BPMN_ERROR_TYPE, non_retryable=True
            )
        return {}

    return activity.defn(name=task_type)(serve)


def _activities(plan: ProcessPlan, run: Run) -> list[Callable[..., Any]]:
    types = {n.task_type for n in plan.nodes if isinstance(n, ServiceTask) and not n.builtin}
    return [*(_served(t, run.errors.get(t)) for t in sorted(types)), *QUIET_MAILBOX]


# Nobody publishes messages to these runs, and the time-skipping server has no update-with-start
# (the mailboxes' call): a mailbox stand-in that takes every subscription and never answers,
# so the runs wait where they subscribed (tests/workflows/test_messages.py covers messages).
@activity.defn(name=ACTIVITY_SUBSCRIBE)
async def _quiet_subscribe(arg: MessageSubscription) -> SubscribeResult:
    return SubscribeResult()


@activity.defn(name=ACTIVITY_UNSUBSCRIBE)
async def _quiet_unsubscribe(arg: Unsubscription) -> None:
    return None


@activity.defn(name=ACTIVITY_SIGNAL_THROW)
async def _quiet_throw(arg: BroadcastInput) -> None:
    return None


# A file calls processes drawn in other files, which the corpus does not hold: not deployed.
@activity.defn(name=ACTIVITY_RESOLVE_PROCESS)
async def _nothing_else_deployed(arg: ResolveProcessInput) -> ResolveProcessResult:
    raise ApplicationError(
        f"process {arg.process_id!r} is not deployed",
        type=ErrorType.PROCESS_NOT_FOUND,
        non_retryable=True,
    )


QUIET_MAILBOX: list[Callable[..., Any]] = [
    _quiet_subscribe,
    _quiet_unsubscribe,
    _quiet_throw,
    _nothing_else_deployed,
]


async def _approve(handle: WorkflowHandle[Any, InstanceState], task: TaskView, run: Run) -> None:
    try:
        await _approve_as_its_user(handle, task, run.forms.get(task.node_id, {}))
    except WorkflowUpdateFailedError as err:  # the refusal's type and message say what is wrong
        raise AssertionError(f"{task.node_id}: {err.cause}") from err
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # The time-skipping server sometimes holds an update while it skips to the file's timers;
        # the next round reads the instance again and decides what is still open.
        return


async def _approve_as_its_user(
    handle: WorkflowHandle[Any, InstanceState], task: TaskView, form: dict[str, Any]
) -> None:
    if task.assignee:
        await decide(handle, task, "approve", task.assignee, variables=form)
    elif task.candidate_users:
        await decide(handle, task, "approve", task.candidate_users[0], variables=form)
    elif task.candidate_groups:
        groups = task.candidate_groups[:1]
        await decide(handle, task, "approve", "corpus-member", groups=groups, variables=form)
    else:  # "only an admin can decide it" (unassigned-task): an admin assigns it, then approve
        await decide(handle, task, "transfer", ADMIN, to=APPROVER, is_admin=True)
        await decide(handle, task, "approve", APPROVER, variables=form)


def _earliest_due(tokens: list[dict[str, Any]]) -> datetime | None:
    """The next timer: an intermediate catch, a boundary, an event subprocess's timer start."""
    dues = [t["due_at"] for t in tokens if t.get("due_at")]
    dues += [b["due_at"] for t in tokens for b in t.get("boundaries", {}).values()]
    return min((datetime.fromisoformat(str(due)) for due in dues), default=None)


def _busy(plan: ProcessPlan, tokens: list[dict[str, Any]]) -> bool:
    """A token is stepping or waits on an activity (a service task, a business rule task's
    decision, an AI review, a directory lookup for an approval step, a message subscription
    opening): only real time moves it on. (Ending a run with an activity in flight would leave
    the time-skipping server's clock locked for the tests after it.)"""
    services = {n.id for n in plan.nodes if isinstance(n, ServiceTask | BusinessRuleTask)}
    return any(
        t["state"] in ("enter", "leave")
        or (t["state"] == "wait" and t["node_id"] in services)
        or t.get("reviewing")
        or (t.get("step") or {}).get("phase") == "resolving"
        or any(s.get("opening") for s in (t.get("subscriptions") or {}).values())
        for t in tokens
    )


async def _drive(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[Any, InstanceState],
    plan: ProcessPlan,
    run: Run,
) -> InstanceState:
    """Decide, wait or skip time until the instance ends or nothing but ``run.waits`` is left."""
    for _ in range(MAX_STEPS):
        current = await state(handle)
        if current.incidents and all(i.kind == run.incident for i in current.incidents):
            if _busy(plan, current.tokens):
                await asyncio.sleep(0.05)
                continue
            return current  # a documented stop (checked by the caller)
        assert not current.incidents, current.incidents
        if current.status != "running":
            return current
        open_tasks = [t for t in current.tasks if t.status == "open"]
        if open_tasks:
            if run.think:
                await env.sleep(run.think)
                open_tasks = [t for t in (await state(handle)).tasks if t.status == "open"]
            for task in open_tasks:
                await _approve(handle, task, run)
            continue
        if _busy(plan, current.tokens):
            await asyncio.sleep(0.05)
            continue
        due = _earliest_due(current.tokens)
        if due is not None and run.clock == "skipping":  # only timers wait: skip past the next
            ahead = max(due - await env.get_current_time(), timedelta(0))
            await env.sleep(ahead + timedelta(seconds=1))
            continue
        return current  # nothing can move: a wait (checked by the caller)
    raise AssertionError(f"still running after {MAX_STEPS} steps: {current.tokens}")


def _path(instance: InstanceState) -> tuple[tuple[str, str | None], ...]:
    return tuple((e.event, e.node_id) for e in instance.timeline if e.event in PATH_EVENTS)


def _cases(clock: Literal["skipping", "real"]) -> list[Any]:
    cases = []
    for name, plan in COMPILED:
        run = RUNS.get(name, Run())
        if run.clock != clock:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=run.bug)] if run.bug else []
        cases.append(pytest.param(name, plan, id=name, marks=marks))
    return cases


@pytest_asyncio.fixture(scope="module")
async def corpus_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own: a run that leaves the server's clock locked
    (an update held while it skips, an activity in flight at the end) must not stop the clock of
    the suites after it."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN_DIR / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(env.client, "default")
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.mark.parametrize(("name", "plan"), _cases("skipping"))
async def test_corpus_file_runs_to_its_end(
    name: str, plan: ProcessPlan, corpus_env: WorkflowEnvironment, task_queue: str
) -> None:
    await _run(corpus_env, task_queue, name, plan, RUNS.get(name, Run()))


@pytest.mark.parametrize(("name", "plan"), _cases("real"))
async def test_corpus_file_runs_to_its_end_in_real_time(
    name: str, plan: ProcessPlan, temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    await _run(temporal_env, task_queue, name, plan, RUNS[name])


async def test_a_run_stops_at_a_documented_wait(
    corpus_env: WorkflowEnvironment, task_queue: str
) -> None:
    # The runner tells a wait from an end: decided before its 0.2 s timer fires, the work's
    # subprocess completes without a reason, and the parallel join after it waits for ever.
    name = "SpiffWorkflow__timer-non-interrupt-boundary.bpmn"
    plan = dict(COMPILED)[name]
    waits = frozenset({"Gateway_19fdoel"})
    run = Run(forms=RUNS[name].forms, status="waiting", waits=waits)
    await _run(corpus_env, task_queue, name, plan, run)


async def _run(
    env: WorkflowEnvironment, task_queue: str, name: str, plan: ProcessPlan, run: Run
) -> None:
    settings = settings_for_tests()
    for dmn in run.decisions:
        await deploy_dmn(settings, DMN_DIR / dmn)
    async with build_worker(
        env.client,
        task_queue=task_queue,
        settings=settings,
        extra_activities=_activities(plan, run),
    ):
        handle = await env.client.start_workflow(
            plan.process_id,
            StartInput(plan=plan, version=1, variables=run.variables, initiator="corpus-initiator"),
            id=f"corpus-{Path(name).stem}-{task_queue[-8:]}",
            task_queue=task_queue,
            result_type=InstanceState,
        )
        async with asyncio.timeout(RUN_SECONDS):
            final = await _drive(env, handle, plan, run)
        if final.status in ("running", "incident"):  # stopped: only a documented wait may
            await handle.terminate("corpus run: nothing left that the runner can move")
            assert run.status == "waiting", f"{name} stopped at {final.tokens}: document the wait"
            assert {t["node_id"] for t in final.tokens} == run.waits, final.tokens
        else:
            final = await handle.result()  # the workflow closes (the archive runs at its end)
            assert final.status == run.status, final.tokens

    if run.path is not None:
        assert _path(final) == run.path
