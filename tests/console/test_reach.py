"""A phone's width, WeChat's in-app browser, and the keyboard alone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Stack, screenshot, serious_violations, sign_in
from tests.console.test_sign_in import WECHAT_WORK_UA


def fits_the_width(page: Page) -> bool:
    wider = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
        ".map(e => e.tagName + '#' + (e.getAttribute('data-testid') || ''))"
    )
    assert wider == [], f"wider than the screen: {wider[:8]}"
    return bool(page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth + 1"))


def test_inbox_and_task_fit_a_phone_in_wechat(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    alice = stack.token("alice")
    started = stack.http.post(
        "/api/v1/processes/purchase-with-receipt/instances",
        json={"variables": {"amount": 320, "manager": "bob", "description": "Train tickets"}},
        headers={"Authorization": f"Bearer {alice}"},
    )
    instance_id = started.json()["instance_id"]
    context = browser.new_context(
        locale="zh-CN", user_agent=WECHAT_WORK_UA, viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(20_000)
    bob = sign_in(context, stack, "bob")
    expect(bob.get_by_role("heading", name="待办")).to_be_visible()
    row = bob.get_by_test_id("inbox-row").filter(has_text=instance_id)
    expect(row).to_have_count(1)
    assert fits_the_width(bob)
    row.get_by_role("link").click()
    expect(bob.get_by_role("button", name="同意", exact=True)).to_be_visible()
    expect(bob.get_by_test_id("diagram")).to_have_attribute("data-ready", "true")
    assert fits_the_width(bob)
    assert serious_violations(bob) == []
    screenshot(bob, "phone-task", tmp_path)
    context.close()


def test_the_console_works_from_the_keyboard(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(20_000)
    page = sign_in(context, stack, "alice")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Inbox")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="New request")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Start a request")).to_be_visible()
    page.get_by_role("link", name="Purchase with a receipt").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("camunda-form")).to_be_visible()
    context.close()
