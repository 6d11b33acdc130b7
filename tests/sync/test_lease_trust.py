"""LeaseTrust: until when a holder may take its lease as its own without reading the store.

The pure object is checked against an independent model (a list of the confirmed windows);
the handle's renewals against a store whose renewals can be made slow or failing. Time is a
number the test moves, never a sleep.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.errors import StateStoreError
from extensiv_connector.sync import LeaseLostError, MemoryStore, hold_lease
from extensiv_connector.sync.store import LeaseTrust
from extensiv_connector.testing.store_contract import FakeClock


class Ticks:
    """A clock in seconds that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


_steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.floats(0, 50)),
        # a take/renewal that takes ``duration`` seconds and then succeeds or fails
        st.tuples(st.sampled_from(["ok", "failed"]), st.floats(0, 50)),
        st.tuples(st.just("revoke"), st.just(0.0)),
    ),
    max_size=20,
)


@given(steps=_steps, ttl=st.floats(1, 100), margin_share=st.floats(0, 1))
def test_trust_lasts_until_the_latest_confirmed_start_plus_ttl_minus_margin(
    steps: list[tuple[str, float]], ttl: float, margin_share: float
) -> None:
    ticks = Ticks()
    margin = ttl * margin_share
    trust = LeaseTrust(ttl, margin_seconds=margin, clock=ticks)
    confirmed_starts: list[float] = []  # the model: every successful call's start time
    revoked = False
    for step, seconds in steps:
        if step == "wait":
            ticks.now += seconds
        elif step == "revoke":
            trust.revoke()
            revoked = True
        else:
            started = trust.start()
            ticks.now += seconds  # the call itself takes time
            if step == "ok":
                trust.confirm(started)
                confirmed_starts.append(started)
        expected = not revoked and any(ticks.now < s + (ttl - margin) for s in confirmed_starts)
        assert expected == trust.trusted()


@given(ttl=st.floats(1, 100), late=st.floats(0, 200))
def test_a_late_renewal_extends_trust_only_from_when_it_started(ttl: float, late: float) -> None:
    """The lease's new expiry is at least the call's start plus the TTL: a renewal that took
    ``late`` seconds to answer leaves that much less trust, none at all past the TTL."""
    ticks = Ticks()
    trust = LeaseTrust(ttl, margin_seconds=0, clock=ticks)
    started = trust.start()
    ticks.now += late
    trust.confirm(started)

    assert (late < ttl) == trust.trusted()
    assert started + ttl == trust.until


def test_nothing_is_trusted_before_the_first_confirmation_or_after_a_revocation() -> None:
    ticks = Ticks()
    trust = LeaseTrust(30, clock=ticks)
    before = trust.trusted()
    trust.confirm(trust.start())
    during = trust.trusted()
    trust.revoke()
    trust.confirm(trust.start())  # a renewal answered after the loss was noticed

    assert (False, True, False) == (before, during, trust.trusted())


def test_the_default_margin_is_a_third_of_the_ttl() -> None:
    ticks = Ticks()
    trust = LeaseTrust(30, clock=ticks)
    trust.confirm(trust.start())
    ticks.now += 19.9
    inside = trust.trusted()
    ticks.now += 0.1

    assert (True, False) == (inside, trust.trusted())


def test_a_margin_outside_the_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="margin"):
        LeaseTrust(30, margin_seconds=31)


# ---------------------------------------------------------------------- through the handle


class _Renewals(MemoryStore):
    """A store whose renewals can be made to fail (a busy store) or to take time."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.clock = clock
        self.busy = False
        self.renewal_takes = 0.0

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        if self.busy:
            raise StateStoreError("state store is busy")
        self.clock.advance(self.renewal_takes)
        return super().renew_lease(channel, action, owner, ttl_seconds)


def _held(store: _Renewals, **kw: Any) -> Any:
    return hold_lease(
        store, "main", "push_orders", ttl_seconds=30, renew_every=0, clock=store.clock.seconds, **kw
    )


def test_a_renewal_that_fails_does_not_extend_the_trust() -> None:
    store = _Renewals(FakeClock())
    with _held(store) as lease:
        first = lease.trust.until
        store.clock.advance(15)
        store.busy = True
        with contextlib.suppress(StateStoreError):
            lease.renew()
        after_failure = lease.trust.until
        store.busy = False
        lease.renew()
        after_success = lease.trust.until

    assert first == after_failure
    assert first + 15 == after_success  # the good renewal started 15 s after the take
    assert not lease.trust.trusted()  # released on exit


def test_a_slow_renewal_counts_from_when_it_was_sent() -> None:
    store = _Renewals(FakeClock())
    with _held(store) as lease:
        store.clock.advance(10)
        sent_at = store.clock.seconds()
        store.renewal_takes = 12
        lease.renew()
        until = lease.trust.until

    assert sent_at + 20 == until  # 30 s TTL minus the 10 s margin, from the start


def test_a_lost_renewal_ends_the_trust_at_once() -> None:
    store = _Renewals(FakeClock())
    with _held(store) as lease:
        store.clock.advance(31)
        assert store.acquire_lease("main", "push_orders", "w2", 30)
        with pytest.raises(LeaseLostError):
            lease.renew()
        trusted = lease.trust.trusted()
        store.clock.advance(-31)  # even a clock that went back does not bring it back

        assert (False, False) == (trusted, lease.trust.trusted())
