"""``hold_lease``: run a block while holding a channel action's lease."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs

from .._errors import LeaseHeldError, LeaseLostError
from ._clock import default_owner
from ._protocol import StateStore

__all__ = ["DEFAULT_LEASE_TTL", "LeaseHandle", "hold_lease"]

#: Seconds a lease lives without renewal; a crashed holder blocks the action at most this long.
DEFAULT_LEASE_TTL = 300.0


@attrs.frozen
class LeaseHandle:
    """The lease held inside a ``hold_lease`` block. Call :meth:`renew` between batches of a
    long action so the lease does not expire under it."""

    store: StateStore = attrs.field(repr=False)
    channel: str
    action: str
    owner: str
    ttl_seconds: float

    def renew(self) -> None:
        """Extend the lease by ``ttl_seconds``; raises ``LeaseLostError`` if it was lost."""
        if not self.store.renew_lease(self.channel, self.action, self.owner, self.ttl_seconds):
            raise LeaseLostError(self.channel, self.action)


@contextlib.contextmanager
def hold_lease(
    store: StateStore,
    channel: str,
    action: str,
    *,
    owner: str | None = None,
    ttl_seconds: float = DEFAULT_LEASE_TTL,
) -> Iterator[LeaseHandle]:
    """Hold the lease of ``action`` on ``channel`` for the ``with`` block, then release it.

    Raises :class:`LeaseHeldError` at once (no waiting) if another owner holds a live lease::

        with hold_lease(store, "main", "push_orders") as lease:
            for batch in batches:
                ...
                lease.renew()
    """
    owner = owner or default_owner()
    if not store.acquire_lease(channel, action, owner, ttl_seconds):
        holder = store.lease_info(channel, action)
        raise LeaseHeldError(channel, action, holder.expires_at if holder else None)
    try:
        yield LeaseHandle(store, channel, action, owner, ttl_seconds)
    finally:
        store.release_lease(channel, action, owner)
