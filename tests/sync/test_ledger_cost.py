"""What pushed orders cost the SQLite store: claims and settles in batches, not per order.

Counted, not timed: the statements SQLite runs are traced during a push through the Connector
(timing lives in bench/ledger.py). A push claims its orders a window at a time (1, 2, 4, ...
up to ``CLAIM_WINDOW``) and settles their outcomes ``SETTLE_EVERY`` at a time (sooner when
one waited ``SETTLE_AFTER``), so the write transactions per order fall far below the two
(claim + settle) that the issue allows."""

from __future__ import annotations

import collections
from pathlib import Path

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, PushStatus, SQLiteStore
from extensiv_connector.sync._push_engine import CLAIM_WINDOW

from ..integration.conftest import config_with, sales_order

ORDERS = 200
PER_RUN = 4  # the lease (take, release) and the journal run (add, update)


def _traced(store: SQLiteStore) -> collections.Counter[str]:
    seen: collections.Counter[str] = collections.Counter()
    conn = store._conn
    assert conn is not None
    conn.set_trace_callback(lambda sql: seen.update([" ".join(sql.split()[:2])]))
    return seen


def _claim_windows(n: int) -> int:
    windows, size = 0, 1
    while n > 0:
        n -= size
        windows += 1
        size = min(2 * size, CLAIM_WINDOW)
    return windows


def test_a_push_claims_and_settles_its_orders_in_few_write_transactions(tmp_path: Path) -> None:
    with Sandbox(catalog_size=2, initial_stock=1000) as sb:
        store = SQLiteStore(tmp_path / "state.db")
        with Connector(config_with(sb), store=store) as connector:
            seen = _traced(store)
            result = connector.push_orders(
                [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(ORDERS)]
            )
            store.close()

    writes = seen["BEGIN IMMEDIATE"] - PER_RUN
    assert {PushStatus.SENT_FULL} == {o.status for o in result.outcomes}
    assert 9 == _claim_windows(ORDERS)  # 1 + 2 + ... + 64 + 64 + 9
    # the claims, at least one settle, and far fewer than the two per order allowed
    assert _claim_windows(ORDERS) + 1 <= writes <= ORDERS // 4


def test_a_released_backorder_is_claimed_and_settled_in_batches_too(tmp_path: Path) -> None:
    with Sandbox(catalog_size=2, initial_stock=0) as sb:
        store = SQLiteStore(tmp_path / "state.db")
        with Connector(config_with(sb), store=store) as connector:
            connector.push_orders(
                [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(ORDERS)]
            )
            sb.warehouse.adjust_stock("SKU-000001", ORDERS)
            seen = _traced(store)
            result = connector.push_orders([])
            held = connector.backorders()
            store.close()

    writes = seen["BEGIN IMMEDIATE"] - PER_RUN
    assert ([], ORDERS) == (held, len(result.outcomes))
    assert {PushStatus.SENT_FULL} == {o.status for o in result.outcomes}
    assert _claim_windows(ORDERS) + 1 <= writes <= ORDERS // 4
