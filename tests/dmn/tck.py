"""Read the DMN TCK's test files (``*-test-01.xml``) into cases with FEEL-typed values.

The TCK's format (namespace ``http://www.omg.org/spec/DMN/20160719/testcase``): each ``testCase``
gives ``inputNode`` values and, per ``resultNode``, the ``expected`` value of a decision. Values are
``<value xsi:type="xsd:...">``, ``<component name>`` (a context) or ``<list><item>`` (a list).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from shenpi_core.feel_temporal import parse_date, parse_date_and_time, parse_duration, parse_time
from shenpi_core.feel_values import CTX, YearMonth

_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass(frozen=True)
class ResultCheck:
    case: str  # the case folder
    test_id: str
    node: str  # the decision's name
    node_type: str  # "decision" or "decisionService"
    inputs: dict[str, Any]
    expected: Any
    error: bool  # errorResult="true": evaluating it must fail (or give null)
    model: Path
    unreadable: str | None = None  # why a value of the test cannot be held, if it cannot

    @property
    def id(self) -> str:
        return f"{self.case}/{self.test_id}/{self.node}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


class UnreadableValueError(ValueError):
    """A TCK value Python's types cannot hold (year -2017, a named time zone)."""


def _readable(value: Any, text: str) -> Any:
    if value is None:
        raise UnreadableValueError(f"cannot represent {text.strip()!r}")
    return value


def _scalar(el: etree._Element) -> Any:
    if el.get(f"{_XSI}nil") == "true":
        return None
    kind = (el.get(f"{_XSI}type") or "xsd:string").split(":")[-1]
    text = el.text or ""
    readers: dict[str, Any] = {
        "string": lambda t: t,
        "decimal": lambda t: CTX.create_decimal(t.strip()),
        "double": lambda t: CTX.create_decimal(repr(float(t.strip()))),
        "integer": lambda t: Decimal(int(t.strip())),
        "boolean": lambda t: t.strip() == "true",
        "date": lambda t: _readable(parse_date(t.strip()), t),
        "time": lambda t: _readable(parse_time(t.strip()), t),
        "dateTime": lambda t: _readable(parse_date_and_time(t.strip()), t),
        "duration": lambda t: _readable(parse_duration(t.strip()), t),
    }
    return readers[kind](text)


def read_value(el: etree._Element) -> Any:
    """The value held by an ``inputNode``, ``expected``, ``component`` or ``item`` element."""
    if el.get(f"{_XSI}nil") == "true":
        return None
    value = next((c for c in el if _local(c) == "value"), None)
    if value is not None:
        return _scalar(value)
    listing = next((c for c in el if _local(c) == "list"), None)
    if listing is not None:
        if listing.get(f"{_XSI}nil") == "true":
            return None
        return [read_value(item) for item in _kids(listing, "item")]
    components = _kids(el, "component")
    if components:
        return {str(c.get("name")): read_value(c) for c in components}
    return None


def _try_read(el: etree._Element) -> tuple[Any, str | None]:
    try:
        return read_value(el), None
    except UnreadableValueError as err:
        return None, str(err)


def read_checks(case_dir: Path) -> list[ResultCheck]:
    checks = []
    for test_file in sorted(case_dir.glob("*-test-01.xml")):
        root = etree.parse(str(test_file)).getroot()
        model_name = (_kids(root, "modelName")[0].text or "").strip()
        for test in _kids(root, "testCase"):
            inputs, problems = {}, []
            for node in _kids(test, "inputNode"):
                inputs[str(node.get("name"))], problem = _try_read(node)
                problems.append(problem)
            for result in _kids(test, "resultNode"):
                expected = _kids(result, "expected")
                value, problem = _try_read(expected[0]) if expected else (None, None)
                unreadable = next((p for p in [*problems, problem] if p), None)
                checks.append(
                    ResultCheck(
                        case=case_dir.name,
                        test_id=str(test.get("id")),
                        node=str(result.get("name")),
                        node_type=result.get("type") or "decision",
                        inputs=inputs,
                        expected=value,
                        error=result.get("errorResult") == "true",
                        model=case_dir / model_name,
                        unreadable=unreadable,
                    )
                )
    return checks


def same(actual: Any, expected: Any) -> bool:
    """TCK equality: numbers to 1e-12 relative (the TCK's expected values were computed in
    doubles and written to 15 digits; FEEL computes in 34-digit decimals), else
    exact, types included (a date is no date and time)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, Decimal):
        if not isinstance(actual, Decimal) or isinstance(actual, bool):
            return False
        return abs(actual - expected) <= Decimal("1e-12") * max(Decimal(1), abs(expected))
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(same(actual[k], v) for k, v in expected.items())
        )
    if isinstance(expected, YearMonth | dt.timedelta | dt.date | dt.time):
        return type(actual) is type(expected) and actual == expected and _offsets(actual, expected)
    return type(actual) is type(expected) and bool(actual == expected)


def _offsets(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dt.datetime | dt.time):
        return bool(actual.utcoffset() == expected.utcoffset())
    return True
