"""The approver's task page in a real browser: the AI's advice, OCR beside the PDF, every action.

An expense claim (processes/expense-claim.bpmn) with a receipt PDF that has a text layer: OCR reads
it, the manager's step carries the AI's advice (the offline reviewer), then finance (a group task).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.console.conftest import Stack, serious_violations, sign_in
from tests.helpers import REPO_ROOT
from tests.ocr.documents import make_receipt, render

# OCR and the AI review run before the manager's task opens: longer than a page refresh.
SLOW = 90_000


def _start_claim(stack: Stack, tmp_path: Path) -> tuple[str, str]:
    """(instance id, merchant on the receipt) of alice's claim, with a PDF receipt."""
    ops = {"Authorization": f"Bearer {stack.token('ops', ['admin'])}"}
    deployed = stack.http.post(
        "/api/v1/definitions",
        content=(REPO_ROOT / "processes" / "expense-claim.bpmn").read_bytes(),
        headers={**ops, "Content-Type": "application/xml"},
    )
    assert deployed.status_code in (200, 201), deployed.text
    rng = random.Random(14)
    receipt = make_receipt(rng)
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(render(receipt, "text_pdf", rng))
    alice = {"Authorization": f"Bearer {stack.token('alice')}"}
    with pdf.open("rb") as f:
        uploaded = stack.http.post(
            "/api/v1/documents",
            params={"name": "receipt.pdf"},
            files={"file": ("receipt.pdf", f, "application/pdf")},
            headers=alice,
        )
    assert uploaded.status_code == 201, uploaded.text
    started = stack.http.post(
        "/api/v1/processes/expense-claim/instances",
        json={
            "variables": {
                "amount": 4800,
                "description": "Conference in Shanghai: hotel and train",
                "receipt": uploaded.json(),
            }
        },
        headers=alice,
    )
    assert started.status_code == 201, started.text
    return started.json()["instance_id"], receipt.truth["merchant"]


def _open_task(page: Page, instance_id: str, name: str) -> None:
    page.get_by_role("link", name="Inbox").click()
    row = page.get_by_test_id("inbox-row").filter(has_text=instance_id)
    expect(row).to_have_count(1, timeout=SLOW)
    row.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("task-panel")).to_be_visible()


def _more(page: Page, action: str, target: str) -> None:
    """One of the actions under "More" (transfer, delegate, signers) with its target."""
    panel = page.get_by_test_id("task-panel")
    panel.get_by_label("More").select_option(label=action)
    panel.locator("#action-target").fill(target)
    panel.get_by_role("button", name=action, exact=True).click()


def _bob_at_the_managers_step(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> tuple[Page, str, str]:
    """A new claim open on bob's page: (the page, the instance id, the receipt's merchant)."""
    instance_id, merchant = _start_claim(stack, tmp_path)
    bob = sign_in(context, stack, "bob")
    _open_task(bob, instance_id, "Manager approves (AI advises)")
    return bob, instance_id, merchant


def test_the_task_shows_the_ais_advice_and_the_ocr_fields_beside_the_pdf(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    bob, _, merchant = _bob_at_the_managers_step(context, stack, tmp_path)

    advice = bob.get_by_test_id("ai-panel")
    expect(advice).to_contain_text("AI advice")
    expect(advice).to_contain_text(re.compile(r"(Approve|Reject|No opinion) · confidence \d+%"))
    # Its reasons in words, and its risk flags, come from the app database (not the memo).
    expect(advice).to_contain_text("people decide")
    expect(advice.get_by_role("list", name="Risk flags")).to_contain_text("few_precedents")
    expect(bob.get_by_test_id("ocr-fields")).to_contain_text(merchant)
    expect(bob.get_by_test_id("ocr-fields")).to_contain_text("total")
    expect(bob.get_by_title("PDF receipt.pdf")).to_be_visible()
    expect(bob.get_by_role("link", name="Download receipt.pdf")).to_be_visible()
    assert serious_violations(bob) == []


def test_every_action_on_a_task_and_the_refusals_said_plainly(
    context: BrowserContext, stack: Stack, tmp_path: Path
) -> None:
    bob, instance_id, _ = _bob_at_the_managers_step(context, stack, tmp_path)
    timeline = bob.get_by_test_id("timeline")

    # 减签 of the only approver is refused by the workflow; the API's answer is on the page.
    _more(bob, "Remove signer", "bob")
    expect(bob.get_by_test_id("error-message")).to_contain_text(re.compile(r"\(409 \w+\)"))
    # 加签 carol after bob, then 减签 her again.
    _more(bob, "Add signer", "carol")
    expect(timeline).to_contain_text("Signers added")
    _more(bob, "Remove signer", "carol")
    expect(timeline).to_contain_text("Signers removed")
    # 转办 to mallory: bob's task closes; mallory has it.
    _more(bob, "Transfer", "mallory")
    expect(timeline).to_contain_text("Transferred")

    mallory = sign_in(context, stack, "mallory")
    _open_task(mallory, instance_id, "Manager approves (AI advises)")
    # 委派 to erin, who answers first; the task returns to mallory, who decides.
    _more(mallory, "Delegate", "erin")
    expect(mallory.get_by_test_id("timeline")).to_contain_text("Delegated")
    erin = sign_in(context, stack, "erin")
    _open_task(erin, instance_id, "Manager approves (AI advises)")
    erin.get_by_role("button", name="Approve", exact=True).click()
    expect(erin.get_by_test_id("decision-result")).to_be_visible()
    _open_task(mallory, instance_id, "Manager approves (AI advises)")
    mallory.get_by_role("button", name="Approve", exact=True).click()
    expect(mallory.get_by_test_id("current-step").first).to_contain_text(
        "Finance approves (people only) (group:finance)"
    )

    # Finance is a group task: erin claims it; frank (finance too) is refused; erin gives it back.
    _open_task(erin, instance_id, "Finance approves (people only)")
    erin.get_by_role("button", name="Claim").click()
    expect(erin.get_by_role("button", name="Give back")).to_be_visible()
    task_url = erin.url
    frank = sign_in(context, stack, "frank", ["finance"])
    frank.goto(task_url)
    frank.get_by_role("button", name="Approve", exact=True).click()
    expect(frank.get_by_test_id("error-message")).to_contain_text(re.compile(r"\((403|409) \w+\)"))
    erin.get_by_role("button", name="Give back").click()
    expect(erin.get_by_role("button", name="Claim")).to_be_visible()
    frank.reload()
    frank.get_by_role("button", name="Approve", exact=True).click()
    expect(frank.get_by_test_id("instance-status").first).to_contain_text("Completed · approved")
    assert serious_violations(frank) == []

    # The diagram: clicking the manager's step lists its history, and only its own.
    diagram = frank.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    frank.locator('[data-element-id="Task_ManagerApproval"]').click()
    history = frank.get_by_test_id("node-history")
    expect(history).to_contain_text("Task_ManagerApproval")
    for event in ("Signers added", "Signers removed", "Transferred", "Delegated", "Approved"):
        expect(history).to_contain_text(event)
    expect(history).not_to_contain_text("Task_FinanceApproval")
    frank.locator('[data-element-id="Task_FinanceApproval"]').click()
    expect(history).to_contain_text("Claimed")
    expect(history).to_contain_text("Given back")
    expect(history).not_to_contain_text("Transferred")
