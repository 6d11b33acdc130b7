"""Benchmark: the SQLite ledger work of pushed orders, on the real push path.

Runs ``Connector.push_orders`` on a SQLite file in a temporary directory (WAL,
``synchronous=NORMAL``) with the warehouse calls answered in process (``orders.create`` returns
the next id at once: no HTTP), and measures per order:

* ``push path``: the CPU time spent inside store calls during the push (a timing proxy wraps
  the store): the screening read, the batched claims (``ledger_begin_many``: a window of up to
  64 orders with their comparison baselines), the grouped settles (``ledger_settle_many``),
  and the run's lease and journal writes, amortised over the orders; and how often the push
  read its lease (``lease_info``) to check its fence before a send;
* ``per-order calls``: what the push made before batching, for the same orders: a screening
  read, a claim (``ledger_begin``) and a settle (``ledger_update`` releasing the backorder
  entry) per order;
* ``floor``: the per-order transactions on a bare ``sqlite3`` connection with the same pragmas
  (an INSERT of a ledger row plus a baseline row, an UPDATE plus a DELETE, one read): what
  SQLite itself costs for two write transactions per order;

and counts write transactions (``BEGIN IMMEDIATE``) per order. Every figure is CPU time of the
calling thread (``time.thread_time``; with ``synchronous=NORMAL`` in WAL mode a commit does not
wait for the disk), so a loaded machine or the GIL shared with the push's other threads does
not count as store time. Prints min/median/max over
``--repeat`` interleaved rounds (push path, per-order calls, floor) and the ratios per round.

    .venv/bin/python bench/ledger.py [--orders N] [--repeat R] [--in-flight K]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder
from extensiv_connector.sync import Connector, LedgerKind, LedgerState, PushStatus, SQLiteStore

ORDER = LedgerKind.ORDER
_SHIP_TO = Address(name="B", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
BASELINE = json.dumps(
    {
        "referenceNum": "SO-0000000-1",
        "routingInfo": {"carrier": "UPS", "mode": "Ground"},
        "orderItems": [{"itemIdentifier": {"sku": "SKU-00001"}, "qty": 2, "externalId": "1"}],
    }
)


class TimedStore:
    """Passes every call to the store, adding the CPU time the calling thread spends inside
    it (thread CPU, not wall: with eight workers and the translating thread sharing one GIL,
    wall time inside a call counts the other threads' work too)."""

    def __init__(self, inner: SQLiteStore) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.by_method: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return target(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.seconds += spent
                    self.by_method[name] = self.by_method.get(name, 0.0) + spent
                    self.calls[name] = self.calls.get(name, 0) + 1

        return timed


def _config(in_flight: int) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": "bench"},
            "credentials": {
                "base_url": "http://127.0.0.1:9",  # never called: creates are answered here
                "client_id": "bench",
                "client_secret": "bench-secret",
                "tpl": "{00000000-0000-0000-0000-000000000000}",
                "user_login_id": "1",
                "customer_id": 1,
                "facility_id": 1,
            },
            # the channel's stock mode: no stock snapshot, so no request at all
            "backorder": {"mode": "manage_in_channel"},
            "sync": {"max_in_flight": in_flight},
        },
        environ={},
    )


