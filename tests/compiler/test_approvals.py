"""Approval steps compile as written: the details golden files do not spell out."""

from __future__ import annotations

import pytest

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.approvals import KNOWN_ATTRIBUTES
from shenpi_core.expressions import uses_directory
from shenpi_core.process_plan import ApprovalSpec, UserTask

HEAD = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">'
    '<process id="p" isExecutable="true"><startEvent id="start" />'
)
TAIL = (
    '<endEvent id="end" /><sequenceFlow id="s1" sourceRef="start" targetRef="task" />'
    '<sequenceFlow id="s2" sourceRef="task" targetRef="end" /></process></definitions>'
)


def _approval(task_xml: str) -> ApprovalSpec | None:
    plan = compile_bpmn((HEAD + task_xml + TAIL).encode()).plan
    task = plan.node("task")
    assert isinstance(task, UserTask)
    return task.approval


def _with(attributes: str) -> str:
    return (
        '<userTask id="task" shenpi:assignee="alice"><extensionElements>'
        f"<shenpi:approval {attributes} /></extensionElements></userTask>"
    )


@pytest.mark.parametrize(
    ("due", "every", "reminders"),
    [("P3D", "P1D", 2), ("PT8H", "PT3H", 2), ("PT8H", "PT2H", 3), ("PT1H", "PT59M", 1)],
)
def test_without_remind_max_every_reminder_before_the_due_time_is_sent(
    due: str, every: str, reminders: int
) -> None:
    spec = _approval(_with(f'dueIn="{due}" remindEvery="{every}"'))
    assert spec is not None and spec.remind_max == reminders


@pytest.mark.parametrize(("text", "ratio"), [("0.6", 0.6), ("60%", 0.6), ("1", 1.0)])
def test_pass_ratio_reads_fractions_and_percentages(text: str, ratio: float) -> None:
    spec = _approval(_with(f'mode="vote" approvers="a, b, c, d, e" passRatio="{text}"'))
    assert spec is not None and spec.pass_ratio == pytest.approx(ratio)


def test_plain_task_has_no_approval() -> None:
    assert _approval('<userTask id="task" shenpi:assignee="alice" />') is None


def test_comma_list_of_approvers_is_a_list_literal_with_group_entries() -> None:
    spec = _approval(_with('mode="any" approvers=" alice,bob , group:finance "'))
    assert spec is not None and spec.approvers is not None
    assert spec.approvers.ast == {"lit": ["alice", "bob", "group:finance"]}


def test_plain_bpmn_multi_instance_reads_the_data_input_and_item() -> None:
    spec = _approval(
        '<userTask id="task" shenpi:assignee="${approver}"><multiInstanceLoopCharacteristics>'
        "<loopDataInputRef>approvers</loopDataInputRef>"
        '<inputDataItem id="approver" name="approver" />'
        "</multiInstanceLoopCharacteristics></userTask>"
    )
    assert spec == ApprovalSpec(
        mode="all",
        approvers=spec.approvers if spec else None,
        element_variable="approver",
        source="multi_instance",
    )
    assert spec is not None and spec.approvers is not None
    assert spec.approvers.ast == {"var": ["approvers"]}


def test_reject_to_a_user_task_or_the_start_event_is_accepted() -> None:
    spec = _approval(_with('rejectTo="start"'))
    assert spec is not None and spec.reject_to == "start"


def test_every_mistake_on_one_approval_is_reported_at_once() -> None:
    with pytest.raises(CompileError) as err:
        _approval(_with('mode="vote" passRatio="2" dueIn="soon" remindMax="x"'))
    messages = [d.message for d in err.value.diagnostics if d.code == "approval-attribute"]
    assert len(messages) == 4, messages


@pytest.mark.parametrize(
    "attributes",
    ['shenpi:assignee="${manager(initiator, 2)}"', "shenpi:candidateUsers=\"${members('hr')}\""],
)
def test_task_whose_assignment_asks_the_directory_resolves_it_as_step_approvers(
    attributes: str,
) -> None:
    spec = _approval(f'<userTask id="task" {attributes} />')
    assert spec is not None and spec.approvers is not None
    assert spec.mode == "single" and uses_directory(spec.approvers.ast)


def test_task_with_a_literal_assignee_stays_a_plain_task() -> None:
    assert _approval('<userTask id="task" shenpi:assignee="${boss}" />') is None


ODD_VALUES = [
    "",
    " ",
    "-1",
    "²",
    "nan",
    "inf",
    "1e309",
    "${",
    "= [",
    "PT0S",
    "P1Y",
    "P9999999999D",
    "x",
]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("name", KNOWN_ATTRIBUTES)
def test_odd_attribute_value_is_a_diagnostic_on_the_task_never_a_crash(
    name: str, value: str
) -> None:
    attributes = {"mode": "vote", "approvers": "a, b", "dueIn": "P1D", name: value}
    try:
        _approval(_with(" ".join(f'{k}="{v}"' for k, v in attributes.items())))
    except CompileError as err:
        assert err.diagnostics
        assert {(d.element_id, d.line) for d in err.diagnostics} == {("task", 1)}


def test_remind_max_longer_than_nine_digits_is_a_diagnostic() -> None:
    with pytest.raises(CompileError) as err:
        _approval(_with(f'dueIn="P1D" remindEvery="PT1H" remindMax="{"9" * 5000}"'))
    assert [d.code for d in err.value.diagnostics] == ["approval-attribute"]
