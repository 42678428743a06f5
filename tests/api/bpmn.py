"""Small BPMN documents for the API tests, built per test with unique process ids."""

from __future__ import annotations

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0"'
    ' targetNamespace="http://shenpi.dev/tests">\n'
)


def _doc(process_id: str, name: str, body: str) -> bytes:
    process = f'<process id="{process_id}" name="{name}" isExecutable="true">\n{body}</process>\n'
    return (HEAD + process + "</definitions>\n").encode()


def single_approval(process_id: str, *, name: str = "Expense") -> bytes:
    """start → one user task assigned to the variable ``manager`` → end."""
    return _doc(
        process_id,
        name,
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Manager approval" shenpi:assignee="${manager}"/>\n'
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def group_approval(process_id: str, group: str) -> bytes:
    """start → one user task for a candidate group → end."""
    return _doc(
        process_id,
        "Group review",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="review"/>\n'
        f'  <userTask id="review" name="Review" shenpi:candidateGroups="{group}"/>\n'
        '  <sequenceFlow id="f2" sourceRef="review" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def no_start(process_id: str) -> bytes:
    return _doc(
        process_id,
        "No start",
        '  <userTask id="approve" shenpi:assignee="alice"/>\n'
        '  <sequenceFlow id="f1" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def cycle_without_exit(process_id: str) -> bytes:
    """Two tasks that hand the token back and forth forever; the end is unreachable."""
    return _doc(
        process_id,
        "Endless",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="a"/>\n'
        '  <userTask id="a" shenpi:assignee="alice"/>\n'
        '  <sequenceFlow id="f2" sourceRef="a" targetRef="b"/>\n'
        '  <userTask id="b" shenpi:assignee="bob"/>\n'
        '  <sequenceFlow id="f3" sourceRef="b" targetRef="a"/>\n'
        '  <endEvent id="end"/>\n',
    )


def bad_condition(process_id: str) -> bytes:
    return _doc(
        process_id,
        "Bad condition",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>\n'
        '  <exclusiveGateway id="gw" default="f3"/>\n'
        '  <sequenceFlow id="f2" sourceRef="gw" targetRef="end">\n'
        "    <conditionExpression>${amount &gt;&gt; (}</conditionExpression>\n"
        "  </sequenceFlow>\n"
        '  <sequenceFlow id="f3" sourceRef="gw" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def xxe(process_id: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
        f'<process id="{process_id}" name="&xxe;"><startEvent id="s"/></process>\n'
        "</definitions>\n"
    ).encode()


def billion_laughs(process_id: str) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n'
        f"<!DOCTYPE definitions [{''.join(entities)}]>\n"
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
        f'<process id="{process_id}" name="&lol9;"><startEvent id="s"/></process>\n'
        "</definitions>\n"
    ).encode()


def approval_step(process_id: str, approval: str, *, name: str = "Approval") -> bytes:
    """start (variable ``initiator``) → a user task with ``<shenpi:approval {approval}/>`` → end."""
    return _doc(
        process_id,
        name,
        '  <startEvent id="start" shenpi:initiator="initiator"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="step"/>\n'
        '  <userTask id="step" name="Approve">\n'
        f"    <extensionElements><shenpi:approval {approval}/></extensionElements>\n"
        "  </userTask>\n"
        '  <sequenceFlow id="f2" sourceRef="step" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def purchase_countersign(process_id: str) -> bytes:
    """采购: a 会签 (``all``) of ``${signers}``; a reject goes back to the initiator to resubmit."""
    return approval_step(
        process_id, 'mode="all" approvers="${signers}" rejectTo="initiator"', name="Purchase"
    )


def vote(process_id: str) -> bytes:
    """票签: ``${voters}`` vote, 60 % of approvals pass."""
    return approval_step(process_id, 'mode="vote" passRatio="60%" approvers="${voters}"')


def any_of(process_id: str) -> bytes:
    """或签: the first approval of ``${approvers}`` wins."""
    return approval_step(process_id, 'mode="any" approvers="${approvers}"')


def manager_approval(process_id: str) -> bytes:
    """依次审批 by the initiator's manager, then theirs: both found in the directory."""
    return approval_step(
        process_id, 'mode="sequential" approvers="= [manager(initiator), manager(initiator, 2)]"'
    )
