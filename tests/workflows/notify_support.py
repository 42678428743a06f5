"""Helpers for the notification tests: a ``notify`` activity that records what the interpreter
asks for (and fails for the people a test names), a worker with it, and inline BPMN."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.channels.routing import requested
from bpmn_compiler import compile_bpmn
from shenpi_core.contracts import InstanceState, ServiceTaskInput, TimelineEntry
from shenpi_core.process_plan import ProcessPlan
from tests.workflows.action_support import DIRECTORY_FILE
from tests.workflows.support import fake_activities, settings_for_tests
from worker import build_worker

DEFAULTS = ["task_opened", "outcome"]
BAD_USER = "WeChat error 40003: invalid userid"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<definitions'
    ' xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">\n'
)


def bpmn(process_id: str, body: str) -> ProcessPlan:
    """A plan compiled by the real compiler from a process body (its flow elements)."""
    xml = f'{HEAD}<process id="{process_id}" isExecutable="true">\n{body}\n</process></definitions>'
    return compile_bpmn(xml.encode(), source=process_id).plan


class RecordingNotify:
    """Records every notification by instance; ``unreachable`` people fail as a bad user id."""

    def __init__(self, unreachable: set[str] | None = None) -> None:
        self.calls: dict[str, list[ServiceTaskInput]] = defaultdict(list)
        self.unreachable = unreachable or set()

    @activity.defn(name="notify")
    async def notify(self, input: ServiceTaskInput) -> dict[str, Any]:
        self.calls[input.instance_id].append(input)
        named = requested(input)  # as the real activity reads them
        tasks = input.variables.get("tasks") or [{}]
        sent: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for person in named:
            for task in tasks:
                if task.get("to") is not None and person not in task["to"]:
                    continue
                entry: dict[str, Any] = {"to": person, "channel": "wechat_work"}
                if task.get("task_id"):
                    entry["task_id"] = task["task_id"]
                if person in self.unreachable:
                    failed.append({**entry, "error": BAD_USER})
                else:
                    sent.append(entry)
        result = {"notify": {"sent": sent, "failed": failed}}
        if failed and not sent:
            raise ApplicationError(
                "no recipient could be notified",
                result,
                type="NotificationRejected",
                non_retryable=True,
            )
        return result

    def of(self, handle: WorkflowHandle[Any, Any], event: str | None = None) -> list[Any]:
        """``(recipients, tasks)`` of each notification of ``event`` to ``handle``, in order."""
        return [
            (n.variables["recipients"], n.variables["tasks"])
            for n in self.calls[handle.id]
            if event is None or n.config.get("event") == event
        ]

    def events(self, handle: WorkflowHandle[Any, Any]) -> list[str]:
        return [n.config.get("event", "notify") for n in self.calls[handle.id]]


def notify_worker(
    client: Client, task_queue: str, recorder: RecordingNotify, *extra: Any
) -> Worker:
    """The production worker (the real directory on ``DIRECTORY_FILE``), notify recorded."""
    return build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(directory_file=DIRECTORY_FILE),
        extra_activities=[*fake_activities(), recorder.notify, *extra],
    )


def failures(state: InstanceState) -> list[TimelineEntry]:
    return [e for e in state.timeline if e.event == "notify_failed"]


# A task inside each instance of a multi-instance subprocess, whose notify rule names a person
# by the instance's own element (`doc` is local to the instance).
SCOPED_NOTIFY = bpmn(
    "notify_scoped",
    """
    <startEvent id="start" />
    <subProcess id="per_doc">
      <multiInstanceLoopCharacteristics>
        <extensionElements>
          <zeebe:loopCharacteristics xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
            inputCollection="= docs" inputElement="doc" />
        </extensionElements>
      </multiInstanceLoopCharacteristics>
      <startEvent id="doc_start" />
      <userTask id="check" shenpi:assignee="mona">
        <extensionElements>
          <shenpi:notify on="task_opened" to="${doc.watcher}" />
        </extensionElements>
      </userTask>
      <endEvent id="doc_end" />
      <sequenceFlow id="s1" sourceRef="doc_start" targetRef="check" />
      <sequenceFlow id="s2" sourceRef="check" targetRef="doc_end" />
    </subProcess>
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="per_doc" />
    <sequenceFlow id="f2" sourceRef="per_doc" targetRef="end" />
    """,
)
