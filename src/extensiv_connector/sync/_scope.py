"""One action run: its lease (two processes never run it at once) and its journal entry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs

from ._journal import Journal, RunRecorder
from .store import LeaseHandle, StateStore, hold_lease

__all__ = ["ORDERS_LEASE", "ActionScope", "action_scope", "targeted_lease_name"]

#: The one lease that serialises every writer of a channel's order ledger and backorder queue:
#: ``push_orders``, the backorder release of ``receive_inventory_levels`` (polled or triggered
#: by a webhook) and ``cancel_order``. Held backorders are released by one path at a time.
ORDERS_LEASE = "push_orders"


def targeted_lease_name(action: str) -> str:
    """Targeted pulls (webhooks) hold their own lease: they never move the cursor, so they
    may run beside a poll of the same action, but not beside each other."""
    return f"{action}:targeted"


@attrs.frozen
class ActionScope:
    """What an action runs with: its journal recorder and the lease it holds."""

    recorder: RunRecorder
    lease: LeaseHandle


@contextlib.contextmanager
def action_scope(
    store: StateStore,
    journal: Journal,
    channel: str,
    action: str,
    *,
    lease_seconds: float,
    lease: str | None = None,
    wait_seconds: float = 0.0,
) -> Iterator[ActionScope]:
    """Hold the lease (``LeaseHeldError`` if another holder keeps it beyond ``wait_seconds``),
    journal the run (an exception marks it failed and propagates), and release the lease.
    The lease renews itself in the background while the action runs."""
    with (
        hold_lease(
            store, channel, lease or action, ttl_seconds=lease_seconds, wait_seconds=wait_seconds
        ) as held,
        journal.run(action) as run,
    ):
        yield ActionScope(run, held)
