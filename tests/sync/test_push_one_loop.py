"""The push engine sends each create once and lets the client's loop do every repeat: the lease
is checked before each attempt inside that loop, and an unknown outcome is resolved there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
import requests

from extensiv_connector.client import ExtensivClient
from extensiv_connector.errors import (
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
)
from extensiv_connector.sync import LeaseLostError, LedgerKind, LedgerState, MemoryStore, hold_lease
from extensiv_connector.sync._push import CreateJob, CreateOutcome, PushEngine
from extensiv_connector.testing.store_contract import FakeClock

from ..client.conftest import FakeAdapter, make_client, reply, token_reply

ORDER = LedgerKind.ORDER
JOB = CreateJob(reference="SO-1", payload={"referenceNum": "SO-1"})


def _engine(
    store: MemoryStore,
    create: Callable[[dict[str, Any]], int | None],
    lookup: Callable[[str], int | None],
    lease: Any = None,
) -> PushEngine:
    return PushEngine(
        store, "main", ORDER, create=create, lookup=lookup, max_in_flight=1, lease=lease
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


def _created(client: ExtensivClient) -> Callable[[dict[str, Any]], int | None]:
    return lambda payload: client.orders.create(payload).value.order_id


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

    def create(payload: dict[str, Any]) -> int:
        sent.append(payload["referenceNum"])
        raise error

    def lookup(reference: str) -> None:
        looked_up.append(reference)

    outcome = _push(_engine(MemoryStore(), create, lookup))

    assert (["SO-1"], LedgerState.PENDING) == (sent, outcome.state)
    expected_lookups = [] if isinstance(error, RateLimitedError) else ["SO-1"]
    assert expected_lookups == looked_up  # 429: nothing processed, nothing to look up


def test_an_unknown_outcome_the_lookup_finds_is_adopted() -> None:
    def create(payload: dict[str, Any]) -> int:
        raise ServerError(500, "lost")

    outcome = _push(_engine(MemoryStore(), create, lambda ref: 77))

    assert (LedgerState.SENT, 77, True) == (outcome.state, outcome.remote_id, outcome.adopted)


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
