"""``Connector.import_products`` against the bare client pull of the same items, and the floor.

    .venv/bin/python bench/import_products.py [--records 100000] [--repeats 3] [--skip-memory]

One run, one sandbox in its own process (as a real server would be). Each repeat times, in
turn: the latency floor (the same pages fetched as raw HTTP, no JSON decoding), the bare client
pull (``client.items.list`` with the import's query, records counted and dropped) and the
import (a fresh SQLite state file, a counting handler, ``keep_records=False``: translation,
dedupe, batched cursor commits, journal). Ratios import / bare are reported min / median / max
over the repeats. Goal: import within 2x the bare pull, memory flat (peak for the whole import
about the peak for its first tenth, measured in separate passes under tracemalloc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extensiv_connector.client import ExtensivClient
from extensiv_connector.client.rql import field
from extensiv_connector.config import ChannelConfig
from extensiv_connector.sync import Connector, SQLiteStore

START = "2000-01-01T00:00:00"
SORT = "readOnly.lastModifiedDate"


@contextlib.contextmanager
def sandbox(records: int) -> Iterator[dict[str, Any]]:
    command = [sys.executable, "-m", "extensiv_connector.sandbox", "--catalog-size", str(records)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=10)


def floor(client: ExtensivClient, records: int) -> float:
    """Every page of the import's query as raw responses: the network and server share."""
    base = f"/customers/{client.customer_id}/items"
    started = time.perf_counter()
    pages = -(-records // 100)
    query = f"readOnly.lastModifiedDate=ge={START}"
    for pgnum in range(1, pages + 1):
        client.request(
            "GET",
            base,
            params={"pgsiz": 100, "pgnum": pgnum, "rql": query, "sort": SORT},
        )
    return time.perf_counter() - started


def bare(client: ExtensivClient) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for _item in client.items.list(
        field("readOnly.lastModifiedDate") >= START, sort="readOnly.lastModifiedDate"
    ):
        count += 1
    return count, time.perf_counter() - started


def imported(config: ChannelConfig, limit: int | None = None) -> tuple[int, float]:
    count = 0

    class _EnoughError(Exception):
        pass

    def handler(_product: Any) -> None:
        nonlocal count
        count += 1
        if limit is not None and count >= limit:
            raise _EnoughError

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "state.sqlite3")
        started = time.perf_counter()
        with Connector(config, store=store) as connector, contextlib.suppress(_EnoughError):
            connector.import_products(handler=handler, keep_records=False)
        elapsed = time.perf_counter() - started
        store.close()
    return count, elapsed


def peak_mb(config: ChannelConfig, limit: int | None) -> float:
    tracemalloc.start()
    try:
        imported(config, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="import_products vs the bare client pull")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    with sandbox(args.records) as info:
        config = ChannelConfig.from_dict(
            {"general": {"connection_name": "bench"}, "credentials": info}
        )
        floors, bares, imports = [], [], []
        with ExtensivClient.from_config(config) as client:
            client.customers.get()  # token and connection warm-up
            for _ in range(args.repeats):
                floors.append(floor(client, args.records))
                n_bare, t_bare = bare(client)
                n_import, t_import = imported(config)
                assert n_bare == n_import == args.records, (n_bare, n_import)
                bares.append(t_bare)
                imports.append(t_import)
        memory = None
        if not args.skip_memory:
            memory = (peak_mb(config, None), peak_mb(config, args.records // 10))

    ratios = sorted(i / b for i, b in zip(imports, bares, strict=True))
    over_floor = sorted(i / f for i, f in zip(imports, floors, strict=True))

    def mmm(values: list[float], unit: str) -> str:
        v = sorted(values)
        median = statistics.median(v)
        return f"min {v[0]:.2f}{unit}  median {median:.2f}{unit}  max {v[-1]:.2f}{unit}"

    print(f"import_products: {args.records:,} items, pages of 100, sandbox in its own process")
    print(f"floor (raw pages)   : {mmm(floors, ' s')}")
    print(f"bare client pull    : {mmm(bares, ' s')}")
    best = args.records / min(imports)
    print(f"import_products     : {mmm(imports, ' s')}  ({best:,.0f} records/s best)")
    print(f"import / bare       : {mmm(ratios, 'x')}  (goal <= 2x)")
    print(f"import / floor      : {mmm(over_floor, 'x')}")
    if memory is not None:
        whole, tenth = memory
        print(f"peak memory         : whole import {whole:.1f} MB, first tenth {tenth:.1f} MB")


if __name__ == "__main__":
    main()
