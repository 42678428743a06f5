"""The example processes in processes/: they compile cleanly, open in a modeler, and run.

The runs go through the real stack (API over HTTP, worker, dev server), each along a main path
of the process; the 2-day SLA escalation runs on the time-skipping server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleDescription,
    WorkflowHandle,
)
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from shenpi.devdeploy import definition_files
from shenpi.directory import YamlDirectory
from shenpi.schedules import schedule_id
from shenpi.settings import Settings
from shenpi.temporal_setup import ensure_search_attributes
from shenpi_core.contracts import (
    QUERY_STATE,
    UPDATE_DECIDE,
    DecisionInput,
    DecisionResult,
    InstanceState,
    StartInput,
)
from shenpi_core.expressions import uses_directory
from shenpi_core.process_plan import UserTask
from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.helpers import REPO_ROOT, assert_eventually, serve_asgi
from worker import build_worker

PROCESSES = sorted((REPO_ROOT / "processes").glob("*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
# Process children that are not drawn: documentation, extensions, flow references.
UNDRAWN = {
    f"{BPMN}documentation", f"{BPMN}extensionElements", f"{BPMN}laneSet", f"{BPMN}incoming",
    f"{BPMN}outgoing", f"{BPMN}multiInstanceLoopCharacteristics",
    f"{BPMN}standardLoopCharacteristics",
}  # fmt: skip
# Containers whose elements are drawn inside them (an expanded subprocess).
SCOPES = (f"{BPMN}subProcess", f"{BPMN}transaction", f"{BPMN}adHocSubProcess")


def test_the_examples_are_there() -> None:
    assert {p.name for p in PROCESSES} >= {"purchase-approval.bpmn", "leave-request.bpmn"}


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_example_compiles_without_errors_or_warnings(path: Path) -> None:
    result = compile_bpmn(path.read_bytes(), source=str(path))

    assert result.warnings == []
    assert result.plan.process_id == path.stem  # the file is named after its process


def _process_elements(container: etree._Element) -> Iterator[etree._Element]:
    """The drawable elements of a process, with those inside its subprocesses, at any depth."""
    for el in container:
        if el.tag in UNDRAWN:
            continue
        yield el
        if el.tag in SCOPES:
            yield from _process_elements(el)


def _bounds(shape: etree._Element) -> tuple[float, float, float, float]:
    box = shape.find(f"{DC}Bounds")
    assert box is not None, shape.get("id")
    x, y = float(box.get("x", "0")), float(box.get("y", "0"))
    return x, y, x + float(box.get("width", "0")), y + float(box.get("height", "0"))


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_example_has_a_diagram_element_for_every_process_element(path: Path) -> None:
    # A modeler lays out only what bpmndi describes: a missing shape is an invisible element.
    root = etree.fromstring(path.read_bytes())
    elements = {
        el.get("id") for process in root.iter(f"{BPMN}process") for el in _process_elements(process)
    }
    drawn = {
        el.get("bpmnElement")
        for el in root.iter(f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge")
    }  # fmt: skip
    assert elements and elements == drawn


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_example_subprocesses_are_drawn_expanded_around_their_elements(path: Path) -> None:
    # Collapsed, or with children outside its box, a subprocess opens in bpmn.io as a jumble.
    root = etree.fromstring(path.read_bytes())
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{BPMNDI}BPMNShape")}
    for scope in root.iter(*SCOPES):
        shape = shapes[scope.get("id")]
        assert shape.get("isExpanded") == "true", scope.get("id")
        left, top, right, bottom = _bounds(shape)
        for child in _process_elements(scope):
            if child.get("id") in shapes:  # flows are edges: their ends sit on the shapes
                x1, y1, x2, y2 = _bounds(shapes[child.get("id")])
                assert left <= x1 and x2 <= right and top <= y1 and y2 <= bottom, child.get("id")


def test_contract_approval_has_a_countersign_a_vote_and_an_or_sign() -> None:
    path = REPO_ROOT / "processes" / "contract-approval.bpmn"
    plan = compile_bpmn(path.read_bytes(), source=str(path)).plan
    steps = {
        n.id: n.approval for n in plan.nodes if isinstance(n, UserTask) and n.approval is not None
    }

    legal, board, finance = (
        steps["Task_LegalCountersign"], steps["Task_BoardVote"], steps["Task_FinanceApproval"],
    )  # fmt: skip
    assert (legal.mode, legal.reject_to) == ("all", "initiator")
    assert (board.mode, board.pass_ratio) == ("vote", 0.6)
    assert finance.mode == "any" and finance.approvers is not None
    assert uses_directory(finance.approvers.ast)  # members('finance'), resolved by the activity
    assert (finance.due_in_seconds, finance.remind_every_seconds, finance.remind_max) == (
        3 * 86400, 86400, 2,
    )  # fmt: skip
    assert finance.on_timeout == "escalate"


def test_dev_directory_knows_the_groups_and_chains_the_examples_use() -> None:
    directory = YamlDirectory(REPO_ROOT / "processes" / "directory.yaml")

    for group in ("finance", "legal", "board", "hr", "purchasing-leads", "it", "admin", "staff"):
        assert directory.members(group), group
    assert len(directory.members("board")) == 5  # a 60 % vote needs 3 of them
    assert directory.manager("alice", 3) == "dave"
    assert directory.dept_leader(directory.department("erin") or "") == "frank"


# --- Running the examples -------------------------------------------------------------------


async def _deploy_examples(stack: Stack) -> None:
    async with stack.http("ops", ["admin"]) as http:
        for path in definition_files(REPO_ROOT / "processes"):  # DMN first, as `shenpi dev`
            response = await http.post("/api/v1/definitions", content=path.read_bytes())
            assert response.status_code == 201, response.text


@pytest_asyncio.fixture
async def examples(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    """API + worker on the session's dev server, with processes/ deployed as `shenpi dev` does."""
    async with running_stack(temporal_env, api_settings(tmp_path)) as stack:
        await _deploy_examples(stack)
        yield stack


