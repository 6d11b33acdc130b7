"""A PENDING claim taken over from a worker that stopped mid-send is only adopted, never sent
again, until its owner's request can no longer be in flight.

The owner sends only while its lease is certainly its own (trusted, or its token read back from
the store), so its last request leaves before its lease ends, which is before anyone else can
take the lease over and find the claim. The taker marks an absent claim in flight when it finds
it (no earlier than the lease's end); a lookup ``in_flight_wait`` (the read timeout) after that
mark proves it absent. Time is a ``FakeClock`` (or a store clock running ahead), never a sleep.
"""

from __future__ import annotations

import collections
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.errors import StateStoreError
from extensiv_connector.sandbox import FaultConfig, Sandbox, WarehouseOptions
from extensiv_connector.sync import (
    Connector,
    Fence,
    LeaseHeldError,
    LeaseLostError,
    LedgerEntry,
    LedgerKind,
    LedgerState,
    MemoryStore,
    PushResult,
    PushStatus,
    SQLiteStore,
    hold_lease,
)
from extensiv_connector.sync._push_engine import (
    IN_FLIGHT,
    TAKEN_OVER,
    CreateJob,
    CreateOutcome,
    PendingStep,
    PushEngine,
    pending_step,
)
from extensiv_connector.sync._push_flows import _store_clock
from extensiv_connector.sync.store import utc_now
from extensiv_connector.testing.store_contract import T0, FakeClock

from ..integration.conftest import config_with, sales_order

ORDER = LedgerKind.ORDER
WAIT = timedelta(seconds=30)
MARKED = f"{IN_FLIGHT}: {TAKEN_OVER}"

seconds = st.floats(min_value=0, max_value=10_000, allow_nan=False)


def _claimed(claim: Fence | None, at: datetime, reasons: tuple[str, ...] = ()) -> LedgerEntry:
    return LedgerEntry(
        channel="main",
        kind=ORDER,
        reference="SO-0",
        state=LedgerState.PENDING,
        created_at=at,
        updated_at=at,
        reasons=reasons,
        claim=claim,
    )


# ------------------------------------------------------------------------- the pure decision


@given(
    claimed=seconds,
    sent=seconds,
    lease_left=seconds,
    found=seconds,
    later=seconds,
    token=st.integers(min_value=2, max_value=9),
)
def test_a_taken_over_claim_is_never_sent_again_before_its_owners_lease_end_plus_the_wait(
    claimed: float, sent: float, lease_left: float, found: float, later: float, token: int
) -> None:
    """The owner (token 1) claims at ``claimed``, sends any time before its lease ends; a
    later holder finds the claim at or after that end, marks it, and asks again later. Every
    answer that allows a re-send comes at least the wait after the owner's last send."""
    at = T0 + timedelta(seconds=claimed)
    last_send = at + timedelta(seconds=sent)
    lease_end = last_send + timedelta(seconds=lease_left)
    taken = lease_end + timedelta(seconds=found)
    entry = _claimed(Fence("push_orders", 1), at)
    taker = Fence("push_orders", token)

    first = pending_step(entry, fence=taker, claim_live=False, now=taken, in_flight_wait=WAIT)
    marked = attrs.evolve(entry, reasons=(MARKED,), updated_at=taken)
    asked = taken + timedelta(seconds=later)
    then = pending_step(marked, fence=taker, claim_live=False, now=asked, in_flight_wait=WAIT)

    assert PendingStep.ADOPT_ONLY == first
    assert then in {PendingStep.WAIT, PendingStep.LOOK_UP}
    if then is PendingStep.LOOK_UP:
        assert asked - last_send >= WAIT


@given(marked_ago=seconds, live=st.booleans())
def test_a_create_marked_in_flight_waits_exactly_until_the_wait_has_passed(
    marked_ago: float, live: bool
) -> None:
    entry = _claimed(Fence("push_orders", 1), T0, (f"{IN_FLIGHT}: read timed out",))
    now = T0 + timedelta(seconds=marked_ago)
    step = pending_step(
        entry, fence=Fence("push_orders", 2), claim_live=live, now=now, in_flight_wait=WAIT
    )

    waited_long_enough = now - T0 >= WAIT
    expected = PendingStep.WAIT
    if waited_long_enough:
        expected = PendingStep.LEAVE if live else PendingStep.LOOK_UP
    assert expected == step


@given(reasons=st.sampled_from([(), ("rate limited: 429",)]), ago=seconds)
def test_a_live_claim_of_another_worker_is_left_alone(reasons: tuple[str, ...], ago: float) -> None:
    entry = _claimed(Fence("push_orders", 1), T0, reasons)
    now = T0 + timedelta(seconds=ago)

    assert PendingStep.LEAVE == pending_step(
        entry, fence=Fence("push_orders", 2), claim_live=True, now=now, in_flight_wait=WAIT
    )


@given(ago=seconds, unowned=st.booleans())
def test_an_unsettled_claim_of_another_lease_or_of_none_is_only_adopted(
    ago: float, unowned: bool
) -> None:
    entry = _claimed(None if unowned else Fence("push_orders", 1), T0)
    now = T0 + timedelta(seconds=ago)

    assert PendingStep.ADOPT_ONLY == pending_step(
        entry, fence=Fence("push_orders", 2), claim_live=False, now=now, in_flight_wait=WAIT
    )


@given(ago=seconds)
def test_an_outcome_its_owner_recorded_or_our_own_claim_is_looked_up(ago: float) -> None:
    now = T0 + timedelta(seconds=ago)
    recorded = _claimed(Fence("push_orders", 1), T0, ("rate limited: 429",))
    ours = _claimed(Fence("push_orders", 2), T0)

    assert [PendingStep.LOOK_UP, PendingStep.LOOK_UP] == [
        pending_step(
            entry, fence=Fence("push_orders", 2), claim_live=False, now=now, in_flight_wait=WAIT
        )
        for entry in (recorded, ours)
    ]


# ------------------------------------------------------------------------------ the engine


class _Warehouse:
    """The engine's create and lookup: a create is at the warehouse only once ``commit``."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.committed: dict[str, int] = {}
        self.looked_up: list[str] = []

    def create(self, payload: dict[str, Any], *, before_attempt: Any, **_: Any) -> int:
        before_attempt()
        self.sent.append(payload["referenceNum"])
        return self.commit(payload["referenceNum"])

    def commit(self, reference: str) -> int:
        self.committed[reference] = 100 + len(self.committed)
        return self.committed[reference]

    def lookup(self, reference: str) -> int | None:
        self.looked_up.append(reference)
        return self.committed.get(reference)


def _push(store: MemoryStore, clock: FakeClock, warehouse: _Warehouse, owner: str) -> CreateOutcome:
    """What a flow does: resolve the PENDING reference, and send it only if that allows."""
    with hold_lease(
        store, "main", "push_orders", owner=owner, renew_every=0, clock=clock.seconds
    ) as lease:
        engine = PushEngine(
            store,
            "main",
            ORDER,
            create=warehouse.create,
            lookup=warehouse.lookup,
            max_in_flight=1,
            lease=lease,
            in_flight_wait=WAIT.total_seconds(),
            clock=lambda: clock.now,
        )
        resolved = engine.resolve_pending("SO-0")
        if resolved is not None:
            return resolved
        job = CreateJob(reference="SO-0", payload={"referenceNum": "SO-0"})
        return engine.run([job])["SO-0"]


def _stopped_mid_send(store: MemoryStore, clock: FakeClock) -> None:
    """Worker w1 claims SO-0 and sends it; the warehouse has not committed it yet when w1
    stops, and its lease runs out."""
    lease = store.take_lease("main", "push_orders", "w1", 60)
    assert lease is not None
    store.ledger_begin("main", ORDER, "SO-0", fence=lease.fence)
    clock.advance(61)


def test_the_push_measures_in_flight_time_on_the_stores_own_clock() -> None:
    clock = FakeClock()

    measured = _store_clock(MemoryStore(clock=clock))

    clock.advance(61)
    assert clock.now == measured()


def test_a_store_without_now_is_measured_on_the_wall_clock() -> None:
    class _OlderStore:  # a third-party store written before ``now`` joined the protocol
        pass

    assert utc_now is _store_clock(_OlderStore())  # type: ignore[arg-type]  # deliberately incomplete


def test_a_taken_over_claim_not_found_stays_pending_until_the_wait_then_is_sent_once() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    warehouse = _Warehouse()
    _stopped_mid_send(store, clock)

    taken = _push(store, clock, warehouse, "w2")  # w1's create is still at the warehouse
    clock.advance(WAIT.total_seconds() - 1)
    early = _push(store, clock, warehouse, "w3")
    looked_up_early = list(warehouse.looked_up)
    clock.advance(1)
    late = _push(store, clock, warehouse, "w4")

    assert (LedgerState.PENDING, MARKED) == (taken.state, taken.reason)
    assert (LedgerState.PENDING, True) == (early.state, early.reason.startswith(IN_FLIGHT))
    assert ["SO-0"] == looked_up_early  # nothing is looked up while it waits
    assert (LedgerState.SENT, False) == (late.state, late.adopted)
    assert ["SO-0"] == warehouse.sent  # sent once, by w4, after the wait


def test_a_taken_over_claim_whose_create_commits_meanwhile_is_adopted_not_sent() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    warehouse = _Warehouse()
    _stopped_mid_send(store, clock)

    taken = _push(store, clock, warehouse, "w2")
    remote_id = warehouse.commit("SO-0")  # w1's create reaches the warehouse after all
    clock.advance(WAIT.total_seconds())
    later = _push(store, clock, warehouse, "w3")
    entry = store.ledger_get("main", ORDER, "SO-0")

    assert LedgerState.PENDING == taken.state
    assert (LedgerState.SENT, remote_id, True) == (later.state, later.remote_id, later.adopted)
    assert entry is not None
    assert (LedgerState.SENT, remote_id) == (entry.state, entry.remote_id)
    assert [] == warehouse.sent


def test_a_claim_taken_over_without_being_resolved_first_is_marked_not_sent() -> None:
    """``run`` on a reference nobody resolved (a direct caller): the take-over itself is
    looked up and, when absent, marked in flight from now; the mark then times the wait."""
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    warehouse = _Warehouse()
    _stopped_mid_send(store, clock)
    with hold_lease(
        store, "main", "push_orders", owner="w2", renew_every=0, clock=clock.seconds
    ) as lease:
        engine = PushEngine(
            store,
            "main",
            ORDER,
            create=warehouse.create,
            lookup=warehouse.lookup,
            max_in_flight=1,
            lease=lease,
            in_flight_wait=WAIT.total_seconds(),
            clock=lambda: clock.now,
        )
        outcome = engine.run([CreateJob(reference="SO-0", payload={"referenceNum": "SO-0"})])
    entry = store.ledger_get("main", ORDER, "SO-0")

    assert (LedgerState.PENDING, MARKED) == (outcome["SO-0"].state, outcome["SO-0"].reason)
    assert entry is not None
    assert (MARKED,) == entry.reasons
    assert ([], ["SO-0"]) == (warehouse.sent, warehouse.looked_up)


# --------------------------------------------------------------------- through the Connector


class _StallingStore(SQLiteStore):
    """Worker A's view of the shared state file: once A stalls, its renewals fail."""

    stalled = False

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        if self.stalled:
            raise StateStoreError("state store is busy")
        return super().renew_lease(channel, action, owner, ttl_seconds)


