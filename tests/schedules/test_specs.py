"""Each timer kind of a process's timer start becomes the Schedule spec Zeebe's rules ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import ScheduleCalendarSpec, ScheduleIntervalSpec, ScheduleRange

from bpmn_compiler.model import RawText, RawTimer
from bpmn_compiler.timers import TimerSyntaxError, compile_timer
from shenpi.schedule_specs import TimerStartError, timing
from shenpi_core.process_plan import TimerSpec

DEPLOYED = datetime(2026, 3, 10, 8, 30, 15, 250_000, tzinfo=UTC)


def _start_timer(kind: str, text: str) -> TimerSpec:
    """The timer as the compiler plans a process's timer start."""
    return compile_timer(RawTimer(kind, RawText(text)), cron=True)[0]  # type: ignore[arg-type]


def _at(moment: datetime) -> ScheduleCalendarSpec:
    return ScheduleCalendarSpec(
        second=(ScheduleRange(moment.second),),
        minute=(ScheduleRange(moment.minute),),
        hour=(ScheduleRange(moment.hour),),
        day_of_month=(ScheduleRange(moment.day),),
        month=(ScheduleRange(moment.month),),
        year=(ScheduleRange(moment.year),),
    )


def test_a_date_fires_once_at_that_moment_in_utc() -> None:
    when = timing(_start_timer("date", "2026-04-01T09:00:00+08:00"), deployed_at=DEPLOYED)

    assert when.spec.calendars == [_at(datetime(2026, 4, 1, 1, 0, tzinfo=UTC))]
    assert (when.spec.intervals, when.spec.cron_expressions) == ([], [])
    assert when.remaining == 1


def test_a_date_that_has_passed_has_nothing_left() -> None:
    assert timing(_start_timer("date", "2026-03-01T00:00:00Z"), deployed_at=DEPLOYED).remaining == 0


def test_a_duration_fires_once_that_long_after_the_deploy_to_the_second() -> None:
    when = timing(_start_timer("duration", "PT90M"), deployed_at=DEPLOYED)

    assert when.spec.calendars == [_at(datetime(2026, 3, 10, 10, 0, 15, tzinfo=UTC))]
    assert when.remaining == 1


def test_a_cycle_fires_one_interval_after_the_deploy_and_n_times_in_all() -> None:
    when = timing(_start_timer("cycle", "R3/PT1H"), deployed_at=DEPLOYED)

    first = datetime(2026, 3, 10, 9, 30, 15, tzinfo=UTC)
    [interval] = when.spec.intervals
    assert interval.every == timedelta(hours=1)
    # Interval times count from the epoch: the offset lands one on the first occurrence.
    assert (first - datetime(1970, 1, 1, tzinfo=UTC)) % interval.every == interval.offset
    assert (when.spec.start_at, when.spec.end_at) == (first, first + timedelta(hours=2))
    assert when.remaining == 3


def test_an_unbounded_cycle_has_no_end_and_no_limit() -> None:
    when = timing(_start_timer("cycle", "R/P1D"), deployed_at=DEPLOYED)

    assert when.spec.intervals == [
        ScheduleIntervalSpec(
            every=timedelta(days=1), offset=timedelta(hours=8, minutes=30, seconds=15)
        )
    ]
    assert when.spec.end_at is None and when.remaining is None


def test_a_cycle_from_a_start_date_fires_at_the_start_then_every_interval() -> None:
    when = timing(_start_timer("cycle", "R5/2026-04-01T09:00:00+08:00/P7D"), deployed_at=DEPLOYED)

    start = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    [interval] = when.spec.intervals
    assert interval.every == timedelta(days=7)
    assert (start - datetime(1970, 1, 1, tzinfo=UTC)) % interval.every == interval.offset
    assert interval.offset == timedelta(days=6, hours=1)  # weeks from a Thursday to a Wednesday
    assert (when.spec.start_at, when.spec.end_at) == (start, start + timedelta(days=28))
    assert when.remaining == 5


def test_a_cycle_that_started_before_the_deploy_keeps_only_its_occurrences_ahead() -> None:
    # Daily from 7 March 09:00: the 7th, 8th, 9th and 10th (08:30 < 09:00, still ahead) ...
    when = timing(_start_timer("cycle", "R4/2026-03-07T09:00:00Z/P1D"), deployed_at=DEPLOYED)
    assert when.remaining == 1
    ended = timing(_start_timer("cycle", "R2/2026-03-07T09:00:00Z/P1D"), deployed_at=DEPLOYED)
    assert ended.remaining == 0


def test_a_zeebe_cron_becomes_a_temporal_cron_in_the_configured_time_zone() -> None:
    timer = _start_timer("cycle", "0 0 9 1 * ?")  # Spring: 09:00 on the first of each month
    when = timing(timer, deployed_at=DEPLOYED, time_zone="Asia/Shanghai")

    assert when.spec.cron_expressions == ["0 0 9 1 * * *"]
    assert when.spec.time_zone_name == "Asia/Shanghai"
    assert when.remaining is None


def test_a_timer_start_written_as_an_expression_cannot_be_scheduled() -> None:
    with pytest.raises(TimerStartError, match="literal"):
        timing(_start_timer("duration", "= startIn"), deployed_at=DEPLOYED)


def test_a_start_date_in_a_cycle_is_only_for_timer_starts_of_the_process() -> None:
    # An intermediate or boundary cycle counts from the token's arrival: a start date is refused.
    with pytest.raises(TimerSyntaxError, match="not a supported cycle"):
        compile_timer(RawTimer("cycle", RawText("R3/2026-04-01T09:00:00Z/PT1H")))
