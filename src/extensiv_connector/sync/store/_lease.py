"""``hold_lease``: run a block while holding a channel action's lease, renewed in the background.

While the block runs, a daemon thread renews the lease every third of its TTL. If a renewal
finds the lease gone (another worker took it after this process stalled past the TTL), the
handle is marked lost: :meth:`LeaseHandle.check` raises ``LeaseLostError`` from then on, and
every store write that carries :attr:`LeaseHandle.fence` is refused by the store itself.

:class:`LeaseTrust` says until when the holder may take its lease as still its own without
reading the store. Every backend lets another owner take a lease only once it has expired
(``may_take_lease``: absent, expired, or the taker's own), and a successful take or renewal
sets the expiry to at least the call's start plus the TTL. So a lease taken or renewed by a
call that started at ``t`` (on this process's clock) cannot belong to anyone else before
``t + ttl``; the holder trusts it until ``t + ttl - margin``, the margin covering the skew
between this clock and the clocks of the processes that decide expiry. The lease row also
disappears by ``release_lease`` (only its owner's, which ends the trust first) and by
``delete_channel`` (which is why ``Connector.delete_channel`` holds the channel's push leases
while it deletes).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

import attrs

from ...errors import ExtensivError
from .._errors import LeaseHeldError, LeaseLostError
from .._records import Fence
from ._clock import default_owner
from ._protocol import StateStore

__all__ = ["DEFAULT_LEASE_TTL", "LeaseHandle", "LeaseTrust", "hold_lease", "local_clock"]

#: Seconds a lease lives without renewal; a crashed holder blocks the action at most this long.
DEFAULT_LEASE_TTL = 300.0

log = logging.getLogger("extensiv_connector.sync")

_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)


def local_clock() -> float:
    """Seconds on a clock that never goes back and keeps counting while the machine sleeps
    (``CLOCK_BOOTTIME`` where there is one, else ``time.monotonic``): a holder suspended past
    its TTL must see that time passed, as the processes that may take its lease over do."""
    if _BOOTTIME is not None:
        return time.clock_gettime(_BOOTTIME)
    return time.monotonic()  # pragma: no cover - platforms without CLOCK_BOOTTIME


class LeaseTrust:
    """Until when a lease holder may take its lease as still its own without a store read.

    Pure bookkeeping over an injected ``clock`` (seconds): the caller reads :meth:`start`
    right before it takes or renews the lease, and reports a success with :meth:`confirm`.
    Trust then lasts until that start plus ``ttl_seconds`` minus ``margin_seconds`` (default
    a third of the TTL; the lease renews every third). A failed or refused renewal reports
    nothing (or :meth:`revoke`), so it never extends the trust, and a late one extends it
    only from when it started. Before any confirmation nothing is trusted.
    """

    def __init__(
        self,
        ttl_seconds: float,
        *,
        margin_seconds: float | None = None,
        clock: Callable[[], float] = local_clock,
    ) -> None:
        margin = ttl_seconds / 3 if margin_seconds is None else margin_seconds
        if not 0 <= margin <= ttl_seconds:
            raise ValueError(f"margin {margin} s must be within the TTL of {ttl_seconds} s")
        self._span = ttl_seconds - margin
        self._clock = clock
        self._lock = threading.Lock()
        self._until = -math.inf
        self._revoked = False

    def start(self) -> float:
        """The clock right before a take or renewal: pass it to :meth:`confirm` on success."""
        return self._clock()

    def confirm(self, started: float) -> None:
        """A take or renewal that began at ``started`` succeeded: trust up to its bound (never
        less than an earlier confirmation's, since the lease expires no earlier). Nothing
        after :meth:`revoke`."""
        with self._lock:
            if not self._revoked:
                self._until = max(self._until, started + self._span)

    def revoke(self) -> None:
        """The lease is lost or released: trust nothing from now on."""
        with self._lock:
            self._revoked = True
            self._until = -math.inf

    @property
    def until(self) -> float:
        """The clock reading until which the lease is trusted (``-inf``: not at all)."""
        return self._until

    def trusted(self) -> bool:
        """Whether the lease is still certainly ours, without asking the store."""
        return self._clock() < self._until


@attrs.frozen
class LeaseHandle:
    """The lease held inside a ``hold_lease`` block.

    It renews itself in the background; :meth:`renew` forces a renewal now. Long actions call
    :meth:`check` before each side effect and pass :attr:`fence` with their store writes.
    :attr:`trust` (on ``clock``) says whether the lease is certainly still ours without a
    store read: ``hold_lease`` confirms it with its take, every successful :meth:`renew` with
    the renewal (a handle built by hand trusts nothing until its first renewal).
    """

    store: StateStore = attrs.field(repr=False)
    channel: str
    action: str
    owner: str
    ttl_seconds: float
    token: int = 0
    clock: Callable[[], float] = attrs.field(
        default=local_clock, kw_only=True, repr=False, eq=False
    )
    _lost: threading.Event = attrs.field(factory=threading.Event, init=False, repr=False, eq=False)
    trust: LeaseTrust = attrs.field(
        default=attrs.Factory(
            lambda self: LeaseTrust(self.ttl_seconds, clock=self.clock), takes_self=True
        ),
        init=False,
        repr=False,
        eq=False,
    )

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
        """Extend the lease by ``ttl_seconds``; raises ``LeaseLostError`` if it was lost.

        Only a renewal the store confirmed extends :attr:`trust`, from when it started; one
        that fails (a busy store) leaves it as it was."""
        self.check()
        started = self.trust.start()
        if not self.store.renew_lease(self.channel, self.action, self.owner, self.ttl_seconds):
            self._mark_lost()
            raise LeaseLostError(self.channel, self.action)
        self.trust.confirm(started)

    def _mark_lost(self) -> None:
        """The lease is gone (taken over or released): trust nothing, and :meth:`check`
        raises from now on."""
        self.trust.revoke()
        self._lost.set()


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
    clock: Callable[[], float] = local_clock,
) -> Iterator[LeaseHandle]:
    """Hold the lease of ``action`` on ``channel`` for the ``with`` block, then release it.

    Raises :class:`LeaseHeldError` if another owner holds a live lease, at once or after
    polling for up to ``wait_seconds``. A daemon thread renews the lease every
    ``renew_every`` seconds (default: a third of ``ttl_seconds``; 0 turns it off) until the
    block exits. ``owner`` must be unique to this holder (the default is): releasing the
    lease at the end of one block releases it for every block of the same owner. ``clock``
    (seconds) times the handle's :attr:`LeaseHandle.trust`; tests that move the store's clock
    to simulate a stall move this one too::

        with hold_lease(store, "main", "push_orders") as lease:
            for batch in batches:
                lease.check()  # LeaseLostError if another worker took over
                ...
    """
    owner = owner or default_owner()
    started = clock()
    lease = store.take_lease(channel, action, owner, ttl_seconds)
    waited, pause = 0.0, 0.02
    while lease is None and waited < wait_seconds:
        pause = min(pause, wait_seconds - waited)
        sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.5)
        started = clock()
        lease = store.take_lease(channel, action, owner, ttl_seconds)
    if lease is None:
        holder = store.lease_info(channel, action)
        raise LeaseHeldError(channel, action, holder.expires_at if holder else None)
    handle = LeaseHandle(store, channel, action, owner, ttl_seconds, lease.token, clock=clock)
    handle.trust.confirm(started)
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
        handle.trust.revoke()  # before the row goes: nothing trusts a released lease
        store.release_lease(channel, action, owner)
