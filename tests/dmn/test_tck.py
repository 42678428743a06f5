"""The DMN TCK (../shared/dmn-tck, DMN 1.3) run unmodified: one test per expected decision result.

A result is skipped only for a reason written here: its model uses what Shenpi refuses at deploy
(``REFUSED_MODELS``, checked to be refused for that reason), its value cannot be held in Python's
types, it names a decision service, or it is a known gap (``KNOWN_GAPS``). Every other model must
compile and every other result must match.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bpmn_compiler.diagnostics import CompileError
from bpmn_compiler.dmn import compile_dmn
from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.decisions import evaluate_decision_value
from shenpi_core.expression_errors import ExpressionError
from tests.dmn.tck import ResultCheck, read_checks, same
from tests.helpers import REPO_ROOT

TCK_DIR = REPO_ROOT.parent / "shared" / "dmn-tck"
pytestmark = pytest.mark.skipif(not TCK_DIR.is_dir(), reason=f"the DMN TCK is not at {TCK_DIR}")

# Models Shenpi refuses at deploy, with the diagnostic code and a word of its message.
REFUSED_MODELS = {
    "0082-feel-coercion": ("dmn-expression-syntax", "function definitions are not supported"),
}

ZONES = "named time zones (@Europe/Paris) need the tz database, a file read: refused in workflows"
YEARS = "years outside 1..9999 do not fit Python's dates"
PRECISION = "sub-millisecond time equality and nanoseconds: Python keeps microseconds"
PT0 = "'PT0.S' (a decimal point without digits) is read as invalid"
# case -> test id -> why that test's results are skipped
KNOWN_GAPS: dict[str, dict[str, str]] = {
    "0068-feel-equality": {
        "time_005": PRECISION, "time_009": ZONES, "datetime_003_a": PRECISION,
        "datetime_005": ZONES, "datetime_006": ZONES, "datetime_009": ZONES,
    },
    "0074-feel-properties": {"dateTime_009": ZONES},
    "1115-feel-date-function": {
        "015_1dd66594cf": YEARS, "016_31f3fef4a0": YEARS, "020_7d56b7bf63": ZONES,
        "021_95fb3d9984": ZONES, "029_88f5c7c90f": YEARS, "030_9184a7bfc3": YEARS,
    },
    "1117-feel-date-and-time-function": {
        "011_eec2d5bdcd": YEARS, "012_225a105eef": YEARS, "023_2e41497673": ZONES,
        "024_b4d1fb8735": ZONES, "025_0cb7f83ec6": ZONES, "026_5ba081cd5f": ZONES,
        "027_ae365197dd": YEARS, "028_1c3d56275f": YEARS, "032_1e95e8726e": ZONES,
        "033_2fac4d6807": ZONES, "040_d9116e1daa": ZONES, "047_60ea7838ce": ZONES,
        "048_e387922273": ZONES, "049_eb9cd1f777": ZONES, "050_2d960354af": ZONES,
        "051_46bdaa00b0": ZONES, "052_911dbd0a24": ZONES, "053_283c083df9": ZONES,
        "054_2561a406fc": ZONES,
    },
    "1120-feel-duration-function": {"011_2169615b94": PT0},
    "1121-feel-years-and-months-duration-function": {
        "017_86744b9a54": YEARS, "018_8a9ed1d66d": YEARS, "019_90c2084588": YEARS,
        "021_8a7d311ae9": ZONES, "022_87e369773b": ZONES, "023_6385c7a83e": ZONES,
        "024_e96d1bd93a": ZONES,
    },
}  # fmt: skip


def _checks() -> list[ResultCheck]:
    if not TCK_DIR.is_dir():
        return []
    return [c for case in sorted(TCK_DIR.iterdir()) if case.is_dir() for c in read_checks(case)]


CHECKS = _checks()


@cache
def _compiled(model: Path) -> DecisionPlan | CompileError:
    try:
        return compile_dmn(model.read_bytes(), source=model.name).plan
    except CompileError as err:
        return err


def _gap(check: ResultCheck) -> str | None:
    return KNOWN_GAPS.get(check.case, {}).get(check.test_id)


def test_the_tck_is_the_one_described_in_its_sources() -> None:
    cases = {c.case for c in CHECKS}
    assert len(cases) == 59, sorted(cases)
    assert len(CHECKS) > 1000


@pytest.mark.parametrize("case", sorted(REFUSED_MODELS))
def test_a_refused_model_is_refused_for_its_reason(case: str) -> None:
    model = next((TCK_DIR / case).glob("*.dmn"))
    result = _compiled(model)
    assert isinstance(result, CompileError)
    code, words = REFUSED_MODELS[case]
    assert any(d.code == code and words in d.message for d in result.diagnostics)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_tck_result(check: ResultCheck) -> None:
    plan = _compiled(check.model)
    if check.case in REFUSED_MODELS:
        pytest.skip(f"model refused at deploy: {REFUSED_MODELS[check.case][1]}")
    assert isinstance(plan, DecisionPlan), plan.diagnostics
    if check.node_type != "decision":
        pytest.skip("decision services are not supported")
    if check.unreadable:
        pytest.skip(f"test value: {check.unreadable}")
    if (gap := _gap(check)) is not None:
        pytest.skip(f"known gap: {gap}")
    try:
        actual = evaluate_decision_value(plan, check.node, check.inputs)
    except ExpressionError as err:
        assert check.error, f"{check.node} failed: {err.message}"
        return
    if check.error:
        assert actual is None, f"expected an error, got {actual!r}"
    else:
        assert same(actual, check.expected), f"got {actual!r}, expected {check.expected!r}"
