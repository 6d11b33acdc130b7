"""``extensiv-connector worker``: run every channel's ``[sync.schedule]``, shared by any number
of workers on any number of hosts through one state store (PostgreSQL for several hosts)."""

from .._schedule import CronSchedule, IntervalSchedule, Schedule, parse_schedule
from ._jobs import SCHEDULABLE, Job, plan_jobs
from ._signals import stop_on_signals
from ._worker import JobOutcome, Worker, due_at

__all__ = [
    "SCHEDULABLE",
    "CronSchedule",
    "IntervalSchedule",
    "Job",
    "JobOutcome",
    "Schedule",
    "Worker",
    "due_at",
    "parse_schedule",
    "plan_jobs",
    "stop_on_signals",
]
