"""The push engine sends each create once and lets the client's loop do every repeat: the lease
is checked before each attempt inside that loop, and an unknown outcome is resolved there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import ExtensivClient
from extensiv_connector.errors import (
    ConnectionFailedError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
)
from extensiv_connector.sync import LeaseLostError, LedgerKind, LedgerState, MemoryStore, hold_lease
from extensiv_connector.sync._push_engine import (
    FOREIGN_RECORD,
    IN_FLIGHT,
    SENT_ANSWER_LOST,
    CreateJob,
    CreateOutcome,
    PushEngine,
    payload_lines,
)
from extensiv_connector.testing.store_contract import FakeClock

from ..client.conftest import FakeAdapter, make_client, reply, token_reply

ORDER = LedgerKind.ORDER
JOB = CreateJob(reference="SO-1", payload={"referenceNum": "SO-1"})


def _engine(
    store: MemoryStore,
    create: Callable[..., int | None],
    lookup: Callable[[str], int | None],
    lease: Any = None,
    **options: Any,
) -> PushEngine:
    return PushEngine(
        store, "main", ORDER, create=create, lookup=lookup, max_in_flight=1, lease=lease, **options
    )


def _push(engine: PushEngine) -> CreateOutcome:
    return engine.run([JOB])["SO-1"]


def _client(handle: Callable[[requests.PreparedRequest], Any], **options: Any) -> Any:
    def routed(request: requests.PreparedRequest) -> Any:
        if "/AuthServer/api/Token" in (request.url or ""):
            return token_reply()
        return handle(request)

    return make_client(routed, **options)


def _posts(adapter: FakeAdapter) -> int:
    return sum(1 for r in adapter.requests if r.method == "POST" and r.path_url == "/orders")


def _created(client: ExtensivClient) -> Callable[..., int | None]:
    return lambda payload, **hooks: client.orders.create(payload, **hooks).value.order_id


@pytest.mark.parametrize(
    "error",
    [
        RateLimitedError(429, "slow down", retry_after=5.0),
        ServerError(503, "busy"),
        OutcomeUnknownError(
            "timeout", method="POST", path="/orders", reference="SO-1", cause=ServerError(500, "")
        ),
    ],
)
def test_a_failed_create_is_sent_once_and_left_pending(error: Exception) -> None:
    sent: list[str] = []
    looked_up: list[str] = []

    def create(payload: dict[str, Any], *, before_attempt: Callable[[], None], **_: Any) -> int:
        before_attempt()  # what the client's loop does before it sends
        sent.append(payload["referenceNum"])
        raise error

    def lookup(reference: str) -> None:
        looked_up.append(reference)

    outcome = _push(_engine(MemoryStore(), create, lookup))

    assert (["SO-1"], LedgerState.PENDING) == (sent, outcome.state)
    expected_lookups = [] if isinstance(error, RateLimitedError) else ["SO-1"]
    assert expected_lookups == looked_up  # 429: nothing processed, nothing to look up


def test_an_unknown_outcome_the_lookup_finds_is_adopted() -> None:
    def create(payload: dict[str, Any], *, before_attempt: Callable[[], None], **_: Any) -> int:
        before_attempt()  # what the client's loop does before it sends
        raise ServerError(500, "lost")

    outcome = _push(_engine(MemoryStore(), create, lambda ref: 77))

    # Found after our own send: this push created it (sent, not "already present").
    assert (LedgerState.SENT, 77, False, SENT_ANSWER_LOST) == (
        outcome.state,
        outcome.remote_id,
        outcome.adopted,
        outcome.reason,
    )


def test_through_the_client_an_unknown_outcome_is_resolved_and_resent_in_one_budget() -> None:
    answers = [reply(500, "oops"), reply(201, {"referenceNum": "SO-1", "readOnly": {"orderId": 9}})]
    client, adapter = _client(lambda _r: answers.pop(0), max_attempts=2)
    looked_up: list[str] = []

    def lookup(reference: str) -> None:
        looked_up.append(reference)

    store = MemoryStore()
    outcome = _push(_engine(store, _created(client), lookup))

    assert (LedgerState.SENT, 9, False) == (outcome.state, outcome.remote_id, outcome.adopted)
    assert (2, ["SO-1"]) == (_posts(adapter), looked_up)


def test_through_the_client_a_failed_lookup_leaves_it_pending_after_one_post() -> None:
    client, adapter = _client(lambda _r: reply(502, ""), max_attempts=5)

    def lookup(reference: str) -> None:
        raise ServerError(503, "lookup down too")

    outcome = _push(_engine(MemoryStore(), _created(client), lookup))

    assert LedgerState.PENDING == outcome.state
    assert "lookup failed" in outcome.reason
    assert 1 == _posts(adapter)


def test_a_lease_lost_between_attempts_stops_the_loop_before_the_next_post() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    with hold_lease(store, "main", "push_orders", ttl_seconds=60, renew_every=0) as lease:

        def stalled(_request: requests.PreparedRequest) -> Any:
            # The worker stalls past its TTL mid-request; another one takes the lease over.
            clock.advance(61)
            assert store.acquire_lease("main", "push_orders", "thief", 60)
            with contextlib.suppress(LeaseLostError):
                lease.renew()  # what the heartbeat would notice
            return reply(429, "")  # safe to repeat: only the lease check can stop it

        client, adapter = _client(stalled, max_attempts=5)
        engine = _engine(store, _created(client), lambda ref: None, lease)
        with pytest.raises(LeaseLostError):
            engine.run([JOB])

    assert 1 == _posts(adapter)


def test_a_create_that_may_be_in_flight_is_not_looked_up_again_before_the_read_timeout() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)

    def slow(_request: requests.PreparedRequest) -> Any:
        raise requests.ReadTimeout("the server is still working on it")

    client, adapter = _client(slow, max_attempts=5)
    looked_up: list[str] = []

    def lookup(reference: str) -> None:
        looked_up.append(reference)

    engine = _engine(store, _created(client), lookup, in_flight_wait=30.0, clock=clock)
    first = _push(engine)
    too_early = engine.resolve_pending("SO-1")
    clock.advance(31)
    later = engine.resolve_pending("SO-1")

    assert (LedgerState.PENDING, True) == (first.state, first.reason.startswith(IN_FLIGHT))
    assert too_early is not None
    assert LedgerState.PENDING == too_early.state
    assert None is later  # looked up once the request must be done: absent, send it again
    assert (1, ["SO-1", "SO-1"]) == (_posts(adapter), looked_up)


def test_a_create_that_fails_before_its_first_send_is_pending_without_a_lookup() -> None:
    looked_up: list[str] = []

    def create(payload: dict[str, Any], **_: Any) -> int:
        raise ConnectionFailedError("token endpoint unreachable")  # before_attempt never ran

    def lookup(reference: str) -> None:
        looked_up.append(reference)

    outcome = _push(_engine(MemoryStore(), create, lookup))

    assert (LedgerState.PENDING, [], True) == (
        outcome.state,
        looked_up,
        outcome.reason.startswith("not sent"),
    )


LINES_JOB = CreateJob(
    reference="SO-1",
    payload={
        "referenceNum": "SO-1",
        "orderItems": [
            {"itemIdentifier": {"sku": "A"}, "qty": 2},
            {"itemIdentifier": {"sku": "B"}, "qty": Decimal("1.50")},
        ],
    },
)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([("B", Decimal("1.5")), ("A", 2)], (LedgerState.SENT, False, SENT_ANSWER_LOST)),
        ([("A", 2), ("C", 1)], (LedgerState.REJECTED, False, FOREIGN_RECORD)),
    ],
    ids=["ours", "someone-elses"],
)
def test_a_record_found_by_reference_is_adopted_only_when_its_lines_are_ours(
    found: list[tuple[str, Any]], expected: tuple[LedgerState, bool, str]
) -> None:
    def create(payload: dict[str, Any], *, before_attempt: Callable[[], None], **_: Any) -> int:
        before_attempt()
        raise ServerError(500, "lost")

    engine = _engine(MemoryStore(), create, lambda ref: 77, found_lines=lambda remote_id: found)
    outcome = engine.run([LINES_JOB])["SO-1"]

    assert expected == (outcome.state, outcome.adopted, outcome.reason[: len(expected[2])])


LINES = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.decimals(0, 1000, places=2)), max_size=6
)


@given(lines=LINES, data=st.data())
def test_payload_lines_sum_per_item_whatever_the_order_of_the_lines(
    lines: list[tuple[str, Decimal]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(lines))

    def payload(pairs: list[tuple[str, Decimal]]) -> dict[str, Any]:
        return {"orderItems": [{"itemIdentifier": {"sku": k}, "qty": q} for k, q in pairs]}

    totals: dict[str, Decimal] = {}
    for sku, qty in lines:
        totals[sku] = totals.get(sku, Decimal(0)) + qty

    assert {k: v.normalize() for k, v in totals.items()} == payload_lines(payload(shuffled))
