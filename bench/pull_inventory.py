"""Stream 100,000 stock summaries from the sandbox: concurrent paging against sequential paging.

    .venv/bin/python bench/pull_inventory.py [--records 100000] [--latency-ms 20] [--workers 8]
                                             [--in-process] [--skip-memory]

Both runs happen in one run against one sandbox with the same injected latency per request.
By default the sandbox runs in its own process (``python -m extensiv_connector.sandbox``), as a
real server would: in-process, its JSON rendering competes with the client for the GIL and the
benchmark measures the sandbox. ``--in-process`` uses ``Sandbox(catalog_size=...)`` and
``sb.faults.configure(latency_ms=...)`` directly.

Records are counted and dropped as they stream (nothing is kept). Speed is measured without
tracing; peak Python memory is measured in separate passes under ``tracemalloc``, for the whole
stream and for its first tenth: flat memory means the two peaks are about the same.
Goal: concurrent >= 4x sequential, memory flat.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from extensiv_connector.client import ExtensivClient


@contextlib.contextmanager
def sandbox(records: int, latency_ms: float, in_process: bool) -> Iterator[dict[str, Any]]:
    """Connection info (base_url and credentials) of a running sandbox."""
    if in_process:
        from extensiv_connector.sandbox import Sandbox

        with Sandbox(catalog_size=records) as sb:
            sb.faults.configure(latency_ms=latency_ms)
            creds = sb.credentials
            yield {
                "base_url": sb.base_url,
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "user_login_id": creds.user_login_id,
                "tpl": creds.tpl,
                "customer_id": creds.customer_id,
                "facility_id": creds.facility_id,
            }
        return
    command = [
        sys.executable,
        "-m",
        "extensiv_connector.sandbox",
        "--catalog-size",
        str(records),
        "--latency-ms",
        str(latency_ms),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        yield {
            k: info[k]
            for k in (
                "base_url",
                "client_id",
                "client_secret",
                "user_login_id",
                "tpl",
                "customer_id",
                "facility_id",
            )
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_client(info: dict[str, Any], workers: int) -> ExtensivClient:
    return ExtensivClient(**info, page_concurrency=workers, page_window=2 * workers)


def stream(client: ExtensivClient, workers: int, limit: int | None = None) -> int:
    count = 0
    for _summary in client.inventory.stock_summaries(concurrency=workers):
        count += 1
        if limit is not None and count >= limit:
            break
    return count


def timed(client: ExtensivClient, workers: int) -> tuple[int, float]:
    started = time.perf_counter()
    count = stream(client, workers)
    return count, time.perf_counter() - started


def peak_mb(client: ExtensivClient, workers: int, limit: int | None = None) -> float:
    tracemalloc.start()
    try:
        stream(client, workers, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="concurrent vs sequential stock-summary paging")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--in-process", action="store_true", help="sandbox in this process")
    parser.add_argument("--skip-memory", action="store_true", help="timing runs only")
    args = parser.parse_args()
    workers = args.workers

    with (
        sandbox(args.records, args.latency_ms, args.in_process) as info,
        make_client(info, workers) as client,
    ):
        client.customers.get()  # token and connection warm-up
        seq_n, seq_s = timed(client, 1)
        con_n, con_s = timed(client, workers)
        memory = None
        if not args.skip_memory:
            memory = (
                peak_mb(client, 1),
                peak_mb(client, workers),
                peak_mb(client, workers, limit=args.records // 10),
            )
    assert seq_n == con_n == args.records, (seq_n, con_n)
    where = "in-process" if args.in_process else "separate process"
    print(
        f"stock summaries: {args.records:,} records in {-(-args.records // 500)} pages of 500, "
        f"{args.latency_ms:g} ms injected latency per request, sandbox in a {where}"
    )
    print(f"sequential : {seq_s:6.2f} s  {seq_n / seq_s:9,.0f} records/s")
    print(
        f"concurrent : {con_s:6.2f} s  {con_n / con_s:9,.0f} records/s"
        f"  ({workers} workers, window {2 * workers} pages)"
    )
    print(f"ratio      : {seq_s / con_s:.2f}x  (goal >= 4x)")
    if memory is not None:
        seq_mb, con_mb, tenth_mb = memory
        print(
            f"peak memory: sequential {seq_mb:.1f} MB, concurrent {con_mb:.1f} MB "
            f"(first tenth only: {tenth_mb:.1f} MB -> flat)"
        )


if __name__ == "__main__":
    main()
