"""Push 2,000 orders to the sandbox with 20 ms latency per request: concurrent against sequential.

    .venv/bin/python bench/push_orders.py [--orders 2000] [--latency-ms 20] [--in-flight 8]
                                          [--rounds 3] [--in-process] [--profile] [--sequential]
                                          [--store memory|sqlite]

The push flow makes one stock-summaries pass per batch, one POST per order and one token
request. Both runs push the same number of fresh orders (different references) against one
sandbox, each with a fresh in-memory state store. The sandbox runs in its own process by
default (``python -m extensiv_connector.sandbox``): in-process, its request handling competes
with the connector for the GIL and the benchmark measures the sandbox. ``--profile`` prints a
cProfile of the concurrent run's connector side (run with ``--in-process`` off).

Also printed: how long after ``push_orders`` was called the first create left (orders are
translated and validated while earlier ones are sent, so it does not wait for the batch), and
with ``--store sqlite`` (a file in a temporary directory) the write transactions per order;
and the CPU time per order of this process (every thread: translation, store, client) and of
the sandbox's process (from ``/proc``; Linux only), the two halves of the per-request cost.

The latency floor is requests x latency / concurrency. Goal (issue 15): within 1.15x of the
floor at 8 in flight, in every round. ``--sequential`` adds one run at 1 in flight (40 s at the
defaults) for the speed-up.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import fmt_ratio, fmt_seconds, process_cpu, spread

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder
from extensiv_connector.sync import Connector, MemoryStore, PushStatus, SQLiteStore, StateStore

_SHIP_TO = Address(name="B", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
_CATALOG = 100


@contextlib.contextmanager
def sandbox(
    latency_ms: float, in_process: bool, stock: int, keep_alive: bool = True
) -> Iterator[tuple[dict[str, Any], int | None]]:
    """Connection info (base_url and credentials) of a running sandbox, and the pid of its
    process (``None`` in-process)."""
    if in_process:
        from extensiv_connector.sandbox import Sandbox

        with Sandbox(catalog_size=_CATALOG, initial_stock=stock, keep_alive=keep_alive) as sb:
            sb.faults.configure(latency_ms=latency_ms)
            yield sb.connection_info(), None
        return
    command = [
        sys.executable,
        "-m",
        "extensiv_connector.sandbox",
        "--port",
        "0",
        "--catalog-size",
        str(_CATALOG),
        "--initial-stock",
        str(stock),
        "--latency-ms",
        str(latency_ms),
        *([] if keep_alive else ["--no-keep-alive"]),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline()), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def orders(prefix: str, n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"{prefix}-{i:05d}",
            lines=[OrderLine(sku=f"SKU-{i % _CATALOG + 1:06d}", quantity=1, line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def config(info: dict[str, Any], in_flight: int) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": "bench"},
            "credentials": {k: v for k, v in info.items() if k != "webhook_url"},
            "sync": {"max_in_flight": in_flight},
            "client": {"pool_size": max(16, in_flight)},
        }
    )


def _store(kind: str, directory: str, prefix: str) -> tuple[StateStore, list[int]]:
    """A fresh store, and a one-item list counting its write transactions (SQLite only)."""
    begins = [0]
    if kind == "memory":
        return MemoryStore(), begins
    store = SQLiteStore(Path(directory) / f"{prefix}.db")
    conn = store._conn  # private on purpose: counting statements is the point here
    assert conn is not None

    def trace(statement: str) -> None:
        begins[0] += statement.startswith("BEGIN IMMEDIATE")

    conn.set_trace_callback(trace)
    return store, begins


def push(
    info: dict[str, Any],
    prefix: str,
    n: int,
    in_flight: int,
    profile: bool,
    store_kind: str = "memory",
    directory: str = "",
) -> tuple[float, float, float, float]:
    """Wall time of one push of ``n`` fresh orders (token included, as a real run would),
    seconds until the first create left, write transactions per order, and this process's
    CPU seconds per order (every thread)."""
    batch = orders(prefix, n)
    profiler = cProfile.Profile() if profile else None
    store, begins = _store(store_kind, directory, prefix)
    first: list[float] = []
    with Connector(config(info, in_flight), store=store) as connector:
        create = connector.client.orders.create

        def timed_create(payload: Any, **hooks: Any) -> Any:
            if not first:
                first.append(time.perf_counter())
            return create(payload, **hooks)

        # patched on this one instance on purpose: it stamps when the first create is sent
        connector.client.orders.create = timed_create  # type: ignore[method-assign,assignment]
        started = time.perf_counter()
        cpu = time.process_time()
        if profiler is not None:
            profiler.enable()
        result = connector.push_orders(batch)
        if profiler is not None:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    store.close()
    sent = result.counts[PushStatus.SENT_FULL.value]
    assert sent == n, result.counts
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return elapsed, first[0] - started, begins[0] / n, cpu / n


def fmt_us(values: list[float]) -> str:
    low, mid, high = spread(values)
    return f"{low * 1e6:.0f} / {mid * 1e6:.0f} / {high * 1e6:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description="order pushes against the latency floor")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="sandbox in this process")
    parser.add_argument("--profile", action="store_true", help="cProfile the concurrent runs")
    parser.add_argument("--no-keep-alive", action="store_true", help="sandbox closes each reply")
    parser.add_argument(
        "--sequential", action="store_true", help="also one sequential run (n x latency long)"
    )
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory")
    args = parser.parse_args()
    n, latency = args.orders, args.latency_ms / 1000.0
    runs = args.rounds + (1 if args.sequential else 0)
    # every run takes stock: enough that no order is held under the default backorder policy
    stock = runs * n // _CATALOG + 10

    walls: list[float] = []
    firsts: list[float] = []
    writes: list[float] = []
    client_cpu: list[float] = []
    sandbox_cpu: list[float] = []
    seq_s = None
    with (
        sandbox(args.latency_ms, args.in_process, stock, not args.no_keep_alive) as (info, pid),
        tempfile.TemporaryDirectory() as directory,
    ):
        for r in range(args.rounds):
            before = process_cpu(pid) if pid is not None else None
            wall, first, per_order, cpu = push(
                info, f"CON{r}", n, args.in_flight, args.profile, args.store, directory
            )
            after = process_cpu(pid) if pid is not None else None
            walls.append(wall)
            firsts.append(first)
            writes.append(per_order)
            client_cpu.append(cpu)
            if before is not None and after is not None:
                sandbox_cpu.append((after - before) / n)
        if args.sequential:
            seq_s = push(info, "SEQ", n, 1, False, args.store, directory)[0]

    # token + one stock-summaries page (100 SKUs) + one POST per order
    requests = n + 2
    floor = requests * latency / args.in_flight
    where = "in-process" if args.in_process else "separate process"
    print(
        f"push_orders: {n:,} orders, {args.latency_ms:g} ms latency per request, "
        f"~{requests:,} requests per run, {args.in_flight} in flight, sandbox in a {where}, "
        f"{args.rounds} rounds, {args.store} store (min / median / max)"
    )
    print(f"  wall                 : {fmt_seconds(walls)}")
    print(
        f"  wall / latency floor : {fmt_ratio([w / floor for w in walls])}  "
        f"(floor {floor:.2f} s = {requests:,} x {args.latency_ms:g} ms / {args.in_flight}; "
        "goal <= 1.15x)"
    )
    print(f"  first create after   : {fmt_seconds(firsts)}  (token and stock page included)")
    print(f"  client CPU per order : {fmt_us(client_cpu)}  (this process, every thread)")
    if sandbox_cpu:
        print(f"  sandbox CPU per order: {fmt_us(sandbox_cpu)}  (its process)")
    if args.store == "sqlite":
        print(
            f"  write transactions   : {max(writes):.3f} per order (max; lease, journal included)"
        )
    if seq_s is not None:
        print(f"  sequential           : {seq_s:.2f} s, speed-up {seq_s / min(walls):.2f}x")


if __name__ == "__main__":
    main()
