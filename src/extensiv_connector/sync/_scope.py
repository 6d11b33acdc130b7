"""One action run: its lease (two processes never run it at once) and its journal entry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ._journal import Journal, RunRecorder
from .store import StateStore, hold_lease

__all__ = ["action_scope", "targeted_lease_name"]


def targeted_lease_name(action: str) -> str:
    """Targeted pulls (webhooks) hold their own lease: they never move the cursor, so they
    may run beside a poll of the same action, but not beside each other."""
    return f"{action}:targeted"


@contextlib.contextmanager
def action_scope(
    store: StateStore,
    journal: Journal,
    channel: str,
    action: str,
    *,
    lease_seconds: float,
    lease: str | None = None,
) -> Iterator[RunRecorder]:
    """Hold the lease (``LeaseHeldError`` at once if another holder has it), journal the run
    (an exception marks it failed and propagates), and release the lease."""
    with (
        hold_lease(store, channel, lease or action, ttl_seconds=lease_seconds),
        journal.run(action) as run,
    ):
        yield run
