"""One action run: its lease (two processes never run it at once) and its journal entry."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import attrs

from ..errors import ExtensivError
from ._journal import Journal, RunRecorder
from .store import LeaseHandle, StateStore, hold_lease

__all__ = ["ORDERS_LEASE", "ActionScope", "action_scope", "run_lease", "targeted_lease_name"]

log = logging.getLogger("extensiv_connector.sync")

#: The one lease that serialises every writer of a channel's order ledger and backorder queue:
#: ``push_orders``, the backorder release of ``receive_inventory_levels`` (polled or triggered
#: by a webhook) and ``cancel_order``. Held backorders are released by one path at a time.
ORDERS_LEASE = "push_orders"
#: The actions that run under :data:`ORDERS_LEASE` rather than a lease of their own name.
_ORDERS_ACTIONS = frozenset({"push_orders", "cancel_order"})


def targeted_lease_name(action: str) -> str:
    """Targeted pulls (webhooks) hold their own lease: they never move the cursor, so they
    may run beside a poll of the same action, but not beside each other."""
    return f"{action}:targeted"


def run_lease(action: str, *, targeted: bool = False) -> str:
    """The lease a run of ``action`` holds: the one place that decides it."""
    if targeted:
        return targeted_lease_name(action)
    return ORDERS_LEASE if action in _ORDERS_ACTIONS else action


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
    The lease renews itself in the background while the action runs.

    ``lease`` defaults to :func:`run_lease`. When no other run of ``action`` can be alive (this
    one holds its lease and the other lease a run of it may hold is free), earlier entries of
    ``action`` still ``running`` belong to processes that died mid-run: they are closed as
    failed (``Journal.close_interrupted``)."""
    name = lease or run_lease(action)
    with (
        hold_lease(
            store, channel, name, ttl_seconds=lease_seconds, wait_seconds=wait_seconds
        ) as held,
        journal.run(action) as run,
    ):
        try:
            # The journal first (one read, and almost always nothing): the leases are read only
            # when there is something to close, and close_interrupted reads the journal again
            # after them, so a run that finished meanwhile is seen finished.
            before = run.entry.entry_id or 0
            if journal.unfinished(action, before=before) and _no_other_run_alive(
                store, channel, action, name
            ):
                journal.close_interrupted(action, before=before)
        except ExtensivError:  # housekeeping: a busy store must not fail the action itself
            log.warning("could not close interrupted %s runs of channel %s", action, channel)
        yield ActionScope(run, held)


def _no_other_run_alive(store: StateStore, channel: str, action: str, held: str) -> bool:
    """A run of ``action`` holds one of two leases (plain or targeted); a caller holding one
    knows no other run is alive once the other is free (one that starts later has a newer
    entry than ours)."""
    leases = {run_lease(action), run_lease(action, targeted=True)}
    if held not in leases:
        return False  # a lease chosen by the caller: another run may hold the usual one
    return all(store.lease_info(channel, other) is None for other in leases - {held})
