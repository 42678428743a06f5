"""Expression text in each dialect compiles to an AST that evaluates as the dialect means it."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition, compile_value
from bpmn_compiler.model import RawText, RawTimer
from bpmn_compiler.timers import TimerSyntaxError, compile_timer
from shenpi_core.expressions import evaluate, evaluate_bool

VARS: dict[str, Any] = {
    "amount": 1500,
    "approved": True,
    "name": "Alice",
    "tags": ["urgent", "it"],
    "order": {"lines": [{"price": 7}], "country": "DE"},
    "blank": "",
}


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("${amount > 1000}", "juel", True),
        ("#{amount gt 1000 and approved}", "juel", True),
        ("${amount le 1000 || !approved}", "juel", False),
        ("${empty blank && not empty name}", "juel", True),
        ("${empty missing}", "juel", True),
        ("${name.equals('Alice')}", "juel", True),
        ("${tags.contains('it')}", "juel", True),
        ("${name.startsWith('Al') and name.toLowerCase() == 'alice'}", "juel", True),
        ("${tags.size() == 2 && !tags.isEmpty()}", "juel", True),
        ("${amount > 1000 ? approved : false}", "juel", True),
        ("${order.lines[0].price * 2 == 14}", "juel", True),
        ("${amount mod 7 eq 2 and amount div 3 == 500}", "juel", True),
        ("= amount >= 1500 and approved = true", "feel", True),
        ("= not(approved) or amount < 10", "feel", False),
        ('= order.country != "FR"', "feel", True),
        ('= upper case(name) = "ALICE" and string length(name) = 5', "feel", True),
        ('= starts with(name, "A") and list contains(tags, "urgent")', "feel", True),
        ("= is defined(order) and not(is defined(nothing))", "feel", True),
        ("= if amount > 1000 then true else false", "feel", True),
        ("= amount in [1000, 1500]", "feel", True),
        ("= sum([1, 2, 3]) = 6 and count(tags) = 2", "feel", True),
        ("= x = null", "feel", True),  # FEEL: an undefined variable is null
        ('= some t in tags satisfies t = "it"', "feel", True),
        ("= amount > missing", "feel", False),  # null, and a null condition is false
        ("amount >= 1000 and 'it' in tags", "plain", True),
        ("amount != 1500 or name not in ['Bob']", "plain", True),
        ("approved == True and len(tags) == 2", "plain", True),
        ("-amount < -1000", "plain", True),
    ],
)
def test_condition_compiles_and_evaluates_as_written(
    text: str, dialect: str, expected: bool | None
) -> None:
    expression = compile_condition(RawText(text))
    assert expression.dialect == dialect
    assert expression.source == text
    if expected is None:
        return
    assert evaluate_bool(expression.ast, VARS) is expected


@pytest.mark.parametrize(
    ("text", "language", "dialect"),
    [
        ("amount > 1", "juel", "juel"),  # declared JUEL without ${}: the bare expression
        ("amount > 1", "http://www.omg.org/spec/FEEL/20140401", "feel"),
        ("amount > 1", "FEEL", "feel"),
    ],
)
def test_language_attribute_selects_the_dialect(text: str, language: str, dialect: str) -> None:
    assert compile_condition(RawText(text, language=language)).dialect == dialect


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${amount >}", "unexpected end of input"),
        ("${a b}", "unexpected 'b'"),
        ("${x", "unterminated"),
        ("${1 < 2 < 3}", "unexpected '<'"),
        ("${foo(1)}", "unknown function 'foo'"),
        ("${name.hashCode()}", "unsupported method"),
        ("= some x in xs", "expected 'satisfies'"),  # quantified expressions parse since FEEL
        ("approved ${x}", "must be one ${...} expression"),
        ("", "empty expression"),
        ("${a & b}", "unexpected '&'"),
        ("${x > 1e400}", "number 1e400 is out of range"),
    ],
)
def test_unparseable_condition_says_why(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        compile_condition(RawText(text))
    assert message in err.value.message


def test_number_longer_than_python_reads_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(ExpressionSyntaxError, match="out of range"):
        compile_condition(RawText("${x > " + "9" * 5000 + "}"))


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ExpressionSyntaxError, match="'groovy' is unsupported"):
        compile_condition(RawText("a > 1", language="groovy"))


@pytest.mark.parametrize(
    ("text", "as_list", "dialect", "value"),
    [
        ("demo", False, "literal", "demo"),
        ("finance, legal ,", True, "literal", ["finance", "legal"]),
        ("${name}", False, "juel", "Alice"),
        ("user-${name}-${amount}", False, "juel", "user-Alice-1500"),
        ("= tags", True, "feel", ["urgent", "it"]),
        ('= ["a", name]', True, "feel", ["a", "Alice"]),
        ("${'}' + name}", False, "juel", "}Alice"),  # a brace inside a string literal
    ],
)
def test_values_are_literals_unless_written_as_expressions(
    text: str, as_list: bool, dialect: str, value: Any
) -> None:
    expression = compile_value(RawText(text), as_list=as_list)
    assert expression.dialect == dialect
    assert evaluate(expression.ast, VARS) == value


@pytest.mark.parametrize(
    ("kind", "text", "fields"),
    [
        ("duration", "PT24H", {"value": "PT24H", "seconds": 86400.0}),
        ("duration", "P3D", {"value": "P3D", "seconds": 259200.0}),
        ("duration", "P1W", {"value": "P1W", "seconds": 604800.0}),
        ("duration", '"PT0.5S"', {"value": "PT0.5S", "seconds": 0.5}),
        ("date", "2030-01-31T17:00:00Z", {"value": "2030-01-31T17:00:00+00:00"}),
        ("cycle", "R3/PT1H", {"value": "R3/PT1H", "seconds": 3600.0, "repeat": 3}),
        ("cycle", "R/P1D", {"value": "R/P1D", "seconds": 86400.0, "repeat": None}),
    ],
)
def test_literal_timers_are_resolved_at_compile_time(
    kind: str, text: str, fields: dict[str, Any]
) -> None:
    spec, assumed_utc = compile_timer(RawTimer(kind, RawText(text)))  # type: ignore[arg-type]
    assert spec.kind == kind
    assert spec.model_dump(include=set(fields)) == fields
    assert spec.expression is None
    assert assumed_utc is False


def test_timer_expression_stays_an_expression() -> None:
    spec, _ = compile_timer(RawTimer("duration", RawText("PT${hours}H")))
    assert spec.value is None and spec.seconds is None
    assert spec.expression is not None
    assert evaluate(spec.expression.ast, {"hours": 4}) == "PT4H"


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("duration", "P1M", "months or years"),
        ("duration", "PT0S", "must be positive"),
        ("duration", "-PT1H", "must be positive"),
        ("duration", "24h", "not an ISO-8601 duration"),
        ("date", "tomorrow 9am", "not an ISO-8601 date"),
        ("cycle", "R0/PT1H", "zero times"),
        ("cycle", "0 0 9 * * ?", "cron cycle"),
        ("cycle", "R3/2030-01-01T00:00:00Z/PT1H", "not a supported cycle"),
        ("duration", "", "empty"),
        ("duration", "P9999999999D", "too long"),
        ("cycle", "R2/PT99999999999999999999H", "too long"),
        ("date", "9999999999-01-01T00:00:00Z", "not an ISO-8601 date"),
        ("cycle", "R\u0663/PT1H", "repetitions must be a number"),  # an Arabic-Indic 3
        ("cycle", "R1234567890/PT1H", "repetitions must be a number"),
    ],
)
def test_bad_timer_says_why(kind: str, text: str, message: str) -> None:
    with pytest.raises(TimerSyntaxError) as err:
        compile_timer(RawTimer(kind, RawText(text)))  # type: ignore[arg-type]
    assert message in err.value.message


def test_date_without_offset_is_read_as_utc_and_flagged() -> None:
    spec, assumed_utc = compile_timer(RawTimer("date", RawText("2030-01-01T09:00:00")))
    assert spec.value == "2030-01-01T09:00:00+00:00"
    assert assumed_utc is True


def test_a_feel_completion_condition_reads_zeebe_counters_under_the_engines_names() -> None:
    from bpmn_compiler.pipeline import compile_bpmn
    from shenpi_core.process_plan import UserTask
    from tests.compiler.golden import CASES_DIR

    plan = compile_bpmn((CASES_DIR / "multi_instance_zeebe.bpmn").read_bytes()).plan
    conditions = [
        n.approval.completion_condition
        for n in plan.nodes
        if isinstance(n, UserTask) and n.approval and n.approval.completion_condition
    ]
    [condition] = conditions
    assert condition is not None and condition.dialect == "feel"
    # The interpreter binds nrOf* while it evaluates the condition (Zeebe writes numberOf*).
    assert evaluate_bool(condition.ast, {"nrOfCompletedInstances": 1, "nrOfApproved": 1})
    assert not evaluate_bool(condition.ast, {"nrOfCompletedInstances": 0, "nrOfApproved": 0})


def test_a_feel_priority_that_can_yield_no_priority_is_refused() -> None:
    from bpmn_compiler.diagnostics import CompileError
    from bpmn_compiler.pipeline import compile_bpmn

    xml = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="t">
      <process id="p" isExecutable="true">
        <extensionElements>
          <shenpi:priority>= if amount &gt; 1 then "asap" else "high"</shenpi:priority>
        </extensionElements>
        <startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/>
      </process>
    </definitions>"""
    with pytest.raises(CompileError) as err:
        compile_bpmn(xml)
    assert [d.code for d in err.value.diagnostics] == ["priority-value"]
    assert "'asap'" in err.value.diagnostics[0].message


def test_a_value_declared_feel_is_feel_without_the_equals_sign() -> None:
    expression = compile_value(RawText("amount * 2", language="feel"))
    assert expression.dialect == "feel"
    assert evaluate(expression.ast, {"amount": 4}) == 8
    assert compile_value(RawText("amount * 2")).dialect == "literal"  # undeclared: as before
