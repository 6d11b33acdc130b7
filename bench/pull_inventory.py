"""Pull 100,000 stock summaries at 20 ms per request, 8 pages in flight: against the latency
floor and against a naive ``requests`` loop; plus the sandbox's own ceiling at 0 ms.

    .venv/bin/python bench/pull_inventory.py [--records 100000] [--latency-ms 20] [--workers 8]
                                             [--rounds 5] [--no-keep-alive]

Two sandboxes run in their own processes (as a real server would; in-process their rendering
would compete with the client for the GIL): one with the injected latency, one with none.
Per round, interleaved:

- ``client``: ``ExtensivClient.inventory.stock_summaries(concurrency=8)``: 200 pages of 500,
  models out (``StockSummary``), records counted and dropped;
- ``naive``: what a host would write by hand: a ``requests.Session`` per thread, 8 threads,
  ``response.json()`` per page, dicts out (no models, no retries, no auth refresh);
- ``sandbox ceiling``: the naive loop against the 0 ms sandbox, bytes only (no parsing): the
  most records per second the sandbox can serve to 8 concurrent connections.

Figures: client wall / floor (floor = pages x latency / workers), client CPU / naive CPU (process
CPU time of this process, which holds only the client side), each as min/median/max over the
rounds. Goals (issue 15): <= 1.5x floor, <= 1.2x the naive loop's CPU.
"""

from __future__ import annotations

import argparse
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from _common import Rounds, cpu_and_wall, external_sandbox, fmt_ratio, fmt_seconds, spread

from extensiv_connector.client import ExtensivClient

PAGE = 500
HAL = "application/hal+json"


def sandbox_args(records: int, latency_ms: float, keep_alive: bool) -> list[str]:
    args = ["--catalog-size", str(records), "--latency-ms", str(latency_ms)]
    return args if keep_alive else [*args, "--no-keep-alive"]


def client_pull(info: dict[str, Any], workers: int) -> Callable[[], int]:
    credentials = {k: v for k, v in info.items() if k != "webhook_url"}
    client = ExtensivClient(**credentials, page_concurrency=workers, pool_size=max(10, workers))
    client.customers.get()  # token and a pooled connection, as a long-running host has

    def pull() -> int:
        return sum(1 for _ in client.inventory.stock_summaries(concurrency=workers))

    return pull


def naive_pull(info: dict[str, Any], workers: int, records: int, parse: bool) -> Callable[[], int]:
    token = requests.post(
        info["base_url"] + "/AuthServer/api/Token",
        json={"grant_type": "client_credentials", "user_login_id": info["user_login_id"]},
        auth=(info["client_id"], info["client_secret"]),
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": HAL}
    local = threading.local()
    url = info["base_url"] + "/inventory/stocksummaries"
    pages = math.ceil(records / PAGE)

    def page(number: int) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        response = session.get(
            url, params={"pgsiz": PAGE, "pgnum": number}, headers=headers, timeout=60
        )
        response.raise_for_status()
        if parse:
            return len(response.json()["summaries"])
        return response.content.count(b'"itemIdentifier"')

    executor = ThreadPoolExecutor(max_workers=workers)

    def pull() -> int:
        return sum(executor.map(page, range(1, pages + 1)))

    return pull


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-keep-alive", action="store_true", help="sandbox closes each reply")
    args = parser.parse_args()
    n, workers, keep_alive = args.records, args.workers, not args.no_keep_alive
    pages = math.ceil(n / PAGE)
    floor = pages * args.latency_ms / 1000 / workers

    rounds = Rounds()
    with (
        external_sandbox(*sandbox_args(n, args.latency_ms, keep_alive)) as slow,
        external_sandbox(*sandbox_args(n, 0, keep_alive)) as fast,
    ):
        contenders = {
            "client": client_pull(slow, workers),
            "naive": naive_pull(slow, workers, n, parse=True),
            "ceiling": naive_pull(fast, workers, n, parse=False),
        }
        for fn in contenders.values():
            assert n == fn()  # warm-up, and the same answer from each
        for _ in range(args.rounds):
            for name, fn in contenders.items():
                cpu, wall, count = cpu_and_wall(fn)
                assert n == count
                rounds.add(f"{name} cpu", cpu)
                rounds.add(f"{name} wall", wall)

    print(
        f"pull {n:,} stock summaries: {pages} pages of {PAGE}, {args.latency_ms:g} ms per request, "
        f"{workers} in flight, keep-alive {'on' if keep_alive else 'off'}, {args.rounds} rounds "
        "(min / median / max)"
    )
    print(f"  client wall          : {fmt_seconds(rounds['client wall'])}")
    print(f"  naive wall           : {fmt_seconds(rounds['naive wall'])}")
    print(
        f"  client / floor       : {fmt_ratio([w / floor for w in rounds['client wall']])}"
        f"  (floor {floor:.2f} s = {pages} x {args.latency_ms:g} ms / {workers}; goal <= 1.5x)"
    )
    print(f"  naive / floor        : {fmt_ratio([w / floor for w in rounds['naive wall']])}")
    print(
        f"  client CPU / naive   : {fmt_ratio(rounds.ratios('client cpu', 'naive cpu'))}"
        f"  (client {fmt_seconds(rounds['client cpu'])}; goal <= 1.2x)"
    )
    ceiling = [n / w for w in rounds["ceiling wall"]]
    low, mid, high = spread(ceiling)
    print(
        f"  sandbox ceiling      : {low:,.0f} / {mid:,.0f} / {high:,.0f} records/s "
        f"(0 ms, {workers} connections, bytes only)"
    )
    client_rate = [n / w for w in rounds["client wall"]]
    median_rate = spread(client_rate)[1]
    print(f"  client at {args.latency_ms:g} ms      : {median_rate:,.0f} records/s (median)")


if __name__ == "__main__":
    main()
