"""Leases renew in the background and fence writes; claims are exclusive through the Connector.

Time is a ``FakeClock`` on the store: "the lease expired" is a clock step, never a sleep.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.errors import StateStoreError
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import (
    Connector,
    Fence,
    Lease,
    LeaseHeldError,
    LeaseLostError,
    LedgerEntry,
    LedgerKind,
    LedgerState,
    MemoryStore,
    PushResult,
    PushStatus,
    RunStatus,
    SQLiteStore,
    hold_lease,
)
from extensiv_connector.sync._push_engine import IN_FLIGHT, CreateJob, PushEngine
from extensiv_connector.sync._records import may_claim
from extensiv_connector.sync.store import utc_now
from extensiv_connector.testing.store_contract import T0, FakeClock

from ..integration.conftest import config_with, sales_order

ORDER = LedgerKind.ORDER


def _wait(predicate: Any, what: str) -> None:
    """Poll until ``predicate()``: a bounded loop on a condition, not a timing assertion."""
    done = threading.Event()
    for _ in range(2000):
        if predicate():
            return
        done.wait(0.005)
    raise AssertionError(f"never happened: {what}")


# ---------------------------------------------------------------------- background renewal


def _expires_in(store: MemoryStore, clock: FakeClock) -> timedelta:
    info = store.lease_info("main", "push_orders")
    return timedelta(0) if info is None else info.expires_at - clock.now


def test_a_held_lease_renews_itself_while_the_block_runs() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    with hold_lease(store, "main", "push_orders", owner="w1", ttl_seconds=10, renew_every=0.005):
        for _ in range(5):  # 45 s of store time in steps shorter than the TTL
            clock.advance(9)
            _wait(lambda: _expires_in(store, clock) > timedelta(seconds=5), "a renewal")
        assert not store.acquire_lease("main", "push_orders", "w2", 10)

    assert store.lease_info("main", "push_orders") is None  # released, renewal stopped


def test_a_lease_taken_over_is_noticed_by_the_renewal_and_stops_the_holder() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    with hold_lease(store, "main", "a", owner="w1", ttl_seconds=10, renew_every=0.005) as lease:
        clock.advance(11)  # the process stalled past its TTL ...
        assert store.acquire_lease("main", "a", "w2", 10)  # ... and another worker took over
        _wait(lambda: lease.lost, "the renewal noticing the loss")
        with pytest.raises(LeaseLostError):
            lease.check()
        with pytest.raises(LeaseLostError):
            store.ledger_begin("main", ORDER, "SO-1", fence=lease.fence)

    info = store.lease_info("main", "a")
    assert info is not None
    assert "w2" == info.owner  # the loser's exit did not release the winner's lease


# ---------------------------------------------------------------------- the push engine


def _engine(store: MemoryStore, lease: Any, created: list[str], **kw: Any) -> PushEngine:
    def create(payload: dict[str, Any], *, before_attempt: Callable[[], None], **_: Any) -> int:
        before_attempt()  # what the client's loop does before it sends
        created.append(payload["referenceNum"])
        hook = kw.get("on_create")
        if hook is not None:
            hook()
        return len(created)

    return PushEngine(
        store,
        "main",
        ORDER,
        create=create,
        lookup=kw.get("lookup", lambda ref: None),
        max_in_flight=1,
        lease=lease,
    )


def _jobs(n: int) -> list[CreateJob]:
    return [CreateJob(reference=f"SO-{i}", payload={"referenceNum": f"SO-{i}"}) for i in range(n)]


def test_a_push_that_loses_its_lease_stops_before_its_next_write_and_request() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    created: list[str] = []

    def stolen() -> None:  # the worker stalls past its TTL mid-request; another takes over
        clock.advance(61)
        assert store.acquire_lease("main", "push_orders", "thief", 60)

    with hold_lease(
        store, "main", "push_orders", ttl_seconds=60, renew_every=0, clock=clock.seconds
    ) as lease:
        engine = _engine(store, lease, created, on_create=stolen)
        with pytest.raises(LeaseLostError):
            engine.run(_jobs(3))

    entry = store.ledger_get("main", ORDER, "SO-0")
    later = [store.ledger_get("main", ORDER, f"SO-{i}") for i in (1, 2)]
    assert ["SO-0"] == created  # nothing was sent after the lease was lost
    assert entry is not None
    assert LedgerState.PENDING == entry.state  # the fenced SENT write was refused
    # claimed ahead in a window before the loss, or never: either way unsent and unsettled
    assert [] == [e.state for e in later if e is not None and e.state is not LedgerState.PENDING]


def test_the_next_holder_resolves_an_expired_claim_by_lookup_before_sending() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    with hold_lease(
        store, "main", "push_orders", owner="w1", ttl_seconds=60, renew_every=0
    ) as first:
        store.ledger_begin("main", ORDER, "SO-0", fence=first.fence)
        clock.advance(61)  # w1 stalls; its lease expires with the claim still PENDING
        created: list[str] = []
        looked_up: list[str] = []

        def lookup(reference: str) -> int:
            looked_up.append(reference)
            return 4242  # w1's request did reach the warehouse

        with hold_lease(store, "main", "push_orders", owner="w2", renew_every=0) as second:
            outcomes = _engine(store, second, created, lookup=lookup).run(_jobs(1))

    assert ([], ["SO-0"]) == (created, looked_up)
    assert (LedgerState.SENT, 4242, True) == (
        outcomes["SO-0"].state,
        outcomes["SO-0"].remote_id,
        outcomes["SO-0"].adopted,
    )


def test_a_live_claim_of_another_worker_is_a_visible_failed_outcome_not_a_second_send() -> None:
    store = MemoryStore()
    other = store.take_lease("main", "elsewhere", "w9", 60)
    assert other is not None
    store.ledger_begin("main", ORDER, "SO-0", fence=other.fence)
    created: list[str] = []
    with hold_lease(store, "main", "push_orders", renew_every=0) as lease:
        outcome = _engine(store, lease, created).run(_jobs(1))["SO-0"]

    assert ([], LedgerState.PENDING) == (created, outcome.state)
    assert "another worker" in outcome.reason


# ---------------------------------------------------------------------- through the Connector


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    options = WarehouseOptions(enforce_unique_references=False)
    with Sandbox(catalog_size=3, initial_stock=0, options=options) as sandbox:
        yield sandbox


def test_inventory_release_waits_for_a_running_push_and_is_deferred_visibly(sb: Sandbox) -> None:
    connector = Connector(config_with(sb), store=MemoryStore())
    connector.orders_lease_wait = 0.05
    held = connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])
    sb.warehouse.adjust_stock("SKU-000001", 5)
    with hold_lease(connector.store, connector.channel, "push_orders", renew_every=0):
        deferred = connector.receive_inventory_levels()
    released = connector.receive_inventory_levels()
    [run, _] = connector.journal.by_action("receive_inventory_levels")[:2]

    assert PushStatus.HELD == held.outcomes[0].status
    assert deferred.pushed is None
    assert (
        1 == connector.journal.by_action("receive_inventory_levels")[1].counts["release_deferred"]
    )
    assert released.pushed is not None
    assert [PushStatus.SENT_FULL] == [o.status for o in released.pushed.outcomes]
    assert RunStatus.SUCCESS == run.status


def test_cancel_waits_for_the_orders_lease_and_withdraws_what_is_held(sb: Sandbox) -> None:
    connector = Connector(config_with(sb), store=MemoryStore())
    connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])
    release = threading.Event()
    holding = threading.Event()

    def hold_then_release() -> None:
        with hold_lease(connector.store, connector.channel, "push_orders", renew_every=0):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_then_release)
    holder.start()
    holding.wait(10)
    results: list[Any] = []
    canceler = threading.Thread(target=lambda: results.append(connector.cancel_order("SO-1", "x")))
    canceler.start()
    canceler.join(0.2)
    assert canceler.is_alive()  # waiting for the push's lease (up to orders_lease_wait)
    release.set()
    holder.join()
    canceler.join()

    assert ["withdrawn"] == [o.status for o in results[0].outcomes]
    assert [] == connector.backorders()


class _CountingStore(MemoryStore):
    """Counts the lease reads the push makes."""

    def __init__(self) -> None:
        super().__init__()
        self.lease_reads = 0

    def lease_info(self, channel: str, action: str) -> Lease | None:
        self.lease_reads += 1
        return super().lease_info(channel, action)


def test_a_live_holder_sends_every_order_without_reading_its_lease_from_the_store(
    sb: Sandbox,
) -> None:
    sb.warehouse.adjust_stock("SKU-000001", 100)
    store = _CountingStore()
    connector = Connector(config_with(sb, sync={"max_in_flight": 4}), store=store)
    orders = [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(20)]

    result = connector.push_orders(orders)

    assert [PushStatus.SENT_FULL] * 20 == [o.status for o in result.outcomes]
    assert 0 == store.lease_reads  # was one per order: its take vouches for the lease


class _StallingStore(SQLiteStore):
    """Worker A's view of the shared state file: once A stalls, its renewals fail (as when
    the process is frozen, or the store is unreachable from it)."""

    stalled = False

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        if self.stalled:
            raise StateStoreError("state store is busy")
        return super().renew_lease(channel, action, owner, ttl_seconds)


def test_a_worker_that_stalls_past_its_ttl_sends_nothing_after_another_took_over(
    sb: Sandbox, tmp_path: Path
) -> None:
    """Worker A stalls right after its first create, with more of its orders claimed and
    waiting; its renewals fail meanwhile, so only its lease trust running out can stop it.
    Worker B takes the expired lease over and pushes the same orders. When A wakes up it
    reads its lease, finds it gone, and sends nothing more: each order reaches the
    warehouse once."""
    sb.warehouse.adjust_stock("SKU-000001", 100)
    state = tmp_path / "state.db"
    config = config_with(sb, sync={"max_in_flight": 1, "lease_seconds": 1})
    orders = [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(6)]
    a_store = _StallingStore(state)
    a = Connector(config, store=a_store)
    b = Connector(config, store=SQLiteStore(state))
    stalled, resume = threading.Event(), threading.Event()
    sent_by_a: list[str] = []
    create = a.client.orders.create

    def stalling_create(payload: dict[str, Any], **hooks: Any) -> Any:
        sent_by_a.append(payload["referenceNum"])
        answer = create(payload, **hooks)
        if not stalled.is_set():
            a_store.stalled = True
            stalled.set()
            resume.wait(30)
        return answer

    a.client.orders.create = stalling_create  # type: ignore[method-assign,assignment]  # spy on the real call
    failures: list[BaseException] = []

    def push_a() -> None:
        try:
            a.push_orders(orders)
        except BaseException as exc:
            failures.append(exc)

    worker_a = threading.Thread(target=push_a)
    worker_a.start()
    assert stalled.wait(30)
    by_b: PushResult | None = None
    for _ in range(300):  # until A's lease has run out (1 s), bounded
        try:
            by_b = b.push_orders(orders)
            break
        except LeaseHeldError:
            threading.Event().wait(0.02)
    resume.set()
    worker_a.join(30)
    a.close()
    b.close()
    assert by_b is not None
    # A's claims B found unsent may have been sent by A just before it stalled: they wait
    # for the read timeout, then a later run sends them.
    wait = timedelta(seconds=config.client.read_timeout + 1)
    with Connector(config, store=SQLiteStore(state, clock=lambda: utc_now() + wait)) as c:
        by_c = c.push_orders(orders)
    counts = collections.Counter(
        sb.warehouse.order_view(r)["referenceNum"] for r in sb.warehouse.order_records()
    )
    waited = {o.order_number for o in by_b.outcomes if o.status is PushStatus.FAILED}

    assert [LeaseLostError] == [type(f) for f in failures]
    assert ["SO-0-1"] == sent_by_a  # nothing after the stall
    assert {f"SO-{i}-1": 1 for i in range(6)} == dict(counts)
    assert {PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT, PushStatus.FAILED} >= {
        o.status for o in by_b.outcomes
    }
    assert {IN_FLIGHT} >= {
        o.reason.split(":")[0] for o in by_b.outcomes if o.order_number in waited
    }
    assert {PushStatus.SENT_FULL} >= {o.status for o in by_c.outcomes if o.order_number in waited}


def test_delete_channel_never_removes_the_lease_of_a_running_push(sb: Sandbox) -> None:
    """Deleting a lease row lets anyone take it at once, and a pusher trusts its lease without
    reading it: so the delete waits for the push (here, gives up) instead."""
    connector = Connector(config_with(sb), store=MemoryStore())
    connector.orders_lease_wait = 0.05
    connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])  # held: no stock
    with hold_lease(connector.store, connector.channel, "push_orders", owner="pusher"):
        with pytest.raises(LeaseHeldError):
            connector.delete_channel(force=True)
        during = connector.store.lease_info(connector.channel, "push_orders")
        kept = connector.backorders()
    connector.delete_channel(force=True)

    assert during is not None
    assert "pusher" == during.owner
    assert ["SO-1"] == [b.order.order_number for b in kept]
    assert [] == connector.store.channels()


# ---------------------------------------------------------------------- the pure claim rule


_states = st.sampled_from(list(LedgerState))
_fences = st.none() | st.builds(Fence, st.sampled_from(["a", "b"]), st.integers(1, 3))


@given(
    state=_states,
    claim=_fences,
    fence=_fences,
    lease_token=st.none() | st.integers(1, 3),
    lease_live=st.booleans(),
)
def test_a_pending_claim_is_taken_only_when_its_lease_no_longer_carries_it(
    state: LedgerState,
    claim: Fence | None,
    fence: Fence | None,
    lease_token: int | None,
    lease_live: bool,
) -> None:
    resolve = {LedgerState.HELD, LedgerState.REJECTED, LedgerState.PENDING}
    entry = LedgerEntry(
        channel="main",
        kind=ORDER,
        reference="R",
        state=state,
        created_at=T0,
        updated_at=T0,
        claim=claim,
    )
    lease = None
    if claim is not None and lease_token is not None:
        expires = T0 + timedelta(seconds=10 if lease_live else -1)
        lease = Lease(
            channel="main",
            action=claim.action,
            owner="o",
            acquired_at=T0,
            expires_at=expires,
            token=lease_token,
        )

    allowed = may_claim(entry, resolve, fence=fence, claim_lease=lease, now=T0)

    if state is not LedgerState.PENDING:
        assert (state in resolve) == allowed
    elif claim is None:
        assert (fence is not None) == allowed
    else:
        owner_live = lease is not None and lease_live and lease.token == claim.token
        assert (not owner_live and claim != fence) == allowed
