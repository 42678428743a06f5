"""User stories of the people who ask and approve, in a real browser against a real `shenpi dev`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect

from tests.console.conftest import Stack, screenshot, serious_violations, sign_in


def receipt_png(path: Path) -> Path:
    image = Image.new("RGB", (360, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 30), "RECEIPT  Office chair", fill="black")
    draw.text((20, 80), "TOTAL  1200.00", fill="black")
    image.save(path)
    return path


def no_serious_violations(page: Page) -> None:
    assert serious_violations(page) == []


def open_task_from_inbox(page: Page, instance_id: str) -> None:
    page.get_by_role("link", name="Inbox").click()
    row = page.get_by_test_id("inbox-row").filter(has_text=instance_id)
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.get_by_test_id("task-panel")).to_be_visible()


def test_banner_link_signs_in_alice_and_keeps_the_token_out_of_the_url(
    context: BrowserContext, stack: Stack
) -> None:
    page = context.new_page()
    page.goto(stack.console_link)
    expect(page.get_by_test_id("signed-in-user")).to_have_text("alice")
    assert "token" not in page.url
    assert page.evaluate("() => sessionStorage.getItem('shenpi.token')")


def test_a_developer_picks_a_user_on_the_sign_in_page(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    page = context.new_page()
    page.goto(f"{stack.url}/ui/inbox")
    expect(page.get_by_test_id("sign-in-as-erin")).to_be_visible()
    no_serious_violations(page)
    screenshot(page, "sign-in", tmp_path)
    page.get_by_test_id("sign-in-as-erin").click()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("erin")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    page.get_by_test_id("language-switch").click()
    expect(page.get_by_role("heading", name="待办")).to_be_visible()


def test_requester_starts_a_purchase_with_a_receipt_and_the_manager_approves_it(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    alice = sign_in(context, stack, "alice")
    alice.get_by_role("link", name="New request").click()
    no_serious_violations(alice)
    alice.get_by_role("link", name="Purchase with a receipt").click()
    # The process embeds a Camunda Form: form-js renders it; the receipt is uploaded beside it.
    expect(alice.get_by_test_id("camunda-form")).to_be_visible()
    alice.get_by_label("receipt (an uploaded document)").set_input_files(
        receipt_png(tmp_path / "receipt.png")
    )
    expect(alice.get_by_test_id("uploaded-receipt")).to_contain_text("receipt.png")
    expect(alice.get_by_role("img", name="Document receipt.png")).to_be_visible()
    alice.get_by_label("Amount").fill("1200")
    alice.get_by_label("Manager").fill("bob")
    alice.get_by_label("Description").fill("An office chair")
    no_serious_violations(alice)
    screenshot(alice, "start-form", tmp_path)
    alice.get_by_role("button", name="Submit request").click()

    # The instance page: running, at the manager's step, which the diagram highlights.
    expect(alice).to_have_url(re.compile(r"/ui/instances/purchase-with-receipt"))
    instance_id = alice.url.rsplit("/", 1)[1].replace("%3A", ":")
    expect(alice.get_by_test_id("current-step").first).to_contain_text("Manager approves (bob)")
    diagram = alice.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(diagram).to_have_attribute("data-active-nodes", "Task_Manager")
    expect(alice.locator('[data-element-id="Task_Manager"]')).to_have_class(
        re.compile("node-active")
    )
    alice.locator('[data-element-id="Task_Manager"]').click()
    expect(alice.get_by_test_id("node-history")).to_contain_text("Task opened")
    no_serious_violations(alice)
    screenshot(alice, "instance", tmp_path)

    # Bob finds it in his inbox, reads the request and its receipt, and approves.
    bob = sign_in(context, stack, "bob")
    expect(bob.get_by_test_id("inbox-row").filter(has_text=instance_id)).to_have_count(1)
    no_serious_violations(bob)
    screenshot(bob, "inbox", tmp_path)
    open_task_from_inbox(bob, instance_id)
    expect(bob.get_by_test_id("request-fields")).to_contain_text("An office chair")
    expect(bob.get_by_role("img", name="Document receipt.png")).to_be_visible()
    no_serious_violations(bob)
    screenshot(bob, "task", tmp_path)
    bob.get_by_label("Comment or reason").fill("Go ahead")
    bob.get_by_role("button", name="Approve", exact=True).click()
    expect(bob.get_by_test_id("decision-result")).to_contain_text("approved")
    expect(bob.get_by_test_id("instance-status").first).to_contain_text("Completed · approved")

    # Alice sees the outcome in her requests.
    alice.get_by_role("link", name="My requests").click()
    row = alice.get_by_test_id("instance-row").filter(has_text=instance_id)
    expect(row).to_contain_text("Completed")
    no_serious_violations(alice)


def test_a_request_rejected_back_to_the_requester_is_resubmitted(
    context: BrowserContext, stack: Stack
) -> None:
    alice_token = stack.token("alice")
    started = stack.http.post(
        "/api/v1/processes/purchase-with-receipt/instances",
        json={"variables": {"amount": 900, "manager": "bob", "description": "A desk lamp"}},
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["instance_id"]

    bob = sign_in(context, stack, "bob")
    open_task_from_inbox(bob, instance_id)
    bob.get_by_role("button", name="Reject").click()
    expect(bob.get_by_role("alert")).to_contain_text("Please give a reason")
    bob.get_by_label("Comment or reason").fill("Please attach a quote")
    bob.get_by_role("button", name="Reject").click()
    expect(bob.get_by_test_id("decision-result")).to_contain_text("rejected")

    alice = sign_in(context, stack, "alice")
    alice.get_by_role("link", name="My requests").click()
    alice.get_by_test_id("instance-row").filter(has_text=instance_id).get_by_role("link").click()
    panel = alice.get_by_test_id("task-panel")
    expect(panel.get_by_role("button", name="Resubmit")).to_be_visible()
    expect(alice.get_by_test_id("timeline")).to_contain_text("Please attach a quote")
    panel.get_by_label("description").fill("A desk lamp, quote attached")
    panel.get_by_role("button", name="Resubmit").click()
    expect(alice.get_by_test_id("decision-result")).to_be_visible()
    expect(alice.get_by_test_id("current-step").first).to_contain_text("Manager approves (bob)")
    expect(alice.get_by_test_id("request-fields")).to_contain_text("quote attached")


def test_a_refused_decision_shows_the_apis_403_as_a_message(
    context: BrowserContext, stack: Stack
) -> None:
    token = stack.token("alice")
    started = stack.http.post(
        "/api/v1/processes/purchase-with-receipt/instances",
        json={"variables": {"amount": 50, "manager": "bob", "description": "Pens"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    instance_id = started.json()["instance_id"]
    bob = sign_in(context, stack, "bob")
    open_task_from_inbox(bob, instance_id)
    task_url = bob.url

    # Frank (finance, not the manager) follows the same link: he may not even read it.
    frank = sign_in(context, stack, "frank", ["finance"])
    frank.goto(task_url)
    expect(frank.get_by_test_id("error-message")).to_contain_text("Not allowed")
    expect(frank.get_by_test_id("error-message")).to_contain_text("403 forbidden")

    # An admin may read it, but deciding bob's task is refused by the workflow: said plainly.
    admin = sign_in(context, stack, "ops", ["admin"])
    admin.goto(task_url)
    admin.get_by_role("button", name="Approve", exact=True).click()
    message = admin.get_by_test_id("error-message")
    expect(message).to_contain_text("Not allowed")
    expect(message).to_contain_text("403 forbidden")
    no_serious_violations(admin)
    assert quote(instance_id, safe="") in task_url


def test_the_requester_urges_then_withdraws_a_request(
    context: BrowserContext, stack: Stack
) -> None:
    alice = sign_in(context, stack, "alice")
    alice.get_by_role("link", name="New request").click()
    alice.get_by_role("link", name="Purchase approval").click()
    # No Camunda Form here: the fields come from what the process declares and reads.
    alice.get_by_label("amount (number)").fill("75")
    alice.get_by_label("manager (user id)").fill("bob")
    alice.get_by_label("description").fill("Printer paper")
    alice.get_by_role("button", name="Submit").click()
    expect(alice.get_by_test_id("current-step").first).to_contain_text("Manager approves (bob)")
    alice.get_by_role("button", name="Urge").click()
    expect(alice.get_by_role("status")).to_contain_text("Done: bob")
    alice.get_by_role("button", name="Urge").click()  # too soon after the first: the API's 429
    expect(alice.get_by_test_id("error-message")).to_contain_text("429 rate_limited")
    alice.get_by_role("button", name="Withdraw").click()
    expect(alice.get_by_test_id("instance-status").first).to_contain_text("Completed · withdrawn")
    expect(alice.get_by_test_id("timeline")).to_contain_text("Withdrawn")