async def _start(http: httpx.AsyncClient, process_id: str, variables: dict[str, Any]) -> str:
    response = await http.post(
        f"/api/v1/processes/{process_id}/instances", json={"variables": variables}
    )
    assert response.status_code == 201, response.text
    instance_id: str = response.json()["instance_id"]
    return instance_id


async def _task(
    http: httpx.AsyncClient, instance_id: str, node_id: str, done: Collection[str] = ()
) -> dict[str, Any]:
    """The open task of ``node_id`` in the inbox of ``http``'s user (visibility lags a little:
    ``done`` are ids of tasks decided already, which the inbox may still list)."""

    async def in_inbox() -> dict[str, Any]:
        response = await http.get("/api/v1/tasks")
        assert response.status_code == 200, response.text
        mine: list[dict[str, Any]] = [
            t
            for t in response.json()["data"]
            if t["instance_id"] == instance_id
            and t["node_id"] == node_id
            and t["task_id"] not in done
        ]
        assert len(mine) == 1, response.json()
        return mine[0]

    return await assert_eventually(in_inbox)


async def _decide(
    http: httpx.AsyncClient,
    instance_id: str,
    node_id: str,
    action: str,
    variables: dict[str, Any] | None = None,
    done: Collection[str] = (),
) -> dict[str, Any]:
    task = await _task(http, instance_id, node_id, done)
    response = await http.post(
        f"/api/v1/instances/{instance_id}/tasks/{task['task_id']}/decision",
        json={"action": action, "comment": f"{action} by test", "variables": variables or {}},
    )
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


async def _finished(http: httpx.AsyncClient, instance_id: str) -> dict[str, Any]:
    async def completed() -> dict[str, Any]:
        state: dict[str, Any] = (await http.get(f"/api/v1/instances/{instance_id}")).json()
        assert state["status"] == "completed", state
        return state

    return await assert_eventually(completed)


def _path(state: dict[str, Any]) -> list[tuple[str, str | None]]:
    """What happened, in order: decisions, service tasks and the end."""
    shown = ("approved", "rejected", "service_completed", "task_cancelled", "completed")
    return [(e["event"], e["node_id"]) for e in state["timeline"] if e["event"] in shown]


async def test_purchase_up_to_5000_needs_only_the_manager(examples: Stack) -> None:
    alice, bob = unique("alice"), unique("bob")
    async with examples.http(alice) as requester, examples.http(bob) as manager:
        instance_id = await _start(
            requester, "purchase-approval", {"amount": 1200, "manager": bob, "description": "x"}
        )
        await _decide(manager, instance_id, "Task_ManagerApproval", "approve")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert _path(state) == [
        ("approved", "Task_ManagerApproval"),
        ("service_completed", "Task_NotifyApproved"),
        ("completed", None),
    ]
    assert state["variables"]["requester"] == alice  # camunda:initiator


async def test_purchase_above_5000_adds_parallel_legal_and_finance_reviews(examples: Stack) -> None:
    bob, lena, fred = unique("bob"), unique("lena"), unique("fred")
    async with (
        examples.http(unique("alice")) as requester,
        examples.http(bob) as manager,
        examples.http(lena, ["legal"]) as legal,
        examples.http(fred, ["finance"]) as finance,
    ):
        instance_id = await _start(
            requester, "purchase-approval", {"amount": 12000, "manager": bob}
        )
        await _decide(manager, instance_id, "Task_ManagerApproval", "approve")
        # Both reviews are open at once; finance answering first does not end the process.
        await _task(legal, instance_id, "Task_LegalReview")
        await _decide(finance, instance_id, "Task_FinanceReview", "approve")
        state = (await requester.get(f"/api/v1/instances/{instance_id}")).json()
        assert state["status"] == "running"
        await _decide(legal, instance_id, "Task_LegalReview", "approve")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert _path(state) == [
        ("approved", "Task_ManagerApproval"),
        ("approved", "Task_FinanceReview"),
        ("approved", "Task_LegalReview"),
        ("service_completed", "Task_NotifyApproved"),
        ("completed", None),
    ]


async def test_purchase_rejected_by_the_manager_notifies_and_ends_rejected(
    examples: Stack,
) -> None:
    bob = unique("bob")
    async with examples.http(unique("alice")) as requester, examples.http(bob) as manager:
        instance_id = await _start(requester, "purchase-approval", {"amount": 9000, "manager": bob})
        await _decide(manager, instance_id, "Task_ManagerApproval", "reject")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "rejected"
    assert _path(state) == [
        ("rejected", "Task_ManagerApproval"),
        ("service_completed", "Task_NotifyRejected"),
        ("completed", None),
    ]


