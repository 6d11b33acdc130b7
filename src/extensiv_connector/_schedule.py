"""Schedules of ``[sync.schedule]``: when each action of a channel is next due. Pure.

Two spellings, one per action::

    [sync.schedule]
    receive_shipments = "every 5m"        # an interval: s, m, h or d
    receive_inventory_levels = "*/15 * * * *"   # cron-like: minute hour day month weekday (UTC)

Cron fields take ``*``, ``N``, ``A-B``, ``*/S``, ``A-B/S`` and comma lists; weekday 0 or 7 is
Sunday. As in cron, when both day-of-month and weekday are restricted either may match.
A small parser here beats a dependency: five fields, no time zones, and it is property-tested.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import attrs

from .errors import ConfigError

__all__ = [
    "MAX_INTERVAL_SECONDS",
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
    "parse_schedule",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"(?:every\s+)?(\d+)\s*([smhd])", re.IGNORECASE)
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_HORIZON_DAYS = 366 * 5  # a cron expression due less often than this is refused (e.g. 30 Feb)


#: The longest interval: ten years (a longer one overflows date arithmetic, and is a typo).
MAX_INTERVAL_SECONDS = 3650 * 86400


@attrs.frozen
class IntervalSchedule:
    """Due every ``seconds``, counted from the previous due time (not from when the run
    finished), so a run's own duration does not stretch the cadence, and a cron job or beat
    that ticks once per interval finds the job due on every tick."""

    seconds: int

    def next_due(self, after: datetime, previous: datetime | None = None) -> datetime:
        """The first due time after ``after`` (a run's start) on the grid that starts at
        ``previous`` (the due time that run served); without one, ``after`` + the interval."""
        step = timedelta(seconds=self.seconds)
        if previous is None:
            return after + step
        if previous > after:  # started within the slack, a little before its due time
            return previous + step
        # The first slot that is not already due, slack included: a run started just before
        # a slot must not make that slot due at once.
        missed = (after + self.slack - previous) // step
        return previous + (missed + 1) * step

    @property
    def slack(self) -> timedelta:
        """How early a job may run: a tenth of the interval, at most a minute. A process
        started by a tick (cron, beat) reads the clock a little before or after the due time
        the previous run set; without slack a late start makes the next tick skip."""
        return timedelta(seconds=min(self.seconds / 10, 60.0))

    def __str__(self) -> str:
        return f"every {self.seconds}s"


@attrs.frozen
class CronSchedule:
    """Due at the first minute after the previous run that matches every field (UTC)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_restricted: bool
    weekday_restricted: bool

    def _day_matches(self, when: datetime) -> bool:
        in_days = when.day in self.days
        in_weekdays = (when.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    #: Cron due times are whole minutes a tick meets exactly: no slack.
    slack = timedelta(0)

    def next_due(self, after: datetime, previous: datetime | None = None) -> datetime:
        """The first matching minute strictly after ``after`` (naive values are taken as UTC);
        ``previous`` is not needed (the expression is its own grid)."""
        aware = after if after.tzinfo else after.replace(tzinfo=timezone.utc)
        when = aware.astimezone(timezone.utc).replace(second=0, microsecond=0)
        when += timedelta(minutes=1)
        limit = when + timedelta(days=_HORIZON_DAYS)
        while when < limit:
            if when.month not in self.months or not self._day_matches(when):
                when = (when + timedelta(days=1)).replace(hour=0, minute=0)
            elif when.hour not in self.hours:
                when = (when + timedelta(hours=1)).replace(minute=0)
            elif when.minute not in self.minutes:
                when += timedelta(minutes=1)
            else:
                return when
        raise ConfigError("sync.schedule", f"{self.expression!r} is never due")

    def __str__(self) -> str:
        return self.expression


Schedule = IntervalSchedule | CronSchedule


def _field(text: str, name: str, low: int, high: int, where: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if match is None:
            raise ConfigError(where, f"cron {name} field {text[:20]!r}: cannot read {part[:20]!r}")
        star, first, last, step = match.groups()
        start, stop = (low, high) if star == "*" else (int(first), int(last or first))
        if last is None and star != "*" and step is not None:
            stop = high  # "5/15" means from 5 to the end, every 15
        stride = int(step) if step else 1
        if not (low <= start <= stop <= high) or stride < 1:
            raise ConfigError(
                where, f"cron {name} field {text[:20]!r}: {part[:20]!r} is outside {low}-{high}"
            )
        values.update(range(start, stop + 1, stride))
    return frozenset(values)


def parse_schedule(text: str, where: str = "sync.schedule") -> Schedule:
    """Read one schedule; ``ConfigError`` at ``where`` if it is neither form."""
    spec = text.strip() if isinstance(text, str) else ""
    shown = spec[:40]  # hostile or long input is never echoed whole
    interval = _INTERVAL.fullmatch(spec)
    if interval is not None:
        seconds = int(interval.group(1)) * _UNITS[interval.group(2).lower()]
        if seconds < 1:
            raise ConfigError(where, f"interval {shown!r} must be at least 1 second")
        if seconds > MAX_INTERVAL_SECONDS:
            raise ConfigError(where, f"interval {shown!r} is longer than 3650 days")
        return IntervalSchedule(seconds)
    parts = spec.split()
    if len(parts) != len(_FIELDS):
        raise ConfigError(
            where,
            f"expected 'every N[s|m|h|d]' or a 5-field cron expression, got {shown!r}",
        )
    sets = [_field(p, n, lo, hi, where) for p, (n, lo, hi) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    schedule = CronSchedule(
        expression=" ".join(parts),
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        day_restricted=parts[2] != "*",
        weekday_restricted=parts[4] != "*",
    )
    try:
        schedule.next_due(datetime(2000, 1, 1, tzinfo=timezone.utc))
    except ConfigError as exc:
        raise ConfigError(where, f"{shown!r} is never due") from exc
    return schedule
