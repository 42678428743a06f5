"""The operators' metrics on /metrics of a running stack: incidents opened and resolved,
reminders, SLA breaches and escalations counted by the workflows (worker's endpoint), open and
stuck instances read from visibility (API's endpoint); and every metric the alert rules and the
Grafana dashboard use is among them.

Real servers throughout: the dev server, a worker exporting as the production worker does,
uvicorn serving the API.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
import yaml
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from tests.api import bpmn
from tests.api.conftest import Stack, api_settings, unique
from tests.api.flows import decided, deploy, start, task_of
from tests.helpers import REPO_ROOT, assert_eventually
from tests.observability.support import own_client, worker_and_api
from tests.ports import free_port
from tests.workflows.ai_support import ai_worker, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import wait_open_tasks
from worker import prometheus_config

ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "shenpi.json"
SLA = 'approvers="${who}" dueIn="PT2S" remindEvery="PT1S" remindMax="1" onTimeout="escalate" '
SLA += 'escalateTo="${boss}"'
FAILED_ONCE: set[str] = set()


@activity.defn(name="ledger-down-once")
async def ledger_down_once(arg: Any) -> dict[str, Any]:
    """Refuses the first booking of each instance for good (an incident), books the retry."""
    instance = activity.info().workflow_id or ""
    if instance not in FAILED_ONCE:
        FAILED_ONCE.add(instance)
        raise ApplicationError("ledger refused the booking", non_retryable=True)
    return {"booked": True}


def _ledger(process_id: str) -> bytes:
    return bpmn._doc(
        process_id,
        "Book",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="book"/>\n'
        '  <serviceTask id="book" name="Book" shenpi:type="ledger-down-once"/>\n'
        '  <sequenceFlow id="f2" sourceRef="book" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


async def _get(url: str) -> str:
    def get() -> str:
        with urllib.request.urlopen(url, timeout=5) as response:
            text: str = response.read().decode()
            return text

    return await asyncio.to_thread(get)


def _samples(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{")]


@pytest_asyncio.fixture
async def metered(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[Stack, str]]:
    """The stack with a worker whose client exports metrics as `shenpi worker` does."""
    port = free_port()
    runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus_config(f"127.0.0.1:{port}")))
    client = await own_client(temporal_env, runtime=runtime)
    # An instance open for a second counts as stuck here (7 days in production).
    settings = api_settings(tmp_path, stuck_instance_hours=1 / 3600)
    app = create_app(settings, temporal_client=temporal_env.client)
    # The AI steps on a queue of their own, with the fake provider of the workflow tests.
    async with (
        worker_and_api(client, settings, app, [ledger_down_once]) as stack,
        ai_worker(client, settings.task_queue + "-ai"),
    ):
        yield stack, f"http://127.0.0.1:{port}/metrics"


async def test_operators_metrics_are_counted_and_the_alert_rules_use_only_them(
    metered: tuple[Stack, str],
) -> None:
    stack, worker_metrics = metered
    sla_process, ledger_process = unique("sla"), unique("ledger")
    await deploy(stack, bpmn.approval_step(sla_process, SLA))
    await deploy(stack, _ledger(ledger_process))
    alice, boss = unique("alice"), unique("boss")
    async with stack.http(unique("ida")) as ida, stack.http("root", ["admin"]) as admin:
        sla_instance = await start(ida, sla_process, variables={"who": [alice], "boss": boss})
        booking = await start(ida, ledger_process)

        async def incident_id() -> str:
            response = await admin.get("/api/v1/incidents", params={"process_id": ledger_process})
            data = response.json()["data"]
            # An assertion, so assert_eventually polls again while visibility catches up.
            assert len(data) == 1, data
            (incident,) = data
            return str(incident["incident_id"])

        incident = await assert_eventually(incident_id, timeout=30)
        # Open instances by status are counted while the incident waits (the whole namespace's).
        await assert_eventually(lambda: _with_incident(admin), timeout=30)
        retried = await admin.post(
            f"/api/v1/instances/{booking}/incidents/{incident}/retry", json={}
        )
        assert retried.status_code == 200, retried.text
        # Reminded once, breached at the due time, escalated to the boss, who decides.
        async with stack.http(boss) as escalated_to:
            task = await task_of(escalated_to, sla_instance, escalated=True)
            await decided(escalated_to, sla_instance, task["task_id"], "approve")
    # AI: one confident review (an outcome), one below the threshold (a fallback).
    queue = stack.settings.task_queue + "-ai"
    for prompt in ("approve 0.95", "approve 0.5"):
        plan = with_ai("approval", "approve", ai={"mode": "decide", "prompt": prompt})
        handle = await start_plan(stack.temporal, plan, queue, variables={"approver": "alice"})
        if prompt.endswith("0.5"):
            await wait_open_tasks(handle, 1)
        else:
            await handle.result()

    async def counted() -> str:
        text = await _get(worker_metrics)
        by_process = f'process_id="{sla_process}"'
        assert any(by_process in x for x in _samples(text, "shenpi_reminders_sent_total")), text
        breaches = _samples(text, "shenpi_sla_breaches_total")
        assert any(by_process in x and 'on_timeout="escalate"' in x for x in breaches), breaches
        escalations = _samples(text, "shenpi_escalations_total")
        assert any(by_process in x and 'outcome="escalated"' in x for x in escalations)
        ledger = f'process_id="{ledger_process}"'
        opened = _samples(text, "shenpi_incidents_opened_total")
        assert any(ledger in x and 'kind="activity_failed"' in x for x in opened), opened
        resolved = _samples(text, "shenpi_incidents_resolved_total")
        assert any(ledger in x and 'how="retried"' in x for x in resolved), resolved
        assert _samples(text, "shenpi_ai_fallbacks_total"), text
        return text

    worker_text = await assert_eventually(counted, timeout=30)
    async with stack.http() as anyone:
        api_text = (await anyone.get("/metrics")).text
    exported = _names(worker_text) | _names(api_text)
    used = _alert_metrics() | _dashboard_metrics()
    assert used - exported == set(), f"not on any /metrics: {sorted(used - exported)}"


async def _with_incident(admin: Any) -> str:
    text: str = (await admin.get("/metrics")).text
    incident = _samples(text, "shenpi_instances_open")
    incident = [x for x in incident if 'status="incident"' in x]
    assert incident and float(incident[0].split()[-1]) >= 1, incident
    (stuck,) = [x for x in text.splitlines() if x.startswith("shenpi_instances_stuck ")]
    assert float(stuck.split()[-1]) >= 1, stuck
    return text


def _names(text: str) -> set[str]:
    """Metric names in a Prometheus text exposition (histograms by their series names)."""
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


_METRIC = re.compile(r"\b((?:shenpi|temporal)_[a-z0-9_]+)\b")


def _alert_metrics() -> set[str]:
    rules = yaml.safe_load(ALERTS.read_text())
    names: set[str] = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
            assert rule["labels"]["severity"] in ("info", "warning", "critical")
            names |= set(_METRIC.findall(rule["expr"]))
    return names


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    return {name for expr in exprs for name in _METRIC.findall(expr)}
