"""A push interrupted between the warehouse's answer and the local bookkeeping loses nothing."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from extensiv_connector.backorder import BackorderPolicy
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import MemoryStore, PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory, reference_counts


class Killed(BaseException):
    """Stands in for the process dying (not an Exception: nothing may swallow it)."""


class DiesOnBackorderPut:
    """A store that "dies" the first time a remainder is queued, after the send succeeded."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner

    def backorder_put(self, *args: Any, **kwargs: Any) -> Any:
        raise Killed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_remainder_of_a_partial_send_survives_a_crash_before_it_was_queued(
    sb: Sandbox, make_connector: ConnectorFactory, store: MemoryStore
) -> None:
    policy = BackorderPolicy(allow_partial=True)
    order = sales_order("SO-1", ("SKU-000001", 14))  # 10 in stock
    dying = make_connector(policy, store_=DiesOnBackorderPut(store))
    with contextlib.suppress(Killed):
        dying.push_orders([order])
    assert {"SO-1-1": 1} == reference_counts(sb)  # the partial went out
    assert [] == store.backorder_list("sandbox")  # ...but its remainder was never queued

    resumed = make_connector(policy).push_orders([order])  # the host pushes it again

    statuses = {o.reference or o.order_number: o.status for o in resumed.outcomes}
    assert PushStatus.ALREADY_PRESENT == statuses["SO-1-1"]
    [entry] = store.backorder_list("sandbox")
    assert ("SO-1#2", (Decimal(4),)) == (entry.key, tuple(ln.quantity for ln in entry.order.lines))

    sb.warehouse.receive({"SKU-000001": 4})
    released = make_connector(policy).push_orders([order])
    assert {"SO-1-1": 1, "SO-1-2": 1} == reference_counts(sb)
    assert PushStatus.SENT_FULL in {o.status for o in released.outcomes}
    again = make_connector(policy).push_orders([order])  # nothing is queued a second time
    assert [] == store.backorder_list("sandbox")
    assert {PushStatus.ALREADY_PRESENT} == {o.status for o in again.outcomes}
