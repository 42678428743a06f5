"""The processes the crash tests run: service tasks (``http``, a drawn ``notify``) and approvals."""

from __future__ import annotations

from tests.api.bpmn import HEAD


def _doc(process_id: str, body: str) -> bytes:
    process = f'<process id="{process_id}" isExecutable="true">\n{body}</process>\n'
    return (HEAD + process + "</definitions>\n").encode()


def _notify_task(node_id: str) -> str:
    return (
        f'  <serviceTask id="{node_id}" name="Tell bob" shenpi:type="notify">\n'
        "    <extensionElements>\n"
        '      <shenpi:header key="message" value="请审批 Please review"/>\n'
        '      <shenpi:header key="to" value="bob"/>\n'
        "    </extensionElements>\n"
        "  </serviceTask>\n"
    )


def notify_only(process_id: str) -> bytes:
    """start → a drawn notify task → end."""
    return _doc(
        process_id,
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="tell"/>\n'
        + _notify_task("tell")
        + '  <sequenceFlow id="f2" sourceRef="tell" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


def purchase(process_id: str, effect_url: str) -> bytes:
    """start → ``http`` call → drawn notify → manager (``${manager}``) → finance (frank) → end.

    A reject at either task ends the instance ``rejected``.
    """
    return _doc(
        process_id,
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="book"/>\n'
        '  <serviceTask id="book" name="Book the budget" shenpi:type="http">\n'
        "    <extensionElements>\n"
        f'      <shenpi:header key="url" value="{effect_url}"/>\n'
        "    </extensionElements>\n"
        "  </serviceTask>\n"
        '  <sequenceFlow id="f2" sourceRef="book" targetRef="tell"/>\n'
        + _notify_task("tell")
        + '  <sequenceFlow id="f3" sourceRef="tell" targetRef="manager"/>\n'
        '  <userTask id="manager" name="Manager" shenpi:assignee="${manager}"/>\n'
        '  <sequenceFlow id="f4" sourceRef="manager" targetRef="finance"/>\n'
        '  <userTask id="finance" name="Finance" shenpi:assignee="frank"/>\n'
        '  <sequenceFlow id="f5" sourceRef="finance" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )
