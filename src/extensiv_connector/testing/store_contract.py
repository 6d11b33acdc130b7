"""The behaviour every :class:`~extensiv_connector.sync.StateStore` must have, as pytest tests.

A host with its own backend (PostgreSQL, ...) runs the same checks as the built-in stores::

    import pytest
    from extensiv_connector.testing.store_contract import StoreContract

    class TestPostgresStore(StoreContract):
        @pytest.fixture
        def store_factory(self, postgres_dsn):
            made = []
            def make(clock):
                store = PostgresStore(postgres_dsn, clock=clock, schema=f"t{len(made)}")
                made.append(store)
                return store
            yield make
            for store in made:
                store.close()

``store_factory(clock)`` must return a fresh, empty store whose timestamps come from ``clock``
(a :class:`FakeClock`). Every test here is a ``test_*`` method, so the subclass collects them all.
Needs ``pytest`` and ``hypothesis`` (the ``testing`` extra).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..errors import ExtensivError
from ..models import Address, OrderLine, SalesOrder
from ..sync import (
    Cursor,
    EntryKind,
    Fence,
    JournalEntry,
    Lease,
    LeaseHeldError,
    LeaseLostError,
    LedgerClaimRequest,
    LedgerKind,
    LedgerSettle,
    LedgerState,
    LogLevel,
    RunStatus,
    StateStore,
    StateStoreError,
    hold_lease,
)

__all__ = ["FakeClock", "StoreContract", "StoreFactory"]

ORDER = LedgerKind.ORDER
RECEIPT = LedgerKind.RECEIPT
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
#: What a push asks for when it may also resolve an unfinished claim.
RESOLVE = frozenset({LedgerState.HELD, LedgerState.REJECTED, LedgerState.PENDING})
API_T0 = datetime(2024, 3, 1, 8, 0)  # the API's offset-less lastModifiedDate style


class FakeClock:
    """A clock for tests: stands still until :meth:`advance` is called."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def seconds(self) -> float:
        """The same time in seconds: the ``clock=`` of ``hold_lease`` (its lease trust), so a
        step of this clock is a stall of the holder too."""
        return self.now.timestamp()


#: ``store_factory(clock)`` -> a fresh, empty store using ``clock``.
StoreFactory = Callable[[FakeClock], StateStore]

# Property tests build a fresh store per example from ``store_factory`` (so the function-scoped
# fixture is safe), and run once per backend subclass (so "differing executors" is expected).
_PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
        HealthCheck.too_slow,
    ],
)


def _order(number: str = "SO-1", *, quantity: str = "2.50") -> SalesOrder:
    return SalesOrder(
        order_number=number,
        lines=(
            OrderLine(sku="SKU-A", quantity=Decimal(quantity), line_reference="1"),
            OrderLine(sku="SKU-B", quantity=Decimal("1"), references={"ext": "x-1"}),
        ),
        ship_to=Address(name="Test Person", address1="1 Test St", city="Town", country="US"),
        ordered_at=datetime(2024, 2, 28, 9, 30, 15),
        carrier="UPS",
        priority=3,
        references={"channel": "web"},
    )


def _fence(lease: Lease | None) -> Fence:
    assert lease is not None, "the lease should have been free"
    return lease.fence


def _run(channel: str, action: str, status: RunStatus, refs: tuple[str, ...] = ()) -> JournalEntry:
    return JournalEntry(
        channel=channel,
        kind=EntryKind.RUN,
        action=action,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2),
        status=status,
        counts={"sent": 1},
        errors=("one error",) if status is RunStatus.PARTIAL else (),
        references=refs,
    )


class StoreContract:
    """Shared contract tests. Subclasses provide the ``store_factory`` fixture."""

    @pytest.fixture
    def store_factory(self) -> Iterator[StoreFactory]:
        raise NotImplementedError("subclasses provide a store_factory fixture")

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def store(self, store_factory: StoreFactory, clock: FakeClock) -> StateStore:
        return store_factory(clock)

    # ------------------------------------------------------------------ protocol

    def test_store_satisfies_the_protocol(self, store: StateStore) -> None:
        # The names first: isinstance alone says only False, not which method is missing.
        members = sorted(
            name
            for name in dir(StateStore)
            if not name.startswith("_") and callable(getattr(StateStore, name))
        )
        assert [] == [name for name in members if not callable(getattr(store, name, None))]
        assert isinstance(store, StateStore)

    def test_now_reads_the_clock_the_store_stamps_entries_with(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        before = store.now()
        clock.advance(90)
        claim = store.ledger_begin("main", ORDER, "SO-1")

        assert (T0, clock.now) == (before, store.now())
        assert store.now() == claim.entry.updated_at

    # ------------------------------------------------------------------ push ledger

    def test_unknown_reference_has_no_ledger_entry(self, store: StateStore) -> None:
        assert store.ledger_get("main", ORDER, "SO-1") is None

    def test_ledger_begin_records_pending_before_sending(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        claim = store.ledger_begin(
            "main",
            ORDER,
            "SO-1",
            fingerprint="abc",
            sent_lines={"1": Decimal("2.5")},
            host_key="H1",
        )

        assert claim.claimed
        assert LedgerState.PENDING == claim.entry.state
        assert 1 == claim.entry.attempts
        assert clock.now == claim.entry.created_at == claim.entry.updated_at
        assert ({"1": Decimal("2.5")}, "abc", "H1") == (
            claim.entry.sent_lines,
            claim.entry.fingerprint,
            claim.entry.host_key,
        )
        assert claim.entry == store.ledger_get("main", ORDER, "SO-1")

    def test_pending_entry_is_returned_unclaimed_to_a_second_caller(
        self, store: StateStore
    ) -> None:
        first = store.ledger_begin("main", ORDER, "SO-1", fingerprint="abc")
        second = store.ledger_begin("main", ORDER, "SO-1", fingerprint="other")

        assert not second.claimed
        assert first.entry == second.entry

    def test_sent_entry_is_already_present_and_not_claimed(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "SO-1")
        store.ledger_update("main", ORDER, "SO-1", state=LedgerState.SENT, remote_id=42)

        claim = store.ledger_begin("main", ORDER, "SO-1")

        assert not claim.claimed
        assert (LedgerState.SENT, 42) == (claim.entry.state, claim.entry.remote_id)

    @pytest.mark.parametrize("state", [LedgerState.HELD, LedgerState.REJECTED])
    def test_held_or_rejected_entry_can_be_claimed_again(
        self, store: StateStore, clock: FakeClock, state: LedgerState
    ) -> None:
        created = store.ledger_begin("main", ORDER, "SO-1").entry.created_at
        store.ledger_update("main", ORDER, "SO-1", state=state, reasons=["no stock"])
        clock.advance(60)

        claim = store.ledger_begin("main", ORDER, "SO-1", fingerprint="v2")

        assert claim.claimed
        assert (LedgerState.PENDING, 2, (), "v2") == (
            claim.entry.state,
            claim.entry.attempts,
            claim.entry.reasons,
            claim.entry.fingerprint,
        )
        assert (created, clock.now) == (claim.entry.created_at, claim.entry.updated_at)

    def test_retry_states_decide_what_can_be_claimed_again(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "SO-1")
        store.ledger_update("main", ORDER, "SO-1", state=LedgerState.HELD)

        refused = store.ledger_begin("main", ORDER, "SO-1", retry_states=())
        forced = store.ledger_begin("main", ORDER, "SO-1", retry_states={LedgerState.HELD})

        assert (False, True) == (refused.claimed, forced.claimed)

    def test_ledger_update_records_outcome_and_keeps_what_is_not_given(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        store.ledger_begin("main", ORDER, "SO-1", fingerprint="f1", sent_lines={"A": Decimal(3)})
        clock.advance(5)
        sent = store.ledger_update(
            "main", ORDER, "SO-1", state=LedgerState.SENT, remote_id=7, reasons=["partial"]
        )
        canceled = store.ledger_update("main", ORDER, "SO-1", state=LedgerState.CANCELED)

        assert (7, "f1", {"A": Decimal(3)}, ("partial",), clock.now) == (
            sent.remote_id,
            sent.fingerprint,
            sent.sent_lines,
            sent.reasons,
            sent.updated_at,
        )
        assert (LedgerState.CANCELED, 7, ()) == (
            canceled.state,
            canceled.remote_id,
            canceled.reasons,
        )
        assert canceled == store.ledger_get("main", ORDER, "SO-1")

    def test_ledger_keeps_exact_decimal_quantities(self, store: StateStore) -> None:
        lines = {"1": Decimal("0.333333"), "SKU-B": Decimal("12000")}
        store.ledger_begin("main", ORDER, "SO-1", sent_lines=lines)
        store.ledger_update("main", ORDER, "SO-1", state=LedgerState.SENT, sent_lines=lines)

        entry = store.ledger_get("main", ORDER, "SO-1")

        assert entry is not None
        assert lines == entry.sent_lines

    def test_updating_an_unknown_ledger_entry_is_a_state_store_error(
        self, store: StateStore
    ) -> None:
        with pytest.raises(StateStoreError, match="SO-404"):
            store.ledger_update("main", ORDER, "SO-404", state=LedgerState.SENT)

    def test_orders_and_receipts_have_separate_ledgers(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "R-1")

        assert store.ledger_begin("main", RECEIPT, "R-1").claimed
        assert [ORDER] == [e.kind for e in store.ledger_list("main", ORDER)]

    def test_ledger_list_filters_by_state_oldest_first(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        for ref in ("C", "A", "B"):
            store.ledger_begin("main", ORDER, ref)
            clock.advance(1)
        store.ledger_update("main", ORDER, "A", state=LedgerState.SENT, remote_id=1)
        store.ledger_begin("main", RECEIPT, "Z")

        pending = store.ledger_list("main", ORDER, states={LedgerState.PENDING})
        everything = store.ledger_list("main")

        assert ["C", "B"] == [e.reference for e in pending]
        assert ["C", "A", "B", "Z"] == [e.reference for e in everything]

    def test_ledger_forget_removes_one_entry(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "SO-1")

        assert (True, False) == (
            store.ledger_forget("main", ORDER, "SO-1"),
            store.ledger_forget("main", ORDER, "SO-1"),
        )
        assert store.ledger_get("main", ORDER, "SO-1") is None

    def test_concurrent_ledger_begin_has_exactly_one_winner(self, store: StateStore) -> None:
        workers = 8
        barrier = threading.Barrier(workers)
        claims: list[bool] = []

        def race() -> None:
            barrier.wait()
            claims.append(store.ledger_begin("main", ORDER, "SO-RACE").claimed)

        threads = [threading.Thread(target=race) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        entry = store.ledger_get("main", ORDER, "SO-RACE")
        assert (1, workers) == (claims.count(True), len(claims))
        assert entry is not None
        assert 1 == entry.attempts

    # ------------------------------------------------------------------ exclusive claims

    def test_a_live_pending_claim_is_never_claimed_again(self, store: StateStore) -> None:
        """Even a caller that asks to resolve PENDING entries cannot take a claim whose owner
        may still be sending it: without a fence nobody can prove the owner is gone."""
        first = store.ledger_begin("main", ORDER, "SO-1-1", retry_states=RESOLVE)
        second = store.ledger_begin("main", ORDER, "SO-1-1", retry_states=RESOLVE)

        assert (True, False) == (first.claimed, second.claimed)
        assert first.entry == second.entry

    def test_concurrent_resolving_claims_have_exactly_one_winner(self, store: StateStore) -> None:
        workers = 8
        barrier = threading.Barrier(workers)
        claims: list[bool] = []

        def race() -> None:
            barrier.wait()
            claim = store.ledger_begin("main", ORDER, "SO-RACE", retry_states=RESOLVE)
            claims.append(claim.claimed)

        threads = [threading.Thread(target=race) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        entry = store.ledger_get("main", ORDER, "SO-RACE")
        assert (1, workers) == (claims.count(True), len(claims))
        assert entry is not None
        assert 1 == entry.attempts

    def test_a_claim_under_a_live_lease_is_not_taken_by_another_fence(
        self, store: StateStore
    ) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 60))
        other = _fence(store.take_lease("main", "release", "w2", 60))
        store.ledger_begin("main", ORDER, "SO-1", fence=w1)

        claim = store.ledger_begin("main", ORDER, "SO-1", retry_states=RESOLVE, fence=other)

        assert not claim.claimed
        assert w1 == claim.entry.claim

    def test_a_claim_whose_lease_expired_is_taken_over_by_the_next_holder(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 30))
        store.ledger_begin("main", ORDER, "SO-1", fence=w1, host_key="H1")
        clock.advance(31)
        w2 = _fence(store.take_lease("main", "push_orders", "w2", 30))

        claim = store.ledger_begin("main", ORDER, "SO-1", retry_states=RESOLVE, fence=w2)

        assert claim.claimed
        assert (LedgerState.PENDING, 2, w2) == (
            claim.previous,
            claim.entry.attempts,
            claim.entry.claim,
        )

    def test_a_released_leases_claims_are_expired(self, store: StateStore) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 60))
        store.ledger_begin("main", ORDER, "SO-1", fence=w1)
        store.release_lease("main", "push_orders", "w1")
        w2 = _fence(store.take_lease("main", "push_orders", "w2", 60))

        assert store.ledger_begin("main", ORDER, "SO-1", retry_states=RESOLVE, fence=w2).claimed

    def test_an_unowned_pending_claim_is_taken_over_only_by_a_fenced_caller(
        self, store: StateStore
    ) -> None:
        """A PENDING entry without a fence was written by a direct caller or an older version;
        only a caller holding a lease (hence the one writer) may resolve it."""
        store.ledger_begin("main", ORDER, "SO-1")
        fence = _fence(store.take_lease("main", "push_orders", "w1", 60))

        unfenced = store.ledger_begin("main", ORDER, "SO-1", retry_states=RESOLVE)
        fenced = store.ledger_begin("main", ORDER, "SO-1", retry_states=RESOLVE, fence=fence)

        assert (False, True) == (unfenced.claimed, fenced.claimed)

    def test_lease_tokens_increase_with_every_acquisition_and_survive_release(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        first = _fence(store.take_lease("main", "a", "w1", 30))
        again = _fence(store.take_lease("main", "a", "w1", 30))  # re-entrant: same token
        store.release_lease("main", "a", "w1")
        second = _fence(store.take_lease("main", "a", "w2", 30))
        clock.advance(31)
        third = _fence(store.take_lease("main", "a", "w3", 30))
        assert store.renew_lease("main", "a", "w3", 30)
        info = store.lease_info("main", "a")

        assert first == again
        assert first.token < second.token < third.token
        assert info is not None
        assert third.token == info.token
        assert store.take_lease("main", "a", "w4", 30) is None

    def test_a_write_with_a_stale_fence_is_refused_and_changes_nothing(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 30))
        store.ledger_begin("main", ORDER, "SO-1", fence=w1)
        clock.advance(31)
        w2 = _fence(store.take_lease("main", "push_orders", "w2", 30))
        before = store.ledger_get("main", ORDER, "SO-1")

        for write in (
            lambda: store.ledger_update(
                "main", ORDER, "SO-1", state=LedgerState.SENT, remote_id=9, fence=w1
            ),
            lambda: store.ledger_begin("main", ORDER, "SO-2", fence=w1),
            lambda: store.backorder_put("main", _order(), fence=w1),
            lambda: store.backorder_remove("main", "SO-1", fence=w1),
        ):
            with pytest.raises(LeaseLostError):
                write()

        assert before == store.ledger_get("main", ORDER, "SO-1")
        assert store.ledger_get("main", ORDER, "SO-2") is None
        assert [] == store.backorder_list("main")
        assert store.ledger_update("main", ORDER, "SO-1", state=LedgerState.SENT, fence=w2)

    def test_a_fenced_write_after_release_is_refused(self, store: StateStore) -> None:
        fence = _fence(store.take_lease("main", "push_orders", "w1", 60))
        store.release_lease("main", "push_orders", "w1")

        with pytest.raises(LeaseLostError):
            store.ledger_begin("main", ORDER, "SO-1", fence=fence)

    def test_concurrent_fenced_claims_across_lease_holders_have_one_winner(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        """Holders come and go (each takes the lease after the previous one expired) while
        every one of them races to resolve the same references: each reference is claimed
        by exactly one live holder at a time, so it has exactly one claim per holder that
        found the previous claim expired."""
        references = [f"SO-{i}" for i in range(20)]
        won: list[tuple[int, str]] = []
        lock = threading.Lock()
        for holder in range(3):
            fence = _fence(store.take_lease("main", "push_orders", f"w{holder}", 30))
            barrier = threading.Barrier(4)

            def race(fence: Fence = fence, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                for ref in references:
                    claim = store.ledger_begin(
                        "main", ORDER, ref, retry_states=RESOLVE, fence=fence
                    )
                    if claim.claimed:
                        with lock:
                            won.append((fence.token, ref))

            threads = [threading.Thread(target=race) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            clock.advance(31)

        per_holder = collections.Counter(token for token, _ in won)
        assert [len(references)] * 3 == sorted(per_holder.values())
        assert len(won) == len(set(won))

    def test_ledger_prune_drops_old_settled_entries_and_never_pending_ones(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        for ref, state in (("OLD-R", LedgerState.REJECTED), ("OLD-S", LedgerState.SENT)):
            store.ledger_begin("main", ORDER, ref)
            store.ledger_update("main", ORDER, ref, state=state)
        store.ledger_begin("main", ORDER, "OLD-P")
        clock.advance(10)
        cutoff = clock.now
        store.ledger_begin("main", ORDER, "NEW-R")
        store.ledger_update("main", ORDER, "NEW-R", state=LedgerState.REJECTED)
        store.ledger_begin("other", ORDER, "OLD-R")
        store.ledger_update("other", ORDER, "OLD-R", state=LedgerState.REJECTED)

        dropped = store.ledger_prune(
            "main",
            states=[LedgerState.REJECTED, LedgerState.PENDING],
            updated_before=cutoff,
        )

        assert 1 == dropped
        assert ["OLD-P", "OLD-S", "NEW-R"] == [e.reference for e in store.ledger_list("main")]
        assert store.ledger_get("other", ORDER, "OLD-R") is not None

    def test_kv_delete_removes_many_keys_of_one_channel(self, store: StateStore) -> None:
        for key in ("sent:A", "sent:B", "sent:C"):
            store.kv_set("main", key, "{}")
        store.kv_set("other", "sent:A", "{}")

        assert 2 == store.kv_delete("main", ["sent:A", "sent:B", "sent:missing"])
        assert (None, None, "{}", "{}") == (
            store.kv_get("main", "sent:A"),
            store.kv_get("main", "sent:B"),
            store.kv_get("main", "sent:C"),
            store.kv_get("other", "sent:A"),
        )

    def test_kv_get_many_reads_entries_of_many_channels_at_once(self, store: StateStore) -> None:
        store.kv_set("main", "due", "1")
        store.kv_set("main", "other", "2")
        store.kv_set("second", "due", "3")
        wanted = [("main", "due"), ("second", "due"), ("third", "due"), ("main", "due")]

        assert {("main", "due"): "1", ("second", "due"): "3"} == store.kv_get_many(wanted)
        assert {} == store.kv_get_many([])

    def test_kv_get_many_reads_more_entries_than_one_statement_binds(
        self, store: StateStore
    ) -> None:
        for c in range(0, 1200, 3):
            store.kv_set(f"ch-{c:04d}", "due", str(c))
        wanted = [(f"ch-{c:04d}", "due") for c in range(1200)]

        expected = {(f"ch-{c:04d}", "due"): str(c) for c in range(0, 1200, 3)}
        assert expected == store.kv_get_many(wanted)

    def test_a_claim_writes_its_metadata_only_when_it_succeeds(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "SO-1", metadata={"sent:SO-1": "first"})
        store.ledger_begin("main", ORDER, "SO-1", metadata={"sent:SO-1": "second"})  # refused

        assert "first" == store.kv_get("main", "sent:SO-1")

    def test_settling_can_release_a_held_order_in_the_same_step(self, store: StateStore) -> None:
        store.backorder_put("main", _order(), key="SO-1#1")
        store.backorder_put("main", _order("SO-2"), key="SO-2#1")
        store.ledger_begin("main", ORDER, "SO-1-1")

        store.ledger_update(
            "main", ORDER, "SO-1-1", state=LedgerState.SENT, remote_id=5, release="SO-1#1"
        )
        with pytest.raises(StateStoreError):
            store.ledger_update("main", ORDER, "SO-404", state=LedgerState.SENT, release="SO-2#1")

        assert ["SO-2#1"] == [e.key for e in store.backorder_list("main")]

    # ------------------------------------------------------------------ batched claims, settles

    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(["begin", "sent", "held", "rejected", "forget"]),
                st.sampled_from(["R1", "R2", "R3"]),
            ),
            max_size=8,
        ),
        batch=st.lists(st.sampled_from(["R1", "R2", "R3", "R4"]), max_size=6),
        resolve=st.booleans(),
    )
    @_PROPERTY
    def test_a_batch_claim_decides_like_one_ledger_begin_per_reference(
        self,
        store_factory: StoreFactory,
        steps: list[tuple[str, str]],
        batch: list[str],
        resolve: bool,
    ) -> None:
        """Whatever the ledger holds (fresh, pending, sent, held, rejected), claiming a batch
        in one call gives the answers and leaves the ledger that one ``ledger_begin`` per
        reference, in the same order, would."""
        batched, single = store_factory(FakeClock()), store_factory(FakeClock())
        states = {
            "sent": LedgerState.SENT,
            "held": LedgerState.HELD,
            "rejected": LedgerState.REJECTED,
        }
        for target in (batched, single):
            for step, ref in steps:
                if step == "begin":
                    target.ledger_begin("main", ORDER, ref)
                elif step == "forget":
                    target.ledger_forget("main", ORDER, ref)
                elif target.ledger_get("main", ORDER, ref) is not None:
                    target.ledger_update("main", ORDER, ref, state=states[step], remote_id=1)
        fences = [_fence(t.take_lease("main", "push_orders", "w", 60)) for t in (batched, single)]
        retry = RESOLVE if resolve else frozenset({LedgerState.HELD, LedgerState.REJECTED})
        requests = [
            LedgerClaimRequest(reference=r, host_key=f"H-{i}", metadata={f"sent:{r}": str(i)})
            for i, r in enumerate(batch)
        ]

        answers = batched.ledger_begin_many(
            "main", ORDER, requests, retry_states=retry, fence=fences[0]
        )
        expected = [
            single.ledger_begin(
                "main",
                ORDER,
                r.reference,
                host_key=r.host_key,
                retry_states=retry,
                fence=fences[1],
                metadata=r.metadata,
            )
            for r in requests
        ]

        assert [(c.claimed, c.previous, c.entry.host_key) for c in expected] == [
            (c.claimed, c.previous, c.entry.host_key) for c in answers
        ]
        assert [(e.reference, e.state, e.attempts) for e in single.ledger_list("main")] == [
            (e.reference, e.state, e.attempts) for e in batched.ledger_list("main")
        ]
        assert [single.kv_get("main", f"sent:{r}") for r in batch] == [
            batched.kv_get("main", f"sent:{r}") for r in batch
        ]

    @given(
        settles=st.lists(
            st.builds(
                LedgerSettle,
                reference=st.sampled_from(["R1", "R2", "R3"]),
                state=st.sampled_from(
                    [LedgerState.SENT, LedgerState.REJECTED, LedgerState.PENDING]
                ),
                remote_id=st.none() | st.integers(1, 9),
                reasons=st.lists(st.sampled_from(["bad", "gone", 'qu"ote']), max_size=2),
                release=st.none() | st.sampled_from(["R1", "R2", "R9"]),
            ),
            max_size=6,
        ),
        known=st.booleans(),
    )
    @_PROPERTY
    def test_a_batch_settle_records_like_one_ledger_update_per_outcome(
        self, store_factory: StoreFactory, settles: list[LedgerSettle], known: bool
    ) -> None:
        """Outcomes settled in one call (a reference may come twice: the later wins, a
        missing remote id keeps the earlier one) leave the ledger and the backorder queue as
        one ``ledger_update`` per outcome, in order, would; with an unknown reference both
        refuse, and the batch changes nothing."""
        batched, single = store_factory(FakeClock()), store_factory(FakeClock())
        for target in (batched, single):
            for ref in ("R1", "R2", "R3") if known else ("R1", "R2"):
                target.ledger_begin("main", ORDER, ref, host_key=ref)
                target.ledger_update("main", ORDER, ref, state=LedgerState.PENDING, remote_id=5)
            for key in ("R1", "R2"):
                target.backorder_put("main", _order(key), key=key)
        fences = [_fence(t.take_lease("main", "push_orders", "w", 60)) for t in (batched, single)]

        def batch() -> None:
            batched.ledger_settle_many("main", ORDER, settles, fence=fences[0])

        def one_by_one() -> None:
            for s in settles:
                single.ledger_update(
                    "main",
                    ORDER,
                    s.reference,
                    state=s.state,
                    remote_id=s.remote_id,
                    reasons=s.reasons,
                    release=s.release,
                    fence=fences[1],
                )

        outcomes: list[bool] = []
        for call in (batch, one_by_one):
            try:
                call()
                outcomes.append(True)
            except StateStoreError:
                outcomes.append(False)

        assert outcomes[0] == outcomes[1]
        if outcomes[0]:
            assert single.ledger_list("main") == batched.ledger_list("main")
            assert [e.key for e in single.backorder_list("main")] == [
                e.key for e in batched.backorder_list("main")
            ]
        else:  # the batch changed nothing (the single updates before the unknown one did)
            assert [(r, LedgerState.PENDING, 5, ()) for r in ("R1", "R2")] == [
                (e.reference, e.state, e.remote_id, e.reasons) for e in batched.ledger_list("main")
            ]
            assert ["R1", "R2"] == [e.key for e in batched.backorder_list("main")]

    def test_ledger_get_many_reads_the_entries_that_exist(self, store: StateStore) -> None:
        store.ledger_begin("main", ORDER, "SO-1")
        store.ledger_begin("main", ORDER, "SO-2")
        store.ledger_update("main", ORDER, "SO-2", state=LedgerState.SENT, remote_id=4)
        store.ledger_begin("main", RECEIPT, "SO-3")
        store.ledger_begin("other", ORDER, "SO-4")

        found = store.ledger_get_many("main", ORDER, ["SO-1", "SO-2", "SO-3", "SO-4", "SO-1"])

        assert {r: store.ledger_get("main", ORDER, r) for r in ("SO-1", "SO-2")} == found
        assert {} == store.ledger_get_many("main", ORDER, [])

    def test_a_reference_twice_in_one_batch_is_claimed_once(self, store: StateStore) -> None:
        fence = _fence(store.take_lease("main", "push_orders", "w1", 60))

        claims = store.ledger_begin_many(
            "main",
            ORDER,
            [LedgerClaimRequest(reference="SO-1"), LedgerClaimRequest(reference="SO-1")],
            retry_states=RESOLVE,
            fence=fence,
        )

        assert [True, False] == [c.claimed for c in claims]
        assert fence == claims[1].entry.claim

    def test_a_batch_claim_with_a_stale_fence_writes_nothing(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 30))
        clock.advance(31)
        _fence(store.take_lease("main", "push_orders", "w2", 30))

        with pytest.raises(LeaseLostError):
            store.ledger_begin_many(
                "main",
                ORDER,
                [LedgerClaimRequest(reference="SO-1", metadata={"sent:SO-1": "x"})],
                fence=w1,
            )

        assert (None, None) == (
            store.ledger_get("main", ORDER, "SO-1"),
            store.kv_get("main", "sent:SO-1"),
        )

    def test_concurrent_batch_claims_have_exactly_one_winner_per_reference(
        self, store: StateStore
    ) -> None:
        references = [f"SO-{i}" for i in range(12)]
        workers = 4
        barrier = threading.Barrier(workers)
        won: list[str] = []
        lock = threading.Lock()

        def race(offset: int) -> None:
            mine = references[offset:] + references[:offset]  # overlapping, in other orders
            barrier.wait()
            claims = store.ledger_begin_many(
                "main", ORDER, [LedgerClaimRequest(reference=r) for r in mine]
            )
            with lock:
                won.extend(c.entry.reference for c in claims if c.claimed)

        threads = [threading.Thread(target=race, args=(i * 3,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(references) == sorted(won)

    def test_a_batch_settle_records_every_outcome_and_releases_in_one_step(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        fence = _fence(store.take_lease("main", "push_orders", "w1", 60))
        store.backorder_put("main", _order(), key="SO-1#1")
        store.backorder_put("main", _order("SO-2"), key="SO-2#1")
        store.ledger_begin_many(
            "main",
            ORDER,
            [LedgerClaimRequest(reference=r, host_key=r) for r in ("SO-1-1", "SO-2-1")],
            fence=fence,
        )
        clock.advance(5)

        store.ledger_settle_many(
            "main",
            ORDER,
            [
                LedgerSettle(
                    reference="SO-1-1", state=LedgerState.SENT, remote_id=7, release="SO-1#1"
                ),
                LedgerSettle(reference="SO-2-1", state=LedgerState.REJECTED, reasons=("bad",)),
            ],
            fence=fence,
        )

        settled = [store.ledger_get("main", ORDER, r) for r in ("SO-1-1", "SO-2-1")]
        assert [
            (LedgerState.SENT, 7, (), "SO-1-1", clock.now),
            (LedgerState.REJECTED, None, ("bad",), "SO-2-1", clock.now),
        ] == [
            (e.state, e.remote_id, e.reasons, e.host_key, e.updated_at)
            for e in settled
            if e is not None
        ]
        assert ["SO-2#1"] == [e.key for e in store.backorder_list("main")]

    def test_a_batch_settle_with_an_unknown_reference_or_stale_fence_changes_nothing(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        w1 = _fence(store.take_lease("main", "push_orders", "w1", 30))
        store.backorder_put("main", _order(), key="SO-1#1")
        store.ledger_begin("main", ORDER, "SO-1-1", fence=w1)
        sent = LedgerSettle(
            reference="SO-1-1", state=LedgerState.SENT, remote_id=7, release="SO-1#1"
        )
        before = store.ledger_get("main", ORDER, "SO-1-1")

        with pytest.raises(StateStoreError):
            store.ledger_settle_many(
                "main",
                ORDER,
                [sent, LedgerSettle(reference="SO-404", state=LedgerState.SENT)],
                fence=w1,
            )
        clock.advance(31)
        _fence(store.take_lease("main", "push_orders", "w2", 30))
        with pytest.raises(LeaseLostError):
            store.ledger_settle_many("main", ORDER, [sent], fence=w1)

        assert before == store.ledger_get("main", ORDER, "SO-1-1")
        assert ["SO-1#1"] == [e.key for e in store.backorder_list("main")]

    # ------------------------------------------------------------------ backorders

    def test_backorder_round_trips_the_sales_order(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        order = _order()
        put = store.backorder_put("main", order, reason="SKU-A short by 2.5")
        got = store.backorder_get("main", "SO-1")

        assert got is not None
        assert order == got.order
        assert (clock.now, "SKU-A short by 2.5", 1) == (got.held_since, got.reason, got.evaluations)
        assert put == got

    def test_backorder_repr_hides_the_order(self, store: StateStore) -> None:
        entry = store.backorder_put("main", _order())

        assert "Test Person" not in repr(entry)

    def test_holding_again_keeps_held_since_and_counts_evaluations(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        first = store.backorder_put("main", _order(quantity="1"))
        clock.advance(3600)
        again = store.backorder_put("main", _order(quantity="4"), reason="still short")

        assert (first.held_since, clock.now, 2) == (
            again.held_since,
            again.updated_at,
            again.evaluations,
        )
        assert Decimal(4) == again.order.lines[0].quantity

    def test_backorders_are_listed_oldest_first(self, store: StateStore, clock: FakeClock) -> None:
        for number in ("SO-3", "SO-1", "SO-2"):
            store.backorder_put("main", _order(number))
            clock.advance(1)
        store.backorder_put("main", _order("SO-3"))  # re-held: still the oldest

        assert ["SO-3", "SO-1", "SO-2"] == [e.key for e in store.backorder_list("main")]

    def test_backorder_remove_and_custom_key(self, store: StateStore) -> None:
        store.backorder_put("main", _order("SO-1"), key="SO-1#2")

        assert store.backorder_get("main", "SO-1") is None
        assert "SO-1" == store.backorder_list("main")[0].order_number
        assert (True, False) == (
            store.backorder_remove("main", "SO-1#2"),
            store.backorder_remove("main", "SO-1#2"),
        )
        assert [] == store.backorder_list("main")

    # ------------------------------------------------------------------ cursors

    def test_cursor_starts_empty(self, store: StateStore) -> None:
        cursor = store.cursor_get("main", "receive_shipments")

        assert (None, {}, None) == (cursor.watermark, cursor.seen, cursor.since(timedelta(1)))

    def test_cursor_advance_moves_watermark_and_remembers_delivered_keys(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        delivered = {"s:1": API_T0, "s:2": API_T0 + timedelta(minutes=5)}

        advanced = store.cursor_advance(
            "main", "receive_shipments", delivered, overlap=timedelta(minutes=10)
        )

        assert advanced == store.cursor_get("main", "receive_shipments")
        assert (API_T0 + timedelta(minutes=5), delivered, clock.now) == (
            advanced.watermark,
            advanced.seen,
            advanced.updated_at,
        )
        assert advanced.is_delivered("s:1")
        assert API_T0 - timedelta(minutes=5) == advanced.since(timedelta(minutes=10))

    def test_cursor_never_moves_backwards_and_prunes_old_keys(self, store: StateStore) -> None:
        overlap = timedelta(minutes=10)
        store.cursor_advance("main", "a", {"old": API_T0}, overlap=overlap)
        later = API_T0 + timedelta(hours=1)
        store.cursor_advance("main", "a", {"new": later}, overlap=overlap)
        store.cursor_advance("main", "a", {"late": API_T0 + timedelta(minutes=55)}, overlap=overlap)

        cursor = store.cursor_get("main", "a")

        assert later == cursor.watermark
        assert {"new", "late"} == set(cursor.seen)

    def test_cursor_watermark_can_be_set_explicitly_and_reset(self, store: StateStore) -> None:
        store.cursor_advance("main", "a", {}, overlap=timedelta(0), watermark=API_T0)
        assert API_T0 == store.cursor_get("main", "a").watermark

        store.cursor_reset("main", "a")

        assert store.cursor_get("main", "a").watermark is None

    def test_cursor_keeps_at_most_max_keys_newest(self, store: StateStore) -> None:
        delivered = {f"k{i}": API_T0 + timedelta(seconds=i) for i in range(10)}

        cursor = store.cursor_advance(
            "main", "a", delivered, overlap=timedelta(hours=1), max_keys=3
        )

        assert {"k7", "k8", "k9"} == set(store.cursor_get("main", "a").seen) == set(cursor.seen)

    def test_cursor_commit_returns_the_watermark_and_matches_cursor_advanced(
        self, store: StateStore
    ) -> None:
        overlap = timedelta(minutes=10)
        batches = [
            {"a": API_T0, "b": API_T0 + timedelta(minutes=3)},
            {"c": API_T0 + timedelta(minutes=12), "a": API_T0 + timedelta(minutes=13)},
            {"late": API_T0 + timedelta(minutes=1)},
            {},
        ]
        expected = Cursor(channel="main", action="a")
        marks = []
        for batch in batches:
            expected = expected.advanced(batch, overlap=overlap, now=API_T0, max_keys=2)
            marks.append(store.cursor_commit("main", "a", batch, overlap=overlap, max_keys=2))

        actual = store.cursor_get("main", "a")
        assert [API_T0 + timedelta(minutes=m) for m in (3, 13, 13, 13)] == marks
        assert (expected.watermark, expected.seen) == (actual.watermark, actual.seen)

    def test_cursor_reset_forgets_remembered_keys(self, store: StateStore) -> None:
        store.cursor_commit("main", "a", {"k": API_T0}, overlap=timedelta(hours=1))

        store.cursor_reset("main", "a")

        assert {} == store.cursor_get("main", "a").seen

    @_PROPERTY
    @given(
        records=st.lists(
            st.tuples(st.integers(0, 500), st.integers(0, 30)),  # (modified, visibility lag)
            max_size=40,
        ),
        pulls=st.lists(st.integers(0, 600), min_size=1, max_size=8),
    )
    def test_overlapping_pulls_deliver_every_record_exactly_once(
        self,
        store_factory: StoreFactory,
        records: list[tuple[int, int]],
        pulls: list[int],
    ) -> None:
        """Records commit up to 30 s after their modification time; with a 30 s overlap and
        dedupe keys, a series of pulls (plus a final one) delivers each exactly once."""
        store = store_factory(FakeClock())
        overlap = timedelta(seconds=30)
        delivered: list[str] = []
        for now in [*sorted(pulls), 10_000]:
            cursor = store.cursor_get("main", "pull")
            since = cursor.since(overlap)
            batch = {
                f"r{i}:{m}": API_T0 + timedelta(seconds=m)
                for i, (m, lag) in enumerate(records)
                if m + lag <= now and (since is None or API_T0 + timedelta(seconds=m) >= since)
            }
            fresh = {k: t for k, t in batch.items() if not cursor.is_delivered(k)}
            delivered.extend(fresh)
            store.cursor_advance("main", "pull", fresh, overlap=overlap)

        assert sorted(f"r{i}:{m}" for i, (m, _) in enumerate(records)) == sorted(delivered)

    # ------------------------------------------------------------------ journal

    def test_journal_assigns_increasing_ids_and_updates_in_place(self, store: StateStore) -> None:
        first = store.journal_add(_run("main", "push_orders", RunStatus.RUNNING, ("SO-1",)))
        second = store.journal_add(_run("main", "push_orders", RunStatus.SUCCESS))
        assert first.entry_id is not None
        assert second.entry_id is not None
        assert second.entry_id > first.entry_id

        done = store.journal_update(
            JournalEntry(
                channel="main",
                kind=EntryKind.RUN,
                action="push_orders",
                started_at=T0,
                entry_id=first.entry_id,
                status=RunStatus.FAILED,
                errors=("boom",),
                references=("SO-2", "SO-1"),
            )
        )

        assert [second, done] == store.journal_query("main")

    def test_updating_an_unknown_journal_entry_is_a_state_store_error(
        self, store: StateStore
    ) -> None:
        ghost = _run("main", "a", RunStatus.SUCCESS)
        with pytest.raises(StateStoreError):
            store.journal_update(ghost)
        with pytest.raises(StateStoreError):
            store.journal_update(attrs.evolve(ghost, entry_id=99_999))

    def test_journal_query_filters_newest_first(self, store: StateStore) -> None:
        a1 = store.journal_add(_run("main", "a", RunStatus.SUCCESS, ("X",)))
        b1 = store.journal_add(_run("main", "b", RunStatus.FAILED, ("X", "Y")))
        log = store.journal_add(
            JournalEntry(
                channel="main",
                kind=EntryKind.LOG,
                action="",
                started_at=T0,
                level=LogLevel.WARNING,
                message="checked by hand",
                references=("Y",),
            )
        )
        a2 = store.journal_add(_run("main", "a", RunStatus.PARTIAL))

        assert [a2, log, b1, a1] == store.journal_query("main")
        assert [a2, a1] == store.journal_query("main", action="a")
        assert [log, b1] == store.journal_query("main", reference="Y")
        assert [b1, a1] == store.journal_query("main", reference="X")
        assert [log] == store.journal_query("main", kind=EntryKind.LOG)
        assert [a1] == store.journal_query("main", action="a", status=RunStatus.SUCCESS)
        assert [a2, log] == store.journal_query("main", limit=2)

    def test_journal_prune_keeps_the_newest_entries(self, store: StateStore) -> None:
        entries = [store.journal_add(_run("main", "a", RunStatus.SUCCESS, ("R",))) for _ in "abcd"]

        assert 2 == store.journal_prune("main", keep_last=2)
        assert entries[:1:-1] == store.journal_query("main")
        assert entries[:1:-1] == store.journal_query("main", reference="R")

    @_PROPERTY
    @given(
        specs=st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c"]),
                st.sampled_from([RunStatus.SUCCESS, RunStatus.PARTIAL, RunStatus.FAILED]),
                st.lists(st.sampled_from(["R1", "R2", "R3"]), unique=True, max_size=3),
            ),
            max_size=12,
        ),
        action=st.none() | st.sampled_from(["a", "b"]),
        reference=st.none() | st.sampled_from(["R1", "R2"]),
        limit=st.none() | st.integers(0, 5),
    )
    def test_journal_query_agrees_with_a_plain_filter(
        self,
        store_factory: StoreFactory,
        specs: list[tuple[str, RunStatus, list[str]]],
        action: str | None,
        reference: str | None,
        limit: int | None,
    ) -> None:
        store = store_factory(FakeClock())
        added = [store.journal_add(_run("main", a, s, tuple(refs))) for a, s, refs in specs]
        store.journal_add(_run("other", "a", RunStatus.SUCCESS, ("R1",)))

        expected = [
            e
            for e in reversed(added)
            if (action is None or e.action == action)
            and (reference is None or reference in e.references)
        ]
        expected = expected if limit is None else expected[:limit]

        assert expected == store.journal_query(
            "main", action=action, reference=reference, limit=limit
        )

    # ------------------------------------------------------------------ webhook events

    def test_an_event_is_new_only_the_first_time(self, store: StateStore) -> None:
        assert [True, False, True] == [
            store.mark_event_seen("main", "evt-1"),
            store.mark_event_seen("main", "evt-1"),
            store.mark_event_seen("other", "evt-1"),
        ]

    def test_event_seen_reads_without_recording(self, store: StateStore) -> None:
        before = store.event_seen("main", "evt-2")
        store.mark_event_seen("main", "evt-2")

        assert (False, True, False) == (
            before,
            store.event_seen("main", "evt-2"),
            store.event_seen("other", "evt-2"),
        )

    def test_forget_events_drops_ids_seen_before_a_time(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        store.mark_event_seen("main", "old")
        clock.advance(3600)
        store.mark_event_seen("main", "new")

        assert 1 == store.forget_events("main", seen_before=clock.now - timedelta(minutes=1))
        assert [True, False] == [
            store.mark_event_seen("main", "old"),
            store.mark_event_seen("main", "new"),
        ]

    def test_resource_version_only_moves_forward(self, store: StateStore) -> None:
        newer, older = API_T0 + timedelta(seconds=5), API_T0

        assert store.resource_version("main", "order:1") is None
        assert [True, False, False] == [
            store.advance_resource_version("main", "order:1", newer),
            store.advance_resource_version("main", "order:1", older),  # arrived out of order
            store.advance_resource_version("main", "order:1", newer),  # repeat
        ]
        assert newer == store.resource_version("main", "order:1")

    # ------------------------------------------------------------------ leases

    def test_one_owner_holds_a_lease_at_a_time(self, store: StateStore) -> None:
        assert store.acquire_lease("main", "push_orders", "w1", 60)
        assert not store.acquire_lease("main", "push_orders", "w2", 60)
        assert store.acquire_lease("main", "push_orders", "w1", 60)  # re-entrant
        assert store.acquire_lease("main", "receive_shipments", "w2", 60)  # other action
        assert store.acquire_lease("other", "push_orders", "w2", 60)  # other channel

        info = store.lease_info("main", "push_orders")
        assert info is not None
        assert "w1" == info.owner

    def test_released_lease_can_be_taken(self, store: StateStore) -> None:
        store.acquire_lease("main", "a", "w1", 60)

        assert not store.release_lease("main", "a", "w2")
        assert store.release_lease("main", "a", "w1")
        assert store.lease_info("main", "a") is None
        assert store.acquire_lease("main", "a", "w2", 60)

    def test_a_crashed_holders_lease_expires_after_its_ttl(
        self, store: StateStore, clock: FakeClock
    ) -> None:
        store.acquire_lease("main", "a", "crashed", 30)
        clock.advance(29)
        assert not store.acquire_lease("main", "a", "w2", 30)
        clock.advance(1)

        assert store.lease_info("main", "a") is None
        assert store.acquire_lease("main", "a", "w2", 30)
        assert not store.renew_lease("main", "a", "crashed", 30)

    def test_renewing_extends_the_lease(self, store: StateStore, clock: FakeClock) -> None:
        store.acquire_lease("main", "a", "w1", 30)
        clock.advance(20)

        assert store.renew_lease("main", "a", "w1", 30)
        clock.advance(20)
        assert not store.acquire_lease("main", "a", "w2", 30)
        info = store.lease_info("main", "a")
        assert info is not None
        assert (T0, T0 + timedelta(seconds=50)) == (info.acquired_at, info.expires_at)

    def test_hold_lease_refuses_with_a_typed_error_and_releases_on_exit(
        self, store: StateStore
    ) -> None:
        with hold_lease(store, "main", "push_orders", owner="w1", ttl_seconds=60):
            with (
                pytest.raises(LeaseHeldError, match="push_orders") as caught,
                hold_lease(store, "main", "push_orders", owner="w2"),
            ):
                pass  # pragma: no cover - never entered
            assert isinstance(caught.value, ExtensivError)
        with pytest.raises(RuntimeError), hold_lease(store, "main", "push_orders", owner="w2"):
            raise RuntimeError("the block failed")

        assert store.lease_info("main", "push_orders") is None

    def test_renewing_a_lost_lease_raises(self, store: StateStore, clock: FakeClock) -> None:
        with hold_lease(store, "main", "a", owner="w1", ttl_seconds=10) as lease:
            lease.renew()
            clock.advance(11)
            store.acquire_lease("main", "a", "w2", 10)
            with pytest.raises(LeaseLostError):
                lease.renew()

        info = store.lease_info("main", "a")
        assert info is not None
        assert "w2" == info.owner  # w1's exit did not release w2's lease

    @given(
        steps=st.lists(
            st.one_of(
                st.tuples(st.just("wait"), st.integers(1, 45)),
                st.tuples(st.sampled_from(["renew", "take", "release"]), st.integers(0, 1)),
            ),
            max_size=14,
        )
    )
    @_PROPERTY
    def test_a_lease_its_holder_trusts_is_never_taken_by_another_owner(
        self, store_factory: StoreFactory, steps: list[tuple[str, int]]
    ) -> None:
        """What lets a holder skip the store read before each send (``LeaseTrust``): another
        owner takes a lease only after it expired, so while the holder's last take or renewal
        is within its trust window, every take by someone else fails; once someone else took
        it, the holder never trusts it again. Time passes only by ``wait``."""
        clock = FakeClock()
        store = store_factory(clock)
        taken_over = False
        with hold_lease(
            store,
            "main",
            "push_orders",
            owner="w1",
            ttl_seconds=30,
            renew_every=0,
            clock=clock.seconds,
        ) as lease:
            for step, arg in steps:
                trusted = lease.trust.trusted()
                if step == "wait":
                    clock.advance(arg)
                elif step == "renew":
                    try:
                        lease.renew()
                    except LeaseLostError:
                        assert taken_over or store.lease_info("main", "push_orders") is None
                elif step == "take":
                    taken = store.take_lease("main", "push_orders", f"w{2 + arg}", 30)
                    assert not (trusted and taken is not None), (step, arg, lease.trust.until)
                    taken_over = taken_over or taken is not None
                else:
                    store.release_lease("main", "push_orders", f"w{2 + arg}")
                assert not (taken_over and lease.trust.trusted())

    # ------------------------------------------------------------------ metadata, channels

    def test_key_value_metadata(self, store: StateStore) -> None:
        store.kv_set("main", "customer_id", "12")
        store.kv_set("main", "customer_id", "13")
        assert "13" == store.kv_get("main", "customer_id")

        store.kv_set("main", "customer_id", None)

        assert store.kv_get("main", "customer_id") is None

    def _fill(self, store: StateStore, channel: str) -> None:
        store.ledger_begin(channel, ORDER, "SO-1")
        store.ledger_begin(channel, RECEIPT, "R-1")
        store.backorder_put(channel, _order())
        store.cursor_advance(channel, "a", {"k": API_T0}, overlap=timedelta(0))
        store.journal_add(_run(channel, "a", RunStatus.SUCCESS, ("SO-1",)))
        store.mark_event_seen(channel, "evt-1")
        store.advance_resource_version(channel, "order:1", API_T0)
        store.acquire_lease(channel, "a", "w1", 60)
        store.kv_set(channel, "k", "v")

    def test_channels_do_not_see_each_others_state(self, store: StateStore) -> None:
        self._fill(store, "main")

        assert ["main"] == store.channels()
        assert store.ledger_get("other", ORDER, "SO-1") is None
        assert [] == store.backorder_list("other")
        assert store.cursor_get("other", "a").watermark is None
        assert [] == store.journal_query("other")
        assert store.mark_event_seen("other", "evt-1")
        assert store.resource_version("other", "order:1") is None
        assert store.acquire_lease("other", "a", "w2", 60)
        assert store.kv_get("other", "k") is None

    def test_deleting_a_channel_removes_all_its_state_and_nothing_else(
        self, store: StateStore
    ) -> None:
        self._fill(store, "main")
        self._fill(store, "keep")

        store.delete_channel("main")

        assert ["keep"] == store.channels()
        assert store.ledger_begin("main", ORDER, "SO-1").claimed  # a clean slate
        assert store.ledger_get("main", RECEIPT, "R-1") is None
        assert [] == store.backorder_list("main")
        assert store.cursor_get("main", "a").watermark is None
        assert [] == store.journal_query("main")
        assert store.mark_event_seen("main", "evt-1")
        assert store.resource_version("main", "order:1") is None
        assert store.acquire_lease("main", "a", "w2", 60)
        assert store.kv_get("main", "k") is None
        assert 1 == len(store.journal_query("keep", reference="SO-1"))
        assert not store.ledger_begin("keep", ORDER, "SO-1").claimed

    def test_a_closed_store_refuses_work(self, store: StateStore) -> None:
        store.close()

        with pytest.raises(StateStoreError):
            store.ledger_get("main", ORDER, "SO-1")
