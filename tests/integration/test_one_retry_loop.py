"""One retry loop, one budget per create: counted on the sandbox's side of the wire.

``client.max_retries = 2`` gives every logical operation three attempts (``max_attempts``);
the connector's ``sleep`` is the client's, so recorded waits replace real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, LedgerKind, LedgerState, MemoryStore, PushStatus

from ..factories import sales_order
from .conftest import config_with, reference_counts

MAX_ATTEMPTS = 3
SKU = "SKU-000001"


class WireLog:
    """Every ``METHOD /path`` the sandbox answered, in arrival order (token requests apart)."""

    def __init__(self, sb: Sandbox) -> None:
        self.seen: list[str] = []
        handle: Callable[[Request], Response] = sb.app.handle

        def recording(request: Request) -> Response:
            self.seen.append(f"{request.method} {request.path.rstrip('/').lower()}")
            return handle(request)

        # patched on this one app on purpose: it records every request the sandbox serves
        sb.app.handle = recording  # type: ignore[method-assign]

    def api(self) -> list[str]:
        return [s for s in self.seen if not s.endswith("/authserver/api/token")]

    def posts(self) -> int:
        return self.seen.count("POST /orders")


@pytest.fixture
def wire(sb: Sandbox) -> WireLog:
    return WireLog(sb)


@pytest.fixture
def connector(sb: Sandbox, store: MemoryStore, sleeps: list[float]) -> Iterator[Connector]:
    config = config_with(sb, client={"max_retries": MAX_ATTEMPTS - 1, "backoff_initial": 0.25})
    with Connector(config, store=store, sleep=sleeps.append) as connector:
        yield connector


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _status(result: Any, order_number: str) -> PushStatus:
    outcome = result.outcome_for(order_number)
    assert outcome is not None
    status: PushStatus = outcome.status
    return status


def test_a_persistent_429_on_a_create_reaches_the_sandbox_exactly_max_attempts_times(
    sb: Sandbox, wire: WireLog, connector: Connector, sleeps: list[float]
) -> None:
    sb.faults.configure(rate_limit_rate=1.0, retry_after_s=2, only=("POST /orders",))

    first = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert MAX_ATTEMPTS == wire.posts()
    assert [2.0] * (MAX_ATTEMPTS - 1) == sleeps  # Retry-After honoured, only between attempts
    assert PushStatus.FAILED == _status(first, "SO-1")  # not SENT: left for a later push
    entry = connector.store.ledger_get(connector.channel, LedgerKind.ORDER, "SO-1-1")
    assert entry is not None
    assert LedgerState.PENDING == entry.state
    assert {} == reference_counts(sb)

    sb.faults.clear()
    second = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.SENT_FULL == _status(second, "SO-1")
    assert MAX_ATTEMPTS + 1 == wire.posts()
    assert {"SO-1-1": 1} == reference_counts(sb)  # nothing sent twice


def test_a_persistent_500_on_a_create_is_looked_up_between_attempts_within_one_budget(
    sb: Sandbox, wire: WireLog, connector: Connector
) -> None:
    sb.faults.configure(error_rate=1.0, error_statuses=(500,), only=("POST /orders",))

    first = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    creates = [s for s in wire.api() if s in ("POST /orders", "GET /orders")]
    assert ["POST /orders", "GET /orders"] * MAX_ATTEMPTS == creates  # a lookup after each
    assert PushStatus.FAILED == _status(first, "SO-1")
    assert {} == reference_counts(sb)

    sb.faults.clear()
    second = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.SENT_FULL == _status(second, "SO-1")
    assert {"SO-1-1": 1} == reference_counts(sb)


@pytest.mark.parametrize("mode", ["reset", "500"])
def test_a_lost_response_is_adopted_after_one_post_and_one_lookup(
    sb: Sandbox, wire: WireLog, connector: Connector, mode: str
) -> None:
    sb.faults.configure(lost_response_rate=1.0, lost_response_mode=mode, only=("POST /orders",))

    result = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.SENT_FULL == _status(result, "SO-1")  # found: this push created it
    assert 1 == wire.posts()
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_a_500_then_success_is_sent_again_only_after_the_lookup_proved_it_absent(
    sb: Sandbox, wire: WireLog, connector: Connector
) -> None:
    sb.faults.configure(only=("POST /orders",))
    sb.faults.enqueue(500)

    result = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    creates = [s for s in wire.api() if s in ("POST /orders", "GET /orders")]
    assert ["POST /orders", "GET /orders", "POST /orders"] == creates
    assert PushStatus.SENT_FULL == _status(result, "SO-1")
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_a_401_mid_run_refreshes_the_token_once_and_replays_without_using_the_budget(
    sb: Sandbox, wire: WireLog, store: MemoryStore
) -> None:
    config = config_with(sb, client={"max_retries": 1})  # two attempts per create
    with Connector(config, store=store, sleep=lambda _s: None) as connector:
        connector.push_orders([sales_order("SO-0", (SKU, 1))])  # a token in hand
        tokens_before = connector.client.token_requests
        sb.faults.configure(only=("POST /orders",))
        # The token dies under the first POST (401 -> refresh -> replay), the replay is
        # rate limited (attempt 1 of 2), the retry goes through (attempt 2 of 2).
        sb.faults.enqueue("expire_token", 429)

        result = connector.push_orders([sales_order("SO-1", (SKU, 1))])

        assert PushStatus.SENT_FULL == _status(result, "SO-1")
        assert 1 == connector.client.token_requests - tokens_before
    assert 1 + 3 == wire.posts()  # SO-0, then the 401, its replay, and the one retry
    assert {"SO-0-1": 1, "SO-1-1": 1} == reference_counts(sb)