async def test_purchase_rejected_in_review_ends_rejected_and_cancels_the_other_review(
    examples: Stack,
) -> None:
    bob = unique("bob")
    async with (
        examples.http(unique("alice")) as requester,
        examples.http(bob) as manager,
        examples.http(unique("lena"), ["legal"]) as legal,
    ):
        instance_id = await _start(requester, "purchase-approval", {"amount": 7000, "manager": bob})
        await _decide(manager, instance_id, "Task_ManagerApproval", "approve")
        await _decide(legal, instance_id, "Task_LegalReview", "reject")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "rejected"
    assert _path(state) == [
        ("approved", "Task_ManagerApproval"),
        ("rejected", "Task_LegalReview"),
        ("task_cancelled", "Task_FinanceReview"),
        ("completed", None),
    ]


@pytest.mark.parametrize(
    ("amount", "department", "level"),
    [(500, "sales", "team-lead"), (25000, "finance", "cfo"), (25000, "it", "director")],
)
async def test_purchase_request_is_approved_by_the_level_the_dmn_table_gives(
    examples: Stack, amount: int, department: str, level: str
) -> None:
    async with (
        examples.http(unique("alice")) as requester,
        examples.http(unique("approver"), [level]) as approver,
    ):
        variables = {"amount": amount, "department": department, "description": "x"}
        instance_id = await _start(requester, "purchase-request", variables)
        await _decide(approver, instance_id, "Task_Approve", "approve")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert state["variables"]["approverLevel"] == level
    evaluated = [e for e in state["timeline"] if e["event"] == "decision_evaluated"]
    assert [(e["node_id"], e["details"]["decision_id"]) for e in evaluated] == [
        ("Task_ApproverLevel", "approver-level")
    ]
    assert _path(state) == [("approved", "Task_Approve"), ("completed", None)]


async def test_purchase_request_the_ceo_approves_tells_the_board(examples: Stack) -> None:
    async with (
        examples.http(unique("alice")) as requester,
        examples.http(unique("dora"), ["ceo"]) as ceo,
        examples.http(unique("tom"), ["team-lead"]) as lead,
    ):
        instance_id = await _start(requester, "purchase-request", {"amount": 150000})
        await _decide(ceo, instance_id, "Task_Approve", "approve")
        state = await _finished(requester, instance_id)
        small = await _start(requester, "purchase-request", {"amount": 90})
        await _decide(lead, small, "Task_Approve", "reject")
        rejected = await _finished(requester, small)

    assert _path(state) == [
        ("approved", "Task_Approve"),
        ("service_completed", "Task_TellBoard"),
        ("completed", None),
    ]
    assert rejected["outcome"] == "rejected"
    assert rejected["variables"]["approverLevel"] == "team-lead"


@pytest.mark.parametrize(
    ("days", "hr", "outcome"),
    [(2, None, "approved"), (5, "approve", "approved"), (5, "reject", "rejected")],
)
async def test_leave_request_needs_hr_only_above_3_days(
    examples: Stack, days: int, hr: str | None, outcome: str
) -> None:
    lead = unique("tina")
    async with (
        examples.http(unique("emma")) as employee,
        examples.http(lead) as team_lead,
        examples.http(unique("hana"), ["hr"]) as hr_member,
    ):
        instance_id = await _start(employee, "leave-request", {"days": days, "teamLead": lead})
        await _decide(team_lead, instance_id, "Task_TeamLeadApproval", "approve")
        if hr:
            await _decide(hr_member, instance_id, "Task_HrApproval", hr)
        state = await _finished(employee, instance_id)

    assert state["outcome"] == outcome
    decided = [("approved", "Task_TeamLeadApproval")]
    if hr:
        decided.append(({"approve": "approved", "reject": "rejected"}[hr], "Task_HrApproval"))
    assert _path(state) == [
        *decided,
        ("service_completed", "Task_NotifyEmployee"),
        ("completed", None),
    ]


async def test_leave_rejected_by_the_team_lead_skips_hr_and_still_notifies(
    examples: Stack,
) -> None:
    lead = unique("tina")
    async with examples.http(unique("emma")) as employee, examples.http(lead) as team_lead:
        instance_id = await _start(employee, "leave-request", {"days": 10, "teamLead": lead})
        await _decide(team_lead, instance_id, "Task_TeamLeadApproval", "reject")
        state = await _finished(employee, instance_id)

    assert state["outcome"] == "rejected"
    assert _path(state) == [
        ("rejected", "Task_TeamLeadApproval"),
        ("service_completed", "Task_NotifyEmployee"),
        ("completed", None),
    ]


# --- The purchase order: reviews chosen by an inclusive split, a card payment over HTTP -------

PURCHASE_ORDER = REPO_ROOT / "processes" / "purchase-order.bpmn"
PAYMENT_URL = "https://payments.example.com/v1/charges"  # the placeholder in the example


