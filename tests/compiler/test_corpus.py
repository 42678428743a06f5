"""Every real-world file of the corpus compiles or is refused precisely; never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_compiler import CompileError, compile_bpmn
from bpmn_compiler.coverage import DEFAULT_OUTPUT, corpus_fates, render
from tests.helpers import CORPUS_DIR, requires_corpus

pytestmark = requires_corpus

COMPILES = None

# The expected fate of each file: COMPILES, or the exact set of error codes it is refused with.
EXPECTED: dict[str, frozenset[str] | None] = {
    "SpiffWorkflow__Approvals.bpmn": frozenset({"no-executable-process"}),
    "SpiffWorkflow__ExclusiveGatewayIfElseAndDecision.bpmn": COMPILES,
    "SpiffWorkflow__correlation.bpmn": frozenset({"multiple-executable-processes"}),
    "SpiffWorkflow__event-gateway.bpmn": COMPILES,
    "SpiffWorkflow__event-subprocess.bpmn": COMPILES,
    "SpiffWorkflow__inclusive_gateway.bpmn": frozenset({"unsupported-element"}),
    "SpiffWorkflow__standard_loop.bpmn": COMPILES,
    "SpiffWorkflow__timer-non-interrupt-boundary.bpmn": COMPILES,
    "SpiffWorkflow__transaction.bpmn": frozenset({"unsupported-element"}),
    "bpmn-miwg-test-suite__A.3.0.bpmn": frozenset({"no-start"}),
    "bpmn-miwg-test-suite__B.1.0.bpmn": frozenset({"no-executable-process"}),
    "bpmn-miwg-test-suite__C.1.1-invoice-handling.bpmn": frozenset({"condition-syntax"}),
    # Their FEEL (`some … satisfies`, contexts) parses since FEEL has its own grammar.
    "bpmn-miwg-test-suite__C.9.0-customer-onboarding.bpmn": COMPILES,
    "bpmn-miwg-test-suite__C.9.2-manual-check.bpmn": COMPILES,
    "camunda-bpm-examples__TwitterDemoProcess.bpmn": COMPILES,
    "camunda-bpm-examples__invoicePayment.bpmn": COMPILES,
    "camunda-bpm-examples__loan-granting.bpmn": frozenset({"unsupported-mapping"}),
    "camunda-bpm-examples__order-handling.bpmn": COMPILES,
    "camunda-bpm-platform__CompensateEventTest.testCompensateScope.bpmn": COMPILES,
    "camunda-bpm-platform__LinkEventTest.testEventLinkMultipleSources.bpmn": COMPILES,
    "camunda-bpm-platform__TaskServiceTest.handleUserTaskEscalation.bpmn": COMPILES,
    "camunda-bpm-platform__TransactionSubProcessTest.testSimpleCase.bpmn": frozenset(
        {"unsupported-element"}
    ),
    "camunda-bpm-platform__VacationRequest.bpmn": COMPILES,
    "camunda-bpm-platform__invoice.v2.bpmn": COMPILES,
    "camunda-bpm-platform__reviewInvoice.bpmn": COMPILES,
    "flowable-examples__VacationRequest.bpmn": COMPILES,
    "flowable-examples__my-process.bpmn": COMPILES,
    "spring-zeebe__demoProcess.bpmn": COMPILES,
    "zeebe-process-test__automated-tests.bpmn": COMPILES,
    "zeebe-process-test__looping-servicetask.bpmn": COMPILES,
    "zeebe-process-test__pr-created.bpmn": COMPILES,
    "zeebe-process-test__test_timer_events.bpmn": COMPILES,
}
# File-level refusals have no single element to name; every other refusal names one.
FILE_LEVEL = {"no-executable-process", "multiple-executable-processes"}

CORPUS = sorted(CORPUS_DIR.glob("*.bpmn"))


def test_every_corpus_file_has_an_expected_fate() -> None:
    assert CORPUS, f"no corpus at {CORPUS_DIR}"
    assert sorted(p.name for p in CORPUS) == sorted(EXPECTED)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_file_meets_its_expected_fate(path: Path) -> None:
    expected = EXPECTED[path.name]
    try:
        result = compile_bpmn(path.read_bytes(), source=path.name)
    except CompileError as err:
        errors = [d for d in err.diagnostics if d.severity == "error"]
        assert expected is not COMPILES, f"{path.name} was expected to compile: {errors}"
        assert frozenset(d.code for d in errors) == expected
        for d in err.diagnostics:
            assert d.code and d.message
            if d.code not in FILE_LEVEL:
                assert d.element_id, d
                assert d.line, d
        return
    assert expected is COMPILES, f"{path.name} compiled but was expected to be refused"
    assert result.plan.hash == result.plan.content_hash()


def test_coverage_page_is_up_to_date() -> None:
    expected = render(corpus_fates(CORPUS_DIR))
    assert DEFAULT_OUTPUT.read_text(encoding="utf-8") == expected, (
        "docs/bpmn-coverage.md is stale: run python -m bpmn_compiler.coverage --write"
    )
