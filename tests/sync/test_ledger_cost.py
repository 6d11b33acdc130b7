"""What one pushed order costs the SQLite store: a claim and a settle, nothing more.

Counted, not timed: the statements SQLite runs are traced during a push through the Connector
(timing lives in bench/ledger.py)."""

from __future__ import annotations

import collections
from pathlib import Path

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, PushStatus, SQLiteStore

from ..integration.conftest import config_with, sales_order

ORDERS = 40


def _traced(store: SQLiteStore) -> collections.Counter[str]:
    seen: collections.Counter[str] = collections.Counter()
    conn = store._conn
    assert conn is not None
    conn.set_trace_callback(lambda sql: seen.update([" ".join(sql.split()[:2])]))
    return seen


def test_a_sent_order_costs_two_write_transactions_claim_and_settle(tmp_path: Path) -> None:
    with Sandbox(catalog_size=2, initial_stock=1000) as sb:
        store = SQLiteStore(tmp_path / "state.db")
        with Connector(config_with(sb), store=store) as connector:
            seen = _traced(store)
            result = connector.push_orders(
                [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(ORDERS)]
            )
            store.close()

    per_run = 4  # the lease (take, release) and the journal run (add, update)
    assert {PushStatus.SENT_FULL} == {o.status for o in result.outcomes}
    assert 2 * ORDERS + per_run == seen["BEGIN IMMEDIATE"]


def test_a_released_backorder_also_costs_two_write_transactions(tmp_path: Path) -> None:
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

    assert ([], ORDERS) == (held, len(result.outcomes))
    assert 2 * ORDERS + 4 == seen["BEGIN IMMEDIATE"]
