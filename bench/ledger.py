"""Benchmark: the SQLite ledger work of one pushed order, in one run.

Measures, per order, on a file in a temporary directory (WAL, ``synchronous=NORMAL``):

* ``push flow``: the store calls a push makes for an order that is sent in full: the screening
  read (``ledger_get``), the claim (``ledger_begin`` with the comparison baseline) and the
  settle (``ledger_update`` to SENT, releasing the backorder entry);
* ``floor``: the same two write transactions on a bare ``sqlite3`` connection with the same
  pragmas (one INSERT of a ledger row plus a baseline row, one UPDATE plus a DELETE) and one
  read: what SQLite itself costs;

and counts the write transactions (``BEGIN IMMEDIATE``) per order. Prints min/median/max
microseconds per order over ``--repeat`` rounds and the ratios to the floor.

    .venv/bin/python bench/ledger.py [--orders N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from extensiv_connector.sync import LedgerKind, LedgerState, SQLiteStore

ORDER = LedgerKind.ORDER
BASELINE = json.dumps(
    {
        "referenceNum": "SO-0000000-1",
        "routingInfo": {"carrier": "UPS", "mode": "Ground"},
        "orderItems": [{"itemIdentifier": {"sku": "SKU-00001"}, "qty": 2, "externalId": "1"}],
    }
)


def push_flow(path: Path, n: int, round_no: int) -> tuple[float, float]:
    """Seconds per order, and write transactions per order."""
    store = SQLiteStore(path)
    begins = 0

    def trace(statement: str) -> None:
        nonlocal begins
        begins += statement.startswith("BEGIN IMMEDIATE")

    conn = store._conn  # private on purpose: counting statements is the point here
    assert conn is not None
    conn.set_trace_callback(trace)
    refs = [f"SO-{round_no:02d}{i:07d}-1" for i in range(n)]
    lines = {"1": Decimal(2)}
    t0 = time.perf_counter()
    for ref in refs:
        store.ledger_get("bench", ORDER, ref)
        claim = store.ledger_begin(
            "bench",
            ORDER,
            ref,
            fingerprint="f" * 64,
            sent_lines=lines,
            host_key=ref[:-2],
            metadata={"sent:" + ref: BASELINE},
        )
        assert claim.claimed
        store.ledger_update(
            "bench", ORDER, ref, state=LedgerState.SENT, remote_id=1, release=ref[:-2] + "#1"
        )
    elapsed = time.perf_counter() - t0
    conn.set_trace_callback(None)
    store.close()
    return elapsed / n, begins / n


def floor(path: Path, n: int, round_no: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS ledger (channel TEXT, kind TEXT, reference TEXT, state TEXT,"
        " body TEXT, PRIMARY KEY (channel, kind, reference)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS kv (channel TEXT, key TEXT, value TEXT,"
        " PRIMARY KEY (channel, key)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS backorders (channel TEXT, key TEXT,"
        " PRIMARY KEY (channel, key)) WITHOUT ROWID"
    )
    refs = [f"SO-{round_no:02d}{i:07d}-1" for i in range(n)]
    body = "x" * 300
    t0 = time.perf_counter()
    for ref in refs:
        conn.execute(
            "SELECT state FROM ledger WHERE channel = ? AND kind = ? AND reference = ?",
            ("bench", "order", ref),
        ).fetchone()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO ledger VALUES (?, ?, ?, ?, ?)", ("bench", "order", ref, "pending", body)
        )
        conn.execute("INSERT INTO kv VALUES (?, ?, ?)", ("bench", "sent:" + ref, BASELINE))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE ledger SET state = 'sent' WHERE channel = ? AND kind = ? AND reference = ?",
            ("bench", "order", ref),
        )
        conn.execute("DELETE FROM backorders WHERE channel = ? AND key = ?", ("bench", ref))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed / n


def _us(values: list[float]) -> str:
    return (
        f"min {min(values) * 1e6:7.1f}  median {statistics.median(values) * 1e6:7.1f}"
        f"  max {max(values) * 1e6:7.1f} µs/order"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    flow: list[float] = []
    bare: list[float] = []
    txs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            per_order, per_order_txs = push_flow(Path(tmp) / "store.db", args.orders, r)
            flow.append(per_order)
            txs.append(per_order_txs)
            bare.append(floor(Path(tmp) / "floor.db", args.orders, r))
    ratios = [f / b for f, b in zip(flow, bare, strict=True)]
    print(f"orders per round {args.orders}, rounds {args.repeat}")
    print(f"push flow   {_us(flow)}")
    print(f"floor       {_us(bare)}")
    print(
        f"ratio       min {min(ratios):.2f}  median {statistics.median(ratios):.2f}"
        f"  max {max(ratios):.2f}"
    )
    print(f"write transactions per order: {max(txs):.2f}")


if __name__ == "__main__":
    main()