def test_a_slow_create_of_a_stalled_worker_is_not_sent_again_by_the_worker_taking_over(
    tmp_path: Path,
) -> None:
    """The warehouse takes seconds to create an order and checks no duplicate references.
    Worker A sends its first order and stalls inside that slow create, past its lease; B
    takes over, finds A's claims absent (the create is still at the warehouse), and leaves
    them PENDING instead of sending them again. A later run, once the read timeout has
    passed, adopts what A created and sends the rest: every reference exists once."""
    options = WarehouseOptions(enforce_unique_references=False)
    faults = FaultConfig(latency_ms=6000, only=("POST /orders",))
    with Sandbox(catalog_size=3, initial_stock=0, options=options, faults=faults) as sb:
        sb.warehouse.adjust_stock("SKU-000001", 100)
        state = tmp_path / "state.db"
        config = config_with(sb, sync={"max_in_flight": 1, "lease_seconds": 1})
        orders = [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(3)]
        a_store = _StallingStore(state)
        a = Connector(config, store=a_store)
        sending = threading.Event()
        create = a.client.orders.create

        def stalling_create(payload: dict[str, Any], **hooks: Any) -> Any:
            a_store.stalled = True  # A's renewals fail from now on: its lease runs out
            sending.set()
            return create(payload, **hooks)

        a.client.orders.create = stalling_create  # type: ignore[method-assign,assignment]  # spy on the real call
        failures: list[BaseException] = []

        def push_a() -> None:
            try:
                a.push_orders(orders)
            except BaseException as exc:
                failures.append(exc)

        worker_a = threading.Thread(target=push_a)
        worker_a.start()
        assert sending.wait(30)
        by_b: PushResult | None = None
        with Connector(config, store=SQLiteStore(state)) as b:
            for _ in range(300):  # until A's lease has run out (1 s), bounded
                try:
                    by_b = b.push_orders(orders)
                    break
                except LeaseHeldError:
                    threading.Event().wait(0.02)
        worker_a.join(30)
        a.close()
        wait = timedelta(seconds=config.client.read_timeout + 1)
        later_store = SQLiteStore(state, clock=lambda: utc_now() + wait)
        with Connector(config, store=later_store) as c:
            by_c = c.push_orders(orders)
            ledger = {e.reference: e.state for e in later_store.ledger_list(c.channel, ORDER)}
        counts = collections.Counter(
            sb.warehouse.order_view(r)["referenceNum"] for r in sb.warehouse.order_records()
        )

    assert by_b is not None
    b_first = {o.order_number: o for o in by_b.outcomes}["SO-0"]
    c_first = {o.order_number: o for o in by_c.outcomes}["SO-0"]
    assert (PushStatus.FAILED, True) == (b_first.status, b_first.reason.startswith(IN_FLIGHT))
    assert PushStatus.ALREADY_PRESENT == c_first.status  # A's create, adopted
    assert {PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT} >= {o.status for o in by_c.outcomes}
    assert {f"SO-{i}-1": 1 for i in range(3)} == dict(counts)
    assert {f"SO-{i}-1": LedgerState.SENT for i in range(3)} == ledger
    assert [LeaseLostError] == [type(f) for f in failures]  # A stopped: its lease was taken
