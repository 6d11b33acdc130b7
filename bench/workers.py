"""Throughput of 1, 2, 4 and 8 worker processes sharing one PostgreSQL store, 20 ms latency.

    .venv/bin/python bench/workers.py [--channels 40] [--orders 10] [--latency-ms 20]
                                      [--repeat 3] [--workers 1,2,4,8]

Each run: a fresh schema, ``channels`` channels each scheduled ``push_orders = "every 1h"`` with
``orders`` fresh orders from its host, and N ``extensiv-connector`` worker processes (library
``Worker``, ``max_in_flight = 1``, so one worker is one sequential client and the work is
latency-bound). The clock starts when every worker is ready and told to go, and stops when
every order is SENT in the shared ledger. The sandbox runs in its own process with the given
latency per request. Each due job is taken by exactly one worker, so the work splits by
channel; with fewer channels than about 5 per worker the split itself limits scaling.

Runs interleave the worker counts (1, 2, 4, 8, 1, 2, ...). Printed per worker count: orders/s
(min/median/max over ``--repeat`` runs), the ratio to
linear scaling of the 1-worker median, and the latency floor as a rate (one request per order:
workers / latency; the real flow adds a token and a stock pass per push). Also printed: the
machine's load average, since a loaded 2-core box moves these numbers a lot. Goal: >= 0.75x
linear up to 4 workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder
from extensiv_connector.sync import LedgerKind, LedgerState, PostgresStore
from extensiv_connector.worker import Worker, stop_on_signals

_SHIP_TO = Address(name="B", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
_CATALOG = 100
URL = os.environ.get("EXTENSIV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def sandbox(latency_ms: float) -> Iterator[dict[str, Any]]:
    command = [
        sys.executable,
        "-m",
        "extensiv_connector.sandbox",
        "--port",
        "0",
        "--catalog-size",
        str(_CATALOG),
        "--initial-stock",
        "1000000",
        "--latency-ms",
        str(latency_ms),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        yield {k: v for k, v in info.items() if k != "webhook_url"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def channel_orders(run: str, channel: int, n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"{run}-{channel:03d}-{i:04d}",
            lines=[OrderLine(sku=f"SKU-{i % _CATALOG + 1:06d}", quantity=1, line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def configs(info: dict[str, Any], channels: int) -> list[ChannelConfig]:
    return [
        ChannelConfig.from_dict(
            {
                "general": {"connection_name": f"bench-{c:03d}"},
                "credentials": info,
                "sync": {"max_in_flight": 1, "schedule": {"push_orders": "every 1h"}},
            }
        )
        for c in range(channels)
    ]


def child(settings: dict[str, Any]) -> int:
    """One worker process: wait for the go file, run until SIGTERM."""
    stop = threading.Event()
    run, n = settings["run"], settings["orders"]
    store = PostgresStore(URL, schema=settings["schema"], pool_size=2)
    channel_configs = configs(settings["info"], settings["channels"])
    by_channel = {cfg.channel: channel_orders(run, c, n) for c, cfg in enumerate(channel_configs)}
    with (
        stop_on_signals(stop, [signal.SIGTERM]),
        Worker(
            channel_configs,
            store,
            sources={"push_orders": lambda cfg: by_channel[cfg.channel]},
            poll_seconds=0.5,  # nothing new falls due in a run: idle polls only add load
        ) as worker,
    ):
        print("ready", flush=True)
        go = Path(settings["go"])
        while not go.exists():
            time.sleep(0.005)
        worker.run(stop)
    store.close()
    return 0


def sent(conn: psycopg.Connection[Any], schema: str) -> int:
    """Orders SENT so far: one count, so the watching parent takes no CPU from the workers
    (reading every channel's ledger each poll did)."""
    query = sql.SQL("SELECT count(*) FROM {}.ledger WHERE kind = %s AND state = %s").format(
        sql.Identifier(schema)
    )
    row = conn.execute(query, (LedgerKind.ORDER.value, LedgerState.SENT.value)).fetchone()
    return int(row[0]) if row else 0


def one_run(info: dict[str, Any], workers: int, channels: int, orders: int) -> float:
    """Seconds for ``workers`` processes to send ``channels x orders`` orders."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    PostgresStore(URL, schema=schema, pool_size=1).close()  # migrate before the workers start
    conn = psycopg.connect(URL, autocommit=True)
    total = channels * orders
    with tempfile.TemporaryDirectory() as tmp:
        go = Path(tmp) / "go"
        settings = {
            "info": info,
            "schema": schema,
            "channels": channels,
            "orders": orders,
            "run": schema,
            "go": str(go),
        }
        procs = [
            subprocess.Popen(  # noqa: S603 - this script, fixed arguments
                [sys.executable, __file__, "--child", json.dumps(settings)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        try:
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready"
            started = time.perf_counter()
            go.touch()
            while sent(conn, schema) < total:
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)
                if proc.stdout is not None:
                    proc.stdout.close()
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--orders", type=int, default=10, help="per channel")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))

    counts = [int(n) for n in args.workers.split(",")]
    total = args.channels * args.orders
    results: dict[int, list[float]] = {n: [] for n in counts}
    with sandbox(args.latency_ms) as info:
        # Rounds interleave the worker counts, so a change in machine load hits all alike.
        for _ in range(args.repeat):
            for n in counts:
                results[n].append(total / one_run(info, n, args.channels, args.orders))
    base = statistics.median(results[counts[0]]) / counts[0]
    print(
        f"{total} orders ({args.channels} channels x {args.orders}), "
        f"{args.latency_ms:g} ms latency, max_in_flight=1 per worker, {args.repeat} runs each,"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':>7}  {'orders/s min/median/max':>26}  {'vs linear min/median/max':>26}"
        f"  {'floor orders/s':>14}"
    )
    for n in counts:
        rates = sorted(results[n])
        linear = base * n
        ratios = [r / linear for r in rates]
        floor = n * 1000.0 / args.latency_ms  # one request per order, nothing else
        print(
            f"{n:>7}  {rates[0]:8.1f} {statistics.median(rates):8.1f} {rates[-1]:8.1f}"
            f"  {ratios[0]:8.2f} {statistics.median(ratios):8.2f} {ratios[-1]:8.2f}"
            f"  {floor:14.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
