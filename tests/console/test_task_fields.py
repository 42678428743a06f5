"""A user task's generated fields in a real browser: Camunda 7 ``camunda:formField`` and Flowable
``flowable:formProperty`` rendered as inputs at the task, approving with their typed values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, Request, expect

from tests.console.conftest import HERE, Stack, screenshot, serious_violations, sign_in


def _deploy(stack: Stack, file: str) -> None:
    ops = {"Authorization": f"Bearer {stack.token('ops', ['admin'])}"}
    deployed = stack.http.post(
        "/api/v1/definitions",
        content=(HERE / file).read_bytes(),
        headers={**ops, "Content-Type": "application/xml"},
    )
    assert deployed.status_code in (200, 201), deployed.text


def _start(stack: Stack, process_id: str, variables: dict[str, Any]) -> str:
    alice = {"Authorization": f"Bearer {stack.token('alice')}"}
    started = stack.http.post(
        f"/api/v1/processes/{process_id}/instances", json={"variables": variables}, headers=alice
    )
    assert started.status_code == 201, started.text
    instance_id: str = started.json()["instance_id"]
    return instance_id


def _variables(stack: Stack, instance_id: str) -> dict[str, Any]:
    alice = {"Authorization": f"Bearer {stack.token('alice')}"}
    state = stack.http.get(f"/api/v1/instances/{instance_id}", headers=alice).json()
    variables: dict[str, Any] = state["variables"]
    return variables


def _decisions(page: Page) -> list[dict[str, Any]]:
    """The bodies of the decisions the page sends, as they are sent."""
    sent: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/decision"):
            body = request.post_data_json
            assert isinstance(body, dict), body
            sent.append(body)

    page.on("request", record)
    return sent


def _at_task(
    context: BrowserContext, stack: Stack, file: str, process_id: str, variables: dict[str, Any]
) -> tuple[str, Page, Locator, list[dict[str, Any]]]:
    """``file`` deployed and started: its instance id, bob's page at the instance, the task's
    fields, and the decisions the page will send."""
    _deploy(stack, file)
    instance_id = _start(stack, process_id, variables)
    bob = sign_in(context, stack, "bob")
    sent = _decisions(bob)
    bob.goto(f"{stack.url}/ui/instances/{instance_id}")
    return instance_id, bob, bob.get_by_test_id("task-fields"), sent


def _approve(page: Page) -> None:
    """Approve the task and see the instance complete."""
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("decision-result")).to_contain_text("approved")
    expect(page.get_by_test_id("instance-status").first).to_contain_text(re.compile("Completed"))


def test_camunda_form_fields_are_filled_in_and_approve_with_typed_values(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    instance_id, bob, fields, sent = _at_task(
        context, stack, "payment-review-camunda7.bpmn", "payment-review-c7", {"amount": 1200}
    )
    # Each input by its type, holding the instance's value or the field's default.
    requested = fields.get_by_label("Requested amount")
    expect(requested).to_have_value("1200")
    expect(requested).not_to_be_editable()
    approved = fields.get_by_label("Approved amount")
    expect(approved).to_have_attribute("type", "number")
    expect(approved).to_have_value("1000")
    expect(fields.get_by_label("Cost centre")).to_have_value("")
    expect(fields.get_by_label("Urgent")).to_be_checked()
    expect(fields.get_by_label("Category")).to_have_value("travel")
    pay_by = fields.get_by_label("Pay by")
    expect(pay_by).to_have_attribute("type", "date")
    expect(pay_by).to_have_value("2026-12-31")  # written 31/12/2026, Camunda 7's date format
    expect(fields.get_by_label("Note")).to_have_value("Receipts attached")

    # The required field holds approving back, and says so.
    bob.get_by_role("button", name="Approve", exact=True).click()
    refusal = bob.get_by_test_id("task-actions").get_by_role("alert")
    expect(refusal).to_contain_text("Please fill in: Cost centre")
    expect(fields.get_by_label("Cost centre")).to_have_attribute("aria-invalid", "true")
    assert sent == []

    fields.get_by_label("Cost centre").fill("CC-42")
    expect(fields.get_by_label("Cost centre")).not_to_have_attribute("aria-invalid", "true")
    expect(refusal).to_have_count(0)
    approved.fill("950")
    fields.get_by_label("Urgent").uncheck()
    fields.get_by_label("Category").select_option(label="Office supplies")
    pay_by.fill("2027-01-15")
    assert not [v["id"] for v in serious_violations(bob)]
    screenshot(bob, "task-fields", tmp_path)
    _approve(bob)

    # Typed as the fields declare them; the read-only field is not sent.
    assert sent == [
        {
            "action": "approve",
            "comment": None,
            "variables": {
                "approved_amount": 950,
                "cost_centre": "CC-42",
                "urgent": False,
                "category": "office",
                "pay_by": "2027-01-15",
                "review_note": "Receipts attached",
            },
        }
    ]
    variables = _variables(stack, instance_id)
    assert variables["amount"] == 1200
    assert variables["approved_amount"] == 950
    assert variables["urgent"] is False
    assert variables["category"] == "office"
    assert variables["pay_by"] == "2027-01-15"
    assert variables["cost_centre"] == "CC-42"


def test_flowable_form_properties_leave_a_field_that_is_not_writable_out(
    context: BrowserContext, stack: Stack
) -> None:
    instance_id, bob, fields, sent = _at_task(
        context, stack, "payment-confirm-flowable.bpmn", "payment-confirm-flowable", {}
    )
    invoice = fields.get_by_label("Invoice number")
    expect(invoice).to_have_value("INV-7")
    expect(invoice).not_to_be_editable()
    expect(fields.get_by_label("Instalments")).to_have_value("3")
    expect(fields.get_by_label("Paid")).not_to_be_checked()
    expect(fields.get_by_label("Method")).to_have_value("bank")

    bob.get_by_role("button", name="Approve", exact=True).click()
    refusal = bob.get_by_test_id("task-actions").get_by_role("alert")
    expect(refusal).to_contain_text("Please fill in: Payment reference")
    assert sent == []

    fields.get_by_label("Payment reference").fill("TX-1")
    fields.get_by_label("Paid").check()
    assert not [v["id"] for v in serious_violations(bob)]
    _approve(bob)

    assert len(sent) == 1
    assert sent[0]["variables"] == {
        "payment_ref": "TX-1",
        "instalments": 3,
        "paid": True,
        "method": "bank",
    }
    variables = _variables(stack, instance_id)
    assert "invoice_no" not in variables
    assert variables["payment_ref"] == "TX-1"
    assert variables["instalments"] == 3
    assert variables["paid"] is True
    assert variables["method"] == "bank"
