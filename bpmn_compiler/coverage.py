"""Write ``docs/bpmn-coverage.md``: what the compiler does with every file of the BPMN corpus.

    python -m bpmn_compiler.coverage                 # print the page
    python -m bpmn_compiler.coverage --write         # rewrite docs/bpmn-coverage.md

Generated, so the page stays true: a test fails when the committed page and the compiler disagree.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from bpmn_compiler import CompileError, Diagnostic, compile_bpmn

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "bpmn-corpus"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "bpmn-coverage.md"

SUPPORTED_ELEMENTS = (
    ("startEvent (none)", "the entry point of the process and of each subprocess"),
    ("startEvent + timerEventDefinition (of the process)", "date, duration, cycle (also"
     " `R<n>/<start>/<interval>`) or Zeebe's cron: a Temporal Schedule per timer start, synced"
     " when the process is deployed (see `interpreter.md`)"),
    ("endEvent (none, terminate, error, escalation)", "terminate ends every other token of its"
     " scope (the process, or only its subprocess); error and escalation ends throw; outcome"
     " notifications with `shenpi:notify`; an activity with no outgoing flow is an implicit end"),
    ("userTask", "assignee, candidate users and groups, input/output mappings; approval steps"
     " with `shenpi:approval` (modes, due dates, reminders, timeouts, reject strategies);"
     " AI advice or decision with `shenpi:ai`, `shenpi:humanRequired`; notifications with"
     " `shenpi:notify` (also on the process)"),
    ("multiInstanceLoopCharacteristics on a userTask", "one task per element of the collection:"
     " parallel = `all`, `isSequential` = `sequential`; `completionCondition`, element variable"
     " (see `approvals.md`)"),
    ("multiInstanceLoopCharacteristics on other activities",
     "service, send, receive, business rule, script and plain tasks, subprocesses, call "
     "activities: one run per element of the collection (or `loopCardinality` runs), parallel "
     "(at most 50 at once, `shenpi:maxInFlight`) or sequential; element variable, "
     "`loopCounter`, Camunda's `nrOf...` counters; Zeebe's output collection in element order;"
     " `completionCondition` cancels the rest; boundary events apply to the whole body (see "
     "`interpreter.md`)"),
    ("serviceTask, sendTask", "a Temporal activity by type; Java delegates (`class`,"
     " `delegateExpression`, `expression`) name the activity, with a warning; a sendTask"
     " without type = notify;"
     " `ai-review` tasks read `shenpi:ai`; an activity raises a BPMN error by failing with"
     " `BpmnError` (see `interpreter.md`)"),
    ("subProcess (embedded)", "its own variable scope (input mappings are local variables,"
     " output mappings set outer ones), nesting to any depth, boundary events"),
    ("subProcess triggeredByEvent (event subprocess)", "in the process or a subprocess, started"
     " by a timer, error or escalation start event; interrupting or not"),
    ("callActivity", "the called process (by id; latest version, or `deployment`, `version`,"
     " `versionTag` binding) runs as a Temporal child workflow; `camunda:in`/`out`,"
     " `zeebe:ioMapping` and propagate-all; its uncaught errors and escalations reach the call"
     " activity's boundary events"),
    ("scriptTask (FEEL or JUEL)", "`zeebe:script expression resultVariable`,"
     " `scriptFormat=\"feel\"|\"juel\"` with `camunda:resultVariable`: evaluated in the"
     " workflow like any expression"),
    ("businessRuleTask (DMN)", "evaluates a deployed DMN decision in the workflow:"
     " `zeebe:calledDecision`, `camunda:decisionRef` (binding latest, deployment, version;"
     " `mapDecisionResult`), `flowable:decisionTableReferenceKey` (also Flowable's"
     " `serviceTask flowable:type=\"dmn\"`); input/output mappings; one with a job type is a"
     " service task (see `dmn.md`)"),
    ("task, manualTask, intermediateThrowEvent (none)", "pass through"),
    ("intermediateThrowEvent + escalationEventDefinition", "escalates, then goes on unless an"
     " interrupting catch ends its scope"),
    ("link events (throw and catch)", "the throw continues at the catch of the same name in its"
     " scope"),
    ("exclusiveGateway", "conditions in document order, default flow; AI routing with"
     " `shenpi:ai mode=\"route\"` (by the flows' names and `documentation`)"),
    ("inclusiveGateway", "split: every flow whose condition holds, the default only when none"
     " does; join: waits for every token that can still arrive"),
    ("parallelGateway", "fork and join"),
    ("eventBasedGateway", "with timer, message, signal and conditional catch events and receive"
     " tasks: the first to fire wins"),
    ("messages", "message start (of the process or an event subprocess), intermediate catch,"
     " receiveTask, boundary (interrupting or not), event-based gateway arm: by name and"
     " correlation key (`zeebe:subscription`, `shenpi:correlationKey`, else the business key);"
     " message throw, end and sendTask run an activity of their task type"),
    ("signals", "signal start (of the process or an event subprocess), intermediate catch,"
     " boundary, event-based gateway arm; intermediate and end throws broadcast"),
    ("conditional events", "intermediate catch, boundary, event-subprocess start: fire when the"
     " condition becomes true"),
    ("compensation", "a compensation boundary event with its handler (`isForCompensation`, tied by"
     " an association); intermediate and end compensation throws for one activity"
     " (`activityRef`) or the whole scope: handlers of completed activities run one at a time,"
     " the last completed first, a completed subprocess's inside included; a compensation"
     " event subprocess compensates its subprocess"),
    ("standardLoopCharacteristics", "on tasks, subprocesses and call activities: runs again while"
     " `loopCondition` holds (tested before or after each run), at most `loopMaximum` times;"
     " `loopCounter` counts the runs"),
    ("implicit splits and merges", "unconditioned flows out of / into any node"),
    ("loop-backs", "cycles, as long as an end event stays reachable"),
    ("intermediateCatchEvent + timerEventDefinition", "duration, date, cycle"),
    ("boundaryEvent + timer, error or escalation", "on userTask, serviceTask and subProcess;"
     " cancelActivity=false (not for errors); errors by code or catch-all"),
    ("lanes, pools, collaboration, documentation (a sequence flow's is kept for AI routes),"
     " text annotations, associations, groups,"
     " data objects and stores, bpmndi", "ignored, no diagnostic"),
)  # fmt: skip
REFUSED_ELEMENTS = (
    "transaction, adHocSubProcess (each element inside is still checked); a callActivity whose"
    " calledElement is an expression",
    "complexGateway; an eventBasedGateway that starts the process (`instantiate`)",
    "scriptTask in a general-purpose language (Groovy, JavaScript, Python); a receiveTask that"
    " starts the process (`instantiate`);"
    " a businessRuleTask whose decision is an expression or bound by `versionTag`"
    " (`decision-target`, `decision-binding`)",
    "cancel events; a message or signal name written as an expression; a conditional start of"
    " the process itself",
    "standardLoopCharacteristics on events and gateways; multiInstanceLoopCharacteristics on"
    " an event subprocess or an intermediate catch event, and a multi-instance userTask with"
    " `loopCardinality` but no collection (`unsupported-loop`)",
    "connectors, non-external vendor task types, scripts in mappings"
    " (`unsupported-implementation`, `unsupported-mapping`)",
)
# The compiled files that run to their end (completed, or terminated by a terminate end event) in
# tests/workflows/test_corpus_runs.py, which checks this list against its own per-file data.
COMPLETING = (
    "SpiffWorkflow__event-gateway.bpmn",
    "SpiffWorkflow__event-subprocess.bpmn",
    "SpiffWorkflow__ExclusiveGatewayIfElseAndDecision.bpmn",
    "SpiffWorkflow__standard_loop.bpmn",
    "SpiffWorkflow__timer-non-interrupt-boundary.bpmn",
    "bpmn-miwg-test-suite__C.9.2-manual-check.bpmn",
    "camunda-bpm-examples__TwitterDemoProcess.bpmn",
    "camunda-bpm-examples__invoicePayment.bpmn",
    "camunda-bpm-examples__order-handling.bpmn",
    "camunda-bpm-platform__TaskServiceTest.handleUserTaskEscalation.bpmn",
    "camunda-bpm-platform__VacationRequest.bpmn",
    "camunda-bpm-platform__invoice.v2.bpmn",
    "camunda-bpm-platform__reviewInvoice.bpmn",
    "flowable-examples__VacationRequest.bpmn",
    "flowable-examples__my-process.bpmn",
    "spring-zeebe__demoProcess.bpmn",
    "zeebe-process-test__automated-tests.bpmn",
    "zeebe-process-test__looping-servicetask.bpmn",
    "zeebe-process-test__test_timer_events.bpmn",
)
DIALECTS = (
    ("assignee", "`camunda:assignee`", "`zeebe:assignmentDefinition assignee`",
     "`flowable:assignee` (`$INITIATOR`), `activiti:assignee`", "`shenpi:assignee`"),
    ("candidate users / groups", "`camunda:candidateUsers` / `candidateGroups`",
     "`zeebe:assignmentDefinition candidateUsers` / `candidateGroups`",
     "`flowable:` / `activiti:candidateUsers` / `candidateGroups`",
     "`shenpi:candidateUsers` / `candidateGroups`"),
    ("initiator variable", "`camunda:initiator`", "—", "`flowable:initiator`",
     "`shenpi:initiator`"),
    ("service task type", "`camunda:type=\"external\"` + `camunda:topic`",
     "`zeebe:taskDefinition type` (+ `retries`)",
     "`flowable:type=\"external-worker\"` + `flowable:topic`",
     "`shenpi:type`, `implementation=\"##AIService\"` (ai-review)"),
    ("task settings", "`camunda:resultVariable`", "—", "`flowable:resultVariable`",
     "`shenpi:taskQueue`, `shenpi:retries`, `shenpi:timeout`, `shenpi:resultVariable`"),
    ("static config", "`camunda:properties`, `camunda:field` (string)", "`zeebe:taskHeaders`",
     "`flowable:field` (string)", "`shenpi:header`"),
    ("input/output mappings", "`camunda:inputOutput` (text, `${}`, `camunda:list`)",
     "`zeebe:ioMapping`", "—", "—"),
    ("conditions", "JUEL `${...}` / `#{...}`", "FEEL `= ...`", "JUEL `${...}`", "plain"),
    ("multi-instance collection", "`camunda:collection` + `camunda:elementVariable`",
     "`zeebe:loopCharacteristics inputCollection` + `inputElement` (`outputCollection` +"
     " `outputElement`)",
     "`flowable:collection` + `flowable:elementVariable`",
     "`<shenpi:approval approvers=...>`; plain BPMN: `loopDataInputRef` + `inputDataItem`"),
    ("business rule task", "`camunda:decisionRef` (+ `decisionRefBinding`, `decisionRefVersion`,"
     " `resultVariable`, `mapDecisionResult`)", "`zeebe:calledDecision decisionId resultVariable"
     " bindingType`", "`flowable:decisionTableReferenceKey` or its `flowable:field`,"
     " `sameDeployment`", "—"),
    ("AI review and routing", "—", "—", "—",
     "`<shenpi:ai>` on userTask, ai-review serviceTask, exclusiveGateway;"
     " `shenpi:humanRequired` (see `compiler.md`)"),
    ("BPMN resource roles", "`humanPerformer`, `potentialOwner` (`user(x)`, `group(y)`)",
     "", "", ""),
)  # fmt: skip


@dataclass
class Fate:
    file: str
    compiled: bool
    summary: str = ""  # process id and size, when compiled
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


def fate_of(path: Path) -> Fate:
    try:
        result = compile_bpmn(path.read_bytes(), source=path.name)
    except CompileError as err:
        return Fate(
            path.name,
            compiled=False,
            errors=[d for d in err.diagnostics if d.severity == "error"],
            warnings=[d for d in err.diagnostics if d.severity == "warning"],
        )
    plan = result.plan
    summary = f"`{plan.process_id}`, {len(plan.nodes)} nodes"
    return Fate(path.name, compiled=True, summary=summary, warnings=result.warnings)


def _reasons(diagnostics: list[Diagnostic]) -> str:
    """Group by code: ``unsupported-element: `a`, `b`; dead-end: `c```."""
    by_code: dict[str, list[str]] = {}
    for d in diagnostics:
        where = f"`{d.element_id}`" if d.element_id else d.message.replace("|", "/")
        if where not in by_code.setdefault(d.code, []):
            by_code[d.code].append(where)
    return "; ".join(f"{code}: {', '.join(ids)}" for code, ids in by_code.items())


def render(fates: list[Fate]) -> str:
    compiled = sum(f.compiled for f in fates)
    runs = sum(f.compiled and f.file in COMPLETING for f in fates)
    lines = [
        "# BPMN coverage",
        "",
        "<!-- generated by `python -m bpmn_compiler.coverage --write`; do not edit by hand -->",
        "",
        f"The corpus (`../shared/bpmn-corpus`, see its `SOURCES.md`) has {len(fates)} real files"
        f" drawn in other engines' tools. {compiled} compile; every other one is refused with"
        " diagnostics that name each unsupported element (never a crash or a generic error).",
        "",
        f"{runs} of the compiled files run to their end (column *runs*) in"
        " `tests/workflows/test_corpus_runs.py`: on the time-skipping server, with the start"
        " variables their conditions need, every user task approved, every service task served"
        " by a worker registering its type, and the clock skipped to the next timer when only"
        " timers wait (one file, whose decision the time-skipping server would hold while it skips"
        " to its timers, runs in real time on the dev server instead). Each other compiled file"
        " stops there at a documented wait or at a known interpreter bug, with the reason.",
        "",
        "## Per file",
        "",
        "| file | fate | runs | reasons (error code: element ids) | warnings |",
        "|---|---|---|---|---|",
    ]
    for f in fates:
        fate = f"compiled ({f.summary})" if f.compiled else "refused"
        ran = (
            ("to its end" if f.file in COMPLETING else "stops (see the test)") if f.compiled else ""
        )
        lines.append(
            f"| `{f.file}` | {fate} | {ran} | {_reasons(f.errors)} | {_reasons(f.warnings)} |"
        )
    lines += ["", "## Supported BPMN elements", "", "| element | notes |", "|---|---|"]
    lines += [f"| {element} | {notes} |" for element, notes in SUPPORTED_ELEMENTS]
    lines += ["", "Refused with `unsupported-element` and the element id (unless noted):", ""]
    lines += [f"- {item}" for item in REFUSED_ELEMENTS]
    lines += [
        "",
        "## Extension attributes per dialect",
        "",
        "Where several dialects set the same thing, `shenpi:` wins. Unknown extension elements"
        " (forms, modeler metadata) are ignored; engine listeners"
        " are ignored with an `ignored-listener` warning.",
        "",
        "| what | Camunda 7 (`camunda:`) | Camunda 8 (`zeebe:`) | Flowable / Activiti | Shenpi |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in DIALECTS]
    return "\n".join(lines) + "\n"


def corpus_fates(corpus: Path = DEFAULT_CORPUS) -> list[Fate]:
    return [fate_of(path) for path in sorted(corpus.glob("*.bpmn"))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--write", action="store_true", help=f"rewrite {DEFAULT_OUTPUT}")
    args = parser.parse_args(argv)
    page = render(corpus_fates(args.corpus))
    if args.write:
        DEFAULT_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_OUTPUT.write_text(page, encoding="utf-8")
    else:
        print(page, end="")


if __name__ == "__main__":
    main()
