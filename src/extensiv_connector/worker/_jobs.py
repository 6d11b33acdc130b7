"""Which (channel, action) pairs a worker runs, and when each is due. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from .._schedule import Schedule, parse_schedule
from ..config import ChannelConfig
from ..errors import ConfigError

__all__ = ["NEEDS_SOURCE", "SCHEDULABLE", "Job", "due_key", "is_due", "plan_jobs"]

#: Actions a schedule may name (the sync actions plus the health check).
SCHEDULABLE = (
    "push_orders",
    "receive_inventory_levels",
    "synchronize_inventory",
    "receive_shipments",
    "send_receipts",
    "receive_receipts",
    "import_products",
    "export_products",
    "check_connection",
)

#: Actions whose input only the host has: the worker needs a source for them.
NEEDS_SOURCE = frozenset({"synchronize_inventory", "send_receipts", "export_products"})


@attrs.frozen
class Job:
    """One scheduled action of one channel."""

    channel: str
    action: str
    schedule: Schedule

    @property
    def lease(self) -> str:
        """The worker's lease name: distinct from the action's own lease, which the action
        takes itself when it runs."""
        return f"worker:{self.action}"


def due_key(action: str) -> str:
    """The channel key/value entry holding when ``action`` is next due (ISO 8601, UTC)."""
    return f"worker.next_due.{action}"


def is_due(next_due: str | None, now: datetime) -> bool:
    """Never run (no entry) or its time has come."""
    return next_due is None or datetime.fromisoformat(next_due) <= now


def plan_jobs(configs: Sequence[ChannelConfig], *, with_sources: frozenset[str]) -> list[Job]:
    """Every scheduled action of every channel; ``ConfigError`` for an unknown action, a
    duplicated channel, or an action that needs a source the worker was not given."""
    jobs: list[Job] = []
    seen: set[str] = set()
    for config in configs:
        if config.channel in seen:
            raise ConfigError(
                "general.connection_name", f"channel {config.channel!r} is configured twice"
            )
        seen.add(config.channel)
        for action, spec in sorted(config.sync.schedule.items()):
            where = f"sync.schedule.{action}"
            if action not in SCHEDULABLE:
                raise ConfigError(
                    where, f"unknown action {action!r}; expected one of {', '.join(SCHEDULABLE)}"
                )
            if action in NEEDS_SOURCE and action not in with_sources:
                raise ConfigError(
                    where,
                    f"{action} needs its input from the host: give the worker a source for it"
                    f" (Worker(sources={{{action!r}: ...}}), or worker --sources MODULE:NAME)",
                )
            jobs.append(Job(config.channel, action, parse_schedule(spec, where)))
    return jobs