class CardProcessor:
    """A payment service on a local port, reached by the shipped ``http`` activity as a real one
    would be: it answers 402 for a card in ``declined`` (the task maps 402 to ``card_declined``)
    and a charge id otherwise."""

    def __init__(self, declined: set[str]) -> None:
        self.declined = declined
        self.charges: list[dict[str, Any]] = []  # every request body, in order
        self.app = Starlette(routes=[Route("/v1/charges", self._charge, methods=["POST"])])

    async def _charge(self, request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        self.charges.append(body)
        if body.get("card") in self.declined:
            return JSONResponse({"error": "card_declined"}, status_code=402)
        return JSONResponse({"charge_id": f"ch_{len(self.charges)}"})

    def cards(self) -> list[Any]:
        return [c.get("card") for c in self.charges]


def _purchase_order_paying(url: str) -> bytes:
    """The example as an operator deploys it: the payment URL pointed at their service."""
    source = PURCHASE_ORDER.read_text(encoding="utf-8")
    assert PAYMENT_URL in source
    return source.replace(PAYMENT_URL, f"{url}/v1/charges").encode()


@pytest_asyncio.fixture
async def orders(examples: Stack) -> AsyncIterator[tuple[Stack, CardProcessor]]:
    """The examples' stack with purchase-order redeployed against a local card processor."""
    processor = CardProcessor(declined={"expired-card", "blocked-card"})
    async with serve_asgi(processor.app, lifespan="off") as url:
        async with examples.http("ops", ["admin"]) as http:
            response = await http.post("/api/v1/definitions", content=_purchase_order_paying(url))
            assert response.status_code == 201, response.text
        yield examples, processor


def _errors(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["details"] for e in state["timeline"] if e["event"] == "error_thrown"]


async def test_purchase_order_runs_the_two_reviews_it_needs_then_pays(
    orders: tuple[Stack, CardProcessor],
) -> None:
    stack, processor = orders
    variables = {"amount": 24000, "category": "software", "contractAttached": False,
                 "supplier": "Acme", "card": "corp-visa"}  # fmt: skip
    async with (
        stack.http(unique("alice")) as requester,
        stack.http(unique("fred"), ["finance"]) as finance,
        stack.http(unique("kevin"), ["it"]) as it,
    ):
        instance_id = await _start(requester, "purchase-order", variables)
        # Above 10,000 and software: finance and IT review side by side; no contract, no legal.
        await _task(it, instance_id, "Task_ItReview")
        await _decide(finance, instance_id, "Task_FinanceReview", "approve")
        state = (await requester.get(f"/api/v1/instances/{instance_id}")).json()
        assert state["status"] == "running" and processor.charges == []  # the join waits for IT
        await _decide(it, instance_id, "Task_ItReview", "approve")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert _path(state) == [
        ("approved", "Task_FinanceReview"),
        ("approved", "Task_ItReview"),
        ("service_completed", "Task_PaySupplier"),
        ("completed", None),
    ]
    assert {t["node_id"] for t in state["tasks"]} == {"Task_FinanceReview", "Task_ItReview"}
    assert processor.cards() == ["corp-visa"] and state["variables"]["charge_id"] == "ch_1"
    events = [e["event"] for e in state["timeline"]]
    assert events.count("subprocess_started") == events.count("subprocess_completed") == 1


async def test_purchase_order_with_a_declined_card_goes_back_to_the_requester_to_fix_it(
    orders: tuple[Stack, CardProcessor],
) -> None:
    stack, processor = orders
    variables = {"amount": 800, "category": "hardware", "contractAttached": True,
                 "supplier": "Acme", "card": "expired-card"}  # fmt: skip
    async with (
        stack.http(unique("alice")) as requester,
        stack.http(unique("lena"), ["legal"]) as legal,
    ):
        instance_id = await _start(requester, "purchase-order", variables)
        await _decide(legal, instance_id, "Task_LegalReview", "approve")
        # The processor answers 402: the card_declined boundary hands the request back, as
        # often as the card is declined.
        fixed: list[str] = []
        for card in ("blocked-card", "corp-visa"):
            decided = await _decide(
                requester, instance_id, "Task_FixPayment", "approve", {"card": card}, fixed
            )
            fixed.append(decided["task"]["task_id"])
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert _path(state) == [
        ("approved", "Task_LegalReview"),
        ("approved", "Task_FixPayment"),
        ("approved", "Task_FixPayment"),
        ("service_completed", "Task_PaySupplier"),
        ("completed", None),
    ]
    errors = _errors(state)
    assert [(e["code"], e["caught_by"]) for e in errors] == [
        ("card_declined", "Error_PaymentDeclined")
    ] * 2
    assert "HTTP 402" in str(errors[0]["message"])
    assert processor.cards() == ["expired-card", "blocked-card", "corp-visa"]
    assert state["variables"]["card"] == "corp-visa"


async def test_purchase_order_needing_no_review_goes_to_a_purchasing_lead(
    orders: tuple[Stack, CardProcessor],
) -> None:
    stack, processor = orders
    variables = {"amount": 300, "category": "hardware", "contractAttached": False,
                 "card": "corp-visa"}  # fmt: skip
    async with (
        stack.http(unique("alice")) as requester,
        stack.http(unique("oscar"), ["purchasing-leads"]) as lead,
    ):
        instance_id = await _start(requester, "purchase-order", variables)
        await _decide(lead, instance_id, "Task_LeadReview", "approve")  # the split's default
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "approved"
    assert [t["node_id"] for t in state["tasks"]] == ["Task_LeadReview"]
    assert processor.cards() == ["corp-visa"]


async def test_purchase_order_rejected_in_review_ends_rejected_without_paying(
    orders: tuple[Stack, CardProcessor],
) -> None:
    stack, processor = orders
    variables = {"amount": 50000, "category": "services", "contractAttached": True,
                 "card": "corp-visa"}  # fmt: skip
    async with (
        stack.http(unique("alice")) as requester,
        stack.http(unique("lena"), ["legal"]) as legal,
        stack.http(unique("fred"), ["finance"]) as finance,
    ):
        instance_id = await _start(requester, "purchase-order", variables)
        await _task(finance, instance_id, "Task_FinanceReview")
        await _decide(legal, instance_id, "Task_LegalReview", "reject")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == "rejected"
    assert _path(state) == [
        ("rejected", "Task_LegalReview"),
        ("task_cancelled", "Task_FinanceReview"),
        ("completed", None),
    ]
    assert processor.charges == []


# --- The SLA timer, on the time-skipping server: two days pass in milliseconds -------------


async def test_purchase_manager_silent_for_2_days_hands_over_to_purchasing_leads(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    env = time_skipping_env
    await ensure_search_attributes(env.client, "default")
    plan = compile_bpmn((REPO_ROOT / "processes" / "purchase-approval.bpmn").read_bytes()).plan
    settings = Settings(_env_file=None, env="test")
    async with build_worker(env.client, task_queue=task_queue, settings=settings):
        handle = await env.client.start_workflow(
            plan.process_id,
            StartInput(plan=plan, version=1, variables={"amount": 300, "manager": "bob"},
                       initiator="alice"),
            id=f"purchase-sla-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            result_type=InstanceState,
        )  # fmt: skip

        async def open_nodes() -> list[str]:
            state = await handle.query(QUERY_STATE, result_type=InstanceState)
            return [t.node_id for t in state.tasks if t.status == "open"]

        async def manager_waits() -> None:
            assert await open_nodes() == ["Task_ManagerApproval"]

        await assert_eventually(manager_waits)
        await env.sleep(timedelta(days=2, minutes=1))

        async def lead_took_over() -> None:
            assert await open_nodes() == ["Task_LeadApproval"]

        await assert_eventually(lead_took_over)
        state = await handle.query(QUERY_STATE, result_type=InstanceState)
        lead_task = next(t for t in state.tasks if t.status == "open")
        assert lead_task.candidate_groups == ["purchasing-leads"]
        await handle.execute_update(
            UPDATE_DECIDE,
            DecisionInput(task_id=lead_task.task_id, action="approve", actor="lee",
                          groups=["purchasing-leads"]),
            result_type=DecisionResult,
        )  # fmt: skip
        final = await handle.result()

    assert (final.status, final.outcome) == ("completed", "approved")
    manager_task = next(t for t in final.tasks if t.node_id == "Task_ManagerApproval")
    assert manager_task.status == "cancelled"
    assert [e.event for e in final.timeline if e.node_id == "Timer_ManagerSla"] == ["timer_fired"]


async def test_contract_runs_countersign_then_vote_then_finance_or_sign(examples: Stack) -> None:
    legal_team = [unique("grace"), unique("heidi")]
    board = [unique(name) for name in ("dave", "carol", "frank", "heidi", "peggy")]
    variables = {"title": "x", "amount": 1, "legal_team": legal_team, "board_members": board}
    async with examples.http(unique("alice")) as initiator:
        instance_id = await _start(initiator, "contract-approval", variables)
        for lawyer in legal_team:  # 会签: both must approve
            async with examples.http(lawyer) as http:
                await _decide(http, instance_id, "Task_LegalCountersign", "approve")
        # 票签 at 60 % of 5: the third approval passes, whatever the others would say.
        for member, action in zip(
            board[:4], ["approve", "reject", "approve", "approve"], strict=True
        ):
            async with examples.http(member) as http:
                await _decide(http, instance_id, "Task_BoardVote", action)
        # 或签 among the directory's finance group (processes/directory.yaml): erin decides.
        async with examples.http("erin", ["finance"]) as erin:
            await _decide(erin, instance_id, "Task_FinanceApproval", "approve")
        state = await _finished(initiator, instance_id)

    assert state["outcome"] == "approved"
    by_node: dict[str, list[str]] = {}
    for task in state["tasks"]:
        by_node.setdefault(task["node_id"], []).append(task["outcome"])
    assert by_node == {
        "Task_LegalCountersign": ["approved", "approved"],
        "Task_BoardVote": ["approved", "rejected", "approved", "approved", "closed"],
        "Task_FinanceApproval": ["closed", "approved"],  # frank's task closed unanswered
    }


async def test_contract_board_vote_fails_once_60_percent_is_out_of_reach(examples: Stack) -> None:
    lawyer = unique("grace")
    board = [unique(name) for name in ("dave", "carol", "frank", "heidi", "peggy")]
    variables = {"legal_team": [lawyer], "board_members": board}
    async with examples.http(unique("alice")) as initiator:
        instance_id = await _start(initiator, "contract-approval", variables)
        async with examples.http(lawyer) as http:
            await _decide(http, instance_id, "Task_LegalCountersign", "approve")
        for member, action in zip(
            board[:4], ["reject", "approve", "reject", "reject"], strict=True
        ):
            async with examples.http(member) as http:
                await _decide(http, instance_id, "Task_BoardVote", action)
        state = await _finished(initiator, instance_id)

    assert state["outcome"] == "rejected"
    votes = [t["outcome"] for t in state["tasks"] if t["node_id"] == "Task_BoardVote"]
    assert votes == ["rejected", "approved", "rejected", "rejected", "closed"]
    assert not [t for t in state["tasks"] if t["node_id"] == "Task_FinanceApproval"]


async def test_contract_rejected_by_legal_goes_back_to_the_initiator_who_resubmits(
    examples: Stack,
) -> None:
    lawyers = [unique("grace"), unique("heidi")]
    alice = unique("alice")
    variables = {"title": "draft", "legal_team": lawyers, "board_members": [unique("dave")]}
    async with examples.http(alice) as initiator:
        instance_id = await _start(initiator, "contract-approval", variables)
        async with examples.http(lawyers[0]) as http:
            await _decide(http, instance_id, "Task_LegalCountersign", "reject")
        rework = await _task(initiator, instance_id, "Task_LegalCountersign")
        assert rework["kind"] == "resubmit"
        response = await initiator.post(
            f"/api/v1/instances/{instance_id}/tasks/{rework['task_id']}/decision",
            json={"action": "resubmit", "variables": {"title": "final"}},
        )
        assert response.status_code == 200, response.text
        for lawyer in lawyers:  # the countersign opens again, with fresh tasks
            async with examples.http(lawyer) as http:
                await _decide(http, instance_id, "Task_LegalCountersign", "approve")

        async def at_the_board() -> dict[str, Any]:
            state: dict[str, Any] = (await initiator.get(f"/api/v1/instances/{instance_id}")).json()
            assert any(t["node_id"] == "Task_BoardVote" for t in state["tasks"]), state
            return state

        state = await assert_eventually(at_the_board)

    assert state["status"] == "running" and state["variables"]["title"] == "final"
    legal = [t for t in state["tasks"] if t["node_id"] == "Task_LegalCountersign"]
    assert [(t["kind"], t["outcome"]) for t in legal] == [
        ("approval", "rejected"),
        ("approval", "closed"),
        ("resubmit", "resubmitted"),
        ("approval", "approved"),
        ("approval", "approved"),
    ]


async def test_contract_finance_silent_for_3_days_is_reminded_twice_then_escalated(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    env = time_skipping_env
    await ensure_search_attributes(env.client, "default")
    plan = compile_bpmn((REPO_ROOT / "processes" / "contract-approval.bpmn").read_bytes()).plan
    settings = Settings(
        _env_file=None, env="test"
    )  # processes/directory.yaml: finance is frank, erin
    variables = {"legal_team": ["grace"], "board_members": ["peggy"]}
    async with build_worker(env.client, task_queue=task_queue, settings=settings):
        handle = await env.client.start_workflow(
            plan.process_id,
            StartInput(plan=plan, version=1, variables=variables, initiator="alice"),
            id=f"contract-sla-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            result_type=InstanceState,
        )

        async def open_tasks(node_id: str, count: int) -> list[Any]:
            state = await handle.query(QUERY_STATE, result_type=InstanceState)
            tasks = [t for t in state.tasks if t.status == "open" and t.node_id == node_id]
            assert len(tasks) == count, state.tasks
            return tasks

        for node_id, actor in (("Task_LegalCountersign", "grace"), ("Task_BoardVote", "peggy")):
            (task,) = await assert_eventually(partial(open_tasks, node_id, 1))
            await handle.execute_update(
                UPDATE_DECIDE,
                DecisionInput(task_id=task.task_id, action="approve", actor=actor),
                result_type=DecisionResult,
            )
        await assert_eventually(partial(open_tasks, "Task_FinanceApproval", 2))
        await env.sleep(timedelta(days=3, minutes=1))

        async def escalated() -> list[Any]:
            tasks = await open_tasks("Task_FinanceApproval", 2)
            assert all(t.escalated for t in tasks), tasks
            return tasks

        tasks = await assert_eventually(escalated)
        assert [(t.assignee, t.reminders_sent) for t in tasks] == [("dave", 2), ("frank", 2)]
        await handle.execute_update(
            UPDATE_DECIDE,
            DecisionInput(task_id=tasks[0].task_id, action="approve", actor="dave"),
            result_type=DecisionResult,
        )
        final = await handle.result()

    assert (final.status, final.outcome) == ("completed", "approved")
    events = [e.event for e in final.timeline if e.node_id == "Task_FinanceApproval"]
    assert events.count("reminded") == 4 and events.count("escalated") == 2


@asynccontextmanager
async def _order_on(
    env: WorkflowEnvironment, task_queue: str, processor: CardProcessor, **options: Any
) -> AsyncIterator[WorkflowHandle[Any, InstanceState]]:
    """A purchase order for 24,000 of software with a contract (all three reviews), started on
    ``env`` beside a worker and ``processor``; ``options`` go to its ``StartInput``."""
    await ensure_search_attributes(env.client, "default")
    settings = Settings(_env_file=None, env="test")
    variables = {"amount": 24000, "category": "software", "contractAttached": True,
                 "card": "corp-visa"}  # fmt: skip
    async with (
        serve_asgi(processor.app, lifespan="off") as url,
        build_worker(env.client, task_queue=task_queue, settings=settings),
    ):
        plan = compile_bpmn(_purchase_order_paying(url)).plan
        yield await env.client.start_workflow(
            plan.process_id,
            StartInput(plan=plan, version=1, variables=variables, initiator="alice", **options),
            id=f"purchase-order-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            result_type=InstanceState,
        )


async def _open_nodes(handle: WorkflowHandle[Any, InstanceState], expected: list[str]) -> list[Any]:
    state = await handle.query(QUERY_STATE, result_type=InstanceState)
    tasks = [t for t in state.tasks if t.status == "open"]
    assert sorted(t.node_id for t in tasks) == expected, state.tasks
    return tasks


async def _approve(
    handle: WorkflowHandle[Any, InstanceState], node_id: str, actor: str, group: str, **fields: Any
) -> None:
    state = await handle.query(QUERY_STATE, result_type=InstanceState)
    task = next(t for t in state.tasks if t.status == "open" and t.node_id == node_id)
    await handle.execute_update(
        UPDATE_DECIDE,
        DecisionInput(task_id=task.task_id, action="approve", actor=actor, groups=[group],
                      **fields),
        result_type=DecisionResult,
    )  # fmt: skip


REVIEWS = ["Task_FinanceReview", "Task_ItReview", "Task_LegalReview"]


async def test_purchase_order_reviews_open_for_5_days_are_cancelled_and_a_lead_decides(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    env, processor = time_skipping_env, CardProcessor(declined=set())
    async with _order_on(env, task_queue, processor) as handle:
        await assert_eventually(partial(_open_nodes, handle, REVIEWS))
        # Two reviews approve and wait at the inclusive join; finance stays silent.
        await _approve(handle, "Task_LegalReview", "lena", "legal")
        await _approve(handle, "Task_ItReview", "kevin", "it")
        await env.sleep(timedelta(days=5, minutes=1))
        await assert_eventually(partial(_open_nodes, handle, ["Task_OverdueDecision"]))
        state = await handle.query(QUERY_STATE, result_type=InstanceState)
        assert [t["node_id"] for t in state.tokens] == ["Task_OverdueDecision"]  # join emptied
        await _approve(handle, "Task_OverdueDecision", "oscar", "purchasing-leads")
        final = await handle.result()

    assert (final.status, final.outcome) == ("completed", "approved")
    assert {t.node_id: t.outcome for t in final.tasks if t.node_id in REVIEWS} == {
        "Task_FinanceReview": "timeout", "Task_ItReview": "approved",
        "Task_LegalReview": "approved",
    }  # fmt: skip
    assert [e.event for e in final.timeline if e.node_id == "Timer_ReviewsOverdue"] == [
        "timer_fired"
    ]
    assert processor.cards() == ["corp-visa"]


async def test_purchase_order_continues_as_new_with_reviews_waiting_at_the_join(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    # The scope token, its armed timer and the tokens parked at the inclusive join carry over.
    env, processor = time_skipping_env, CardProcessor(declined={"corp-visa"})
    async with _order_on(env, task_queue, processor, max_history_events=8) as handle:
        first_run = (await handle.describe()).run_id
        await assert_eventually(partial(_open_nodes, handle, REVIEWS))
        # Each approval waits at the join; the history is over its limit by the second at the
        # latest (how many events the first activation writes varies), which continues as new.
        await _approve(handle, "Task_LegalReview", "lena", "legal")
        await _approve(handle, "Task_ItReview", "kevin", "it")

        async def continued() -> None:
            assert (await handle.describe()).run_id != first_run

        await assert_eventually(continued)
        await _approve(handle, "Task_FinanceReview", "fred", "finance")  # the join fires
        await assert_eventually(partial(_open_nodes, handle, ["Task_FixPayment"]))
        await _approve(handle, "Task_FixPayment", "alice", "", variables={"card": "other-visa"})
        final = await handle.result()

    assert (final.status, final.outcome) == ("completed", "approved")
    assert [t.outcome for t in final.tasks if t.node_id in REVIEWS] == ["approved"] * 3
    assert processor.cards() == ["corp-visa", "other-visa"]
    assert not [e for e in final.timeline if e.node_id == "Timer_ReviewsOverdue"]


# --- A call activity: the supplier contract's legal review is the legal-review process ----------


async def _child_of(http: httpx.AsyncClient, caller_id: str, node_id: str) -> str:
    """The instance a call activity of ``caller_id`` started, from the inbox's tasks: the child's
    id is ``<caller>.<call activity>.<n>`` (docs/interpreter.md "Call activities")."""

    async def listed() -> str:
        response = await http.get("/api/v1/tasks")
        ids = {
            t["instance_id"]
            for t in response.json()["data"]
            if t["instance_id"].startswith(f"{caller_id}.") and t["node_id"] == node_id
        }
        assert len(ids) == 1, response.json()
        return str(ids.pop())

    return await assert_eventually(listed)


@pytest.mark.parametrize("verdict", ["approve", "reject"])
async def test_supplier_contract_calls_the_legal_review_whose_verdict_decides(
    examples: Stack, verdict: str
) -> None:
    lena, oscar = unique("lena"), unique("oscar")
    variables = {"supplier": "Acme", "contractValue": 12000}
    async with (
        examples.http(unique("alice")) as requester,
        examples.http(lena, ["legal"]) as legal,
        examples.http(oscar, ["purchasing-leads"]) as lead,
    ):
        instance_id = await _start(requester, "supplier-contract", variables)
        child_id = await _child_of(legal, instance_id, "Task_ReviewContract")
        child = (await legal.get(f"/api/v1/instances/{child_id}")).json()
        assert child["process_id"] == "legal-review"
        assert child["called_by"] == {
            "workflow_id": instance_id, "node_id": "Call_LegalReview", "token_id": "t1",
        }  # fmt: skip
        assert child["variables"]["supplier"] == "Acme"
        await _decide(legal, child_id, "Task_ReviewContract", verdict, {"legalNote": "standard"})
        if verdict == "approve":
            await _decide(lead, instance_id, "Task_SignContract", "approve")
        state = await _finished(requester, instance_id)

    assert state["outcome"] == ("approved" if verdict == "approve" else "rejected")
    assert state["variables"]["legalNote"] == "standard"  # camunda:out
    calls = [e for e in state["timeline"] if e["event"] in ("call_started", "call_completed")]
    assert [(e["event"], e["details"]["instance_id"]) for e in calls] == [
        ("call_started", child_id), ("call_completed", child_id),
    ]  # fmt: skip
    signed = [t["node_id"] for t in state["tasks"]]
    assert signed == (["Task_SignContract"] if verdict == "approve" else [])


async def test_contract_signing_waits_for_the_counterpartys_signature_message(
    examples: Stack,
) -> None:
    """The e-signature platform publishes "contract-signed" keyed by the contract number; one
    that arrives before legal approved is kept (ttl) and taken when the wait begins."""
    alice, lena = unique("alice"), unique("lena")
    signed_early, signed_later = unique("HT"), unique("HT")
    async with (
        examples.http(alice) as requester,
        examples.http(lena, ["legal"]) as legal,
        examples.http("esign", ["admin"]) as platform,
    ):
        early = await _start(requester, "contract-signing", {"contract_no": signed_early})
        later = await _start(requester, "contract-signing", {"contract_no": signed_later})
        kept = await platform.post(
            "/api/v1/messages",
            json={"name": "contract-signed", "correlation_key": signed_early, "ttl": "P1D",
                  "variables": {"signed_by": "Acme"}},
        )  # fmt: skip
        assert kept.status_code == 200 and kept.json()["buffered"], kept.text
        for instance_id in (early, later):
            await _decide(legal, instance_id, "Task_LegalApproves", "approve")
        first = await _finished(requester, early)

        async def waiting() -> None:
            state = (await requester.get(f"/api/v1/instances/{later}")).json()
            assert state["status"] == "running"
            published = await platform.post(
                "/api/v1/messages",
                json={"name": "contract-signed", "correlation_key": signed_later},
            )
            assert published.json()["correlated"] == [later], published.text

        await assert_eventually(waiting)
        second = await _finished(requester, later)

    assert first["variables"]["signed_by"] == "Acme"
    for state in (first, second):
        events = [(e["event"], e["node_id"]) for e in state["timeline"]]
        assert ("message_received", "Event_Signed") in events
        assert state["outcome"] == "approved"


# --- The monthly expense-report reminder: nobody starts it, its Temporal Schedule does ---------


def _started_by(schedule: ScheduleDescription) -> set[str]:
    """The instances a Schedule's recent actions started."""
    return {
        a.action.workflow_id
        for a in schedule.info.recent_actions
        if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
    }


async def test_expense_report_reminder_is_started_by_its_monthly_schedule(examples: Stack) -> None:
    handle = examples.temporal.get_schedule_handle(
        schedule_id("expense-report-reminder", "StartEvent_MonthStarts")
    )
    described = await handle.describe()
    assert [(t.day, t.hour, t.minute) for t in described.info.next_action_times[:3]] == [
        (1, 9, 0)
    ] * 3  # 09:00 on the first of each month, UTC by default
    earlier = _started_by(described)
    # Fired by hand: the next first of the month is weeks away, and the time-skipping server
    # has no Schedules.
    await handle.trigger()

    async def started() -> str:
        [instance_id] = _started_by(await handle.describe()) - earlier
        return instance_id

    instance_id = await assert_eventually(started)
    async with examples.http("erin", ["finance"]) as finance:
        await _decide(finance, instance_id, "Task_CloseExpenses", "approve")
        state = await _finished(finance, instance_id)

    assert state["variables"]["initiator"] == "scheduler"
    assert _path(state) == [
        ("service_completed", "Task_RemindStaff"),
        ("approved", "Task_CloseExpenses"),
        ("completed", None),
    ]
    staff = YamlDirectory(REPO_ROOT / "processes" / "directory.yaml").members("staff")
    assert {s["to"] for s in state["variables"]["notify"]["sent"]} == set(staff)
