"""Exactly-once creates against the sandbox: a create that may still be in flight is never sent
again in the same run, a record someone else created under our reference is not adopted, and
an authentication failure is not a rejection of the order."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from extensiv_connector.client import ExtensivClient
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, MemoryStore, PushStatus

from ..factories import sales_order
from .conftest import config_with, reference_counts, warehouse_orders

SKU = "SKU-000001"
READ_TIMEOUT = 0.3
TOKEN = "POST /authserver/api/token"


class Wire:
    """Counts every ``METHOD /path`` the sandbox answered, and the lookups by reference."""

    def __init__(self, sb: Sandbox) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        self.lookups = 0
        self._lock = threading.Lock()
        handle: Callable[[Request], Response] = sb.app.handle

        def counting(request: Request) -> Response:
            with self._lock:
                self.seen[f"{request.method} {request.path.rstrip('/').lower()}"] += 1
                self.lookups += "referenceNum" in request.args.get("rql", "")
            return handle(request)

        # patched on this one app on purpose: it counts every request the sandbox serves
        sb.app.handle = counting  # type: ignore[method-assign]


def _status(result: Any, order_number: str) -> PushStatus:
    outcome = result.outcome_for(order_number)
    assert outcome is not None
    status: PushStatus = outcome.status
    return status


def _reason(result: Any, order_number: str) -> str:
    outcome = result.outcome_for(order_number)
    assert outcome is not None
    return str(outcome.reason)


def _wait_for(condition: Callable[[], bool]) -> None:
    """Until the sandbox has finished what it is still processing (bounded; not a timing test)."""
    for _ in range(200):
        if condition():
            return
        time.sleep(0.05)


def test_a_create_slower_than_the_read_timeout_is_created_once_and_adopted_later() -> None:
    orders = [sales_order("SO-1", (SKU, 1)), sales_order("SO-2", (SKU, 1))]
    both = ("SO-1", "SO-2")
    options = WarehouseOptions(enforce_unique_references=False)  # no server-side safety net
    with Sandbox(catalog_size=6, initial_stock=10, options=options) as sb:
        wire = Wire(sb)
        config = config_with(
            sb, client={"max_retries": 2, "read_timeout": READ_TIMEOUT, "backoff_initial": 0.01}
        )
        with Connector(config, store=MemoryStore(), sleep=lambda _s: None) as connector:
            sb.faults.configure(only=("POST /orders",), latency_ms=500)  # beyond read_timeout

            first = connector.push_orders(orders)
            at_once = connector.push_orders(orders)  # the first POSTs may still be in flight
            _wait_for(lambda: len(reference_counts(sb)) == 2)  # the sandbox finished them
            # An in-flight create is looked up only a read timeout after the client gave up.
            time.sleep(READ_TIMEOUT)
            after_first = reference_counts(sb)
            sb.faults.clear()
            later = connector.push_orders(orders)

        assert [PushStatus.FAILED] * 2 == [_status(first, n) for n in both]
        assert _reason(first, "SO-1").startswith("may still be in flight")
        assert {PushStatus.FAILED, PushStatus.ALREADY_PRESENT} >= {
            _status(at_once, n) for n in both
        }
        assert [PushStatus.ALREADY_PRESENT] * 2 == [_status(later, n) for n in both]
        assert {"SO-1-1": 1, "SO-2-1": 1} == after_first
        assert {"SO-1-1": 1, "SO-2-1": 1} == reference_counts(sb)
        assert (2, True) == (wire.seen["POST /orders"], wire.lookups >= 2)  # never sent again


def test_an_order_another_system_created_under_our_reference_is_rejected_not_adopted(
    sb: Sandbox,
) -> None:
    with ExtensivClient.from_config(sb.config) as client:
        client.orders.create(
            {
                "referenceNum": "SO-1-1",
                "shipTo": {
                    "name": "Someone Else",
                    "address1": "9 Elm",
                    "city": "Austin",
                    "state": "TX",
                    "zip": "73301",
                    "country": "US",
                },
                "orderItems": [{"itemIdentifier": {"sku": "SKU-000003"}, "qty": 7}],
            }
        )
    with Connector(sb.config, store=MemoryStore()) as connector:
        result = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.REJECTED == _status(result, "SO-1")
    reason = _reason(result, "SO-1")
    assert "reference already used in the warehouse by a different order" in reason
    assert "SKU-000003: 7 found, 0 ours" in reason
    [order] = warehouse_orders(sb)  # theirs, untouched, and ours not sent alongside it
    assert [("SKU-000003", 7)] == [
        (line["itemIdentifier"]["sku"], line["qty"]) for line in order["orderItems"]
    ]


def test_our_own_order_behind_a_lost_response_is_adopted_and_counted_as_sent(
    sb: Sandbox,
) -> None:
    """This push created it (the answer was lost): sent, not "already present", which would
    tell the host an earlier run or another system had sent it."""
    with Connector(sb.config, store=MemoryStore()) as connector:
        sb.faults.configure(lost_response_rate=1.0, only=("POST /orders",))
        result = connector.push_orders([sales_order("SO-1", (SKU, 2))])
        sb.faults.clear()
        again = connector.push_orders([sales_order("SO-1", (SKU, 2))])

    assert PushStatus.SENT_FULL == _status(result, "SO-1")
    assert "the answer was lost" in _reason(result, "SO-1")
    assert PushStatus.ALREADY_PRESENT == _status(again, "SO-1")
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_a_create_refused_twice_with_401_is_failed_not_rejected_and_sent_by_the_next_push(
    sb: Sandbox,
) -> None:
    with Connector(sb.config, store=MemoryStore()) as connector:
        sb.faults.configure(only=("POST /orders",))
        sb.faults.enqueue("expire_token", "expire_token")

        first = connector.push_orders([sales_order("SO-1", (SKU, 1))])
        second = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.FAILED == _status(first, "SO-1")
    assert "not sent, authentication failed" in _reason(first, "SO-1")
    assert PushStatus.SENT_FULL == _status(second, "SO-1")
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_a_401_whose_token_refresh_fails_is_failed_without_a_lookup(sb: Sandbox) -> None:
    wire = Wire(sb)
    config = config_with(sb, client={"max_retries": 2, "backoff_initial": 0.01})
    with Connector(config, store=MemoryStore(), sleep=lambda _s: None) as connector:
        connector.push_orders([sales_order("SO-0", (SKU, 1))])  # a token in hand
        lookups_before = wire.lookups
        sb.faults.configure(only=("POST /orders", TOKEN), include_auth=True)
        sb.faults.enqueue("expire_token", 503, 503, 503)  # the refresh fails every attempt

        first = connector.push_orders([sales_order("SO-1", (SKU, 1))])
        lookups_after_first = wire.lookups
        sb.faults.clear()
        second = connector.push_orders([sales_order("SO-1", (SKU, 1))])

    assert PushStatus.FAILED == _status(first, "SO-1")
    assert "the token refresh failed" in _reason(first, "SO-1")
    assert lookups_before == lookups_after_first  # nothing was processed: nothing to look up
    assert PushStatus.SENT_FULL == _status(second, "SO-1")
    assert {"SO-0-1": 1, "SO-1-1": 1} == reference_counts(sb)
