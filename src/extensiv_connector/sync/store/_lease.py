"""``hold_lease``: run a block while holding a channel action's lease, renewed in the background.

While the block runs, a daemon thread renews the lease every third of its TTL. If a renewal
finds the lease gone (another worker took it after this process stalled past the TTL), the
handle is marked lost: :meth:`LeaseHandle.check` raises ``LeaseLostError`` from then on, and
every store write that carries :attr:`LeaseHandle.fence` is refused by the store itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import attrs

from ...errors import ExtensivError
from .._errors import LeaseHeldError, LeaseLostError
from .._records import Fence
from ._clock import default_owner
from ._protocol import StateStore

__all__ = ["DEFAULT_LEASE_TTL", "LeaseHandle", "hold_lease"]

#: Seconds a lease lives without renewal; a crashed holder blocks the action at most this long.
DEFAULT_LEASE_TTL = 300.0

log = logging.getLogger("extensiv_connector.sync")


@attrs.frozen
class LeaseHandle:
    """The lease held inside a ``hold_lease`` block.

    It renews itself in the background; :meth:`renew` forces a renewal now. Long actions call
    :meth:`check` before each side effect and pass :attr:`fence` with their store writes.
    """

    store: StateStore = attrs.field(repr=False)
    channel: str
    action: str
    owner: str
    ttl_seconds: float
    token: int = 0
    _lost: threading.Event = attrs.field(factory=threading.Event, init=False, repr=False, eq=False)

    @property
    def fence(self) -> Fence:
        """What store writes carry so the store refuses them once the lease is lost."""
        return Fence(self.action, self.token)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise ``LeaseLostError`` if a renewal found the lease taken over or released."""
        if self._lost.is_set():
            raise LeaseLostError(self.channel, self.action)

    def renew(self) -> None:
        """Extend the lease by ``ttl_seconds``; raises ``LeaseLostError`` if it was lost."""
        self.check()
        if not self.store.renew_lease(self.channel, self.action, self.owner, self.ttl_seconds):
            self._lost.set()
            raise LeaseLostError(self.channel, self.action)


def _heartbeat(handle: LeaseHandle, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            handle.renew()
        except LeaseLostError:
            log.warning("lease %s of channel %s was lost", handle.action, handle.channel)
            return
        except ExtensivError:  # a busy store: try again; fencing keeps the writes safe
            log.debug("lease renewal of %s failed; retrying", handle.action, exc_info=True)


@contextlib.contextmanager
def hold_lease(
    store: StateStore,
    channel: str,
    action: str,
    *,
    owner: str | None = None,
    ttl_seconds: float = DEFAULT_LEASE_TTL,
    renew_every: float | None = None,
    wait_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LeaseHandle]:
    """Hold the lease of ``action`` on ``channel`` for the ``with`` block, then release it.

    Raises :class:`LeaseHeldError` if another owner holds a live lease, at once or after
    polling for up to ``wait_seconds``. A daemon thread renews the lease every
    ``renew_every`` seconds (default: a third of ``ttl_seconds``; 0 turns it off) until the
    block exits::

        with hold_lease(store, "main", "push_orders") as lease:
            for batch in batches:
                lease.check()  # LeaseLostError if another worker took over
                ...
    """
    owner = owner or default_owner()
    lease = store.take_lease(channel, action, owner, ttl_seconds)
    waited, pause = 0.0, 0.02
    while lease is None and waited < wait_seconds:
        pause = min(pause, wait_seconds - waited)
        sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.5)
        lease = store.take_lease(channel, action, owner, ttl_seconds)
    if lease is None:
        holder = store.lease_info(channel, action)
        raise LeaseHeldError(channel, action, holder.expires_at if holder else None)
    handle = LeaseHandle(store, channel, action, owner, ttl_seconds, lease.token)
    every = ttl_seconds / 3 if renew_every is None else renew_every
    stop = threading.Event()
    beat: threading.Thread | None = None
    if every > 0:
        beat = threading.Thread(
            target=_heartbeat,
            args=(handle, every, stop),
            name=f"extensiv-lease-{action}",
            daemon=True,
        )
        beat.start()
    try:
        yield handle
    finally:
        stop.set()
        if beat is not None:
            beat.join()
        store.release_lease(channel, action, owner)
