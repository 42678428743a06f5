"""An admin deploys processes and looks across instances."""

from __future__ import annotations

from pathlib import Path

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
    alice.get_by_label("BPMN file", exact=True).set_input_files(broken)
    expect(alice.get_by_test_id("error-message")).to_contain_text("does not compile")
    diagnostics = alice.get_by_test_id("diagnostics")
    expect(diagnostics).to_contain_text("condition-syntax")
    expect(diagnostics).to_contain_text("element Flow_Large")
    expect(diagnostics).to_contain_text("line 42")
    expect(alice.get_by_test_id("diagram-pin-Flow_Large")).to_contain_text("condition-syntax")
    assert serious_violations(alice) == []
    screenshot(alice, "deploy-error", tmp_path)


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
