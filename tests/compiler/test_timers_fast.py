"""The whole-number durations ``timers`` works out itself are what isodate makes of them."""

from __future__ import annotations

import itertools

import isodate
import pytest

from bpmn_compiler.timers import _WHOLE_DURATION, TimerSyntaxError, _duration_seconds

PARTS = ("", "0", "1", "07", "24", "59", "60", "99", "1000", "123456", "999999")


def _texts() -> list[str]:
    texts = []
    for days, hours, minutes, seconds in itertools.product(PARTS, repeat=4):
        time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
        texts.append("P" + (f"{days}D" if days else "") + (f"T{time}" if time else ""))
    return texts


def test_every_whole_duration_is_seconds_as_isodate_counts_them() -> None:
    checked = 0
    for text in _texts():
        if _WHOLE_DURATION.fullmatch(text) is None or text == "P":
            continue
        expected = isodate.parse_duration(text).total_seconds()
        if expected <= 0:
            with pytest.raises(TimerSyntaxError, match="must be positive"):
                _duration_seconds(text)
            continue
        got = _duration_seconds(text)
        assert got == expected and type(got) is float, text
        checked += 1
    assert checked > 10_000


OTHERS = ["P", "PT", "P1DT", "PT1.5S", "P1W", "P1Y", "P1M", "-PT5M", "PT1234567S", "pt5m", " PT5M"]


@pytest.mark.parametrize("text", OTHERS)
def test_other_durations_are_left_to_isodate(text: str) -> None:
    assert _WHOLE_DURATION.fullmatch(text) is None or text == "P"
    try:
        expected: float | str = isodate.parse_duration(text).total_seconds()
    except Exception:  # whatever isodate refuses (or reads as months), _duration_seconds refuses
        expected = "refused"
    try:
        got: float | str = _duration_seconds(text)
    except TimerSyntaxError:
        got = "refused"
    if isinstance(expected, float) and expected <= 0:
        expected = "refused"  # a duration must be positive
    assert got == expected
