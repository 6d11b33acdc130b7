"""``[sync.schedule]`` parsing and next-due times (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.config import SyncSettings
from extensiv_connector.errors import ConfigError
from extensiv_connector.worker import CronSchedule, IntervalSchedule, parse_schedule

UTC = timezone.utc
T = datetime(2026, 3, 14, 10, 7, 30, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("every 30s", 30), ("every 5m", 300), ("2h", 7200), ("every 1d", 86400), ("EVERY 10M", 600)],
)
def test_intervals_read_in_seconds_minutes_hours_and_days(text: str, seconds: int) -> None:
    schedule = parse_schedule(text)
    assert IntervalSchedule(seconds) == schedule
    assert T + timedelta(seconds=seconds) == schedule.next_due(T)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/15 * * * *", datetime(2026, 3, 14, 10, 15, tzinfo=UTC)),
        ("0 * * * *", datetime(2026, 3, 14, 11, 0, tzinfo=UTC)),
        ("30 2 * * *", datetime(2026, 3, 15, 2, 30, tzinfo=UTC)),
        ("0 9 * * 1-5", datetime(2026, 3, 16, 9, 0, tzinfo=UTC)),  # next weekday is Monday
        ("0 0 1 * *", datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("5,35 10 * * 7", datetime(2026, 3, 15, 10, 5, tzinfo=UTC)),  # 7 is Sunday too
        ("0 0 13 * 5", datetime(2026, 3, 20, 0, 0, tzinfo=UTC)),  # day OR weekday, as cron
    ],
)
def test_cron_expressions_give_the_next_matching_minute(
    expression: str, expected: datetime
) -> None:
    assert expected == parse_schedule(expression).next_due(T)


def test_naive_times_are_taken_as_utc() -> None:
    naive = T.replace(tzinfo=None)
    assert parse_schedule("0 * * * *").next_due(naive) == datetime(2026, 3, 14, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sometimes", "expected 'every N"),
        ("every 0s", "at least 1 second"),
        ("60 * * * *", "outside 0-59"),
        ("* 24 * * *", "outside 0-23"),
        ("*/0 * * * *", "outside"),
        ("a * * * *", "cannot read 'a'"),
        ("0 0 31 2 *", "never due"),
        ("every 3000000d", "longer than 3650 days"),
        ("every 99999999999999999999s", "longer than 3650 days"),
    ],
)
def test_bad_schedules_are_config_errors_naming_the_setting(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        SyncSettings(schedule={"receive_shipments": text})
    assert "sync.schedule.receive_shipments" == raised.value.path


def _matches(schedule: CronSchedule, when: datetime) -> bool:
    return (
        when.minute in schedule.minutes
        and when.hour in schedule.hours
        and when.month in schedule.months
        and schedule._day_matches(when)
    )


_field = st.one_of(
    st.just("*"),
    st.integers(1, 9).map(lambda n: f"*/{n}"),
)


@given(
    minute=st.one_of(_field, st.integers(0, 59).map(str)),
    hour=st.one_of(_field, st.integers(0, 23).map(str), st.just("8-17")),
    weekday=st.sampled_from(["*", "1-5", "0,6", "3"]),
    after=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)),
)
def test_cron_next_due_is_the_first_matching_minute_after(
    minute: str, hour: str, weekday: str, after: datetime
) -> None:
    schedule = parse_schedule(f"{minute} {hour} * * {weekday}")
    assert isinstance(schedule, CronSchedule)
    due = schedule.next_due(after)

    start = after.replace(tzinfo=UTC)
    assert due > start
    assert _matches(schedule, due)
    # no matching minute was skipped (checked minute by minute within a week's reach)
    probe = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < due:
        assert not _matches(schedule, probe)
        probe += timedelta(minutes=1)


@given(seconds=st.integers(1, 86400 * 30), data=st.data())
def test_interval_next_due_is_the_first_slot_of_the_served_grid_after_the_start(
    seconds: int, data: st.DataObject
) -> None:
    """Independent check: walk the grid slot by slot (the code jumps by division)."""
    # Up to 500 missed slots behind the start, or up to an hour ahead of it (started early).
    served_offset = data.draw(st.integers(-3600, 500 * seconds))
    schedule = IntervalSchedule(seconds)
    step = timedelta(seconds=seconds)
    started = T
    served = T - timedelta(seconds=served_offset)  # negative offset: started a bit early

    due = served + step
    while due - schedule.slack <= started:  # not a slot that is already due
        due += step

    assert due == schedule.next_due(started, served)
    assert started + schedule.slack < schedule.next_due(started, served)


def test_interval_next_due_of_a_first_run_is_an_interval_after_its_start() -> None:
    assert T + timedelta(minutes=5) == IntervalSchedule(300).next_due(T)


def test_interval_slack_is_a_tenth_of_the_interval_and_at_most_a_minute() -> None:
    assert (timedelta(seconds=3), timedelta(seconds=60)) == (
        IntervalSchedule(30).slack,
        IntervalSchedule(86400).slack,
    )