def _orders(round_no: int, n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"SO-{round_no:02d}{i:07d}",
            lines=[OrderLine(sku=f"SKU-{i % 100 + 1:06d}", quantity=2, line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
            carrier="UPS",
        )
        for i in range(n)
    ]


def _count_begins(store: SQLiteStore) -> list[int]:
    begins = [0]

    def trace(statement: str) -> None:
        begins[0] += statement.startswith("BEGIN IMMEDIATE")

    conn = store._conn  # private on purpose: counting statements is the point here
    assert conn is not None
    conn.set_trace_callback(trace)
    return begins


def push_path(
    path: Path, n: int, round_no: int, in_flight: int
) -> tuple[float, float, dict[str, float], float]:
    """Seconds inside store calls per order, write transactions per order, seconds per
    order by store method, and lease reads (``lease_info``) per order."""
    inner = SQLiteStore(path)
    store = TimedStore(inner)
    ids = itertools.count(1)
    with Connector(_config(in_flight), store=store) as connector:
        # answered here, no HTTP: the bench measures the store, not the client
        connector.client.orders.create = lambda payload, **hooks: _Created(next(ids))  # type: ignore[method-assign,assignment]
        begins = _count_begins(inner)
        store.seconds, store.by_method, store.calls = 0.0, {}, {}
        result = connector.push_orders(_orders(round_no, n))
        spent, writes = store.seconds, begins[0]
    inner.close()
    sent = sum(o.status is PushStatus.SENT_FULL for o in result.outcomes)
    assert sent == n, sent
    reads = store.calls.get("lease_info", 0) / n
    return spent / n, writes / n, {k: v / n for k, v in store.by_method.items()}, reads


class _Created:
    """What ``orders.create`` answers: ``.value.order_id``."""

    def __init__(self, order_id: int) -> None:
        self.value = self
        self.order_id = order_id


def per_order_calls(path: Path, n: int, round_no: int) -> tuple[float, float]:
    """The store calls the push made per order before batching (seconds, writes per order)."""
    store = SQLiteStore(path)
    begins = _count_begins(store)
    refs = [f"SO-{round_no:02d}{i:07d}-1" for i in range(n)]
    lines = {"1": Decimal(2)}
    t0 = time.thread_time()
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
    elapsed = time.thread_time() - t0
    store.close()
    return elapsed / n, begins[0] / n


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
    t0 = time.thread_time()
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
    elapsed = time.thread_time() - t0
    conn.close()
    return elapsed / n


def _us(values: list[float]) -> str:
    return (
        f"{min(values) * 1e6:7.1f} / {statistics.median(values) * 1e6:7.1f}"
        f" / {max(values) * 1e6:7.1f} µs per order"
    )


def _ratio(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args()
    path_s: list[float] = []
    path_tx: list[float] = []
    lease_reads: list[float] = []
    calls_s: list[float] = []
    calls_tx: list[float] = []
    bare: list[float] = []
    methods: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            seconds, writes, split, reads = push_path(
                Path(tmp) / "path.db", args.orders, r, args.in_flight
            )
            path_s.append(seconds)
            path_tx.append(writes)
            lease_reads.append(reads)
            for name, value in split.items():
                methods.setdefault(name, []).append(value)
            seconds, writes = per_order_calls(Path(tmp) / "calls.db", args.orders, r)
            calls_s.append(seconds)
            calls_tx.append(writes)
            bare.append(floor(Path(tmp) / "floor.db", args.orders, r))
    print(
        f"ledger: {args.orders:,} orders per round, {args.repeat} interleaved rounds,"
        f" {args.in_flight} in flight (min / median / max)"
    )
    print(f"  push path        : {_us(path_s)}  (goal <= 50 µs)")
    for name, values in sorted(methods.items(), key=lambda kv: -statistics.median(kv[1])):
        if statistics.median(values) >= 0.5e-6:
            print(f"    {name:20s}: {_us(values)}")
    print(f"  per-order calls  : {_us(calls_s)}  (the push before batching)")
    print(f"  floor            : {_us(bare)}  (bare sqlite3, 2 write transactions per order)")
    print(f"  push path / floor: {_ratio([p / b for p, b in zip(path_s, bare, strict=True)])}")
    print(
        f"  write transactions per order: push path {max(path_tx):.3f} (max; lease and"
        f" journal included), per-order calls {max(calls_tx):.2f} (goal <= 2)"
    )
    print(
        f"  lease reads per order: push path {max(lease_reads):.3f} (max; the fence check"
        " before each send reads the store only once the lease's trust ran out)"
    )


if __name__ == "__main__":
    main()
