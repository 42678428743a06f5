"""An admin deploys processes and looks across instances."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import BrowserContext, expect

from tests.console.conftest import HERE, Stack, screenshot, serious_violations, sign_in


def test_admin_deploys_a_file_with_an_error_and_sees_it_on_the_diagram(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    good = (HERE / "purchase-with-receipt.bpmn").read_text()
    broken = tmp_path / "broken.bpmn"
    broken.write_text(good.replace("${amount &gt; 5000}", "${amount &gt;&gt; 5000}"))

    alice = sign_in(context, stack, "alice", ["admin"])
    alice.get_by_role("link", name="Processes").click()
    alice.get_by_label("BPMN, DMN or Camunda Form (.form) file", exact=True).set_input_files(broken)
    expect(alice.get_by_test_id("error-message")).to_contain_text("does not compile")
    diagnostics = alice.get_by_test_id("diagnostics")
    expect(diagnostics).to_contain_text("condition-syntax")
    expect(diagnostics).to_contain_text("element Flow_Large")
    expect(diagnostics).to_contain_text("line 42")
    expect(alice.get_by_test_id("diagram-pin-Flow_Large")).to_contain_text("condition-syntax")
    assert serious_violations(alice) == []
    screenshot(alice, "deploy-error", tmp_path)


def test_admin_deploys_a_decision_table_and_sees_its_decisions(
    context: BrowserContext, stack: Stack
) -> None:
    alice = sign_in(context, stack, "alice", ["admin"])
    alice.get_by_role("link", name="Processes").click()
    table = HERE.parents[1] / "processes" / "approver-level.dmn"
    alice.get_by_label("BPMN, DMN or Camunda Form (.form) file", exact=True).set_input_files(table)
    deployed = alice.get_by_test_id("deployed-decisions")
    expect(deployed).to_contain_text("Decision file")
    expect(deployed).to_contain_text("approver")  # the decision ids it holds
    expect(alice.get_by_test_id("error-message")).to_have_count(0)


def test_admin_deploys_a_camunda_form_and_sees_its_fields(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    form = tmp_path / "review.form"
    components = [{"type": "textfield", "key": "remark", "label": "Remark"}]
    form.write_text(json.dumps({"id": f"review-{uuid.uuid4().hex[:8]}", "components": components}))
    alice = sign_in(context, stack, "alice", ["admin"])
    alice.get_by_role("link", name="Processes").click()
    alice.get_by_label("BPMN, DMN or Camunda Form (.form) file", exact=True).set_input_files(form)
    deployed = alice.get_by_test_id("deployed-decisions")
    expect(deployed).to_contain_text("Form review-")
    expect(deployed).to_contain_text("remark")  # the fields it writes
    expect(alice.get_by_test_id("error-message")).to_have_count(0)


def test_definitions_page_shows_versions_and_the_diagram(
    context: BrowserContext, stack: Stack
) -> None:
    alice = sign_in(context, stack, "alice", ["admin"])
    alice.get_by_role("link", name="Processes").click()
    alice.get_by_role("link", name="Purchase approval").click()
    expect(alice.get_by_role("heading", name="Versions of purchase-approval")).to_be_visible()
    expect(alice.get_by_test_id("diagram")).to_have_attribute("data-ready", "true")
    assert serious_violations(alice) == []
    alice.get_by_role("link", name="All instances").click()
    expect(alice.get_by_role("heading", name="All instances")).to_be_visible()
    assert serious_violations(alice) == []


class _Ledger(BaseHTTPRequestHandler):
    """A booking service that refuses (409) until it is told to book."""

    booking = False

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = (200, b'{"booked": true}') if _Ledger.booking else (409, b'{"down": 1}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def ledger() -> Iterator[str]:
    _Ledger.booking = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ledger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/book"
    finally:
        server.shutdown()
        server.server_close()


def _ledger_process(process_id: str, url: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="http://shenpi.dev/t">\n'
        f'<process id="{process_id}" name="Book it" isExecutable="true">\n'
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="book"/>\n'
        '  <serviceTask id="book" name="Book in the ledger" shenpi:type="http">\n'
        f'    <extensionElements><shenpi:header key="url" value="{url}"/></extensionElements>\n'
        "  </serviceTask>\n"
        '  <sequenceFlow id="f2" sourceRef="book" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n'
        "</process>\n</definitions>\n"
    )


def test_an_admin_retries_an_incident_from_the_instances_page(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    process_id = f"ledger-{uuid.uuid4().hex[:8]}"
    with ledger() as url:
        admin_token = stack.token("ops", ["admin"])
        deployed = stack.http.post(
            "/api/v1/definitions",
            content=_ledger_process(process_id, url),
            headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/xml"},
        )
        assert deployed.status_code == 201, deployed.text
        started = stack.http.post(
            f"/api/v1/processes/{process_id}/instances",
            json={},
            headers={"Authorization": f"Bearer {stack.token('alice')}"},
        )
        assert started.status_code == 201, started.text
        instance_id = started.json()["instance_id"]

        # The ledger refused: an incident at the service task, on the request's page (where an
        # admin may act on it too) and listed on the admin's page.
        ops = sign_in(context, stack, "ops", ["admin"])
        ops.goto(f"{stack.url}/ui/instances/{quote(instance_id, safe='')}")
        incidents = ops.get_by_test_id("incidents")
        expect(incidents).to_contain_text("book: activity_failed")
        expect(incidents.get_by_role("button", name="Retry")).to_be_visible()
        ops.get_by_role("link", name="All instances").click()
        row = ops.get_by_test_id("incident-row").filter(has_text=instance_id)
        expect(row).to_contain_text("activity_failed")
        expect(row).to_contain_text("book")
        assert serious_violations(ops) == []
        screenshot(ops, "incidents", tmp_path)

        # Resolving it while the request still waits there is refused, and said plainly.
        row.get_by_role("button", name="Resolve").click()
        expect(row.get_by_test_id("error-message")).to_contain_text("409 illegal_action")

        # The ledger is back: retry runs the task again and the request goes on to its end.
        _Ledger.booking = True
        row.get_by_role("textbox").fill("ledger is back")
        row.get_by_role("button", name="Retry").click()
        expect(ops.get_by_test_id("incident-row").filter(has_text=instance_id)).to_have_count(0)
        ops.goto(f"{stack.url}/ui/instances/{quote(instance_id, safe='')}")
        expect(ops.get_by_test_id("instance-status").first).to_contain_text("Completed")
        timeline = ops.get_by_test_id("timeline")
        expect(timeline).to_contain_text("Incident retried")
        expect(timeline).to_contain_text("ledger is back")
