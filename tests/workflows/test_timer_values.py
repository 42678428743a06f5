"""Timer values as the interpreter reads them at run time (pure: no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shenpi_core.process_plan import Expression, TimerSpec
from workflows.timers import Schedule, TimerError, first_occurrence, next_occurrence

NOW = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def computed(kind: str) -> TimerSpec:
    """A timer whose ISO text comes from the variable ``when`` at run time."""
    source = Expression(source="${when}", dialect="juel", ast={"var": ["when"]})
    return TimerSpec(kind=kind, expression=source)


@pytest.mark.parametrize(
    ("kind", "when", "expected"),
    [
        ("duration", "PT36H", Schedule(NOW + timedelta(hours=36))),
        ("duration", 90, Schedule(NOW + timedelta(seconds=90))),  # a number is seconds
        ("duration", "P1M", Schedule(datetime(2026, 2, 28, 9, 0, tzinfo=UTC))),  # calendar month
        ("date", "2026-03-01T08:00:00Z", Schedule(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))),
        ("date", "2026-03-01T08:00:00", Schedule(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))),
        ("cycle", "R3/PT1H", Schedule(NOW + timedelta(hours=1), 3, 3600.0)),
        ("cycle", "R/P1D", Schedule(NOW + timedelta(days=1), None, 86400.0)),
        (
            "cycle",
            "R2/2026-02-01T00:00:00Z/PT12H",
            Schedule(datetime(2026, 2, 1, tzinfo=UTC), 2, 43200.0),
        ),
    ],
)
def test_computed_timer_value_gives_its_first_occurrence(
    kind: str, when: object, expected: Schedule
) -> None:
    assert first_occurrence(computed(kind), NOW, {"when": when}) == expected


def test_compiled_seconds_are_used_without_reading_iso_text() -> None:
    spec = TimerSpec(kind="cycle", value="R3/PT4H", seconds=14400.0, repeat=3)
    assert first_occurrence(spec, NOW, {}) == Schedule(NOW + timedelta(hours=4), 3, 14400.0)


@pytest.mark.parametrize(
    ("kind", "when"),
    [("duration", "soon"), ("date", "tomorrow"), ("cycle", "R0/PT1H"), ("cycle", "0 9 * * *")],
)
def test_invalid_timer_value_is_a_timer_error(kind: str, when: str) -> None:
    with pytest.raises(TimerError):
        first_occurrence(computed(kind), NOW, {"when": when})


def test_cycle_skips_missed_occurrences_instead_of_firing_them_in_a_burst() -> None:
    due = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_occurrence(due, 3600.0, due) == due + timedelta(hours=1)
    later = due + timedelta(hours=5, minutes=30)
    assert next_occurrence(due, 3600.0, later) == due + timedelta(hours=6)
